package api

import (
	"testing"

	"github.com/graphql-go/graphql"
)

// TestSelectsField runs queries against a small schema whose resolver
// records whether its field's selection holds "nodes".
func TestSelectsField(t *testing.T) {
	var got bool
	inner := graphql.NewObject(graphql.ObjectConfig{Name: "R", Fields: graphql.Fields{
		"nodes": {Type: graphql.Int, Resolve: func(graphql.ResolveParams) (any, error) { return 1, nil }},
		"txs":   {Type: graphql.Int, Resolve: func(graphql.ResolveParams) (any, error) { return 2, nil }},
	}})
	schema, err := graphql.NewSchema(graphql.SchemaConfig{Query: graphql.NewObject(graphql.ObjectConfig{Name: "Query", Fields: graphql.Fields{
		"trace": {Type: inner, Resolve: func(p graphql.ResolveParams) (any, error) {
			got = selectsField(p, "nodes")
			return struct{}{}, nil
		}},
	}})})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		query string
		want  bool
	}{
		{`{ trace { txs } }`, false},
		{`{ trace { txs nodes } }`, true},
		{`{ trace { n: nodes } }`, true},
		{`{ trace { ...F } } fragment F on R { nodes }`, true},
		{`{ trace { ... on R { txs } } }`, false},
		{`{ trace { ... on R { nodes } } }`, true},
	} {
		got = false
		res := graphql.Do(graphql.Params{Schema: schema, RequestString: tc.query})
		if len(res.Errors) > 0 {
			t.Fatalf("%s: %v", tc.query, res.Errors)
		}
		if got != tc.want {
			t.Errorf("%s: selects nodes %v, want %v", tc.query, got, tc.want)
		}
	}
}
