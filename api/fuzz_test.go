package api

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzExecute drives the whole query path (nesting check, parse, limits,
// validation, execution against the real index) with arbitrary query text
// and variables. Whatever comes in, the answer is a JSON-encodable result
// whose errors all carry a code, no resolver fails internally, and an
// accepted query is within the limits.
func FuzzExecute(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/graphql/*.graphql")
	for _, s := range seeds {
		q, _ := os.ReadFile(s)
		f.Add(string(q), `{"after":"0","first":2}`)
	}
	f.Add(`{ address(address: "12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S") { transactions(first: 3, after: "255") { edges { cursor } } } }`, `null`)
	f.Add(`query($a: String!) { address(address: $a) { txCount } }`, `{"a":"bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"}`)
	f.Add(`query($t: String!) { transaction(txid: $t) { height } }`, `{"t":"0e3e2357e806b6cdb1f70b54c3a3a17b6714ee1f0e68bebb44a74b1efd512098"}`)
	f.Add(`{ block(height: 2147483647) { hash } }`, `{}`)
	f.Add(`{ __type(name: "Transaction") { fields { name description } } }`, `{}`)
	s := testSchema(f)
	lim := Limits{MaxDepth: 8, MaxCost: 2000, MaxPageSize: 20}
	f.Fuzz(func(t *testing.T, query, vars string) {
		req := Request{Query: query}
		if err := json.Unmarshal([]byte(vars), &req.Variables); err != nil {
			req.Variables = nil
		}
		ctx, cancel := context.WithTimeout(viewerCtx(), 5*time.Second)
		defer cancel()
		start := time.Now()
		out := s.Execute(ctx, req, lim)
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("took %v", d)
		}
		if _, err := json.Marshal(out.Result); err != nil {
			t.Fatalf("result does not encode: %v", err)
		}
		for _, e := range out.Result.Errors {
			code, _ := e.Extensions["code"].(string)
			if code == "" || code == CodeInternal || strings.Contains(e.Message, "internal error") {
				t.Fatalf("error %q with code %q", e.Message, code)
			}
		}
		if !out.Rejected && out.Cost > lim.MaxCost {
			t.Fatalf("accepted a query of cost %d", out.Cost)
		}
	})
}
