package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spoorhq/spoor/api/audit"
	"github.com/spoorhq/spoor/api/labels"
	"github.com/spoorhq/spoor/chains/bitcoin/sim"
	"github.com/spoorhq/spoor/heuristics/cluster"
	"github.com/spoorhq/spoor/heuristics/detect"
	"github.com/spoorhq/spoor/indexer"
	"github.com/spoorhq/spoor/internal/simindex"
	"github.com/spoorhq/spoor/storage"
	"github.com/spoorhq/spoor/trace"
)

// The simulated world of the detection tests, built once: indexed,
// clustered, its public labels imported and every detector run in batch,
// with the result stored as spoor detect stores it.
var detWorld struct {
	once sync.Once
	dir  string
	x    *simindex.Index
	res  *detect.Result
	w    *detect.World
	err  error
}

func detectWorld(tb testing.TB) (*simindex.Index, *detect.Result, *detect.World) {
	tb.Helper()
	detWorld.once.Do(func() {
		ctx := context.Background()
		dir, err := os.MkdirTemp("", "spoor-api-detect-")
		if err != nil {
			detWorld.err = err
			return
		}
		detWorld.dir = dir
		x, err := simindex.Build(ctx, dir, sim.Options{Seed: 7, Txs: 20000, TxsPerBlock: 200})
		if err != nil {
			detWorld.err = err
			return
		}
		detWorld.x = x
		cs, err := cluster.NewSet(cluster.Config{})
		if err == nil {
			_, err = cluster.Rebuild(ctx, x.DB, cs, 100, slog.New(slog.DiscardHandler))
		}
		if err != nil {
			detWorld.err = err
			return
		}
		set, _, err := labels.ParseFile(ctx, filepath.Join(x.Blocks, "labels.csv"), labels.FormatCSV, labels.Options{Now: time.Now()})
		if err == nil {
			_, err = labels.Store(ctx, x.DB, set.Entries)
		}
		if err != nil {
			detWorld.err = err
			return
		}
		if detWorld.w, err = detect.Load(ctx, x.DB, x.Namer()); err != nil {
			detWorld.err = err
			return
		}
		if detWorld.res, err = detect.Run(ctx, detWorld.w, detect.Config{}, nil); err != nil {
			detWorld.err = err
			return
		}
		detWorld.err = detect.Store(x.DB, detWorld.res)
	})
	if detWorld.err != nil {
		tb.Fatal(detWorld.err)
	}
	return detWorld.x, detWorld.res, detWorld.w
}

// closeDetectWorld closes and removes the detection world, if built.
func closeDetectWorld() {
	if detWorld.x != nil {
		detWorld.x.DB.Close()
	}
	if detWorld.dir != "" {
		os.RemoveAll(detWorld.dir)
	}
}

// detectSchemaFor returns a schema with the Bitcoin, trace and detection
// areas over the detection world, and the audit log reviews go to.
func detectSchemaFor(tb testing.TB) (*Schema, *audit.Log) {
	x, _, _ := detectWorld(tb)
	alog, err := audit.Open(tb.TempDir(), nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { alog.Close() })
	own, _, err := trace.LoadLabels(x.DB)
	if err != nil {
		tb.Fatal(err)
	}
	e := trace.NewEngine(x.DB, own, x.Namer())
	s, err := NewSchema(SchemaOptions{Log: slog.New(slog.NewTextHandler(io.Discard, nil))},
		BitcoinArea(Bitcoin{DB: x.DB, Net: x.Net}, x.DB.Chain(), []string{indexer.ChainIndexName, indexer.AddrIndexName}),
		TraceArea(e, x.DB, own, x.Net, TraceOptions{Exposure: trace.ExposureLimits{MaxHops: 2}}),
		DetectArea(x.DB, x.Net, DetectOptions{Audit: alog}))
	if err != nil {
		tb.Fatal(err)
	}
	return s, alog
}

func dataOf(t *testing.T, r map[string]any, field string) map[string]any {
	t.Helper()
	if code, msg := firstError(r); code != "" {
		t.Fatalf("%s: %s", code, msg)
	}
	return r["data"].(map[string]any)[field].(map[string]any)
}

