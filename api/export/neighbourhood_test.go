package export

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/spoorhq/spoor/storage"
)

// neighbourhoodFacts computes what a cluster's neighbourhood graph must
// hold straight from the index: the members' transactions, their inputs
// and outputs, and the labels and clusters of the addresses on them.
func neighbourhoodFacts(t testing.TB, members []storage.AddrID) (facts, int) {
	t.Helper()
	db := world.x.DB
	txs := map[storage.TxNum]bool{}
	for _, a := range members {
		if err := db.Postings(a, nil, func(p storage.Posting) bool { txs[p.TxNum] = true; return true }); err != nil {
			t.Fatal(err)
		}
	}
	f := facts{edges: 0, addresses: map[string]bool{}}
	nodes := map[string]bool{}
	clusters := map[storage.AddrID]bool{}
	addr := func(a storage.AddrID, script string) {
		if a == 0 {
			nodes[script] = true
			return
		}
		id := fmt.Sprintf("a%d", a)
		if !nodes[id] && len(world.labels.Tags(a)) > 0 {
			f.labelled = append(f.labelled, id)
		}
		nodes[id] = true
		c, _ := world.clusters(a)
		clusters[c] = true
	}
	for n := range txs {
		nodes[fmt.Sprintf("t%d", n)] = true
		ins, err := db.Inputs(n)
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range ins {
			addr(in.AddrID, fmt.Sprintf("s%d:%d", in.PrevTxNum, in.PrevVout))
			f.edges++
			f.amount += in.Value
		}
		outs, err := db.Outputs(n)
		if err != nil {
			t.Fatal(err)
		}
		for vout, o := range outs {
			addr(o.AddrID, fmt.Sprintf("s%d:%d", n, vout))
			f.edges++
			f.amount += o.Value
		}
	}
	f.nodes, f.clusters = len(nodes), len(clusters)
	sort.Strings(f.labelled)
	return f, len(txs)
}

// testCluster returns the smallest-numbered cluster with at least three
// members whose neighbourhood reaches a labelled address and fits the
// default limits.
func testCluster(t testing.TB) []storage.AddrID {
	t.Helper()
	ids := make([]storage.AddrID, 0, len(world.members))
	for c := range world.members {
		ids = append(ids, c)
	}
	slices.Sort(ids)
	for _, c := range ids {
		m := world.members[c]
		if len(m) < 3 || len(m) > 200 {
			continue
		}
		f, txs := neighbourhoodFacts(t, m)
		if len(f.labelled) > 0 && txs < 1000 && len(f.labelled) < f.nodes {
			return m
		}
	}
	t.Fatal("no cluster of the world reaches a labelled address")
	return nil
}

