package indexer

import (
	"context"
	"strings"
	"testing"

	"github.com/spoorhq/spoor/chains/bitcoin"
	"github.com/spoorhq/spoor/chains/bitcoin/sim"
	"github.com/spoorhq/spoor/storage"
)

// TestIngestEqualsWAL checks that history loaded as ingested tables, with
// commits in the background, gives the same index as the same blocks
// written through the write-ahead log, however the load is cut: tiny
// batches (a commit every few blocks, one always in flight), caches far
// too small to hold the outputs and addresses of a batch (so inputs and
// addresses are resolved from the committed index while the previous
// batch is still being ingested), and restarts part way through (so the
// address cache is preloaded from the index).
func TestIngestEqualsWAL(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if _, err := sim.Generate(ctx, dir, sim.Options{Seed: 3, Txs: 6000}); err != nil {
		t.Fatal(err)
	}
	net, _ := bitcoin.LookupNetwork("regtest")
	bf, err := bitcoin.OpenBlockFiles(ctx, net, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer bf.Close()
	tip, _ := bf.Tip()
	small := Config{BulkBatchBytes: 16 << 10, UTXOCacheTxs: 1000, AddrCacheEntries: 1000}
	type test struct {
		name  string
		stops []int32 // heights to stop at before the end
		cfg   Config
	}
	// The simulated chain has many inputs and addresses per block; the
	// mainnet blocks of 2009 have one or two transactions each, and are
	// cut into fewer, larger batches (every commit syncs a few files).
	sources := []struct {
		name, chain string
		src         Source
		tests       []test
	}{
		{"simulated", "bitcoin/regtest", bitcoin.FileSource{Files: bf}, []test{
			{"default batches", nil, Config{}},
			{"tiny batches and caches", nil, small},
			{"restarted", []int32{tip / 3, tip / 2}, Config{BulkBatchBytes: 64 << 10}},
			{"restarted with tiny caches", []int32{tip / 4}, small},
		}},
		{"mainnet", "bitcoin/mainnet", bitcoin.FileSource{Files: openMainnetFiles(t)}, []test{
			{"default batches", nil, Config{}},
			{"small batches and caches, restarted", []int32{5000}, Config{BulkBatchBytes: 256 << 10, UTXOCacheTxs: 1000, AddrCacheEntries: 1000}},
		}},
	}
	for _, s := range sources {
		open := func(t *testing.T) *storage.DB {
			db, err := storage.Open(t.TempDir(), s.chain, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		}
		ref := open(t)
		runIndexer(t, ref, s.src, Config{FinalityDepth: 1, NoIngest: true})
		want := dump(t, ref)
		for _, tt := range s.tests {
			t.Run(s.name+"/"+tt.name, func(t *testing.T) {
				db := open(t)
				for _, stop := range append(tt.stops, 0) {
					cfg := tt.cfg
					cfg.FinalityDepth, cfg.StopHeight = 1, stop
					runIndexer(t, db, s.src, cfg)
				}
				if got := dump(t, db); got != want {
					t.Fatalf("the ingested index differs from the one written through the WAL:\n%s", firstDiff(want, got))
				}
			})
		}
	}
}

// nopIndex is an index that writes nothing, so that the chain tables can
// be built without the address index.
type nopIndex struct{}

func (nopIndex) Name() string                                          { return "nop" }
func (nopIndex) ConnectBlock(*storage.Batch, *ConnectedBlock) error    { return nil }
func (nopIndex) DisconnectBlock(*storage.Batch, *ConnectedBlock) error { return nil }

// TestCatchUpEqualsIndexing checks that the address index added to an
// existing index, and caught up from the chain tables in bulk batches,
// equals the one written while indexing.
func TestCatchUpEqualsIndexing(t *testing.T) {
	src := bitcoin.FileSource{Files: openMainnetFiles(t)}
	want := openDB(t)
	runIndexer(t, want, src, Config{StopHeight: 4000})
	got := openDB(t)
	ix, err := New(got, src, Config{StopHeight: 4000}, nopIndex{})
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(dump(t, got), "\nX "); n != 0 {
		t.Fatalf("%d address index rows written without the address index", n)
	}
	runIndexer(t, got, src, Config{StopHeight: 4000, BulkBatchBytes: 64 << 10})
	// The no-op index keeps its tip; everything else must be equal.
	a := dump(t, want)
	var b strings.Builder
	for line := range strings.Lines(dump(t, got)) {
		if !strings.HasPrefix(line, "m tip/nop ") {
			b.WriteString(line)
		}
	}
	if !strings.Contains(a, "\nX ") || a != b.String() {
		t.Fatalf("a caught-up address index differs from one written while indexing:\n%s", firstDiff(b.String(), a))
	}
}
