package api

import (
	"context"
	"testing"
)

// BenchmarkExecute compares answering a query through the whole GraphQL
// path (parse, limits, validation, execution) with calling the same view
// directly, in the same run: the ratio of their ns/op is GraphQL's
// overhead.
func BenchmarkExecute(b *testing.B) {
	s := testSchema(b)
	v := Bitcoin{DB: testIndex(b), Net: mustNet(b)}
	const txid = "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16"
	ctx := WithCaller(context.Background(), Caller{KeyID: "bench", Role: RoleViewer})
	b.Run("reference=view", func(b *testing.B) {
		for b.Loop() {
			if _, err := v.Tx(txid); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("graphql", func(b *testing.B) {
		req := Request{Query: `{ transaction(txid: "` + txid + `") { txid height feeSat inputs { prevTxid prevVout address valueSat } outputs { n valueSat type address spentBy { txid vin height } } } }`}
		for b.Loop() {
			if out := s.Execute(ctx, req, DefaultLimits()); len(out.Result.Errors) > 0 {
				b.Fatal(out.Result.Errors)
			}
		}
	})
	b.Run("graphql-stats", func(b *testing.B) {
		req := Request{Query: `{ stats { height txs addresses } }`}
		for b.Loop() {
			if out := s.Execute(ctx, req, DefaultLimits()); len(out.Result.Errors) > 0 {
				b.Fatal(out.Result.Errors)
			}
		}
	})
}
