package api

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/graphql-go/graphql/language/parser"
	"github.com/graphql-go/graphql/testutil"
)

// TestLimits checks queries against the limits: each bad query is
// refused before it runs, with a LIMIT (or SYNTAX) error naming the field
// or the reason; each good one passes with the cost the rules give.
func TestLimits(t *testing.T) {
	s := testSchema(t)
	lim := Limits{MaxDepth: 6, MaxCost: 500, MaxPageSize: 50}
	const tx = `transaction(txid: "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16")`
	wide := strings.Builder{}
	wide.WriteString("{")
	for i := range 600 {
		fmt.Fprintf(&wide, " s%d: stats { height }", i)
	}
	wide.WriteString(" }")
	// Fragments that spread the next one ten times, 30 deep: 10^30 fields
	// if expanded, walked once each here.
	bomb := strings.Builder{}
	bomb.WriteString("{ stats { ...F0 } }\n")
	for i := range 30 {
		fmt.Fprintf(&bomb, "fragment F%d on Stats { ", i)
		for j := range 10 {
			fmt.Fprintf(&bomb, "a%d: height ...F%d ", j, i+1)
		}
		bomb.WriteString("}\n")
	}
	bomb.WriteString("fragment F30 on Stats { height }\n")

	tests := []struct {
		name string
		q    string
		vars map[string]any
		cost int64  // when accepted
		want string // error text when refused
	}{
		{"one field", `{ stats { height } }`, nil, 2, ""},
		{"list default size", tx + `{ height }`, nil, 0, "SYNTAX"}, // not a document
		{"list multiplies", `{ ` + tx + ` { outputs { n valueSat } } }`, nil, 1 + 1 + 20*2, ""},
		{"first multiplies", `{ block(height: 1) { transactions(first: 5) { edges { node { txid } } } } }`, nil, 1 + 1 + 5*(1+2), ""},
		{"first from a variable", `query($n: Int) { block(height: 1) { transactions(first: $n) { totalCount } } }`, map[string]any{"n": float64(7)}, 1 + 1 + 7, ""},
		{"first from a variable default", `query($n: Int = 3) { block(height: 1) { transactions(first: $n) { totalCount } } }`, nil, 1 + 1 + 3, ""},
		{"first from the argument default", `{ block(height: 1) { transactions { totalCount } } }`, nil, 1 + 1 + 10, ""},
		{"introspection is cheap and not deep", `{ __schema { types { name fields { name type { name ofType { name ofType { name ofType { name ofType { name } } } } } } } } }`, nil, 14, ""},
		{"too deep", `{ ` + tx + ` { inputs { prevTransaction { inputs { prevTransaction { inputs { prevTransaction { txid } } } } } } } }`, nil, 0,
			"query depth 8 at transaction.inputs.prevTransaction.inputs.prevTransaction.inputs.prevTransaction.txid exceeds the limit of 6"},
		{"too deep through a fragment", `{ ` + tx + ` { ...A } } fragment A on Transaction { inputs { prevTransaction { inputs { prevTransaction { inputs { prevTransaction { txid } } } } } } }`, nil, 0,
			"query depth 8 at transaction.inputs.prevTransaction"},
		{"too wide", wide.String(), nil, 0, "query cost 1200 exceeds the limit of 500; the costliest path is s0.height"},
		{"page too big", `{ address(address: "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa") { transactions(first: 51) { totalCount } } }`, nil, 0,
			"Address.transactions: first 51 is outside the page size limit 0..50"},
		{"page too big in a variable", `query($n: Int) { block(height: 0) { transactions(first: $n) { totalCount } } }`, map[string]any{"n": float64(1e12)}, 0,
			"Block.transactions: first 1000000000000 is outside"},
		{"page too big in a variable default", `query($n: Int = 99999999999999999999) { block(height: 0) { transactions(first: $n) { totalCount } } }`, nil, 0,
			"Block.transactions: first 99999999999999999999 is not a page size"},
		{"negative page", `{ block(height: 0) { transactions(first: -1) { totalCount } } }`, nil, 0, "first -1 is outside"},
		{"costly nesting", `{ block(height: 0) { transactions(first: 50) { edges { node { outputs { n valueSat type } } } } } }`, nil, 0,
			"query cost 3152 exceeds the limit of 500; the costliest path is block.transactions.edges.node.outputs.n, whose root field costs 3152"},
		{"fragment bomb", bomb.String(), nil, 0, "query cost"},
		{"fragment cycle", `{ stats { ...A } } fragment A on Stats { height ...B } fragment B on Stats { ...A }`, nil, 0, `fragment "A" spreads itself`},
		{"unknown fragment", `{ stats { ...Nope } }`, nil, 0, `unknown fragment "Nope"`},
		{"two operations unnamed", `query A { stats { height } } query B { stats { txs } }`, nil, 0, "holds 2 operations"},
		{"mutation", `mutation { stats { height } }`, nil, 0, "mutation operations are not served"},
		{"bracket bomb", strings.Repeat("{", 100000), nil, 0, "nests brackets more than 40 deep"},
		{"brackets in strings do not count", `{ address(address: "` + strings.Repeat("{", 1000) + `") { txCount } }`, nil, 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			if err := checkNesting(tt.q, 4*lim.MaxDepth+16); err != nil {
				if tt.want == "" || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("nesting check: %v", err)
				}
				return
			}
			doc, err := parser.Parse(parser.ParseParams{Source: tt.q})
			if err != nil {
				if tt.want != "SYNTAX" {
					t.Fatalf("parse: %v", err)
				}
				return
			}
			cost, err := s.CheckLimits(doc, "", tt.vars, lim)
			if took := time.Since(start); took > 2*time.Second {
				t.Errorf("checking took %v", took)
			}
			if tt.want == "" {
				if err != nil || cost != tt.cost {
					t.Fatalf("cost %d, err %v; want cost %d", cost, err, tt.cost)
				}
				return
			}
			var pe *Error
			if !errors.As(err, &pe) || !strings.Contains(pe.Message, tt.want) {
				t.Fatalf("err = %v, want an *Error containing %q", err, tt.want)
			}
		})
	}
}