// pageAll pages through a connection field with page size n and returns
// its nodes.
func pageAll(t *testing.T, s *Schema, field, args, sel string, n int) []map[string]any {
	t.Helper()
	var out []map[string]any
	after := ""
	for range 1000 {
		q := fmt.Sprintf(`query($after: String) { %s(first: %d, after: $after %s) { pageInfo { hasNextPage endCursor } edges { cursor node { %s } } } }`, field, n, args, sel)
		vars := map[string]any{}
		if after != "" {
			vars["after"] = after
		}
		c := dataOf(t, execJSON(t, s, analystCtx(), q, vars), field)
		edges := c["edges"].([]any)
		if len(edges) > n {
			t.Fatalf("%d edges on a page of %d", len(edges), n)
		}
		for _, e := range edges {
			out = append(out, e.(map[string]any)["node"].(map[string]any))
		}
		pi := c["pageInfo"].(map[string]any)
		if pi["hasNextPage"] != true {
			return out
		}
		after = pi["endCursor"].(string)
	}
	t.Fatal("pagination does not end")
	return nil
}

func TestFindingsFieldPagesThroughEveryStoredFinding(t *testing.T) {
	_, res, _ := detectWorld(t)
	s, _ := detectSchemaFor(t)
	got := pageAll(t, s, "findings", "", "detector subject reason source raisedAtHeight evidence { txid amountSat note } measured { name value }", 7)
	if len(got) != len(res.Findings) || len(got) == 0 {
		t.Fatalf("paged %d findings, the run stored %d", len(got), len(res.Findings))
	}
	for i, f := range got {
		want := res.Findings[i]
		if f["detector"] != want.Detector || f["subject"] != want.Subject || f["source"] != detect.SourceBatch || f["raisedAtHeight"] != nil ||
			len(f["evidence"].([]any)) != len(want.Evidence) || len(f["measured"].([]any)) != len(want.Measured) {
			t.Fatalf("finding %d: served %v, stored %s on %s with %d evidence", i, f, want.Detector, want.Subject, len(want.Evidence))
		}
	}
}

func TestFindingsFieldFilters(t *testing.T) {
	_, res, w := detectWorld(t)
	s, _ := detectSchemaFor(t)
	// An address named by several findings, and one of a multi-address
	// cluster.
	count := map[string]int{}
	for _, f := range res.Findings {
		for _, a := range f.Addresses {
			count[a]++
		}
	}
	busiest := ""
	for a, n := range count {
		if n > count[busiest] || n == count[busiest] && a < busiest {
			busiest = a
		}
	}
	mid := res.Findings[len(res.Findings)/2]
	from := time.Unix(mid.FirstTime, 0).UTC().Format(time.RFC3339)
	to := time.Unix(mid.LastTime, 0).UTC().Format(time.RFC3339)
	tests := []struct {
		name, args string
		want       func(f *detect.Finding) bool
	}{
		{"by address", `, address: "` + busiest + `"`, func(f *detect.Finding) bool { return slices.Contains(f.Addresses, busiest) }},
		{"by detector", `, detector: "peel_chain"`, func(f *detect.Finding) bool { return f.Name() == "peel_chain" }},
		{"by time", `, from: "` + from + `", to: "` + to + `"`, func(f *detect.Finding) bool { return f.LastTime >= mid.FirstTime && f.FirstTime <= mid.LastTime }},
		{"by address and detector", `, address: "` + busiest + `", detector: "deposit_sweep"`, func(f *detect.Finding) bool {
			return slices.Contains(f.Addresses, busiest) && f.Name() == "deposit_sweep"
		}},
		{"incremental only", `, source: INCREMENTAL`, func(f *detect.Finding) bool { return false }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var want []string
			for i := range res.Findings {
				if tc.want(&res.Findings[i]) {
					want = append(want, res.Findings[i].Detector+" "+res.Findings[i].Subject+" "+res.Findings[i].Summary)
				}
			}
			var got []string
			for _, f := range pageAll(t, s, "findings", tc.args, "detector subject summary", 5) {
				got = append(got, fmt.Sprint(f["detector"], " ", f["subject"], " ", f["summary"]))
			}
			if !slices.Equal(got, want) {
				t.Fatalf("served %d findings, want %d:\n%v\n%v", len(got), len(want), got, want)
			}
		})
	}
	t.Run("by cluster", func(t *testing.T) {
		// The cluster of the busiest address: every finding naming one of
		// its members.
		var root string
		for a := range w.Cluster {
			if w.Name(a) == busiest {
				root = w.Name(w.ClusterOf(a))
			}
		}
		members := map[string]bool{busiest: true}
		for a, c := range w.Cluster {
			if root != "" && w.Name(c) == root {
				members[w.Name(a)] = true
			}
		}
		want := 0
		for _, f := range res.Findings {
			if slices.ContainsFunc(f.Addresses, func(a string) bool { return members[a] }) {
				want++
			}
		}
		got := pageAll(t, s, "findings", `, cluster: "`+busiest+`"`, "subject", 50)
		if len(got) != want || want < count[busiest] {
			t.Fatalf("cluster of %s (%d members): served %d findings, want %d", busiest, len(members), len(got), want)
		}
	})
}

