package api

import (
	"bufio"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/spoorhq/spoor/api/export"
	"github.com/spoorhq/spoor/chains/bitcoin"
	"github.com/spoorhq/spoor/heuristics/detect"
	"github.com/spoorhq/spoor/indexer"
	"github.com/spoorhq/spoor/storage"
	"github.com/spoorhq/spoor/trace"
)

// truthClusters is the ground truth's ownership of the simulated world as
// a clustering: every entity's addresses form one cluster named by its
// lowest address number.
type truthClusters struct {
	of      map[storage.AddrID]storage.AddrID
	members map[storage.AddrID][]storage.AddrID
}

func (c *truthClusters) ClusterOf(a storage.AddrID) (storage.AddrID, error) {
	if x, ok := c.of[a]; ok {
		return x, nil
	}
	return a, nil
}

func (c *truthClusters) Members(id, after storage.AddrID, fn func(storage.AddrID) bool) error {
	m, ok := c.members[id]
	if !ok {
		m = []storage.AddrID{id}
	}
	for _, a := range m {
		if a > after && !fn(a) {
			break
		}
	}
	return nil
}

func (c *truthClusters) Size(id storage.AddrID) (uint64, error) {
	if m, ok := c.members[id]; ok {
		return uint64(len(m)), nil
	}
	return 1, nil
}

func (c *truthClusters) Merges(storage.AddrID) ([]Merge, error) { return nil, nil }
func (c *truthClusters) Spec() string                           { return "truth" }

var exploreWorld struct {
	once     sync.Once
	clusters *truthClusters
	findings []detect.Finding
	err      error
}

// exploreFixture returns the truth clustering of the trace tests' world
// and the findings of a real detector run over it, stored in its index.
func exploreFixture(t *testing.T) (*truthClusters, []detect.Finding) {
	t.Helper()
	x, _, _ := traceWorld(t)
	exploreWorld.once.Do(func() {
		c := &truthClusters{of: map[storage.AddrID]storage.AddrID{}, members: map[storage.AddrID][]storage.AddrID{}}
		f, err := os.Open(x.Truth)
		if err != nil {
			exploreWorld.err = err
			return
		}
		defer f.Close()
		byEntity := map[string][]storage.AddrID{}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			var line struct{ Address, Entity string }
			if json.Unmarshal(sc.Bytes(), &line) != nil || line.Address == "" || line.Entity == "" {
				continue
			}
			class, payload, err := bitcoin.ParseAddress(x.Net, line.Address)
			if err != nil {
				continue
			}
			if id, err := x.DB.LookupAddr(uint8(class), payload); err == nil {
				byEntity[line.Entity] = append(byEntity[line.Entity], id)
			}
		}
		for _, ids := range byEntity {
			slices.Sort(ids)
			ids = slices.Compact(ids)
			for _, a := range ids {
				c.of[a] = ids[0]
			}
			c.members[ids[0]] = ids
		}
		exploreWorld.clusters = c
		w, err := detect.Load(context.Background(), x.DB, x.Namer())
		if err != nil {
			exploreWorld.err = err
			return
		}
		res, err := detect.Run(context.Background(), w, detect.Config{}.Defaults(), nil)
		if err == nil {
			err = detect.Store(x.DB, res)
		}
		exploreWorld.findings, exploreWorld.err = res.Findings, err
	})
	if exploreWorld.err != nil {
		t.Fatal(exploreWorld.err)
	}
	return exploreWorld.clusters, exploreWorld.findings
}

