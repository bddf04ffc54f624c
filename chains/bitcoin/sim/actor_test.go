package sim

import (
	"math/rand/v2"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/v2"
)

// TestBlockBuilderLimits fills blocks with transactions that are heavy in
// weight or in sigops and checks that the builder stops at the consensus
// limits.
func TestBlockBuilderLimits(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	l := newLedger(&chaincfg.RegressionNetParams, 1, rng, 2, 1)
	legacy := &entity{fam: family{script: p2pkh}}
	segwit := &entity{fam: family{script: p2wpkh}}
	plan := func(in *entity, nIn int, out *entity, nOut int) *txPlan {
		p := &txPlan{}
		for range nIn {
			p.ins = append(p.ins, plannedInput{owner: in})
		}
		for range nOut {
			p.outs = append(p.outs, plannedOutput{owner: out})
		}
		return p
	}
	tests := []struct {
		name  string
		plan  *txPlan
		limit func(b *blockBuilder) (used, max int)
	}{
		{"weight", plan(legacy, 20, segwit, 2), func(b *blockBuilder) (int, int) { return b.weight, maxBlockWeight }},
		{"sigops", plan(segwit, 1, legacy, 200), func(b *blockBuilder) (int, int) { return b.sigOps, maxBlockSigOpsCost }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBlockBuilder(1, rng, l, 1_000_000)
			s := tt.plan.shape()
			n := 0
			for b.add(tt.plan) {
				n++
			}
			used, limit := tt.limit(b)
			if used > limit {
				t.Fatalf("builder accepted %d of %d", used, limit)
			}
			if w, ops := b.weight+s.weight(), b.sigOps+s.sigOpCost; w <= maxBlockWeight && ops <= maxBlockSigOpsCost {
				t.Fatalf("builder refused a plan that fits: weight %d, sigops %d after %d plans", w, ops, n)
			}
			if n == 0 || len(b.plans) != n {
				t.Fatalf("accepted %d plans, block holds %d", n, len(b.plans))
			}
		})
	}
}
