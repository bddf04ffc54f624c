package trace

import (
	"context"
	"testing"
	"time"

	"github.com/spoorhq/spoor/storage"
)

func TestWalkLimits(t *testing.T) {
	ctx := context.Background()
	db := world.DB
	st, err := db.State()
	if err != nil {
		t.Fatal(err)
	}
	seeds := busySeeds(t, db, storage.TxNum(st.NextTxNum/3), 3)
	full, err := NewEngine(db, nil, nil).Forward(ctx, seeds, Poison, noLimits)
	if err != nil {
		t.Fatal(err)
	}
	// Label an address the full walk reaches at hop 2 as an exchange.
	var exchange storage.AddrID
	for _, n := range full.Nodes {
		if n.Kind == KindAddress && n.Hop == 2 {
			exchange = n.AddrID
			break
		}
	}
	if exchange == 0 {
		t.Fatal("no address at hop 2")
	}
	labels := MapLabels{exchange: {{Entity: "x0", Category: "exchange", Source: "test"}}}

	tests := []struct {
		name  string
		lim   Limits
		check func(t *testing.T, r *Result)
	}{
		{"hops", Limits{MaxHops: 2, MaxNodes: 1 << 30, MaxEdges: 1 << 30, MaxFanout: 1 << 30}, func(t *testing.T, r *Result) {
			if r.Ends[EndHops] == 0 {
				t.Fatal("no edge ended at the hop limit")
			}
			for _, n := range r.Nodes {
				if n.Hop > 2 {
					t.Fatalf("node %s at hop %d", n.ID, n.Hop)
				}
			}
		}},
		{"min value", Limits{MinValue: 1 << 62, MaxNodes: 1 << 30, MaxEdges: 1 << 30, MaxFanout: 1 << 30}, func(t *testing.T, r *Result) {
			if r.Txs != 0 || r.Ends[EndMinValue] != r.SeedValue {
				t.Fatalf("txs %d, min-value ends %d of %d", r.Txs, r.Ends[EndMinValue], r.SeedValue)
			}
		}},
		{"service stop", Limits{MaxHops: 1000, MaxNodes: 1 << 30, MaxEdges: 1 << 30, MaxFanout: 1 << 30}, func(t *testing.T, r *Result) {
			if r.Ends["service:exchange"] == 0 {
				t.Fatalf("nothing stopped at the exchange: %v", r.Ends)
			}
			for _, e := range r.Edges {
				if e.Input && e.From == addrNodeID(exchange) {
					t.Fatal("walk went on from the exchange")
				}
			}
		}},
		{"node budget", Limits{MaxHops: 1000, MaxNodes: 20, MaxEdges: 1 << 30, MaxFanout: 1 << 30}, func(t *testing.T, r *Result) {
			if !r.Partial || r.Limit != "nodes" {
				t.Fatalf("partial %v limit %q", r.Partial, r.Limit)
			}
		}},
		{"fanout", Limits{MaxHops: 1000, MaxFanout: 1, MaxNodes: 1 << 30, MaxEdges: 1 << 30}, func(t *testing.T, r *Result) {
			if r.Ends[EndFanout] == 0 {
				t.Fatal("no fanout stop with a fanout of 1")
			}
		}},
		{"window", Limits{MaxHops: 1000, Window: time.Second, MaxNodes: 1 << 30, MaxEdges: 1 << 30, MaxFanout: 1 << 30}, func(t *testing.T, r *Result) {
			if r.Ends[EndWindow] == 0 {
				t.Fatalf("nothing stopped by a one-second window: %v", r.Ends)
			}
		}},
	}
	e := NewEngine(db, labels, nil)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := e.Forward(ctx, seeds, Poison, tc.lim)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, r)
		})
	}
}

func TestLimitsRejectNonsense(t *testing.T) {
	e := NewEngine(world.DB, nil, nil)
	for _, lim := range []Limits{{MaxHops: -1}, {MaxHops: 5000}, {MaxNodes: -3}, {Window: -time.Hour}} {
		if _, err := e.Forward(context.Background(), []Outpoint{{1, 0}}, Haircut, lim); err == nil {
			t.Fatalf("limits %+v accepted", lim)
		}
	}
}

// TestWalksStopAtMixes checks that forward and backward walks stop at
// transactions with at least MixDegree inputs and outputs, end the traced
// value there with the reason "mixing", and mark the transaction's node;
// a negative MixDegree never stops.
func TestWalksStopAtMixes(t *testing.T) {
	ctx := context.Background()
	db := world.DB
	st, err := db.State()
	if err != nil {
		t.Fatal(err)
	}
	seeds := busySeeds(t, db, storage.TxNum(st.NextTxNum/3), 3)
	e := NewEngine(db, nil, nil)
	for _, dir := range []string{"forward", "backward"} {
		walk := e.Forward
		if dir == "backward" {
			walk = e.Backward
		}
		for _, tc := range []struct {
			degree int
			stops  bool
		}{{2, true}, {-1, false}} {
			lim := noLimits
			lim.MaxHops = 6
			lim.MixDegree = tc.degree
			r, err := walk(ctx, seeds, Haircut, lim)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Ends[EndMixing] > 0; got != tc.stops {
				t.Fatalf("%s, mix degree %d: mixing ends %d", dir, tc.degree, r.Ends[EndMixing])
			}
			mixes := map[string]bool{}
			for _, n := range r.Nodes {
				if n.End == EndMixing {
					mixes[n.ID] = true
				}
			}
			if len(mixes) > 0 != tc.stops {
				t.Fatalf("%s, mix degree %d: %d nodes marked mixing", dir, tc.degree, len(mixes))
			}
			for _, ed := range r.Edges {
				// Forward, nothing leaves a mix; backward, nothing enters it.
				if (dir == "forward" && !ed.Input && mixes[ed.From]) || (dir == "backward" && ed.Input && mixes[ed.To]) {
					t.Fatalf("%s: the walk went on through mix %s (edge %+v)", dir, ed.From, ed)
				}
			}
		}
	}
}
