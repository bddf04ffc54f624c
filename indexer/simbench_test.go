package indexer

import (
	"context"
	"os"
	"testing"

	"github.com/spoorhq/spoor/chains/bitcoin"
	"github.com/spoorhq/spoor/chains/bitcoin/sim"
	"github.com/spoorhq/spoor/storage"
)

// BenchmarkIndexSimulated indexes a simulated regtest chain with
// mainnet-like transactions (about 2.1 inputs and 2.6 outputs each, mostly
// fresh addresses). SPOOR_BENCH_BLOCKS names a directory of blocks to use
// instead of generating 50,000 transactions.
func BenchmarkIndexSimulated(b *testing.B) {
	ctx := context.Background()
	dir := os.Getenv("SPOOR_BENCH_BLOCKS")
	if dir == "" {
		dir = b.TempDir()
		if _, err := sim.Generate(ctx, dir, sim.Options{Seed: 1, Txs: 50000}); err != nil {
			b.Fatal(err)
		}
	}
	net, _ := bitcoin.LookupNetwork("regtest")
	bf, err := bitcoin.OpenBlockFiles(ctx, net, dir)
	if err != nil {
		b.Fatal(err)
	}
	defer bf.Close()
	src := bitcoin.FileSource{Files: bf}
	var txs, keys uint64
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		db, err := storage.Open(b.TempDir(), "bitcoin/regtest", nil)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		ix, err := New(db, src, Config{FinalityDepth: 1, OnCommit: func(p Progress) { txs, keys = p.Txs, p.Keys }})
		if err != nil {
			b.Fatal(err)
		}
		if err := ix.Run(ctx); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		db.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(txs)*float64(b.N)/b.Elapsed().Seconds(), "tx/s")
	b.ReportMetric(float64(keys)/float64(txs), "keys/tx")
}
