package trace

import (
	"fmt"

	"github.com/spoorhq/spoor/storage"
)

// Node kinds.
const (
	KindAddress = "address"
	KindTx      = "tx"
	// KindScript is an output without an address (OP_RETURN data or a
	// non-standard script), shown as a node of its own.
	KindScript = "script"
)

// Ends say why a walk did not go on from an edge.
const (
	EndUnspent  = "unspent"   // the output is not spent yet
	EndService  = "service"   // the address carries a stop-category label
	EndHops     = "hops"      // the hop limit was reached
	EndMinValue = "min-value" // the flow is below the minimum value
	EndWindow   = "window"    // the next transaction is outside the time window
	EndFanout   = "fanout"    // the next transaction has too many outputs or inputs
	EndMixing   = "mixing"    // the transaction is a mix (CoinJoin): many inputs and many outputs
	EndCoinbase = "coinbase"  // backward: newly mined coins, the origin of all value
	EndBudget   = "budget"    // the walk stopped on a budget before getting here
	EndNoAddr   = "no-address"
)

// Node is a vertex of a result graph: an address, a transaction or an
// output without an address.
type Node struct {
	ID      string         `json:"id"`
	Kind    string         `json:"kind"`
	Address string         `json:"address,omitempty"`
	AddrID  storage.AddrID `json:"-"`
	Txid    string         `json:"txid,omitempty"`
	TxNum   storage.TxNum  `json:"-"`
	Height  uint32         `json:"height,omitempty"`
	Time    int64          `json:"time,omitempty"`
	// Hop is the fewest transactions between the node and a seed.
	Hop int `json:"hop"`
	// Value is the value the walk saw pass through the node, and Taint
	// the traced part of it, in satoshi.
	Value uint64 `json:"value"`
	Taint uint64 `json:"taint"`
	Tags  []Tag  `json:"tags,omitempty"`
	// Seed marks the nodes a walk started from.
	Seed bool `json:"seed,omitempty"`
	// End, if set, says why the walk did not go on through this
	// transaction node ("mixing").
	End string `json:"end,omitempty"`
}

// Edge is a flow of value: from an address into a transaction (an input)
// or from a transaction to an address (an output).
type Edge struct {
	From string `json:"from"`
	To   string `json:"to"`
	Txid string `json:"txid"`
	// Index is the output index (vout) or input index (vin) in the
	// transaction.
	Index  uint32 `json:"index"`
	Input  bool   `json:"input"`
	Amount uint64 `json:"amount"`
	Taint  uint64 `json:"taint"`
	// Share is Taint / Amount.
	Share  float64 `json:"share"`
	Hop    int     `json:"hop"`
	Height uint32  `json:"height"`
	Time   int64   `json:"time"`
	// End, if set, says why the walk did not go on from this edge.
	End string `json:"end,omitempty"`
	// EndTag is the label that stopped the walk when End is "service".
	EndTag *Tag `json:"end_tag,omitempty"`
}

// Result is a walk's graph as flat node and edge lists, with totals.
type Result struct {
	Direction string `json:"direction"`
	Model     string `json:"model"`
	Nodes     []Node `json:"nodes"`
	Edges     []Edge `json:"edges"`
	// Partial is set when a budget ended the walk; Limit names it.
	Partial bool   `json:"partial"`
	Limit   string `json:"limit,omitempty"`
	// SeedValue is the traced value at the seeds; Ends sums, by end reason,
	// the traced value at the edges where the walk stopped (for "service",
	// by "service:<category>"); Fees is traced value paid as fees.
	SeedValue uint64            `json:"seed_value"`
	Ends      map[string]uint64 `json:"ends"`
	Fees      uint64            `json:"fees"`
	Txs       int               `json:"txs"`
}

// graph builds a Result, merging repeated nodes.
type graph struct {
	res   *Result
	index map[string]int
}

func newGraph(direction string, m Model) *graph {
	return &graph{res: &Result{Direction: direction, Model: m.String(), Ends: map[string]uint64{}}, index: map[string]int{}}
}

func addrNodeID(id storage.AddrID) string { return fmt.Sprintf("a%d", id) }
func txNodeID(n storage.TxNum) string     { return fmt.Sprintf("t%d", n) }
func scriptNodeID(op Outpoint) string     { return fmt.Sprintf("s%d:%d", op.TxNum, op.Vout) }

// node returns the node with id, adding it with fill when it is new.
func (g *graph) node(id string, hop int, fill func(*Node) error) (*Node, error) {
	if i, ok := g.index[id]; ok {
		n := &g.res.Nodes[i]
		n.Hop = min(n.Hop, hop)
		return n, nil
	}
	n := Node{ID: id, Hop: hop}
	if err := fill(&n); err != nil {
		return nil, err
	}
	g.index[id] = len(g.res.Nodes)
	g.res.Nodes = append(g.res.Nodes, n)
	return &g.res.Nodes[len(g.res.Nodes)-1], nil
}

func (g *graph) edge(e Edge) {
	if e.Amount > 0 {
		e.Share = float64(e.Taint) / float64(e.Amount)
	}
	g.res.Edges = append(g.res.Edges, e)
}

func (g *graph) end(e *Edge, reason string, tag *Tag, value uint64) {
	e.End = reason
	key := reason
	if tag != nil {
		e.EndTag = tag
		key = reason + ":" + tag.Category
	}
	g.res.Ends[key] += value
}
