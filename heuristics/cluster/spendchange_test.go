package cluster

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"
	"github.com/spoorhq/spoor/chains/bitcoin"
	"github.com/spoorhq/spoor/heuristics"
	"github.com/spoorhq/spoor/indexer"
	"github.com/spoorhq/spoor/storage"
)

func changeSpendSet(t testing.TB) *Set {
	t.Helper()
	s, err := NewSet(Config{Heuristics: []string{"address-equivalence/1", "multi-input/1", "change-spend/1"}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// runIndexFrom is runIndex with the clustering reading blocks from src.
func runIndexFrom(t testing.TB, db *storage.DB, src indexer.Source, set *Set, cfg indexer.Config) {
	t.Helper()
	idx, err := OpenIndex(db, set, nil)
	if err != nil {
		t.Fatal(err)
	}
	idx.ReadBlocksFrom(context.Background(), src)
	ix, err := indexer.New(db, src, cfg, indexer.AddrIndex{}, idx)
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestFingerprint(t *testing.T) {
	in := func(seq uint32) *wire.TxIn { return &wire.TxIn{Sequence: seq} }
	tests := []struct {
		name string
		tx   wire.MsgTx
		want uint64
	}{
		{"v1 final", wire.MsgTx{Version: 1, TxIn: []*wire.TxIn{in(wire.MaxTxInSequenceNum)}}, 1 << 2},
		{"v2 lock time, no RBF", wire.MsgTx{Version: 2, LockTime: 800000, TxIn: []*wire.TxIn{in(wire.MaxTxInSequenceNum - 1)}}, 2<<2 | 2},
		{"v2 RBF on one input", wire.MsgTx{Version: 2, TxIn: []*wire.TxIn{in(wire.MaxTxInSequenceNum), in(wire.MaxTxInSequenceNum - 2)}}, 2<<2 | 1},
		{"v2 lock time and RBF", wire.MsgTx{Version: 2, LockTime: 5, TxIn: []*wire.TxIn{in(0)}}, 2<<2 | 3},
	}
	for _, tt := range tests {
		if got := fingerprint(&tt.tx); got != tt.want {
			t.Errorf("%s: fingerprint %b, want %b", tt.name, got, tt.want)
		}
	}
}

// TestSpendChangeDecides walks plans through spends: the change is the one
// output spent with the creator's fingerprint once all are spent and
// another was spent without it; CoinJoin spends cancel.
func TestSpendChangeDecides(t *testing.T) {
	const fpA, fpB = 9, 6
	creator := heuristics.Tx{Num: 10, Ins: []heuristics.Input{{Addr: 1}},
		Outs: []heuristics.Output{{Addr: 2}, {Addr: 3}, {}}}
	spend := func(n storage.TxNum, vout uint32) *heuristics.Tx {
		return &heuristics.Tx{Num: n, Ins: []heuristics.Input{{Addr: 50 + storage.AddrID(n), PrevTx: 10, PrevVout: vout}}, Outs: []heuristics.Output{{Addr: 99}}}
	}
	type step struct {
		vout  uint32
		fp    uint64
		mixed bool
	}
	tests := []struct {
		name  string
		steps []step
		want  storage.AddrID // change address joined with 1, 0 for none
	}{
		{"change spent first", []step{{1, fpA, false}, {0, fpB, false}}, 3},
		{"change spent last", []step{{0, fpB, false}, {1, fpA, false}}, 3},
		{"both alike", []step{{0, fpA, false}, {1, fpA, false}}, 0},
		{"both differ", []step{{0, fpB, false}, {1, fpB, false}}, 0},
		{"one unspent", []step{{1, fpA, false}}, 0},
		{"CoinJoin cancels", []step{{0, fpB, true}, {1, fpA, false}}, 0},
		{"double spend of an output counts once", []step{{1, fpA, false}, {1, fpB, false}, {0, fpB, false}}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMemState(100)
			got, err := spendChange(m, &creator, fpA, false, nil)
			if err != nil || len(got) != 0 || len(m.pending) != 1 {
				t.Fatalf("plan: links %v, %d plans, %v", got, len(m.pending), err)
			}
			var links []link
			for i, s := range tt.steps {
				if links, err = spendChange(m, spend(storage.TxNum(20+i), s.vout), s.fp, s.mixed, links); err != nil {
					t.Fatal(err)
				}
			}
			var joined storage.AddrID
			for _, l := range links {
				if l.ev.TxNum == 10 {
					if l.a != 1 || l.ev.Rule != uint8(ChangeSpend) || l.ev.Spender < 20 || l.ev.Confidence != ConfidenceChangeSpend {
						t.Fatalf("link %+v", l)
					}
					joined = l.b
				}
			}
			if joined != tt.want {
				t.Fatalf("joined %d with the inputs, want %d", joined, tt.want)
			}
		})
	}
}

// TestChangeSpendBatchEqualsPerBlock indexes the simulated chain block by
// block with change-spend/1, compares with the in-memory build (plans
// still pending included), and checks the rule's merges against the truth.
func TestChangeSpendBatchEqualsPerBlock(t *testing.T) {
	w := simWorld(t)
	set := changeSpendSet(t)
	src := &memSource{blocks: w.blocks}
	live := openDB(t)
	runIndexFrom(t, live, src, set, indexer.Config{})

	built := openDB(t)
	runIndex(t, built, src, nil, indexer.Config{})
	if _, err := Build(context.Background(), built, 1, set, int32(len(w.blocks)-1), 64<<10); err == nil {
		t.Fatal("a build of change-spend/1 without the chain source succeeded")
	}
	sum, err := BuildFrom(context.Background(), built, 1, set, int32(len(w.blocks)-1), 64<<10, src)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Merges == 0 {
		t.Fatalf("build summary %+v: no merges", sum)
	}
	got, want := clusterDump(t, built, "CMVJHc"), clusterDump(t, live, "CMVJHc")
	if got != want {
		t.Fatalf("the in-memory build differs from the block-by-block index:\n%s", firstDiff(got, want))
	}
	if !strings.Contains(want, "\nc ") {
		t.Fatal("no plan is pending at the tip: the comparison of plans proves nothing")
	}

	f, err := os.Open(filepath.Join(w.dir, "truth.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	truth, err := ReadTruth(f, "truth.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	net, _ := bitcoin.LookupNetwork("regtest")
	rep, err := EvaluateFrom(context.Background(), live, net, truth, src)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("co-spent %+v\nbound %+v\nchange bound %+v\nchange %+v", rep.CoSpent, rep.BoundCoSpent, rep.ChangeBoundCoSpent, rep.Change)
	spend := rep.Change[len(rep.Change)-1]
	if spend.Rule != "change-spend/1" || spend.Truth == 0 || spend.Precision < 0.99 || spend.Correct == 0 || spend.Precision <= rep.Change[1].Precision {
		t.Errorf("change-spend/1 as a change detector: %+v, against %+v", spend, rep.Change[1])
	}
	if rep.ChangeBoundCoSpent.Recall < rep.CoSpent.Recall || rep.ChangeBoundCoSpent.Precision != 1 {
		t.Errorf("the bound with every true change joined %+v is below the clustering %+v", rep.ChangeBoundCoSpent, rep.CoSpent)
	}
	if rep.CoSpent.Precision < 0.995 {
		t.Errorf("co-spent precision %.4f with change-spend/1, want 0.995", rep.CoSpent.Precision)
	}
	if rep.CoSpent.Recall <= rep.BoundCoSpent.Recall {
		t.Errorf("co-spent recall %.4f with change-spend/1 is not above the multi-input bound %.4f", rep.CoSpent.Recall, rep.BoundCoSpent.Recall)
	}
}

// TestChangeSpendReorgEqualsFreshIndex disconnects blocks whose spends
// decided and changed plans, and checks that the index then equals a fresh
// index of the final chain, plan and plan undo tables included.
func TestChangeSpendReorgEqualsFreshIndex(t *testing.T) {
	w := simWorld(t)
	n := int32(len(w.blocks))
	from, to := n-40, n-25
	final := forkBlocks(t, w.blocks, from, to)
	src := &memSource{blocks: w.blocks}
	db := openDB(t)
	set := changeSpendSet(t)
	idx, err := OpenIndex(db, set, nil)
	if err != nil {
		t.Fatal(err)
	}
	idx.ReadBlocksFrom(context.Background(), src)
	run := func() {
		ix, err := indexer.New(db, src, indexer.Config{FinalityDepth: 1000}, indexer.AddrIndex{}, idx)
		if err != nil {
			t.Fatal(err)
		}
		if err := ix.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	run()
	before := clusterDump(t, db, "Jcg")
	src.mu.Lock()
	src.blocks = final
	src.mu.Unlock()
	run()

	fresh := openDB(t)
	runIndexFrom(t, fresh, &memSource{blocks: final}, set, indexer.Config{})
	if a, b := clusterDump(t, db, "CMVJKHGcg"), clusterDump(t, fresh, "CMVJKHGcg"); a != b {
		t.Fatalf("clusters after the reorg differ from a fresh index of the final chain:\n%s", firstDiff(a, b))
	}
	if before == clusterDump(t, db, "Jcg") {
		t.Fatal("the disconnected blocks changed no plans: the test proves nothing")
	}
}

// TestWhyNamesTheSpender checks that a change-spend/1 merge is explained
// with the creating transaction and the spend that decided it.
func TestWhyNamesTheSpender(t *testing.T) {
	w := simWorld(t)
	db := openDB(t)
	runIndexFrom(t, db, &memSource{blocks: w.blocks}, changeSpendSet(t), indexer.Config{})
	st, err := db.State()
	if err != nil {
		t.Fatal(err)
	}
	var from storage.AddrID
	var l storage.ClusterLink
	for a := storage.AddrID(1); a < st.NextAddrID && from == 0; a++ {
		links, err := db.ClusterLinks(1, a)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range links {
			if Rule(x.Rule) == ChangeSpend {
				from, l = a, x
				break
			}
		}
	}
	if from == 0 {
		t.Fatal("no change-spend/1 merge in the simulated chain")
	}
	ins, err := db.Inputs(l.Spender)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(ins, func(in storage.Input) bool { return in.PrevTxNum == l.TxNum }) || l.Confidence != ConfidenceChangeSpend {
		t.Fatalf("link %+v: the spender does not spend the creating transaction", l)
	}
	net, _ := bitcoin.LookupNetwork("regtest")
	v, err := NewViews(db, net)
	if err != nil {
		t.Fatal(err)
	}
	sa, _ := v.AddressString(from)
	sb, _ := v.AddressString(l.To)
	view, err := v.Why(sa, sb, 0)
	if err != nil || !view.Same || len(view.Steps) != 1 {
		t.Fatalf("why view = %+v %v", view, err)
	}
	sp, _ := db.Tx(l.Spender)
	if s := view.Steps[0]; s.Rule != "change-spend/1" || s.SpenderTxid != chainhash.Hash(sp.Txid).String() || s.SpenderHeight != sp.Height || s.SpenderTxid == s.Txid {
		t.Fatalf("why step %+v, want the spender %s", s, chainhash.Hash(sp.Txid))
	}
}

// TestChangeSpendGuarded checks that the super-cluster guard refuses and
// reports change-spend/1 merges like any other.
func TestChangeSpendGuarded(t *testing.T) {
	w := simWorld(t)
	set, err := NewSet(Config{Heuristics: []string{"multi-input/1", "change-spend/1"}, MaxClusterSize: 5, RefuseOversize: true})
	if err != nil {
		t.Fatal(err)
	}
	db := openDB(t)
	runIndexFrom(t, db, &memSource{blocks: w.blocks}, set, indexer.Config{})
	guarded := 0
	if err := db.ClusterTxs(1, func(n storage.TxNum, h storage.TxHeuristics) bool {
		for _, g := range h.Guards {
			if Rule(g.Rule) == ChangeSpend && g.Refused && g.SizeA+g.SizeB > 5 {
				guarded++
			}
		}
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if guarded == 0 {
		t.Fatal("the guard refused no change-spend/1 merge")
	}
	st, _ := db.State()
	for a := storage.AddrID(1); a < st.NextAddrID; a++ {
		if s, ok, _ := db.ClusterStats(1, a); ok && s.Size > 5 {
			t.Fatalf("cluster %d has %d addresses, past the refused bound 5", a, s.Size)
		}
	}
}