func TestNeighbourhoodReadBack(t *testing.T) {
	members := testCluster(t)
	want, txs := neighbourhoodFacts(t, members)
	src := Sources{Names: world.x.Namer(), Labels: world.labels, Clusters: world.clusters}
	g, err := Neighbourhood(context.Background(), world.x.DB, members, NeighbourhoodLimits{MaxTxsPerAddress: 1 << 20}, src)
	if err != nil {
		t.Fatal(err)
	}
	if g.Partial || !strings.Contains(g.Title, fmt.Sprintf("%d members, %d transactions", len(members), txs)) {
		t.Fatalf("partial %v (%s), title %q", g.Partial, g.Limit, g.Title)
	}
	var flagged []string
	for _, n := range g.Nodes {
		if slices.Contains(n.Flags, FlagMember) {
			flagged = append(flagged, n.ID)
			if n.Hop != 0 {
				t.Errorf("member %s at hop %d", n.ID, n.Hop)
			}
		}
		if n.ID == fmt.Sprintf("a%d", members[0]) && (len(n.Flags) == 0 || n.Flags[0] != FlagSeed) {
			t.Errorf("the asked address has flags %v, want seed first", n.Flags)
		}
	}
	if len(flagged) != len(members) {
		t.Errorf("%d nodes flagged member, the cluster has %d", len(flagged), len(members))
	}
	tests := []struct {
		name  string
		f     Format
		check func(t *testing.T, path string)
	}{
		{"graphml via networkx", FormatGraphML, func(t *testing.T, path string) { checkSummary(t, readWithNetworkx(t, "graphml", path), want) }},
		{"gexf via networkx", FormatGEXF, func(t *testing.T, path string) {
			s := readWithNetworkx(t, "gexf", path)
			checkSummary(t, s, want)
			if s.EdgeStarts != want.edges {
				t.Errorf("%d of %d edges have a start", s.EdgeStarts, want.edges)
			}
		}},
		{"graphml via graphology-graphml", FormatGraphML, func(t *testing.T, path string) {
			s := readWithNode(t, "graphml", path)
			checkCounts(t, s.Nodes, s.Edges, s.Amount, s.Labelled, want)
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
			if s.Clusters != want.clusters {
				t.Errorf("%d clusters, want %d", s.Clusters, want.clusters)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.check(t, writeFile(t, tc.f, g)) })
	}
}

func TestNeighbourhoodLimits(t *testing.T) {
	members := testCluster(t)
	src := Sources{Names: world.x.Namer(), Labels: world.labels, Clusters: world.clusters}
	tests := []struct {
		name      string
		lim       NeighbourhoodLimits
		limit     string
		wantTxs   int // 0: not checked
		wantNodes func(g *Graph) bool
	}{
		{"one member", NeighbourhoodLimits{MaxMembers: 1}, "members", 0, func(g *Graph) bool {
			n := 0
			for _, x := range g.Nodes {
				if slices.Contains(x.Flags, FlagMember) {
					n++
				}
			}
			return n == 1
		}},
		{"one transaction", NeighbourhoodLimits{MaxTxs: 1}, "txs", 1, nil},
		{"one transaction per address", NeighbourhoodLimits{MaxTxsPerAddress: 1}, "txs-per-address", 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, err := Neighbourhood(context.Background(), world.x.DB, members, tc.lim, src)
			if err != nil {
				t.Fatal(err)
			}
			if !g.Partial || g.Limit != tc.limit || !strings.Contains(g.Title, "partial: the "+tc.limit+" limit") {
				t.Fatalf("partial %v, limit %q, title %q; want limit %q", g.Partial, g.Limit, g.Title, tc.limit)
			}
			txs := 0
			for _, n := range g.Nodes {
				if n.Kind == "tx" {
					txs++
				}
			}
			if tc.wantTxs > 0 && txs != tc.wantTxs {
				t.Errorf("%d transactions, want %d", txs, tc.wantTxs)
			}
			if tc.wantNodes != nil && !tc.wantNodes(g) {
				t.Errorf("nodes do not match the limit")
			}
		})
	}
	if _, err := Neighbourhood(context.Background(), world.x.DB, nil, NeighbourhoodLimits{}, src); err == nil {
		t.Error("an empty cluster gave no error")
	}
	if _, err := FromTxs(context.Background(), world.x.DB, nil, Sources{}); err == nil {
		t.Error("a graph without a namer gave no error")
	}
}

// BenchmarkNeighbourhood builds the test cluster's neighbourhood graph.
// The reference, BenchmarkNeighbourhood/reads-reference, reads the same
// rows (postings, transactions, blocks, inputs, outputs, address records)
// and builds nothing: compare the two in the same run for the cost of
// assembling the graph over its reads.
func BenchmarkNeighbourhood(b *testing.B) {
	members := testCluster(b)
	db := world.x.DB
	src := Sources{Names: world.x.Namer(), Labels: world.labels, Clusters: world.clusters}
	b.Run("reads-reference", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			txs := map[storage.TxNum]bool{}
			for _, a := range members {
				if err := db.Postings(a, nil, func(p storage.Posting) bool { txs[p.TxNum] = true; return true }); err != nil {
					b.Fatal(err)
				}
			}
			for n := range txs {
				rec, err := db.Tx(n)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := db.Block(rec.Height); err != nil {
					b.Fatal(err)
				}
				ins, _ := db.Inputs(n)
				outs, err := db.Outputs(n)
				if err != nil {
					b.Fatal(err)
				}
				for _, in := range ins {
					if in.AddrID != 0 {
						if _, err := db.Address(in.AddrID); err != nil {
							b.Fatal(err)
						}
					}
				}
				for _, o := range outs {
					if o.AddrID != 0 {
						if _, err := db.Address(o.AddrID); err != nil {
							b.Fatal(err)
						}
					}
				}
			}
		}
	})
	b.Run("graph", func(b *testing.B) {
		var g *Graph
		for i := 0; i < b.N; i++ {
			var err error
			if g, err = Neighbourhood(context.Background(), db, members, NeighbourhoodLimits{MaxTxsPerAddress: 1 << 20}, src); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(members)), "members")
		b.ReportMetric(float64(len(g.Nodes)+len(g.Edges)), "elements")
	})
}
