package cluster

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/spoorhq/spoor/chains/bitcoin"
	"github.com/spoorhq/spoor/indexer"
	"github.com/spoorhq/spoor/storage"
)

func TestNewSet(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
		check   func(*Set) bool
	}{
		{"default", Config{}, "", func(s *Set) bool { return s.Has(Equivalence) && s.Has(MultiInput) && !s.Has(Change) }},
		{"with change", Config{Heuristics: []string{"multi-input/1", "change/1"}, ChangeMinConfidence: 50},
			"", func(s *Set) bool { return s.Has(Change) && s.ChangeMin == 50 && !s.Has(Equivalence) }},
		{"unknown heuristic", Config{Heuristics: []string{"multi-input/2"}}, `unknown heuristic "multi-input/2"`, nil},
		{"unknown detector", Config{CoinJoin: []string{"wasabi3/1"}}, `unknown CoinJoin detector "wasabi3/1"`, nil},
		{"bad confidence", Config{ChangeMinConfidence: 101}, "change_min_confidence 101", nil},
		{"refuse without bound", Config{RefuseOversize: true}, "needs max_cluster_size", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewSet(tt.cfg)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("NewSet = %v, want an error with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !tt.check(s) {
				t.Fatalf("NewSet = %+v, %v", s, err)
			}
			again, err := ParseSpec(s.Spec())
			if err != nil || again.Spec() != s.Spec() || again.Version() != s.Version() {
				t.Fatalf("spec %s does not round-trip: %v", s.Spec(), err)
			}
		})
	}
}

