package export

import (
	"fmt"
	"sort"

	"github.com/spoorhq/spoor/storage"
	"github.com/spoorhq/spoor/trace"
)

// Asset is the asset every edge of a Bitcoin trace moves.
const Asset = "BTC"

// Node flags.
const (
	// FlagSeed marks a node a trace started from.
	FlagSeed = "seed"
	// FlagLabelled marks an address with at least one label.
	FlagLabelled = "labelled"
	// FlagEndPrefix prefixes the end reasons of edges that stop at a node,
	// as in "end:service".
	FlagEndPrefix = "end:"
)

// ClusterReader says which cluster an address belongs to.
// storage.DB.ClusterOf bound to the active generation implements it.
type ClusterReader interface {
	ClusterOf(a storage.AddrID) (storage.AddrID, error)
}

// ClusterFunc adapts a function to ClusterReader.
type ClusterFunc func(a storage.AddrID) (storage.AddrID, error)

// ClusterOf calls f.
func (f ClusterFunc) ClusterOf(a storage.AddrID) (storage.AddrID, error) { return f(a) }

// Node is a vertex of an export graph.
type Node struct {
	ID      string
	Kind    string // trace.KindAddress, KindTx or KindScript
	Address string
	Txid    string
	// Cluster is the address's cluster id; HasCluster says it is known.
	Cluster    uint64
	HasCluster bool
	Labels     []trace.Tag
	Flags      []string
	Hop        int
	Value      uint64
	Taint      uint64
	// Start is the earliest time, in unix seconds, of a flow touching the
	// node (0 if none): when it appears in a timeline.
	Start  int64
	Height uint32
}

// Label returns the node's display name: its address or txid, or its id.
func (n *Node) Label() string {
	switch {
	case n.Address != "":
		return n.Address
	case n.Txid != "":
		return n.Txid
	}
	return n.ID
}

// Edge is a flow of value between two nodes.
type Edge struct {
	ID     string
	Source string
	Target string
	Amount uint64 // satoshi
	Asset  string
	Txid   string
	Time   int64 // unix seconds
	Height uint32
	Taint  uint64
	Share  float64
	End    string
}

// Graph is a trace, path or neighbourhood in the form every writer takes.
type Graph struct {
	// Title names the graph in formats that carry a name.
	Title string
	// Network is the Bitcoin network of the addresses (mainnet, testnet,
	// regtest, signet), written into the indicator formats so that an
	// import files the labels under the right index; empty means unknown.
	Network   string
	Direction string
	Model     string
	Partial   bool
	Limit     string
	Nodes     []Node
	Edges     []Edge
}

// FromResult converts a trace result. clusters may be nil; then nodes
// carry no cluster ids.
func FromResult(r *trace.Result, clusters ClusterReader) (*Graph, error) {
	g := &Graph{Direction: r.Direction, Model: r.Model, Partial: r.Partial, Limit: r.Limit,
		Title: fmt.Sprintf("spoor %s trace (%s model)", r.Direction, r.Model)}
	index := make(map[string]int, len(r.Nodes))
	for _, n := range r.Nodes {
		x := Node{ID: n.ID, Kind: n.Kind, Address: n.Address, Txid: n.Txid, Hop: n.Hop, Value: n.Value,
			Taint: n.Taint, Start: n.Time, Height: n.Height, Labels: n.Tags}
		if n.Seed {
			x.Flags = append(x.Flags, FlagSeed)
		}
		if len(n.Tags) > 0 {
			x.Flags = append(x.Flags, FlagLabelled)
		}
		if clusters != nil && n.Kind == trace.KindAddress {
			c, err := clusters.ClusterOf(n.AddrID)
			if err != nil {
				return nil, fmt.Errorf("export: cluster of %s: %w", n.Address, err)
			}
			x.Cluster, x.HasCluster = uint64(c), true
		}
		index[n.ID] = len(g.Nodes)
		g.Nodes = append(g.Nodes, x)
	}
	for i, e := range r.Edges {
		from, okf := index[e.From]
		to, okt := index[e.To]
		if !okf || !okt {
			return nil, fmt.Errorf("export: edge %d (%s -> %s, tx %s) names a node the result lacks", i, e.From, e.To, e.Txid)
		}
		g.Edges = append(g.Edges, Edge{ID: fmt.Sprintf("e%d", i), Source: e.From, Target: e.To, Amount: e.Amount,
			Asset: Asset, Txid: e.Txid, Time: e.Time, Height: e.Height, Taint: e.Taint, Share: e.Share, End: e.End})
		for _, k := range []int{from, to} {
			if e.Time > 0 && (g.Nodes[k].Start == 0 || e.Time < g.Nodes[k].Start) {
				g.Nodes[k].Start = e.Time
			}
		}
		if e.End != "" {
			addFlag(&g.Nodes[to], FlagEndPrefix+e.End)
		}
	}
	return g, nil
}

// FromPaths converts a path search result: each payment is an edge from
// one address to the next, carried by its transaction. Path nodes carry no
// labels (the path search does not read them) and no taint: the whole
// payment is the flow.
func FromPaths(p *trace.PathResult) *Graph {
	g := &Graph{Direction: "path", Partial: p.Partial, Limit: p.Limit, Title: "spoor payment paths"}
	index := map[string]int{}
	touch := func(addr string, t int64, h uint32, amount uint64) {
		i, ok := index[addr]
		if !ok {
			i = len(g.Nodes)
			index[addr] = i
			g.Nodes = append(g.Nodes, Node{ID: addr, Kind: trace.KindAddress, Address: addr, Hop: -1})
		}
		n := &g.Nodes[i]
		if t > 0 && (n.Start == 0 || t < n.Start) {
			n.Start, n.Height = t, h
		}
		n.Value += amount
		n.Taint += amount
	}
	hopOf := map[string]int{}
	for pi, path := range p.Paths {
		for hi, h := range path.Hops {
			touch(h.From, h.Time, h.Height, 0)
			touch(h.To, h.Time, h.Height, h.Amount)
			if hi == 0 {
				addFlag(&g.Nodes[index[h.From]], FlagSeed)
				hopOf[h.From] = 0
			}
			if v, ok := hopOf[h.To]; !ok || hi+1 < v {
				hopOf[h.To] = hi + 1
			}
			g.Edges = append(g.Edges, Edge{ID: fmt.Sprintf("p%d.%d", pi, hi), Source: h.From, Target: h.To, Amount: h.Amount,
				Asset: Asset, Txid: h.Txid, Time: h.Time, Height: h.Height, Taint: h.Amount, Share: 1})
		}
	}
	for i := range g.Nodes {
		g.Nodes[i].Hop = hopOf[g.Nodes[i].ID]
	}
	return g
}

func addFlag(n *Node, f string) {
	for _, x := range n.Flags {
		if x == f {
			return
		}
	}
	n.Flags = append(n.Flags, f)
	sort.Strings(n.Flags[min(len(n.Flags), countFixed(n.Flags)):])
}

// countFixed counts the leading seed/labelled flags, which keep their place.
func countFixed(flags []string) int {
	n := 0
	for _, f := range flags {
		if f == FlagSeed || f == FlagLabelled {
			n++
		}
	}
	return n
}

// Categories returns the distinct label categories of n, in order.
func (n *Node) Categories() []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range n.Labels {
		if t.Category != "" && !seen[t.Category] {
			seen[t.Category] = true
			out = append(out, t.Category)
		}
	}
	return out
}