func exploreSchemaFor(t *testing.T, clusters ClusterIndex, opts ExploreOptions) *Schema {
	t.Helper()
	x, labels, _ := traceWorld(t)
	e := trace.NewEngine(x.DB, labels, x.Namer())
	if clusters != nil {
		opts.Clusters = func() (ClusterIndex, error) { return clusters, nil }
	}
	opts.Findings = x.DB
	s, err := NewSchema(SchemaOptions{Log: slog.New(slog.NewTextHandler(io.Discard, nil))},
		BitcoinArea(Bitcoin{DB: x.DB, Net: x.Net}, x.DB.Chain(), []string{indexer.ChainIndexName, indexer.AddrIndexName}),
		ExportArea(e, x.DB, labels, x.Net, ExportOptions{}),
		ExploreArea(x.DB, labels, x.Net, opts))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// bigCluster returns the truth cluster with the most members, up to 60,
// and the address naming it.
func bigCluster(t *testing.T, c *truthClusters) (storage.AddrID, []storage.AddrID) {
	t.Helper()
	var best storage.AddrID
	for id, m := range c.members {
		if len(m) <= 60 && (best == 0 || len(m) > len(c.members[best]) || len(m) == len(c.members[best]) && id < best) {
			best = id
		}
	}
	if len(c.members[best]) < 3 {
		t.Fatalf("no cluster with 3 members in the world")
	}
	return best, c.members[best]
}

func data(t *testing.T, r map[string]any, field string) map[string]any {
	t.Helper()
	if code, msg := firstError(r); code != "" {
		t.Fatalf("%s: %s %s", field, code, msg)
	}
	v, _ := r["data"].(map[string]any)[field].(map[string]any)
	return v
}

func TestClusterOfField(t *testing.T) {
	c, _ := exploreFixture(t)
	x, _, _ := traceWorld(t)
	name := x.Namer()
	id, members := bigCluster(t, c)
	asked, _ := name(members[len(members)-1])
	s := exploreSchemaFor(t, c, ExploreOptions{})
	got := data(t, execJSON(t, s, viewerCtx(), `query($a: String!) { clusterOf(address: $a, first: 2) { id size heuristicSet members moreMembers merges { rule } } }`,
		map[string]any{"a": asked}), "clusterOf")
	want0, _ := name(id)
	want1, _ := name(members[1])
	if got["id"] != want0 || got["size"].(json.Number).String() != strconv.Itoa(len(members)) || got["heuristicSet"] != "truth" ||
		got["moreMembers"] != true || !slices.Equal(toStrings(got["members"]), []string{want0, want1}) {
		t.Fatalf("clusterOf(%s) = %v; want id %s, size %d, members %s %s", asked, got, want0, len(members), want0, want1)
	}
	// Without a clustering the field is null.
	s = exploreSchemaFor(t, nil, ExploreOptions{})
	r := execJSON(t, s, viewerCtx(), `query($a: String!) { clusterOf(address: $a) { id } }`, map[string]any{"a": asked})
	if code, _ := firstError(r); code != "" || r["data"].(map[string]any)["clusterOf"] != nil {
		t.Fatalf("without clustering: %v", r)
	}
}

func TestFindingsOfField(t *testing.T) {
	c, findings := exploreFixture(t)
	if len(findings) == 0 {
		t.Fatal("the detectors found nothing in the world")
	}
	s := exploreSchemaFor(t, c, ExploreOptions{})
	f := findings[len(findings)/2]
	r := execJSON(t, s, analystCtx(), `query($a: String!) { findingsOf(address: $a) { detector reason subject summary addresses measured { name value } evidence { txid amountSat note } } }`,
		map[string]any{"a": f.Subject})
	if code, msg := firstError(r); code != "" {
		t.Fatal(code, msg)
	}
	list := r["data"].(map[string]any)["findingsOf"].([]any)
	found := false
	for _, v := range list {
		g := v.(map[string]any)
		if g["subject"] != f.Subject && !slices.Contains(toStrings(g["addresses"]), f.Subject) {
			t.Errorf("finding %v does not name %s", g, f.Subject)
		}
		if g["detector"] == f.Detector && g["reason"] == f.Reason && g["summary"] == f.Summary {
			found = true
			if ev := g["evidence"].([]any); len(ev) != len(f.Evidence) || len(ev) == 0 {
				t.Errorf("%d evidence items, the finding has %d", len(ev), len(f.Evidence))
			}
			if m := g["measured"].([]any); len(m) != len(f.Measured) {
				t.Errorf("%d measures, the finding has %d", len(m), len(f.Measured))
			}
		}
	}
	if !found {
		t.Fatalf("findingsOf(%s) lacks the %s finding %q: %v", f.Subject, f.Detector, f.Summary, list)
	}
	r = execJSON(t, s, viewerCtx(), `query($a: String!) { findingsOf(address: $a) { reason } }`, map[string]any{"a": f.Subject})
	if code, _ := firstError(r); code != CodeForbidden {
		t.Fatalf("a viewer got %v", r)
	}
}

func TestExportClusterField(t *testing.T) {
	c, _ := exploreFixture(t)
	x, _, _ := traceWorld(t)
	_, members := bigCluster(t, c)
	asked, _ := x.Namer()(members[0])
	s := exploreSchemaFor(t, c, ExploreOptions{})
	got := data(t, execJSON(t, s, analystCtx(), `query($a: String!) { exportCluster(address: $a, format: "cytoscape") { format content nodes edges partial limit } }`,
		map[string]any{"a": asked}), "exportCluster")
	var doc struct {
		Elements struct {
			Nodes []struct{ Data map[string]any }
			Edges []struct{ Data map[string]any }
		}
	}
	if err := json.Unmarshal([]byte(got["content"].(string)), &doc); err != nil {
		t.Fatal(err)
	}
	// The transactions in the file are exactly the members' histories, as
	// the address field lists them.
	want := map[string]bool{}
	for _, m := range members {
		a, _ := x.Namer()(m)
		r := data(t, execJSON(t, s, viewerCtx(), `query($a: String!) { address(address: $a) { transactions(first: 100) { totalCount edges { txid } } } }`,
			map[string]any{"a": a}), "address")
		conn := r["transactions"].(map[string]any)
		for _, e := range conn["edges"].([]any) {
			want[e.(map[string]any)["txid"].(string)] = true
		}
	}
	have := map[string]bool{}
	memberNodes := 0
	for _, n := range doc.Elements.Nodes {
		if n.Data["kind"] == "tx" {
			have[n.Data["txid"].(string)] = true
		}
		if flags, _ := n.Data["flags"].([]any); slices.Contains(flags, any("member")) {
			memberNodes++
		}
	}
	if len(have) != len(want) || len(have) == 0 {
		t.Fatalf("the file holds %d transactions, the members' histories %d", len(have), len(want))
	}
	for id := range want {
		if !have[id] {
			t.Fatalf("transaction %s of a member is missing", id)
		}
	}
	if memberNodes != len(members) || got["partial"] != false || got["nodes"].(json.Number).String() != strconv.Itoa(len(doc.Elements.Nodes)) {
		t.Fatalf("%d member nodes of %d, partial %v, nodes %v of %d", memberNodes, len(members), got["partial"], got["nodes"], len(doc.Elements.Nodes))
	}
	cut := data(t, execJSON(t, s, analystCtx(), `query($a: String!) { exportCluster(address: $a, format: "gexf", maxMembers: 2) { partial limit } }`,
		map[string]any{"a": asked}), "exportCluster")
	if cut["partial"] != true || cut["limit"] != "members" {
		t.Fatalf("maxMembers 2 of %d: %v", len(members), cut)
	}
}

func TestExportTransactionsField(t *testing.T) {
	c, _ := exploreFixture(t)
	_, _, wallets := traceWorld(t)
	s := exploreSchemaFor(t, c, ExploreOptions{MaxTxs: 3})
	r := data(t, execJSON(t, s, viewerCtx(), `query($a: String!) { address(address: $a) { transactions(first: 3) { edges { node { txid inputs { address } outputs { n } } } } } }`,
		map[string]any{"a": wallets[0]}), "address")
	var txids []string
	edges := 0
	for _, e := range r["transactions"].(map[string]any)["edges"].([]any) {
		n := e.(map[string]any)["node"].(map[string]any)
		txids = append(txids, n["txid"].(string))
		edges += len(n["inputs"].([]any)) + len(n["outputs"].([]any))
	}
	got := data(t, execJSON(t, s, analystCtx(), `query($t: [String!]!) { exportTransactions(txids: $t, format: "graphml", title: "case 7") { content nodes edges } }`,
		map[string]any{"t": txids}), "exportTransactions")
	var doc struct {
		Nodes []struct {
			Data []struct {
				Key   string `xml:"key,attr"`
				Value string `xml:",chardata"`
			} `xml:"data"`
		} `xml:"graph>node"`
		Edges []struct{} `xml:"graph>edge"`
	}
	if err := xml.Unmarshal([]byte(got["content"].(string)), &doc); err != nil {
		t.Fatal(err)
	}
	txNodes := 0
	for _, n := range doc.Nodes {
		for _, d := range n.Data {
			if d.Key == "kind" && d.Value == "tx" {
				txNodes++
			}
		}
	}
	if txNodes != len(txids) || len(doc.Edges) != edges || got["edges"].(json.Number).String() != strconv.Itoa(edges) {
		t.Fatalf("%d tx nodes and %d edges; want %d and %d", txNodes, len(doc.Edges), len(txids), edges)
	}
	if !strings.Contains(got["content"].(string), "case 7") {
		t.Error("the title is not in the file")
	}
	tests := []struct {
		name, q   string
		vars      map[string]any
		code, msg string
	}{
		{"over the request bound", `query($t: [String!]!) { exportTransactions(txids: $t, format: "gexf") { bytes } }`,
			map[string]any{"t": append(txids, txids[0])}, CodeLimit, "4 transactions; the limit is 3"},
		{"not a txid", `{ exportTransactions(txids: ["xyz"], format: "gexf") { bytes } }`, nil, CodeBadInput, "txids[0]"},
		{"not indexed", `{ exportTransactions(txids: ["` + strings.Repeat("ab", 32) + `"], format: "gexf") { bytes } }`, nil, CodeNotFound, "not indexed"},
		{"unknown format", `query($t: [String!]!) { exportTransactions(txids: $t, format: "pdf") { bytes } }`, map[string]any{"t": txids[:1]}, CodeBadInput, "unknown export format"},
		{"cluster bound", `query($a: String!) { exportCluster(address: $a, format: "gexf", maxMembers: 100000) { bytes } }`, map[string]any{"a": wallets[0]}, CodeLimit, "maxMembers 100000 is outside"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := execJSON(t, s, analystCtx(), tc.q, tc.vars)
			if code, msg := firstError(r); code != tc.code || !strings.Contains(msg, tc.msg) {
				t.Fatalf("got %s %q, want %s %q", code, msg, tc.code, tc.msg)
			}
		})
	}
	r = execJSON(t, s, viewerCtx(), `query($t: [String!]!) { exportTransactions(txids: $t, format: "gexf") { bytes } }`, map[string]any{"t": txids})
	if code, _ := firstError(r); code != CodeForbidden {
		t.Fatalf("a viewer got %v", r)
	}
}

func TestExploreAreaNeedsExportArea(t *testing.T) {
	x, labels, _ := traceWorld(t)
	_, err := NewSchema(SchemaOptions{}, ExploreArea(x.DB, labels, x.Net, ExploreOptions{}))
	if err == nil || !strings.Contains(err.Error(), "add ExportArea before ExploreArea") {
		t.Fatalf("got %v", err)
	}
	var _ export.TxReader = x.DB
}

func toStrings(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, x := range l {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}
