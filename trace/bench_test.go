package trace

import (
	"context"
	"testing"

	"github.com/spoorhq/spoor/storage"
)

// The benchmarks run over the package's simulated world. Compare a walk
// with BenchmarkReadTxs, which only reads the inputs and outputs of the
// same number of transactions: the ratio is the engine's own overhead
// over storage reads on this machine.

func benchSeeds(b *testing.B) []Outpoint {
	st, err := world.DB.State()
	if err != nil {
		b.Fatal(err)
	}
	var seeds []Outpoint
	for n := storage.TxNum(st.NextTxNum / 3); len(seeds) < 64; n += 37 {
		outs, err := world.DB.Outputs(n)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := world.DB.Spender(n, 0); err == nil && outs[0].AddrID != 0 {
			seeds = append(seeds, Outpoint{n, 0})
		}
	}
	return seeds
}

// BenchmarkForwardHaircut4 traces one output four hops forward under
// haircut, reporting transactions visited per second.
func BenchmarkForwardHaircut4(b *testing.B) {
	seeds := benchSeeds(b)
	e := NewEngine(world.DB, nil, world.Namer())
	ctx := context.Background()
	txs := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := e.Forward(ctx, seeds[i%len(seeds):i%len(seeds)+1], Haircut, Limits{MaxHops: 4})
		if err != nil {
			b.Fatal(err)
		}
		txs += r.Txs
	}
	b.ReportMetric(float64(txs)/b.Elapsed().Seconds(), "txs/s")
}

// BenchmarkScreen screens wallet addresses, both directions, four hops.
func BenchmarkScreen(b *testing.B) {
	seeds := benchSeeds(b)
	var ids []storage.AddrID
	for _, s := range seeds {
		outs, _ := world.DB.Outputs(s.TxNum)
		ids = append(ids, outs[s.Vout].AddrID)
	}
	e := NewEngine(world.DB, nil, world.Namer())
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.Screen(ctx, ids[i%len(ids)], nil, ExposureLimits{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScreenCached screens the same addresses through a shared
// cache, as a server does.
func BenchmarkScreenCached(b *testing.B) {
	seeds := benchSeeds(b)
	var ids []storage.AddrID
	for _, s := range seeds {
		outs, _ := world.DB.Outputs(s.TxNum)
		ids = append(ids, outs[s.Vout].AddrID)
	}
	cc, err := NewCachedChain(world.DB, 1<<18)
	if err != nil {
		b.Fatal(err)
	}
	e := NewEngine(cc, nil, world.Namer())
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.Screen(ctx, ids[i%len(ids)], nil, ExposureLimits{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadTxs is the reference: reading one transaction's inputs and
// outputs, reported as transactions per second.
func BenchmarkReadTxs(b *testing.B) {
	st, err := world.DB.State()
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := storage.TxNum(uint64(i)*7919%uint64(st.NextTxNum-1) + 1)
		if _, err := world.DB.Outputs(n); err != nil {
			b.Fatal(err)
		}
		_, _ = world.DB.Inputs(n)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "txs/s")
}

// BenchmarkForwardHaircut4Cached traces as a server does: through the
// shared read cache and name cache, with the default mixing stop.
func BenchmarkForwardHaircut4Cached(b *testing.B) {
	seeds := benchSeeds(b)
	cc, err := NewCachedChain(world.DB, 1<<18)
	if err != nil {
		b.Fatal(err)
	}
	names, err := NewCachedNamer(world.Namer(), 1<<18)
	if err != nil {
		b.Fatal(err)
	}
	e := NewEngine(cc, nil, names.Name)
	ctx := context.Background()
	txs := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := e.Forward(ctx, seeds[i%len(seeds):i%len(seeds)+1], Haircut, Limits{MaxHops: 4})
		if err != nil {
			b.Fatal(err)
		}
		txs += r.Txs
	}
	b.ReportMetric(float64(txs)/b.Elapsed().Seconds(), "txs/s")
}
