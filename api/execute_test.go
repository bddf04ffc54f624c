package api

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/graphql-go/graphql"
)

var update = flag.Bool("update", false, "rewrite the golden GraphQL responses in testdata/graphql")

func viewerCtx() context.Context {
	return WithCaller(context.Background(), Caller{KeyID: "test", Role: RoleViewer})
}

// TestGolden runs every query in testdata/graphql (with its .vars.json)
// as a viewer against the real index and compares the response with the
// .golden.json beside it. go test ./api -run TestGolden -update rewrites
// them.
func TestGolden(t *testing.T) {
	s := testSchema(t)
	files, _ := filepath.Glob("testdata/graphql/*.graphql")
	if len(files) < 10 {
		t.Fatalf("only %d golden queries", len(files))
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".graphql")
		t.Run(name, func(t *testing.T) {
			q, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			req := Request{Query: string(q)}
			if vars, err := os.ReadFile(strings.TrimSuffix(f, ".graphql") + ".vars.json"); err == nil {
				if err := json.Unmarshal(vars, &req.Variables); err != nil {
					t.Fatal(err)
				}
			}
			out := s.Execute(viewerCtx(), req, DefaultLimits())
			got, err := json.MarshalIndent(out.Result, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := strings.TrimSuffix(f, ".graphql") + ".golden.json"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("response differs from %s:\n%s", golden, got)
			}
		})
	}
}

func run(t *testing.T, s *Schema, q string, vars map[string]any) *graphql.Result {
	t.Helper()
	return s.Execute(viewerCtx(), Request{Query: q, Variables: vars}, DefaultLimits()).Result
}

// TestAddressPagesJoinUp pages through an address's history one and two
// at a time and checks that the pages join up to the whole history, in
// the order the CLI gives, with no repeats.
func TestAddressPagesJoinUp(t *testing.T) {
	s := testSchema(t)
	db := testIndex(t)
	v := Bitcoin{DB: db, Net: mustNet(t)}
	whole, err := v.Address("12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S", 100, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{1, 2, 4} {
		var got []string
		after := any(nil)
		for range 20 {
			res := run(t, s, `query($n: Int, $after: String) { address(address: "12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S") {
				transactions(first: $n, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { cursor txid } } } }`,
				map[string]any{"n": size, "after": after})
			if len(res.Errors) > 0 {
				t.Fatal(res.Errors)
			}
			conn := res.Data.(map[string]any)["address"].(map[string]any)["transactions"].(map[string]any)
			if conn["totalCount"] != whole.TxCount {
				t.Fatalf("totalCount %v, view says %d", conn["totalCount"], whole.TxCount)
			}
			edges := conn["edges"].([]any)
			for _, e := range edges {
				got = append(got, e.(map[string]any)["txid"].(string))
			}
			pi := conn["pageInfo"].(map[string]any)
			if len(edges) > 0 && pi["endCursor"] != edges[len(edges)-1].(map[string]any)["cursor"] {
				t.Fatalf("endCursor %v is not the last edge's cursor", pi["endCursor"])
			}
			if pi["hasNextPage"] != true {
				break
			}
			after = pi["endCursor"]
		}
		if len(got) != whole.TxCount {
			t.Fatalf("pages of %d gave %d transactions, want %d", size, len(got), whole.TxCount)
		}
		for i, tx := range whole.Txs {
			if got[i] != tx.Txid {
				t.Fatalf("pages of %d: transaction %d is %s, want %s", size, i, got[i], tx.Txid)
			}
		}
	}
}

// TestBlockTransactionsMatchIndex pages through block 546's transactions
// and checks each against the transaction's own view: same id, its
// position in the block, and value conserved (inputs = outputs + fee).
func TestBlockTransactionsMatchIndex(t *testing.T) {
	s := testSchema(t)
	res := run(t, s, `{ block(height: 546) { txCount transactions(first: 100) { edges { node { txid index height coinbase feeSat
		inputs { valueSat } outputs { valueSat } } } } } }`, nil)
	if len(res.Errors) > 0 {
		t.Fatal(res.Errors)
	}
	blk := res.Data.(map[string]any)["block"].(map[string]any)
	edges := blk["transactions"].(map[string]any)["edges"].([]any)
	if len(edges) != blk["txCount"].(int) || len(edges) < 2 {
		t.Fatalf("%d edges for %v transactions", len(edges), blk["txCount"])
	}
	for i, e := range edges {
		tx := e.(map[string]any)["node"].(map[string]any)
		if tx["index"] != i || tx["height"] != int64(546) || tx["coinbase"] != (i == 0) {
			t.Fatalf("edge %d: %v", i, tx)
		}
		var in, out int64
		for _, x := range tx["inputs"].([]any) {
			in += x.(map[string]any)["valueSat"].(int64)
		}
		for _, x := range tx["outputs"].([]any) {
			out += x.(map[string]any)["valueSat"].(int64)
		}
		if i > 0 && in != out+tx["feeSat"].(int64) {
			t.Fatalf("%s: inputs %d != outputs %d + fee %d", tx["txid"], in, out, tx["feeSat"])
		}
	}
}

// TestSchemaDocumented checks that every type, field and argument the
// schema defines has a description.
func TestSchemaDocumented(t *testing.T) {
	s := testSchema(t)
	n := 0
	for name, typ := range s.gql.TypeMap() {
		if strings.HasPrefix(name, "__") || typ == graphql.String || typ == graphql.Int || typ == graphql.Boolean ||
			typ == graphql.Float || typ == graphql.ID {
			continue
		}
		if typ.Description() == "" {
			t.Errorf("type %s has no description", name)
		}
		obj, ok := typ.(*graphql.Object)
		if !ok {
			continue
		}
		for fname, f := range obj.Fields() {
			n++
			if f.Description == "" {
				t.Errorf("field %s.%s has no description", name, fname)
			}
			for _, a := range f.Args {
				if a.Description() == "" {
					t.Errorf("argument %s.%s(%s) has no description", name, fname, a.Name())
				}
			}
		}
	}
	if n < 50 {
		t.Fatalf("only %d fields", n)
	}
}
