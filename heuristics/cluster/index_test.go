package cluster

import (
	"context"
	"testing"

	"github.com/spoorhq/spoor/indexer"
)

// TestReorgEqualsFreshIndex indexes a simulated chain with its clusters,
// switches the source to a competing branch that forks below many merges,
// and checks that the index after disconnecting and reconnecting equals a
// fresh index of the final chain, cluster tables included.
func TestReorgEqualsFreshIndex(t *testing.T) {
	w := simWorld(t)
	n := int32(len(w.blocks))
	from, to := n-40, n-25
	final := forkBlocks(t, w.blocks, from, to)
	src := &memSource{blocks: w.blocks}
	db := openDB(t)
	set := defaultSet(t)
	// One Index across both runs, as in a follower: what it cached before
	// the reorganization must not survive the disconnects.
	idx, err := OpenIndex(db, set, nil)
	if err != nil {
		t.Fatal(err)
	}
	run := func(cfg indexer.Config) {
		ix, err := indexer.New(db, src, cfg, indexer.AddrIndex{}, idx)
		if err != nil {
			t.Fatal(err)
		}
		if err := ix.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	run(indexer.Config{FinalityDepth: 1000})
	merged := clusterDump(t, db, "J")
	src.mu.Lock()
	src.blocks = final
	src.mu.Unlock()
	run(indexer.Config{FinalityDepth: 1000})

	fresh := openDB(t)
	runIndex(t, fresh, &memSource{blocks: final}, set, indexer.Config{})
	if a, b := clusterDump(t, db, "CMVJKHG"), clusterDump(t, fresh, "CMVJKHG"); a != b {
		t.Fatalf("clusters after the reorg differ from a fresh index of the final chain:\n%s", firstDiff(a, b))
	}
	if merged == clusterDump(t, db, "J") {
		t.Fatal("the disconnected blocks made no merges: the test proves nothing")
	}
}

// TestBulkBatchSeesOwnWrites indexes the whole chain in one bulk batch (the
// clustering must read its own uncommitted rows), then compares with a
// catch-up of the clustering added to an existing index and with Build.
func TestBulkBatchSeesOwnWrites(t *testing.T) {
	w := simWorld(t)
	set := defaultSet(t)
	live := openDB(t)
	runIndex(t, live, &memSource{blocks: w.blocks}, set, indexer.Config{BulkBatchBytes: 1 << 30, BulkCommitInterval: 1 << 40})
	want := clusterDump(t, live, "CMVJKHG")

	later := openDB(t)
	runIndex(t, later, &memSource{blocks: w.blocks}, nil, indexer.Config{})
	runIndex(t, later, &memSource{blocks: w.blocks}, set, indexer.Config{})
	if got := clusterDump(t, later, "CMVJKHG"); got != want {
		t.Fatalf("a catch-up of clusters added to an existing index differs from clustering while indexing:\n%s", firstDiff(got, want))
	}

	built := openDB(t)
	runIndex(t, built, &memSource{blocks: w.blocks}, nil, indexer.Config{})
	sum, err := Build(context.Background(), built, 1, set, int32(len(w.blocks)-1), 64<<10)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Merges == 0 || sum.Txs == 0 {
		t.Fatalf("build summary %+v: no merges", sum)
	}
	if got, want := clusterDump(t, built, "CMVJH"), clusterDump(t, live, "CMVJH"); got != want {
		t.Fatalf("the in-memory build differs from the block-by-block index:\n%s", firstDiff(got, want))
	}
}