func TestAlertsFieldAndScreening(t *testing.T) {
	_, res, w := detectWorld(t)
	s, _ := detectSchemaFor(t)
	if len(res.Alerts) == 0 {
		t.Fatal("the world raises no alert")
	}
	got := pageAll(t, s, "alerts", "", "id subject score reasons source indicators { detector reason txids } supporting { detector } findings { detector txids }", 3)
	if len(got) != len(res.Alerts) {
		t.Fatalf("paged %d alerts, %d stored", len(got), len(res.Alerts))
	}
	for _, a := range got {
		n := len(a["indicators"].([]any)) + len(a["supporting"].([]any))
		if fs := a["findings"].([]any); len(fs) != n {
			t.Fatalf("alert %s: %d findings behind %d indicators", a["id"], len(fs), n)
		}
	}
	ids := map[string]bool{}
	for _, a := range got {
		ids[a["id"].(string)] = true
	}
	for _, a := range res.Alerts {
		if !ids[a.ID] {
			t.Fatalf("alert %s on %s not served", a.ID, a.Subject)
		}
	}
	// By address: any member of the alert's cluster finds it.
	a := res.Alerts[0]
	member := a.Subject
	for x, c := range w.Cluster {
		if w.Name(c) == a.Subject && w.Name(x) != a.Subject {
			member = w.Name(x)
			break
		}
	}
	byAddr := pageAll(t, s, "alerts", `, address: "`+member+`"`, "id subject", 10)
	if len(byAddr) != 1 || byAddr[0]["id"] != a.ID {
		t.Fatalf("alerts of %s (cluster %s): %v, want %s", member, a.Subject, byAddr, a.ID)
	}
	det := a.Detectors[0]
	for _, n := range pageAll(t, s, "alerts", `, detector: "`+det+`", minScore: 0.5`, "detectors score", 10) {
		if !strings.Contains(fmt.Sprint(n["detectors"]), det) {
			t.Fatalf("alert %v served for detector %s", n, det)
		}
		if v, err := n["score"].(json.Number).Float64(); err != nil || v < 0.5 {
			t.Fatalf("alert %v under minScore", n)
		}
	}
	// Screening the subject shows its findings and its alert.
	r := execJSON(t, s, analystCtx(), `query($a: String!) { screen(address: $a) { risk findings(first: 50) { detector subject } alerts { id } } }`, map[string]any{"a": a.Subject})
	sc := dataOf(t, r, "screen")
	wantF := 0
	for _, f := range res.Findings {
		if slices.Contains(f.Addresses, a.Subject) {
			wantF++
		}
	}
	if n := len(sc["findings"].([]any)); n != min(wantF, 50) || wantF == 0 {
		t.Fatalf("screen %s: %d findings, want %d", a.Subject, n, wantF)
	}
	if al := sc["alerts"].([]any); len(al) != 1 || al[0].(map[string]any)["id"] != a.ID {
		t.Fatalf("screen %s: alerts %v, want %s", a.Subject, al, a.ID)
	}
}

