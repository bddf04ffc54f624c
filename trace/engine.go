package trace

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/spoorhq/spoor/storage"
)

// Engine runs walks over one chain's index. It is safe for concurrent use:
// every walk keeps its own state.
type Engine struct {
	chain  Chain
	labels Labeler
	names  Namer
	now    func() time.Time
	index  *ExposureIndex
	// defaultRules is DefaultRiskRules(), made once: Screen only reads
	// the rules.
	defaultRules []RiskRule
}

// NewEngine returns an engine reading chain, with labels for stops and
// names for results. labels and names may be nil.
func NewEngine(chain Chain, labels Labeler, names Namer) *Engine {
	if labels == nil {
		labels = NoLabels{}
	}
	return &Engine{chain: chain, labels: labels, names: names, now: time.Now, defaultRules: DefaultRiskRules()}
}

// WithExposureIndex returns a copy of the engine whose screenings are
// answered from ix whenever it is fresh and no evidence is asked for.
func (e *Engine) WithExposureIndex(ix *ExposureIndex) *Engine {
	c := *e
	c.index = ix
	return &c
}

// WithoutNames returns a copy of the engine whose results leave the
// address texts of nodes (and screenings) empty, for callers that show
// none: naming reads and encodes every address.
func (e *Engine) WithoutNames() *Engine {
	c := *e
	c.names = nil
	return &c
}

// ErrBudget is wrapped by the errors of walks that could not even start
// within their budget.
var ErrBudget = errors.New("trace: budget exhausted")

// walk is the state every walk shares: its reader, graph, limits and clock.
type walk struct {
	e        *Engine
	r        *reader
	g        *graph
	lim      Limits
	ctx      context.Context
	deadline time.Time
	steps    int
}

func (e *Engine) newWalk(ctx context.Context, direction string, m Model, lim Limits) (*walk, error) {
	lim, err := lim.withDefaults()
	if err != nil {
		return nil, err
	}
	return &walk{
		e: e, r: newReader(e.chain, e.names), g: newGraph(direction, m), lim: lim, ctx: ctx,
		deadline: e.now().Add(lim.MaxDuration),
	}, nil
}

// over reports whether a budget is spent, marking the result partial.
func (w *walk) over() bool {
	res := w.g.res
	if res.Partial {
		return true
	}
	switch {
	case len(res.Nodes) >= w.lim.MaxNodes:
		res.Limit = "nodes"
	case len(res.Edges) >= w.lim.MaxEdges:
		res.Limit = "edges"
	default:
		w.steps++
		if w.steps%64 == 0 {
			if w.ctx.Err() != nil {
				res.Limit = "cancelled"
			} else if w.e.now().After(w.deadline) {
				res.Limit = "time"
			}
		}
	}
	res.Partial = res.Limit != ""
	return res.Partial
}

// txNode returns the node of transaction n.
func (w *walk) txNode(n storage.TxNum, hop int) (*Node, storage.TxRecord, error) {
	rec, err := w.r.tx(n)
	if err != nil {
		return nil, rec, err
	}
	node, err := w.g.node(txNodeID(n), hop, func(nd *Node) error {
		nd.Kind = KindTx
		nd.TxNum = n
		nd.Txid = chainhash.Hash(rec.Txid).String()
		nd.Height = rec.Height
		t, err := w.r.blockTime(rec.Height)
		nd.Time = t
		return err
	})
	return node, rec, err
}

// outputNode returns the node an output pays: its address, or a script
// node for outputs without one.
func (w *walk) outputNode(op Outpoint, addr storage.AddrID, hop int) (*Node, error) {
	if addr == 0 {
		return w.g.node(scriptNodeID(op), hop, func(nd *Node) error {
			nd.Kind = KindScript
			return nil
		})
	}
	return w.g.node(addrNodeID(addr), hop, func(nd *Node) error {
		nd.Kind = KindAddress
		nd.AddrID = addr
		nd.Tags = w.e.labels.Tags(addr)
		return nil
	})
}

// finish names the result's address nodes. Naming reads and encodes an
// address, so it is done once, at the end, for the nodes the result
// holds rather than as the walk meets them.
func (w *walk) finish() (*Result, error) {
	for i := range w.g.res.Nodes {
		nd := &w.g.res.Nodes[i]
		if nd.Kind != KindAddress {
			continue
		}
		s, err := w.r.name(nd.AddrID)
		if err != nil {
			return nil, err
		}
		nd.Address = s
	}
	return w.g.res, nil
}

// AddressOutputs returns every output ever paid to the address, in chain
// order, for use as seeds. It fails if the address has more than max
// receiving transactions (max <= 0 means no bound).
func (e *Engine) AddressOutputs(id storage.AddrID, max int) ([]Outpoint, error) {
	var txs []storage.TxNum
	var err error
	perr := e.chain.Postings(id, nil, func(p storage.Posting) bool {
		if p.Role == storage.RoleReceive {
			txs = append(txs, p.TxNum)
			if max > 0 && len(txs) > max {
				err = fmt.Errorf("trace: address %d received in more than %d transactions; trace single outputs instead: %w", id, max, ErrBudget)
				return false
			}
		}
		return true
	})
	if perr != nil {
		return nil, fmt.Errorf("trace: postings of address %d: %w", id, perr)
	}
	if err != nil {
		return nil, err
	}
	var ops []Outpoint
	for _, n := range txs {
		outs, err := e.chain.Outputs(n)
		if err != nil {
			return nil, fmt.Errorf("trace: outputs of transaction %d: %w", n, err)
		}
		for v, o := range outs {
			if o.AddrID == id {
				ops = append(ops, Outpoint{TxNum: n, Vout: uint32(v)})
			}
		}
	}
	return ops, nil
}
