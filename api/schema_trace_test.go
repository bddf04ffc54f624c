package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/spoorhq/spoor/api/audit"
	"github.com/spoorhq/spoor/chains/bitcoin"
	"github.com/spoorhq/spoor/chains/bitcoin/sim"
	"github.com/spoorhq/spoor/indexer"
	"github.com/spoorhq/spoor/internal/simindex"
	"github.com/spoorhq/spoor/trace"
)

// The simulated world of the trace tests, built once: its index, the
// exchange labels from its ground truth, and some wallet addresses.
var simWorld struct {
	once    sync.Once
	x       *simindex.Index
	labels  trace.MapLabels
	wallets []string
	err     error
}

func traceWorld(tb testing.TB) (*simindex.Index, trace.MapLabels, []string) {
	tb.Helper()
	simWorld.once.Do(func() {
		dir, err := os.MkdirTemp("", "spoor-api-sim-")
		if err != nil {
			simWorld.err = err
			return
		}
		x, err := simindex.Build(context.Background(), dir, sim.Options{Seed: 5, Txs: 6000, TxsPerBlock: 300})
		if err != nil {
			simWorld.err = err
			return
		}
		simWorld.x = x
		simWorld.labels = trace.MapLabels{}
		f, err := os.Open(x.Truth)
		if err != nil {
			simWorld.err = err
			return
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var line struct{ Address, Entity, Kind string }
			if json.Unmarshal(sc.Bytes(), &line) != nil || line.Address == "" {
				continue
			}
			class, payload, err := bitcoin.ParseAddress(x.Net, line.Address)
			if err != nil {
				simWorld.err = err
				return
			}
			id, err := x.DB.LookupAddr(uint8(class), payload)
			if err != nil {
				continue
			}
			switch line.Kind {
			case "exchange":
				simWorld.labels[id] = []trace.Tag{{Entity: line.Entity, Category: "exchange", Source: "truth", Confidence: 100}}
			case "wallet":
				if len(simWorld.wallets) < 20 {
					simWorld.wallets = append(simWorld.wallets, line.Address)
				}
			}
		}
	})
	if simWorld.err != nil {
		tb.Fatal(simWorld.err)
	}
	return simWorld.x, simWorld.labels, simWorld.wallets
}

func traceSchemaFor(tb testing.TB, opts TraceOptions) (*Schema, *trace.Engine) {
	x, labels, _ := traceWorld(tb)
	e := trace.NewEngine(x.DB, labels, x.Namer())
	s, err := NewSchema(SchemaOptions{Log: slog.New(slog.NewTextHandler(io.Discard, nil))},
		BitcoinArea(Bitcoin{DB: x.DB, Net: x.Net}, x.DB.Chain(), []string{indexer.ChainIndexName, indexer.AddrIndexName}),
		TraceArea(e, x.DB, labels, x.Net, opts))
	if err != nil {
		tb.Fatal(err)
	}
	return s, e
}

func analystCtx() context.Context {
	return WithCaller(context.Background(), Caller{KeyID: "ana", Role: RoleAnalyst})
}

func firstError(r map[string]any) (code, msg string) {
	errs, _ := r["errors"].([]any)
	if len(errs) == 0 {
		return "", ""
	}
	e := errs[0].(map[string]any)
	ext, _ := e["extensions"].(map[string]any)
	code, _ = ext["code"].(string)
	msg, _ = e["message"].(string)
	return code, msg
}