func TestReviewAlertMutation(t *testing.T) {
	_, res, _ := detectWorld(t)
	s, alog := detectSchemaFor(t)
	a := res.Alerts[len(res.Alerts)-1]
	before := alog.Head().Seq
	q := `mutation($id: String!, $note: String!) { reviewAlert(id: $id, verdict: FALSE_POSITIVE, note: $note) { verdict note reviewer detectors } }`
	r := execJSON(t, s, analystCtx(), q, map[string]any{"id": a.ID, "note": "payroll of a known employer"})
	if code, msg := firstError(r); code != "" {
		t.Fatalf("%s: %s", code, msg)
	}
	rv := r["data"].(map[string]any)["reviewAlert"].(map[string]any)
	if rv["verdict"] != detect.VerdictFalsePositive || rv["reviewer"] != "ana" || len(rv["detectors"].([]any)) != len(a.Detectors) {
		t.Fatalf("review %v", rv)
	}
	if alog.Head().Seq != before+1 {
		t.Fatalf("audit log went from %d to %d entries, want one review entry", before, alog.Head().Seq)
	}
	// The review is stored: the alert lists it.
	rs := pageAll(t, s, "alerts", `, address: "`+a.Subject+`"`, "reviews { verdict note reviewer }", 5)
	if len(rs) != 1 || len(rs[0]["reviews"].([]any)) == 0 {
		t.Fatalf("reviews of %s: %v", a.ID, rs)
	}
	last := rs[0]["reviews"].([]any)
	if l := last[len(last)-1].(map[string]any); l["note"] != "payroll of a known employer" {
		t.Fatalf("latest review %v", l)
	}

	tests := []struct {
		name string
		ctx  context.Context
		vars map[string]any
		code string
		in   string
	}{
		{"viewer may not review", viewerCtx(), map[string]any{"id": a.ID, "note": "x"}, CodeForbidden, "needs role analyst"},
		{"unknown alert", analystCtx(), map[string]any{"id": "00000000000000ff", "note": "x"}, CodeNotFound, "no stored alert"},
		{"malformed id", analystCtx(), map[string]any{"id": "zz", "note": "x"}, CodeBadInput, "hex digits"},
		{"empty note", analystCtx(), map[string]any{"id": a.ID, "note": "  "}, CodeBadInput, "needs a note"},
		{"note too long", analystCtx(), map[string]any{"id": a.ID, "note": strings.Repeat("n", 2001)}, CodeBadInput, "at most 2000"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			seq := alog.Head().Seq
			r := execJSON(t, s, tc.ctx, q, tc.vars)
			code, msg := firstError(r)
			if code != tc.code || !strings.Contains(msg, tc.in) {
				t.Fatalf("got %s %q, want %s containing %q", code, msg, tc.code, tc.in)
			}
			if alog.Head().Seq != seq {
				t.Fatal("a refused review was audited as a review")
			}
		})
	}
}

func TestDetectFieldErrors(t *testing.T) {
	s, _ := detectSchemaFor(t)
	tests := []struct {
		name, query string
		code, in    string
	}{
		{"unknown detector", `{ findings(detector: "astrology") { edges { cursor } } }`, CodeBadInput, "unknown detector"},
		{"bad time", `{ alerts(from: "yesterday") { edges { cursor } } }`, CodeBadInput, "not an RFC 3339 time"},
		{"reversed range", `{ findings(from: "2030-01-01T00:00:00Z", to: "2020-01-01T00:00:00Z") { edges { cursor } } }`, CodeBadInput, "to is before from"},
		{"bad cursor", `{ findings(after: "x9") { edges { cursor } } }`, CodeBadInput, "not a cursor"},
		{"address and cluster", `{ findings(address: "a", cluster: "b") { edges { cursor } } }`, CodeBadInput, "not both"},
		{"page too big", `{ findings(first: 1000) { edges { cursor } } }`, CodeLimit, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := execJSON(t, s, analystCtx(), tc.query, nil)
			code, msg := firstError(r)
			if code != tc.code || !strings.Contains(msg, tc.in) {
				t.Fatalf("got %s %q, want %s containing %q", code, msg, tc.code, tc.in)
			}
		})
	}
	if code, _ := firstError(execJSON(t, s, viewerCtx(), `{ findings { edges { cursor } } }`, nil)); code != CodeForbidden {
		t.Fatalf("a viewer reads findings: %s", code)
	}
}

