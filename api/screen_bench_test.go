package api

import (
	"context"
	"testing"
)

// BenchmarkScreen screens the golden world's addresses through GraphQL:
// from the exposure index, and by walking, against the stats query as
// the reference measured in the same run.
func BenchmarkScreen(b *testing.B) {
	w := goldenSim(b)
	addrs := []string{w.facts["SanctionPayer"], w.facts["Payer"], w.facts["Payee"], w.facts["PathTo"], w.facts["ExchangeSibling"]}
	run := func(b *testing.B, s *Schema, query string) {
		i := 0
		for b.Loop() {
			req := Request{Query: query, Variables: map[string]any{"a": addrs[i%len(addrs)]}}
			i++
			if out := s.Execute(analystCtx(), req, DefaultLimits()); len(out.Result.Errors) > 0 {
				b.Fatal(out.Result.Errors)
			}
		}
	}
	const screen = `query($a: String!) { screen(address: $a) { risk source reasons { code level } receiving { totalSat direct { category share } indirect { category share } } sending { totalSat direct { category share } indirect { category share } } } }`
	b.Run("reference=stats", func(b *testing.B) {
		for b.Loop() {
			if out := w.schema.Execute(analystCtx(), Request{Query: `{ stats { height txs addresses } }`}, DefaultLimits()); len(out.Result.Errors) > 0 {
				b.Fatal(out.Result.Errors)
			}
		}
	})
	b.Run("screen-index", func(b *testing.B) { run(b, w.schema, screen) })
	b.Run("screen-walk", func(b *testing.B) {
		run(b, w.schema, `query($a: String!) { screen(address: $a) { risk source receiving { direct { category paths { amountSat } } } } }`)
	})
	b.Run("engine-index", func(b *testing.B) {
		ids := w.ids(b, addrs)
		i := 0
		for b.Loop() {
			if _, err := w.engine.Screen(context.Background(), ids[i%len(ids)], nil, w.lim); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}
