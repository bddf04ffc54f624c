package api

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/spoorhq/spoor/api/export"
	"github.com/spoorhq/spoor/indexer"
	"github.com/spoorhq/spoor/trace"
)

func exportSchemaFor(tb testing.TB, limits export.Limits) *Schema {
	x, labels, _ := traceWorld(tb)
	e := trace.NewEngine(x.DB, labels, x.Namer())
	opts := TraceOptions{Walk: trace.Limits{MaxHops: 5}}
	s, err := NewSchema(SchemaOptions{Log: slog.New(slog.NewTextHandler(io.Discard, nil))},
		BitcoinArea(Bitcoin{DB: x.DB, Net: x.Net}, x.DB.Chain(), []string{indexer.ChainIndexName, indexer.AddrIndexName}),
		TraceArea(e, x.DB, labels, x.Net, opts),
		ExportArea(e, x.DB, labels, x.Net, ExportOptions{Trace: opts, Limits: limits}))
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// TestExportTraceField checks that exportTrace returns the trace field's
// graph in the asked format, as a file an independent parser reads.
func TestExportTraceField(t *testing.T) {
	_, _, wallets := traceWorld(t)
	s := exportSchemaFor(t, export.Limits{})
	from := wallets[0]
	r := execJSON(t, s, analystCtx(), `query($a: String!) { trace(from: $a, hops: 3) { nodes { id } edges { from } } }`, map[string]any{"a": from})
	tr := r["data"].(map[string]any)["trace"].(map[string]any)
	nodes, edges := len(tr["nodes"].([]any)), len(tr["edges"].([]any))
	if nodes == 0 {
		t.Fatal("empty trace")
	}
	get := func(format string) map[string]any {
		r := execJSON(t, s, analystCtx(), `query($a: String!, $f: String!) { exportTrace(from: $a, hops: 3, format: $f) { format mediaType encoding content bytes nodes edges partial } }`,
			map[string]any{"a": from, "f": format})
		if code, msg := firstError(r); code != "" {
			t.Fatalf("%s: %s %s", format, code, msg)
		}
		return r["data"].(map[string]any)["exportTrace"].(map[string]any)
	}
	for _, tc := range []struct {
		format string
		count  func(t *testing.T, content []byte) (int, int)
	}{
		{"graphml", func(t *testing.T, b []byte) (int, int) {
			var doc struct {
				Nodes []struct{} `xml:"graph>node"`
				Edges []struct{} `xml:"graph>edge"`
			}
			if err := xml.Unmarshal(b, &doc); err != nil {
				t.Fatal(err)
			}
			return len(doc.Nodes), len(doc.Edges)
		}},
		{"cytoscape", func(t *testing.T, b []byte) (int, int) {
			var doc struct{ Elements struct{ Nodes, Edges []any } }
			if err := json.Unmarshal(b, &doc); err != nil {
				t.Fatal(err)
			}
			return len(doc.Elements.Nodes), len(doc.Elements.Edges)
		}},
		{"csv", func(t *testing.T, b []byte) (int, int) {
			zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
			if err != nil {
				t.Fatal(err)
			}
			var n [2]int
			for i, f := range zr.File {
				rc, _ := f.Open()
				all, _ := io.ReadAll(rc)
				rc.Close()
				n[i] = strings.Count(string(all), "\n") - 1
			}
			return n[0], n[1]
		}},
	} {
		t.Run(tc.format, func(t *testing.T) {
			f := get(tc.format)
			content := []byte(f["content"].(string))
			if f["encoding"] == "base64" {
				var err error
				if content, err = base64.StdEncoding.DecodeString(f["content"].(string)); err != nil {
					t.Fatal(err)
				}
			}
			if n, _ := f["bytes"].(json.Number).Int64(); int(n) != len(content) {
				t.Fatalf("bytes %d, content %d", n, len(content))
			}
			gn, ge := tc.count(t, content)
			if gn != nodes || ge != edges {
				t.Fatalf("file has %d nodes and %d edges; the trace field %d and %d", gn, ge, nodes, edges)
			}
		})
	}
}

func TestExportTraceFieldErrors(t *testing.T) {
	_, _, wallets := traceWorld(t)
	s := exportSchemaFor(t, export.Limits{MaxNodes: 2})
	tests := []struct {
		name, format string
		hops         int
		code, msg    string
	}{
		{"over the node limit", "gexf", 3, CodeLimit, "more than the limit of 2"},
		{"unknown format", "pdf", 3, CodeBadInput, `unknown export format "pdf"`},
		{"hops over the server's", "gexf", 9, CodeLimit, "hops 9 is outside 1..5"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := execJSON(t, s, analystCtx(), `query($a: String!, $f: String!, $h: Int) { exportTrace(from: $a, hops: $h, format: $f) { content } }`,
				map[string]any{"a": wallets[0], "f": tc.format, "h": tc.hops})
			if code, msg := firstError(r); code != tc.code || !strings.Contains(msg, tc.msg) {
				t.Fatalf("got %s %q, want %s %q", code, msg, tc.code, tc.msg)
			}
		})
	}
	r := execJSON(t, s, viewerCtx(), `{ exportTrace(from: "`+wallets[0]+`", format: "gexf") { content } }`, nil)
	if code, msg := firstError(r); code != CodeForbidden || !strings.Contains(msg, "needs role analyst") {
		t.Fatalf("viewer: %s %q", code, msg)
	}
}