func execJSON(t *testing.T, s *Schema, ctx context.Context, q string, vars map[string]any) map[string]any {
	t.Helper()
	out := s.Execute(ctx, Request{Query: q, Variables: vars}, DefaultLimits())
	b, err := json.Marshal(out.Result)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestTraceFieldMatchesEngine checks that the trace field serves exactly
// what the engine computes, with the stated limits.
func TestTraceFieldMatchesEngine(t *testing.T) {
	_, _, wallets := traceWorld(t)
	s, e := traceSchemaFor(t, TraceOptions{Walk: trace.Limits{MaxHops: 5}})
	x, _, _ := traceWorld(t)
	for _, w := range wallets[:5] {
		r := execJSON(t, s, analystCtx(), `query($a: String!) { trace(from: $a, model: FIFO, hops: 3) {
			direction model partial seedValueSat feesSat txs ends { reason amountSat } nodes { id kind address hop taintSat } edges { from to txid amountSat taintSat end } } }`,
			map[string]any{"a": w})
		if code, msg := firstError(r); code != "" {
			t.Fatalf("%s: %s %s", w, code, msg)
		}
		got := r["data"].(map[string]any)["trace"].(map[string]any)
		class, payload, _ := bitcoin.ParseAddress(x.Net, w)
		id, err := x.DB.LookupAddr(uint8(class), payload)
		if err != nil {
			t.Fatal(err)
		}
		seeds, err := e.AddressOutputs(id, 0)
		if err != nil {
			t.Fatal(err)
		}
		want, err := e.Forward(context.Background(), seeds, trace.FIFO, trace.Limits{MaxHops: 3})
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got["seedValueSat"]) != strconv.FormatUint(want.SeedValue, 10) || fmt.Sprint(got["txs"]) != strconv.Itoa(want.Txs) ||
			len(got["nodes"].([]any)) != len(want.Nodes) || len(got["edges"].([]any)) != len(want.Edges) {
			t.Fatalf("%s: field gave %v txs, %d nodes, %d edges; engine %d, %d, %d", w, got["txs"],
				len(got["nodes"].([]any)), len(got["edges"].([]any)), want.Txs, len(want.Nodes), len(want.Edges))
		}
		if got["model"] != "fifo" || got["direction"] != "forward" {
			t.Fatalf("model %v direction %v", got["model"], got["direction"])
		}
	}
}

func TestTraceFieldErrors(t *testing.T) {
	_, _, wallets := traceWorld(t)
	s, _ := traceSchemaFor(t, TraceOptions{Walk: trace.Limits{MaxHops: 5}, MaxBulk: 3})
	tests := []struct {
		name, query string
		vars        map[string]any
		ctx         context.Context
		code, in    string
	}{
		{"viewer may not trace", `{ trace(from: "` + wallets[0] + `") { txs } }`, nil, viewerCtx(), CodeForbidden, "trace: needs role analyst"},
		{"hops above the server's", `{ trace(from: "` + wallets[0] + `", hops: 9) { txs } }`, nil, analystCtx(), CodeLimit, "trace: hops 9 is outside 1..5"},
		{"malformed address", `{ trace(from: "bc1qnotanaddress") { txs } }`, nil, analystCtx(), CodeBadInput, "from: bc1qnotanaddress is not a regtest address"},
		{"mainnet address", `{ screen(address: "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa") { risk } }`, nil, analystCtx(), CodeBadInput, "address: 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa is not a regtest address"},
		{"unknown output", `{ trace(from: "` + "00000000000000000000000000000000000000000000000000000000000000ab" + `:0") { txs } }`, nil, analystCtx(), CodeNotFound, "is not indexed"},
		{"tiho backward", `{ trace(from: "` + wallets[0] + `", direction: BACKWARD, model: TIHO) { txs } }`, nil, analystCtx(), CodeBadInput, "forward only"},
		{"same address path", `{ paths(from: "` + wallets[0] + `", to: "` + wallets[0] + `") { visited } }`, nil, analystCtx(), CodeBadInput, "same address"},
		{"bulk above limit", `query($a: [String!]!) { screenMany(addresses: $a) { risk } }`, map[string]any{"a": wallets[:4]}, analystCtx(), CodeLimit, "4 addresses; the limit is 3"},
		{"bulk with a bad address", `query($a: [String!]!) { screenMany(addresses: $a) { risk } }`, map[string]any{"a": []string{wallets[0], "xyz"}}, analystCtx(), CodeBadInput, "addresses[1]: xyz"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := execJSON(t, s, tc.ctx, tc.query, tc.vars)
			code, msg := firstError(r)
			if code != tc.code || !bytes.Contains([]byte(msg), []byte(tc.in)) {
				t.Fatalf("got %s %q, want %s containing %q", code, msg, tc.code, tc.in)
			}
		})
	}
}

