package ethereum

import (
	"context"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/spoorhq/spoor/internal/gethtest"
	"github.com/spoorhq/spoor/storage"
)

// TestFollowRealReorg follows a real geth through a reorganization: the
// node is rewound with debug_setHead and mines a different, longer
// branch. The follower must disconnect the abandoned blocks by their undo
// records and end equal to a fresh index of the final chain.
func TestFollowRealReorg(t *testing.T) {
	n := gethtest.Start(t)
	ctx := context.Background()
	simpleChain(t, n, 5)
	fork, err := n.Eth.BlockNumber(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The branch to abandon: a new token (its metadata row must go), a
	// withdrawal (a system transaction), a transfer.
	tok, err := gethtest.LoadContract("Token")
	if err != nil {
		t.Fatal(err)
	}
	token2, _, err := n.Deploy(ctx, tok, nil, big.NewInt(77))
	if err != nil {
		t.Fatal(err)
	}
	_, lost, _ := gethtest.NewKey()
	if err := n.AddWithdrawal(ctx, 0, lost, 5_000_000_000); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Send(ctx, gethtest.Tx{To: &lost, Value: big.NewInt(1e16)}); err != nil {
		t.Fatal(err)
	}

	src := mustDial(t, n)
	db, err := storage.Open(t.TempDir(), "ethereum", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	metrics := NewMetrics(prometheus.NewRegistry())
	ix, err := New(db, src, Config{Workers: 2, Follow: true, PollInterval: 50 * time.Millisecond, Metrics: metrics})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- ix.Run(runCtx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("follower: %v", err)
		}
	}()
	oldTip, oldHash, err := src.Tip(ctx)
	if err != nil {
		t.Fatal(err)
	}
	waitIndexed(t, db, oldTip, oldHash)
	if id, err := db.LookupEthAddr(token2); err != nil {
		t.Fatal(err)
	} else if _, err := db.EthToken(id); err != nil {
		t.Fatalf("metadata of the abandoned branch's token: %v", err)
	}

	// Rewind the node and mine a longer branch of other transactions.
	if err := n.SetHead(ctx, fork); err != nil {
		t.Fatal(err)
	}
	_, other, _ := gethtest.NewKey()
	if err := n.AddWithdrawal(ctx, 1, other, 3_000_000_000); err != nil {
		t.Fatal(err)
	}
	// Mine until the new branch is longer than the old one (geth may put
	// several transactions, including ones it re-injects from the
	// abandoned blocks, into one block).
	var newTip uint64
	var newHash common.Hash
	for i := 0; i < 30; i++ {
		if _, err := n.Send(ctx, gethtest.Tx{To: &other, Value: big.NewInt(int64(i+1) * 1e15)}); err != nil {
			t.Fatal(err)
		}
		if newTip, newHash, err = src.Tip(ctx); err != nil {
			t.Fatal(err)
		}
		if newTip > oldTip && i >= 3 {
			break
		}
	}
	if newTip <= oldTip {
		t.Fatalf("the new branch ends at %d, not above the old tip %d", newTip, oldTip)
	}
	if h, err := src.HashAt(ctx, oldTip); err != nil || h == oldHash {
		t.Fatalf("block %d was not replaced (%v)", oldTip, err)
	}
	waitIndexed(t, db, newTip, newHash)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("follower: %v", err)
	}
	done <- nil

	fresh, _ := indexAll(t, n, t.TempDir(), common.Address{}, Config{StopHeight: ix.Height()})
	if got, want := dump(t, db), dump(t, fresh); got != want {
		t.Errorf("index after the reorg differs from a fresh index of the final chain:\n%s", diffLines(got, want))
	}

	// The metrics tell the same story: one reorganization, the abandoned
	// blocks disconnected, every block of both branches connected, and
	// the transactions and edges connected minus those disconnected equal
	// to what the index holds.
	st := ix.State()
	disconnected := testutil.ToFloat64(metrics.disconnected)
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"reorgs", testutil.ToFloat64(metrics.reorgs), 1},
		{"height", testutil.ToFloat64(metrics.height), float64(ix.Height())},
		{"blocks connected less disconnected", testutil.ToFloat64(metrics.blocks) - disconnected, float64(ix.Height() + 1)},
	} {
		if c.got != c.want {
			t.Errorf("metric %s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if disconnected < 1 || disconnected > float64(oldTip-fork) {
		t.Errorf("%v blocks disconnected, want 1..%d", disconnected, oldTip-fork)
	}
	if txs := testutil.ToFloat64(metrics.txs); txs < float64(st.Txs) {
		t.Errorf("%v transactions connected, fewer than the %d the index holds", txs, st.Txs)
	}
	if tr := testutil.ToFloat64(metrics.transfers); tr < float64(st.Transfers) {
		t.Errorf("%v transfers connected, fewer than the %d the index holds", tr, st.Transfers)
	}
}

// waitIndexed waits until the index holds the given block (geth --dev may
// have mined an empty block after it, which the index may hold too).
func waitIndexed(t *testing.T, db *storage.DB, height uint64, hash common.Hash) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		tip, ok, err := db.Tip(ChainIndexName)
		if err != nil {
			t.Fatal(err)
		}
		if ok && uint64(tip.Height) >= height {
			if rec, err := db.EthBlock(uint32(height)); err == nil && common.Hash(rec.Hash) == hash {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("index tip %+v, want block %d %s", tip, height, hash)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