// TestRebuildSwitchesAtomically builds a second clustering with change
// links beside the first, checks the switch and that the first is gone,
// and that the super-cluster guard refuses and reports merges.
func TestRebuildSwitchesAtomically(t *testing.T) {
	w := simWorld(t)
	db := openDB(t)
	src := &memSource{blocks: w.blocks}
	runIndex(t, db, src, defaultSet(t), indexer.Config{})
	gen1, set1, err := Active(db)
	if err != nil || gen1 != 1 || set1.Spec() != defaultSet(t).Spec() {
		t.Fatalf("active = %d %v %v", gen1, set1, err)
	}
	before := clusterDump(t, db, "CMVJH")

	// A build that crashed left generation 2 behind, never activated.
	if orphan, err := newGeneration(db, defaultSet(t)); err != nil || orphan != 2 {
		t.Fatalf("newGeneration = %d %v", orphan, err)
	}

	guarded, err := NewSet(Config{Heuristics: []string{"address-equivalence/1", "multi-input/1", "change/1"}, MaxClusterSize: 20, RefuseOversize: true})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := Rebuild(context.Background(), db, guarded, 50, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Generation != 3 || sum.Previous != 1 {
		t.Fatalf("rebuild = %+v", sum)
	}
	gen, set, err := Active(db)
	if err != nil || gen != 3 || set.Spec() != guarded.Spec() {
		t.Fatalf("active after rebuild = %d %v %v", gen, set, err)
	}
	gens, err := db.Generations()
	if err != nil || len(gens) != 1 || gens[0] != 3 {
		t.Fatalf("generations = %v %v, want only 3", gens, err)
	}
	if _, ok, _ := db.Tip(IndexName(1)); ok {
		t.Fatal("the old generation's tip survived")
	}
	if n, _, _ := db.ClusterStats(1, 1); n.Size != 0 {
		t.Fatal("the old generation's rows survived")
	}
	if clusterDump(t, db, "CMVJH") == before {
		t.Fatal("a clustering with change links equals one without")
	}
	// The guard kept every cluster at 20 or less and said why.
	guards := 0
	if err := db.ClusterTxs(3, func(_ storage.TxNum, th storage.TxHeuristics) bool {
		for _, g := range th.Guards {
			if !g.Refused || g.SizeA+g.SizeB <= 20 {
				t.Errorf("guard event %+v", g)
			}
			guards++
		}
		return true
	}); err != nil {
		t.Fatal(err)
	}
	st, _ := db.State()
	for a := storage.AddrID(1); a < st.NextAddrID; a++ {
		c, err := db.ClusterOf(3, a)
		if err != nil {
			t.Fatal(err)
		}
		if s, ok, err := db.ClusterStats(3, c); err != nil || !ok || s.Size > 20 {
			t.Fatalf("address %d: cluster %d stats %+v %v %v", a, c, s, ok, err)
		}
	}
	if guards == 0 {
		t.Fatal("the guard never fired at a bound of 20")
	}

	// The indexer keeps maintaining the new generation, not the configured
	// default set.
	idx, err := OpenIndex(db, defaultSet(t), nil)
	if err != nil || idx.Name() != IndexName(3) || idx.set.Spec() != guarded.Spec() {
		t.Fatalf("OpenIndex after rebuild = %v %v", idx, err)
	}
}

// TestWhyExplainsEveryMerge checks, for every multi-input merge, that Why
// finds a chain between its two addresses whose every step names a
// transaction that really holds both addresses as inputs.
func TestWhyExplainsEveryMerge(t *testing.T) {
	w := simWorld(t)
	db := openDB(t)
	runIndex(t, db, &memSource{blocks: w.blocks}, defaultSet(t), indexer.Config{})
	net, _ := bitcoin.LookupNetwork("regtest")
	v, err := NewViews(db, net)
	if err != nil {
		t.Fatal(err)
	}
	// A big cluster: the cluster of the most merged address.
	st, _ := db.State()
	var big storage.AddrID
	var bigSize uint64
	for a := storage.AddrID(1); a < st.NextAddrID; a++ {
		if s, ok, _ := db.ClusterStats(1, a); ok && s.Size > bigSize {
			big, bigSize = a, s.Size
		}
	}
	if bigSize < 5 {
		t.Fatalf("largest cluster has %d addresses", bigSize)
	}
	var members []storage.AddrID
	if err := db.ClusterMembers(1, big, 0, func(a storage.AddrID) bool { members = append(members, a); return true }); err != nil {
		t.Fatal(err)
	}
	if uint64(len(members)) != bigSize {
		t.Fatalf("cluster %d lists %d members, stats say %d", big, len(members), bigSize)
	}
	a, b := members[0], members[len(members)-1]
	same, path, err := Why(db, 1, a, b, 0)
	if err != nil || !same || len(path) == 0 || path[0].From != a || path[len(path)-1].To != b {
		t.Fatalf("Why(%d, %d) = %v %v %v", a, b, same, path, err)
	}
	for i, s := range path {
		if i > 0 && path[i-1].To != s.From {
			t.Fatalf("step %d does not continue the chain: %v", i, path)
		}
		ins, err := db.Inputs(s.TxNum)
		if err != nil {
			t.Fatal(err)
		}
		has := map[storage.AddrID]bool{}
		for _, in := range ins {
			has[in.AddrID] = true
		}
		if Rule(s.Rule) == MultiInput && (!has[s.From] || !has[s.To]) {
			t.Fatalf("step %d names tx %d, which does not spend both %d and %d", i, s.TxNum, s.From, s.To)
		}
	}
	steps := len(path)
	// Two addresses of different clusters.
	var other storage.AddrID
	for x := storage.AddrID(1); x < st.NextAddrID; x++ {
		if c, _ := db.ClusterOf(1, x); c != big {
			other = x
			break
		}
	}
	if same, path, err := Why(db, 1, a, other, 0); err != nil || same || path != nil {
		t.Fatalf("Why across clusters = %v %v %v", same, path, err)
	}
	sa, _ := v.AddressString(a)
	sb, _ := v.AddressString(b)
	view, err := v.Why(sa, sb, 0)
	if err != nil || !view.Same || len(view.Steps) != steps {
		t.Fatalf("why view = %+v %v", view, err)
	}
	cv, err := v.Cluster(sa, 3, "")
	if err != nil || cv.Size != bigSize || len(cv.Members) != 3 || cv.NextCursor == "" {
		t.Fatalf("cluster view = %+v %v", cv, err)
	}
}

func TestNoClustering(t *testing.T) {
	db := openDB(t)
	if _, _, err := Active(db); !errors.Is(err, ErrNoClusters) {
		t.Fatalf("Active on an empty index = %v", err)
	}
}
