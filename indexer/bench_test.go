package indexer

import (
	"context"
	"testing"

	"github.com/spoorhq/spoor/chains/bitcoin"
	"github.com/spoorhq/spoor/storage"
)

// BenchmarkParseOnly measures fetch and decode of the real mainnet blocks
// 0..14131 with nothing written: the reference for BenchmarkIndex.
func BenchmarkParseOnly(b *testing.B) {
	src := bitcoin.FileSource{Files: openMainnetFiles(b)}
	tip, _ := src.Files.Tip()
	var txs uint64
	for b.Loop() {
		n, err := ParseOnly(context.Background(), src, 0, tip, 2)
		if err != nil {
			b.Fatal(err)
		}
		txs = n
	}
	b.ReportMetric(float64(txs)*float64(b.N)/b.Elapsed().Seconds(), "tx/s")
}

// BenchmarkIndex measures the full index of the same blocks.
func BenchmarkIndex(b *testing.B) {
	benchIndex(b, bitcoin.FileSource{Files: openMainnetFiles(b)}, "bitcoin/mainnet")
}

// benchIndex indexes src into a fresh database per iteration, as history
// (bulk mode), and reports transactions per second and keys per
// transaction.
func benchIndex(b *testing.B, src Source, chain string) {
	var txs, keys uint64
	for b.Loop() {
		b.StopTimer()
		db, err := storage.Open(b.TempDir(), chain, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		ix, err := New(db, src, Config{Workers: 2, FinalityDepth: 1, OnCommit: func(p Progress) { txs, keys = p.Txs, p.Keys }})
		if err != nil {
			b.Fatal(err)
		}
		if err := ix.Run(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		db.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(txs)*float64(b.N)/b.Elapsed().Seconds(), "tx/s")
	b.ReportMetric(float64(keys)/float64(txs), "keys/tx")
}