// pricedFindings serves the index's stored findings as a run with a
// price table stored them: the same findings, the evidence priced.
type pricedFindings struct {
	*storage.DB
	values [][]byte // by seq − 1
}

func (p pricedFindings) ScanFindings(fn func(seq uint32, value []byte) error) error {
	for i, v := range p.values {
		if err := fn(uint32(i+1), v); err != nil {
			return err
		}
	}
	return nil
}

func (p pricedFindings) Finding(seq uint32) ([]byte, error) {
	if seq == 0 || int(seq) > len(p.values) {
		return nil, storage.ErrNotFound
	}
	return p.values[seq-1], nil
}

// TestEvidenceInUSD runs detection with a constant price table and serves
// its findings: every piece of evidence carries its USD value and price
// day; without a price table both are null.
func TestEvidenceInUSD(t *testing.T) {
	x, res, w := detectWorld(t)
	s, _ := detectSchemaFor(t)
	q := "detector evidence { amountSat usd priceDay }"
	for _, f := range pageAll(t, s, "findings", "", q, 10) {
		for _, e := range f["evidence"].([]any) {
			if e := e.(map[string]any); e["usd"] != nil || e["priceDay"] != nil {
				t.Fatalf("evidence %v priced without a price table", e)
			}
		}
	}

	first := time.Unix(w.Txs[0].Time, 0).UTC().AddDate(0, 0, -1).Format(time.DateOnly)
	prices, err := detect.ReadPrices(strings.NewReader(first+",40000\n"), "prices.csv")
	if err != nil {
		t.Fatal(err)
	}
	priced, err := detect.Run(context.Background(), w, detect.Config{}.WithPrices(prices), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(priced.Findings) != len(res.Findings) {
		t.Fatalf("a price table changes the findings: %d, want %d", len(priced.Findings), len(res.Findings))
	}
	var values [][]byte
	for i := range priced.Findings {
		v, err := detect.EncodeFinding(&priced.Findings[i])
		if err != nil {
			t.Fatal(err)
		}
		values = append(values, v)
	}
	alog, err := audit.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer alog.Close()
	own, _, err := trace.LoadLabels(x.DB)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := NewSchema(SchemaOptions{Log: slog.New(slog.NewTextHandler(io.Discard, nil))},
		BitcoinArea(Bitcoin{DB: x.DB, Net: x.Net}, x.DB.Chain(), []string{indexer.ChainIndexName, indexer.AddrIndexName}),
		TraceArea(trace.NewEngine(x.DB, own, x.Namer()), x.DB, own, x.Net, TraceOptions{Exposure: trace.ExposureLimits{MaxHops: 2}}),
		DetectArea(pricedFindings{x.DB, values}, x.Net, DetectOptions{Audit: alog}))
	if err != nil {
		t.Fatal(err)
	}
	got := pageAll(t, ps, "findings", "", q, 10)
	if len(got) != len(res.Findings) {
		t.Fatalf("served %d findings, want %d", len(got), len(res.Findings))
	}
	n := 0
	for _, f := range got {
		for _, e := range f["evidence"].([]any) {
			e := e.(map[string]any)
			sat, usd := evNum(e["amountSat"]), evNum(e["usd"])
			if e["priceDay"] != first || math.Abs(usd-sat/1e8*40000) > 1e-6 {
				t.Fatalf("%s evidence %v: want %v USD on %s", f["detector"], e, sat/1e8*40000, first)
			}
			n++
		}
	}
	t.Logf("%d pieces of evidence priced", n)
}

// evNum returns a served number (a JSON number, or a string for Long).
func evNum(v any) float64 {
	var f float64
	switch v := v.(type) {
	case json.Number:
		f, _ = v.Float64()
	case string:
		f, _ = strconv.ParseFloat(v, 64)
	}
	return f
}
