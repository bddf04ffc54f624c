package export

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spoorhq/spoor/trace"
)

// facts are what every export must carry, computed from the trace result
// itself, not from a writer.
type facts struct {
	nodes, edges int
	amount       uint64
	labelled     []string // node ids
	clusters     int
	addresses    map[string]bool
}

func resultFacts(r *trace.Result) facts {
	f := facts{nodes: len(r.Nodes), edges: len(r.Edges), addresses: map[string]bool{}}
	for _, e := range r.Edges {
		f.amount += e.Amount
	}
	clusters := map[uint64]bool{}
	for _, n := range r.Nodes {
		if len(n.Tags) > 0 {
			f.labelled = append(f.labelled, n.ID)
		}
		if n.Kind == trace.KindAddress {
			f.addresses[n.Address] = true
			c, _ := world.clusters(n.AddrID)
			clusters[uint64(c)] = true
		}
	}
	sort.Strings(f.labelled)
	f.clusters = len(clusters)
	return f
}

func writeFile(t *testing.T, f Format, g *Graph) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "graph"+f.Extension())
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	if err := Write(context.Background(), fh, f, g, Options{Now: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatalf("write %s: %v", f, err)
	}
	return path
}

func TestGraphFormatsReadBack(t *testing.T) {
	want := resultFacts(world.result)
	if len(want.labelled) == 0 || want.edges == 0 {
		t.Fatalf("the fixture trace is too small to test with: %+v", want)
	}
	tests := []struct {
		name  string
		f     Format
		check func(t *testing.T, path string)
	}{
		{"graphml via networkx", FormatGraphML, func(t *testing.T, path string) {
			s := readWithNetworkx(t, "graphml", path)
			checkSummary(t, s, want)
		}},
		{"gexf via networkx", FormatGEXF, func(t *testing.T, path string) {
			s := readWithNetworkx(t, "gexf", path)
			checkSummary(t, s, want)
			if s.NodeStarts != want.nodes || s.EdgeStarts != want.edges {
				t.Errorf("spells: %d of %d nodes and %d of %d edges have a start", s.NodeStarts, want.nodes, s.EdgeStarts, want.edges)
			}
			if len(s.TimesSorted) == 0 || !strings.HasPrefix(s.TimesSorted[0], "20") {
				t.Errorf("edge start times %q are not dateTimes", s.TimesSorted)
			}
		}},
		{"graphml via graphology-graphml", FormatGraphML, func(t *testing.T, path string) {
			s := readWithNode(t, "graphml", path)
			checkCounts(t, s.Nodes, s.Edges, s.Amount, s.Labelled, want)
			if s.Clusters != want.clusters {
				t.Errorf("%d clusters, want %d", s.Clusters, want.clusters)
			}
		}},
		{"gexf via graphology-gexf", FormatGEXF, func(t *testing.T, path string) {
			s := readWithNode(t, "gexf", path)
			checkCounts(t, s.Nodes, s.Edges, s.Amount, s.Labelled, want)
			if s.Clusters != want.clusters {
				t.Errorf("%d clusters, want %d", s.Clusters, want.clusters)
			}
		}},
		{"cytoscape json via cytoscape.js", FormatCytoscape, func(t *testing.T, path string) {
			s := readWithNode(t, "cytoscape", path)
			checkCounts(t, s.Nodes, s.Edges, s.Amount, s.Labelled, want)
			if s.Clusters != want.clusters || s.NodeStarts != want.nodes || s.EdgeStarts != want.edges {
				t.Errorf("%d clusters (want %d), %d node and %d edge times", s.Clusters, want.clusters, s.NodeStarts, s.EdgeStarts)
			}
		}},
		{"cytoscape json", FormatCytoscape, func(t *testing.T, path string) {
			var doc struct {
				Elements struct {
					Nodes []struct{ Data map[string]any }
					Edges []struct{ Data map[string]any }
				}
			}
			readJSON(t, path, &doc)
			ids := map[string]bool{}
			var labelled []string
			for _, n := range doc.Elements.Nodes {
				id := n.Data["id"].(string)
				ids[id] = true
				if n.Data["labels"] != nil {
					labelled = append(labelled, id)
				}
			}
			var amount uint64
			for _, e := range doc.Elements.Edges {
				if !ids[e.Data["source"].(string)] || !ids[e.Data["target"].(string)] {
					t.Fatalf("edge %v names a missing node", e.Data)
				}
				amount += uint64(e.Data["amount_sat"].(float64))
			}
			sort.Strings(labelled)
			checkCounts(t, len(doc.Elements.Nodes), len(doc.Elements.Edges), amount, labelled, want)
		}},
		{"csv zip", FormatCSV, func(t *testing.T, path string) {
			zr, err := zip.OpenReader(path)
			if err != nil {
				t.Fatal(err)
			}
			defer zr.Close()
			rows := map[string][][]string{}
			for _, f := range zr.File {
				rc, err := f.Open()
				if err != nil {
					t.Fatal(err)
				}
				recs, err := csv.NewReader(rc).ReadAll()
				rc.Close()
				if err != nil {
					t.Fatalf("%s: %v", f.Name, err)
				}
				rows[f.Name] = recs
			}
			nodes, edges := rows["nodes.csv"], rows["edges.csv"]
			if len(nodes) == 0 || len(edges) == 0 {
				t.Fatalf("zip holds %v", zr.File)
			}
			var labelled []string
			for _, r := range nodes[1:] {
				if r[5] != "" {
					labelled = append(labelled, r[0])
				}
			}
			var amount uint64
			for _, r := range edges[1:] {
				a, err := strconv.ParseUint(r[3], 10, 64)
				if err != nil {
					t.Fatal(err)
				}
				amount += a
			}
			sort.Strings(labelled)
			checkCounts(t, len(nodes)-1, len(edges)-1, amount, labelled, want)
		}},
		{"anx chart", FormatANX, func(t *testing.T, path string) {
			var chart struct {
				XMLName xml.Name `xml:"Chart"`
				Items   []struct {
					Label    string `xml:"Label,attr"`
					DateTime string `xml:"DateTime,attr"`
					Entity   *struct {
						ID       string `xml:"EntityId,attr"`
						Identity string `xml:"Identity,attr"`
					} `xml:"End>Entity"`
					Link *struct {
						End1 string `xml:"End1Id,attr"`
						End2 string `xml:"End2Id,attr"`
					} `xml:"Link"`
					Attrs []struct {
						Class string `xml:"AttributeClass,attr"`
						Value string `xml:"Value,attr"`
					} `xml:"AttributeCollection>Attribute"`
				} `xml:"ChartItemCollection>ChartItem"`
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := xml.Unmarshal(b, &chart); err != nil {
				t.Fatal(err)
			}
			ents := map[string]bool{}
			nents, nlinks, dated := 0, 0, 0
			var amount uint64
			for _, it := range chart.Items {
				if it.Entity != nil {
					nents++
					ents[it.Entity.ID] = true
				}
			}
			for _, it := range chart.Items {
				if it.Link == nil {
					continue
				}
				nlinks++
				if !ents[it.Link.End1] || !ents[it.Link.End2] {
					t.Fatalf("link %+v names a missing entity", it.Link)
				}
				if it.DateTime != "" {
					dated++
				}
				for _, a := range it.Attrs {
					if a.Class == "Amount BTC" {
						f, err := strconv.ParseFloat(a.Value, 64)
						if err != nil {
							t.Fatal(err)
						}
						amount += uint64(f*1e8 + 0.5)
					}
				}
			}
			if nents != want.nodes || nlinks != want.edges || amount != want.amount || dated != want.edges {
				t.Errorf("chart: %d entities, %d links (%d dated), %d sat; want %d, %d, %d", nents, nlinks, dated, amount, want.nodes, want.edges, want.amount)
			}
		}},
		{"maltego table", FormatMaltego, func(t *testing.T, path string) {
			fh, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer fh.Close()
			recs, err := csv.NewReader(fh).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			values := map[string]bool{}
			links := 0
			for _, r := range recs[1:] {
				values[r[1]] = true
				if r[6] != "" {
					values[r[6]] = true
					links++
				}
				for _, typ := range []string{r[0], r[5]} {
					if typ != "" && !strings.HasPrefix(typ, "maltego.") {
						t.Fatalf("entity type %q", typ)
					}
				}
			}
			if links != want.edges {
				t.Errorf("%d links, want %d", links, want.edges)
			}
			for a := range want.addresses {
				if !values[a] {
					t.Fatalf("address %s missing from the table", a)
				}
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.check(t, writeFile(t, tc.f, world.graph))
		})
	}
}

func checkSummary(t *testing.T, s networkxSummary, want facts) {
	t.Helper()
	if !s.Directed {
		t.Error("the graph read back is undirected")
	}
	checkCounts(t, s.Nodes, s.Edges, s.Amount, s.Labelled, want)
	if s.Clusters != want.clusters {
		t.Errorf("%d clusters, want %d", s.Clusters, want.clusters)
	}
}

func checkCounts(t *testing.T, nodes, edges int, amount uint64, labelled []string, want facts) {
	t.Helper()
	if nodes != want.nodes || edges != want.edges || amount != want.amount {
		t.Errorf("read %d nodes, %d edges, %d sat; the trace has %d, %d, %d", nodes, edges, amount, want.nodes, want.edges, want.amount)
	}
	if strings.Join(labelled, ",") != strings.Join(want.labelled, ",") {
		t.Errorf("labelled nodes %v, want %v", labelled, want.labelled)
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// TestTooLargeWritesNothing checks that a graph over a limit is an error
// naming its size and the limit, with nothing written.
func TestTooLargeWritesNothing(t *testing.T) {
	g := world.graph
	tests := []struct {
		name   string
		f      Format
		limits Limits
		what   string
		size   int
	}{
		{"nodes over the limit", FormatGraphML, Limits{MaxNodes: len(g.Nodes) - 1}, "nodes", len(g.Nodes)},
		{"edges over the limit", FormatGEXF, Limits{MaxEdges: len(g.Edges) - 1}, "edges", len(g.Edges)},
		{"maltego entities", FormatMaltego, Limits{MaxMaltegoEntities: 3}, "entities", len(g.Nodes)},
		{"csv", FormatCSV, Limits{MaxNodes: 1}, "nodes", len(g.Nodes)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := Write(context.Background(), &buf, tc.f, g, Options{Limits: tc.limits})
			var tl *TooLargeError
			if !errors.As(err, &tl) {
				t.Fatalf("got %v, want a TooLargeError", err)
			}
			if tl.What != tc.what || tl.Size != tc.size || buf.Len() != 0 {
				t.Errorf("error %+v, %d bytes written", tl, buf.Len())
			}
			if !strings.Contains(err.Error(), strconv.Itoa(tc.size)) {
				t.Errorf("message %q does not name the size", err)
			}
		})
	}
}

// TestFromPaths checks the path conversion on a real path search between
// two addresses of the fixture trace.
func TestFromPaths(t *testing.T) {
	e := trace.NewEngine(world.x.DB, trace.MapLabels{}, world.x.Namer())
	var from, to *trace.Node
	for i := range world.result.Nodes {
		n := &world.result.Nodes[i]
		if n.Kind != trace.KindAddress {
			continue
		}
		if from == nil || n.Hop < from.Hop {
			from = n
		}
		if n.Hop >= 2 && (to == nil || n.Hop > to.Hop) {
			to = n
		}
	}
	if from == nil || to == nil {
		t.Fatal("no seed and far address in the fixture trace")
	}
	pr, err := e.Paths(context.Background(), from.AddrID, to.AddrID, trace.PathLimits{MaxHops: 6})
	if err != nil {
		t.Fatal(err)
	}
	if len(pr.Paths) == 0 {
		t.Fatalf("no path from %s (hop %d) to %s (hop %d) though the trace links them", from.Address, from.Hop, to.Address, to.Hop)
	}
	g := FromPaths(pr)
	hops := 0
	for _, p := range pr.Paths {
		hops += len(p.Hops)
	}
	if len(g.Edges) != hops {
		t.Fatalf("%d edges for %d hops", len(g.Edges), hops)
	}
	var buf bytes.Buffer
	if err := Write(context.Background(), &buf, FormatGraphML, g, Options{}); err != nil {
		t.Fatal(err)
	}
	if err := xml.Unmarshal(buf.Bytes(), new(struct{})); err != nil {
		t.Fatal(err)
	}
	for _, n := range g.Nodes {
		if n.ID == from.Address && n.Hop != 0 {
			t.Errorf("source hop %d", n.Hop)
		}
	}
}
