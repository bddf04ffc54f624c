package export

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/spoorhq/spoor/storage"
	"github.com/spoorhq/spoor/trace"
)

// FlagMember marks an address of the cluster a neighbourhood is drawn
// around.
const FlagMember = "member"

// TxReader is what building a graph from transactions reads from a
// Bitcoin index. *storage.DB implements it.
type TxReader interface {
	Block(h uint32) (storage.BlockRecord, error)
	Tx(n storage.TxNum) (storage.TxRecord, error)
	Inputs(n storage.TxNum) (storage.InputsRecord, error)
	Outputs(n storage.TxNum) (storage.OutputsRecord, error)
	Postings(id storage.AddrID, after *storage.PostingKey, fn func(storage.Posting) bool) error
}

// Sources are what the nodes of a transaction graph are decorated with.
// Names is required; Labels and Clusters may be nil.
type Sources struct {
	Names    trace.Namer
	Labels   trace.Labeler
	Clusters ClusterReader
}

// NeighbourhoodLimits bound a cluster neighbourhood. Zero fields take the
// defaults. A neighbourhood cut by one of them is marked partial with the
// bound's name as its limit, in the graph and in its title.
type NeighbourhoodLimits struct {
	// MaxMembers bounds the cluster addresses drawn (default 200; limit
	// "members").
	MaxMembers int
	// MaxTxsPerAddress bounds the transactions of each member, the newest
	// kept (default 50; limit "txs-per-address").
	MaxTxsPerAddress int
	// MaxTxs bounds the transactions of the whole graph, the newest kept
	// (default 1,000; limit "txs").
	MaxTxs int
}

func (l NeighbourhoodLimits) withDefaults() NeighbourhoodLimits {
	if l.MaxMembers <= 0 {
		l.MaxMembers = 200
	}
	if l.MaxTxsPerAddress <= 0 {
		l.MaxTxsPerAddress = 50
	}
	if l.MaxTxs <= 0 {
		l.MaxTxs = 1000
	}
	return l
}

// Neighbourhood returns the graph of a cluster's transactions: every
// member address (flagged member; the first one also seed), the
// transactions that paid or spent them, and the direct counterparties on
// the other side of those transactions, which are the inputs and outputs
// of the same transactions. members lists the cluster's addresses, the
// address asked about first; give one more than lim.MaxMembers when the
// cluster has more, so the graph can say it is partial.
func Neighbourhood(ctx context.Context, r TxReader, members []storage.AddrID, lim NeighbourhoodLimits, src Sources) (*Graph, error) {
	lim = lim.withDefaults()
	if len(members) == 0 {
		return nil, fmt.Errorf("export: neighbourhood of an empty cluster")
	}
	var limit string
	if len(members) > lim.MaxMembers {
		members, limit = members[:lim.MaxMembers], "members"
	}
	seen := map[storage.TxNum]bool{}
	var txs []storage.TxNum
	for i, a := range members {
		if i%64 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		var own []storage.TxNum
		err := r.Postings(a, nil, func(p storage.Posting) bool {
			if len(own) == 0 || own[len(own)-1] != p.TxNum {
				own = append(own, p.TxNum)
			}
			return true
		})
		if err != nil {
			return nil, fmt.Errorf("export: neighbourhood: history of address %d: %w", a, err)
		}
		if len(own) > lim.MaxTxsPerAddress {
			own, limit = own[len(own)-lim.MaxTxsPerAddress:], firstNonEmpty(limit, "txs-per-address")
		}
		for _, n := range own {
			if !seen[n] {
				seen[n] = true
				txs = append(txs, n)
			}
		}
	}
	slices.Sort(txs)
	if len(txs) > lim.MaxTxs {
		txs, limit = txs[len(txs)-lim.MaxTxs:], firstNonEmpty(limit, "txs")
	}
	g, err := FromTxs(ctx, r, txs, src)
	if err != nil {
		return nil, err
	}
	g.Direction = "neighbourhood"
	g.Partial, g.Limit = limit != "", limit
	member := make(map[string]bool, len(members))
	for _, a := range members {
		member[addrID(a)] = true
	}
	for i := range g.Nodes {
		n := &g.Nodes[i]
		switch {
		case member[n.ID]:
			n.Hop = 0
			addFlag(n, FlagMember)
		case n.Kind == trace.KindTx:
			n.Hop = 0
		default:
			n.Hop = 1
		}
		if n.ID == addrID(members[0]) {
			n.Flags = append([]string{FlagSeed}, n.Flags...)
		}
	}
	name, err := src.Names(members[0])
	if err != nil {
		return nil, fmt.Errorf("export: neighbourhood: address %d: %w", members[0], err)
	}
	g.Title = fmt.Sprintf("spoor cluster neighbourhood of %s (%d members, %d transactions)", name, len(members), len(txs))
	if g.Partial {
		g.Title += " (partial: the " + limit + " limit cut it)"
	}
	return g, nil
}