// TestExecuteRefusesBeforeRunning checks that a refused query runs no
// resolver: a query over the cost limit that would also fail in a
// resolver reports only the limit.
func TestExecuteRefusesBeforeRunning(t *testing.T) {
	s := testSchema(t)
	q := `{ a: address(address: "0xzz") { txCount } ` + strings.Repeat(`b: stats { height } `, 1) + `c: block(height: 0) { transactions(first: 100) { edges { node { outputs { spentBy { txid } } } } } } }`
	out := s.Execute(viewerCtx(), Request{Query: q}, Limits{MaxDepth: 12, MaxCost: 1000, MaxPageSize: 100})
	if !out.Rejected || out.Result.Data != nil || len(out.Result.Errors) != 1 || out.Result.Errors[0].Extensions["code"] != CodeLimit {
		t.Fatalf("outcome = %+v", out.Result)
	}
}

// TestIntrospectionWithinLimits runs the full introspection query that
// GraphiQL sends under the default limits: the documentation explorer must
// work.
func TestIntrospectionWithinLimits(t *testing.T) {
	s := testSchema(t)
	out := s.Execute(viewerCtx(), Request{Query: testutil.IntrospectionQuery}, DefaultLimits())
	if len(out.Result.Errors) > 0 || out.Rejected {
		t.Fatalf("introspection: %v", out.Result.Errors)
	}
	if out.Cost > DefaultLimits().MaxCost/10 {
		t.Fatalf("introspection costs %d", out.Cost)
	}
	types := out.Result.Data.(map[string]any)["__schema"].(map[string]any)["types"].([]any)
	found := false
	for _, typ := range types {
		if m := typ.(map[string]any); m["name"] == "Transaction" && strings.Contains(m["description"].(string), "spend") {
			found = true
		}
	}
	if !found {
		t.Fatal("Transaction and its description are not in the introspection result")
	}
}
