package indexer

import (
	"context"
	"os"
	"testing"

	"github.com/spoorhq/spoor/chains/bitcoin"
	"github.com/spoorhq/spoor/chains/bitcoin/sim"
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
	benchIndex(b, bitcoin.FileSource{Files: bf}, "bitcoin/regtest")
}
