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
	src := bitcoin.FileSource{Files: openMainnetFiles(b)}
	var txs, keys uint64
	for b.Loop() {
		b.StopTimer()
		db, err := storage.Open(b.TempDir(), "bitcoin/mainnet", nil)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		ix, err := New(db, src, Config{Workers: 2, OnCommit: func(p Progress) { txs, keys = p.Txs, p.Keys }})
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
