package trace

import (
	"context"
	"testing"

	"github.com/spoorhq/spoor/chains/bitcoin"
	"github.com/spoorhq/spoor/storage"
)

// TestPaths finds paths to addresses a forward walk reached, and checks
// every hop against the index: the transaction pays To, spends an output
// of From, and comes after the hop before it.
func TestPaths(t *testing.T) {
	ctx := context.Background()
	db := world.DB
	st, err := db.State()
	if err != nil {
		t.Fatal(err)
	}
	e := NewEngine(db, nil, world.Namer())
	found := 0
	for _, seed := range busySeeds(t, db, storage.TxNum(st.NextTxNum/4), 8) {
		outs, err := db.Outputs(seed.TxNum)
		if err != nil {
			t.Fatal(err)
		}
		src := outs[seed.Vout].AddrID
		fwd, err := e.Forward(ctx, []Outpoint{seed}, Poison, Limits{MaxHops: 3, StopCategories: []string{}})
		if err != nil {
			t.Fatal(err)
		}
		perSeed := 0
		for _, n := range fwd.Nodes {
			if n.Kind != KindAddress || n.Hop < 1 || n.AddrID == src {
				continue
			}
			res, err := e.Paths(ctx, src, n.AddrID, PathLimits{MaxHops: 4})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Paths) == 0 {
				if res.Partial {
					continue
				}
				t.Fatalf("no path from the seed's address to %s, reached by the walk at hop %d", n.Address, n.Hop)
			}
			for _, p := range res.Paths {
				checkPath(t, db, p, n.Address)
				if len(p.Hops) > n.Hop+1 {
					t.Fatalf("path of %d hops to a node the walk reached at hop %d", len(p.Hops), n.Hop)
				}
			}
			found++
			if perSeed++; perSeed == 10 {
				break
			}
		}
		if _, err := e.Paths(ctx, src, src, PathLimits{}); err == nil {
			t.Fatal("path to itself accepted")
		}
	}
	if found < 20 {
		t.Fatalf("only %d paths checked", found)
	}
}

func checkPath(t *testing.T, db *storage.DB, p Path, target string) {
	t.Helper()
	var last storage.TxNum
	for i, h := range p.Hops {
		n, err := txNumOf(db, h.Txid)
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 && n <= last {
			t.Fatalf("hop %d goes back in time: %+v", i, p)
		}
		last = n
		if i > 0 && p.Hops[i-1].To != h.From {
			t.Fatalf("hop %d does not continue from %s", i, p.Hops[i-1].To)
		}
		from, to := addrID(t, db, h.From), addrID(t, db, h.To)
		ins, err := db.Inputs(n)
		if err != nil {
			t.Fatal(err)
		}
		outs, err := db.Outputs(n)
		if err != nil {
			t.Fatal(err)
		}
		spends, pays := false, uint64(0)
		for _, in := range ins {
			spends = spends || in.AddrID == from
		}
		for _, o := range outs {
			if o.AddrID == to {
				pays += o.Value
			}
		}
		if !spends || pays != h.Amount || pays == 0 {
			t.Fatalf("hop %d %+v: spends from %v, pays %d", i, h, spends, pays)
		}
	}
	if p.Hops[len(p.Hops)-1].To != target {
		t.Fatalf("path ends at %s, not %s", p.Hops[len(p.Hops)-1].To, target)
	}
}

func addrID(t *testing.T, db *storage.DB, s string) storage.AddrID {
	t.Helper()
	class, payload, err := bitcoin.ParseAddress(world.Net, s)
	if err != nil {
		t.Fatal(err)
	}
	id, err := db.LookupAddr(uint8(class), payload)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
