package trace

import (
	"context"
	"reflect"
	"testing"

	"github.com/spoorhq/spoor/storage"
)

// TestCachedChainSameResults runs the same walks, exposures and path
// searches over the index directly and through a small cache (so that
// entries are evicted along the way), twice, and expects identical
// results.
func TestCachedChainSameResults(t *testing.T) {
	ctx := context.Background()
	st, err := world.DB.State()
	if err != nil {
		t.Fatal(err)
	}
	seeds := busySeeds(t, world.DB, storage.TxNum(st.NextTxNum/3), 4)
	cc, err := NewCachedChain(world.DB, 64)
	if err != nil {
		t.Fatal(err)
	}
	labels, _ := truthLabels(t)
	names, err := NewCachedNamer(world.Namer(), 16)
	if err != nil {
		t.Fatal(err)
	}
	direct := NewEngine(world.DB, labels, world.Namer())
	cached := NewEngine(cc, labels, names.Name)
	for round := 0; round < 2; round++ {
		for _, m := range []Model{Haircut, FIFO} {
			a, err := direct.Forward(ctx, seeds, m, Limits{MaxHops: 5})
			if err != nil {
				t.Fatal(err)
			}
			b, err := cached.Forward(ctx, seeds, m, Limits{MaxHops: 5})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("%s forward differs through the cache", m)
			}
			a, err = direct.Backward(ctx, seeds, m, Limits{MaxHops: 5})
			if err != nil {
				t.Fatal(err)
			}
			b, err = cached.Backward(ctx, seeds, m, Limits{MaxHops: 5})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("%s backward differs through the cache", m)
			}
		}
		for _, s := range seeds {
			outs, err := world.DB.Outputs(s.TxNum)
			if err != nil {
				t.Fatal(err)
			}
			id := outs[s.Vout].AddrID
			a, err := direct.Screen(ctx, id, nil, ExposureLimits{})
			if err != nil {
				t.Fatal(err)
			}
			b, err := cached.Screen(ctx, id, nil, ExposureLimits{})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("screening of %d differs through the cache", id)
			}
		}
		cc.Purge()
		names.Purge()
	}
}