// FromTxs returns the graph of the given transactions: a node per
// transaction and per address (or output without one) on either side,
// an edge per input (address to transaction) and per output (transaction
// to address) carrying its amount. Nothing is traced: taint is zero.
func FromTxs(ctx context.Context, r TxReader, txs []storage.TxNum, src Sources) (*Graph, error) {
	if src.Names == nil {
		return nil, fmt.Errorf("export: transaction graph without an address namer")
	}
	g := &Graph{Direction: "transactions", Title: fmt.Sprintf("spoor graph of %d transactions", len(txs))}
	index := map[string]int{}
	times := map[uint32]int64{}
	blockTime := func(h uint32) (int64, error) {
		if t, ok := times[h]; ok {
			return t, nil
		}
		b, err := r.Block(h)
		if err != nil {
			return 0, fmt.Errorf("export: block %d: %w", h, err)
		}
		times[h] = int64(b.Time)
		return times[h], nil
	}
	addrNode := func(a storage.AddrID) (int, error) {
		id := addrID(a)
		if i, ok := index[id]; ok {
			return i, nil
		}
		name, err := src.Names(a)
		if err != nil {
			return 0, fmt.Errorf("export: address %d: %w", a, err)
		}
		n := Node{ID: id, Kind: trace.KindAddress, Address: name, Hop: 1}
		if src.Labels != nil {
			n.Labels = src.Labels.Tags(a)
		}
		if len(n.Labels) > 0 {
			n.Flags = append(n.Flags, FlagLabelled)
		}
		if src.Clusters != nil {
			c, err := src.Clusters.ClusterOf(a)
			if err != nil {
				return 0, fmt.Errorf("export: cluster of %s: %w", name, err)
			}
			n.Cluster, n.HasCluster = uint64(c), true
		}
		index[id] = len(g.Nodes)
		g.Nodes = append(g.Nodes, n)
		return index[id], nil
	}
	scriptNode := func(n storage.TxNum, vout uint32) int {
		id := fmt.Sprintf("s%d:%d", n, vout)
		if i, ok := index[id]; ok {
			return i
		}
		index[id] = len(g.Nodes)
		g.Nodes = append(g.Nodes, Node{ID: id, Kind: trace.KindScript, Hop: 1})
		return index[id]
	}
	touch := func(i int, t int64, h uint32, amount uint64) {
		n := &g.Nodes[i]
		if t > 0 && (n.Start == 0 || t < n.Start) {
			n.Start, n.Height = t, h
		}
		n.Value += amount
	}
	for k, num := range txs {
		if k%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		rec, err := r.Tx(num)
		if err != nil {
			return nil, fmt.Errorf("export: transaction %d: %w", num, err)
		}
		t, err := blockTime(rec.Height)
		if err != nil {
			return nil, err
		}
		txid := chainhash.Hash(rec.Txid).String()
		tid := fmt.Sprintf("t%d", num)
		if _, dup := index[tid]; dup {
			continue
		}
		index[tid] = len(g.Nodes)
		g.Nodes = append(g.Nodes, Node{ID: tid, Kind: trace.KindTx, Txid: txid, Start: t, Height: rec.Height})
		ti := index[tid]
		if rec.Flags&storage.TxCoinbase == 0 {
			ins, err := r.Inputs(num)
			if err != nil {
				return nil, fmt.Errorf("export: inputs of %s: %w", txid, err)
			}
			for vin, in := range ins {
				var from int
				if in.AddrID == 0 {
					from = scriptNode(in.PrevTxNum, in.PrevVout)
				} else if from, err = addrNode(in.AddrID); err != nil {
					return nil, err
				}
				touch(from, t, rec.Height, 0)
				g.Edges = append(g.Edges, Edge{ID: fmt.Sprintf("i%d:%d", num, vin), Source: g.Nodes[from].ID, Target: tid,
					Amount: in.Value, Asset: Asset, Txid: txid, Time: t, Height: rec.Height})
			}
		}
		outs, err := r.Outputs(num)
		if err != nil {
			return nil, fmt.Errorf("export: outputs of %s: %w", txid, err)
		}
		for vout, o := range outs {
			var to int
			if o.AddrID == 0 {
				to = scriptNode(num, uint32(vout))
			} else if to, err = addrNode(o.AddrID); err != nil {
				return nil, err
			}
			touch(to, t, rec.Height, o.Value)
			g.Nodes[ti].Value += o.Value
			g.Edges = append(g.Edges, Edge{ID: fmt.Sprintf("o%d:%d", num, vout), Source: tid, Target: g.Nodes[to].ID,
				Amount: o.Value, Asset: Asset, Txid: txid, Time: t, Height: rec.Height})
		}
	}
	return g, nil
}

func addrID(a storage.AddrID) string { return fmt.Sprintf("a%d", a) }

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if strings.TrimSpace(x) != "" {
			return x
		}
	}
	return ""
}