// TestBulkScreenHTTP screens addresses through POST /screen on loopback
// with a real key, and checks the answers equal single screenings in
// order, and that the request is audited.
func TestBulkScreenHTTP(t *testing.T) {
	_, _, wallets := traceWorld(t)
	s, e := traceSchemaFor(t, TraceOptions{})
	x, _, _ := traceWorld(t)
	key, _ := NewKey()
	kr, err := NewKeyRing([]KeyConfig{{ID: "ana", Role: "analyst", SHA256: HashKey(key)}})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "audit")
	alog, err := audit.Open(dir, &audit.Options{Sync: audit.SyncNone})
	if err != nil {
		t.Fatal(err)
	}
	defer alog.Close()
	srv := httptest.NewServer(NewServer(s, kr, alog, ServerOptions{}).Handler())
	defer srv.Close()

	body, _ := json.Marshal(map[string]any{"addresses": wallets[:6], "hops": 3})
	req, _ := http.NewRequest("POST", srv.URL+"/screen", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Data struct {
			ScreenMany []struct {
				Address, Risk string
				Receiving     struct{ TotalSat json.Number }
			}
		}
		Errors []any
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 || len(out.Errors) > 0 {
		t.Fatalf("status %d, err %v, errors %v", resp.StatusCode, err, out.Errors)
	}
	if len(out.Data.ScreenMany) != 6 {
		t.Fatalf("%d results", len(out.Data.ScreenMany))
	}
	for i, got := range out.Data.ScreenMany {
		class, payload, _ := bitcoin.ParseAddress(x.Net, wallets[i])
		id, _ := x.DB.LookupAddr(uint8(class), payload)
		want, err := e.Screen(context.Background(), id, nil, trace.ExposureLimits{MaxHops: 3})
		if err != nil {
			t.Fatal(err)
		}
		if got.Address != wallets[i] || got.Risk != want.Risk {
			t.Fatalf("result %d: %s %s, want %s %s", i, got.Address, got.Risk, wallets[i], want.Risk)
		}
	}
	// Without a key: refused, and nothing screened.
	resp2, err := http.Post(srv.URL+"/screen", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != http.StatusUnauthorized {
		t.Fatalf("no key: status %d", resp2.StatusCode)
	}
	res, err := audit.VerifyDir(dir, nil)
	if err != nil || res.Entries != 1 {
		t.Fatalf("audit: %d entries, %v", res.Entries, err)
	}
}

// TestEnumsFirstUseConcurrently runs two queries that read and write
// enums (a taint model in, trace directions and models out through
// introspection) at the same time on a new schema. graphql-go builds an
// enum's lookup tables lazily and without a lock; under -race this
// fails unless NewSchema has built them already.
func TestEnumsFirstUseConcurrently(t *testing.T) {
	s, _ := traceSchemaFor(t, TraceOptions{})
	_, _, wallets := traceWorld(t)
	q := `query($a: String!) { trace(from: $a, model: HAIRCUT, direction: FORWARD, hops: 1) { txs } ` +
		`__type(name: "TaintModel") { kind enumValues { name } } }`
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out := s.Execute(analystCtx(), Request{Query: q, Variables: map[string]any{"a": wallets[0]}}, DefaultLimits())
			if len(out.Result.Errors) > 0 {
				t.Errorf("errors: %v", out.Result.Errors)
			}
		}()
	}
	close(start)
	wg.Wait()
}
