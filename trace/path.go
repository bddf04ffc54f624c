package trace

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/spoorhq/spoor/storage"
)

// PathLimits bound a path search. Zero fields take defaults.
type PathLimits struct {
	// MaxHops is the longest path searched, in transactions (default 6).
	MaxHops int
	// MaxFanout skips addresses with more transactions than this (default
	// 1000): paths through services say little.
	MaxFanout int
	// MaxNodes bounds the addresses visited (default 50,000).
	MaxNodes int
	// MaxPaths bounds the paths returned (default 10).
	MaxPaths int
	// MaxDuration bounds the search's time (default 10 s).
	MaxDuration time.Duration
}

func (l PathLimits) withDefaults() (PathLimits, error) {
	if l.MaxHops == 0 {
		l.MaxHops = 6
	}
	if l.MaxFanout == 0 {
		l.MaxFanout = 1000
	}
	if l.MaxNodes == 0 {
		l.MaxNodes = 50_000
	}
	if l.MaxPaths == 0 {
		l.MaxPaths = 10
	}
	if l.MaxDuration == 0 {
		l.MaxDuration = 10 * time.Second
	}
	if l.MaxHops < 1 || l.MaxHops > 20 || l.MaxFanout < 1 || l.MaxNodes < 1 || l.MaxPaths < 1 || l.MaxDuration < 0 {
		return l, fmt.Errorf("trace: path limits out of range: %+v (hops 1..20)", l)
	}
	return l, nil
}

// Path is a chain of payments from one address to another, each paid
// later than the one before.
type Path struct {
	Hops []PathHop `json:"hops"`
	// Amount is the smallest payment along the path.
	Amount uint64 `json:"amount"`
}

// PathHop is one payment on a path: transaction Txid paid Amount from an
// input of From to To.
type PathHop struct {
	From   string `json:"from"`
	To     string `json:"to"`
	Txid   string `json:"txid"`
	Height uint32 `json:"height"`
	Time   int64  `json:"time"`
	Amount uint64 `json:"amount"`
}

// PathResult is the outcome of a path search.
type PathResult struct {
	Paths []Path `json:"paths"`
	// Visited counts the addresses reached from both ends.
	Visited int    `json:"visited"`
	Partial bool   `json:"partial"`
	Limit   string `json:"limit,omitempty"`
}

// reach is how a search side reached an address: through transaction tx
// from (or, backwards, towards) the address next.
type reach struct {
	tx   storage.TxNum
	next storage.AddrID
	hop  int
}

const (
	noTx  = storage.TxNum(0)
	endTx = storage.TxNum(math.MaxUint64)
)

// Paths finds the shortest time-respecting payment paths from one address
// to another: a search forward from the source (each address's spends
// after it was paid) meets a search backward from the target (each
// address's receipts before it paid on), always growing the smaller side.
func (e *Engine) Paths(ctx context.Context, from, to storage.AddrID, lim PathLimits) (*PathResult, error) {
	lim, err := lim.withDefaults()
	if err != nil {
		return nil, err
	}
	if from == to {
		return nil, fmt.Errorf("trace: path from an address to itself")
	}
	deadline := e.now().Add(lim.MaxDuration)
	fwd := map[storage.AddrID]reach{from: {tx: noTx}}
	bwd := map[storage.AddrID]reach{to: {tx: endTx}}
	ff, bf := []storage.AddrID{from}, []storage.AddrID{to}
	res := &PathResult{}
	r := newReader(e.chain, e.names)
	fh, bh := 0, 0
	for fh+bh < lim.MaxHops && len(ff) > 0 && len(bf) > 0 {
		if ctx.Err() != nil || e.now().After(deadline) {
			res.Partial, res.Limit = true, "time"
			break
		}
		var meet []storage.AddrID
		if len(ff) <= len(bf) {
			fh++
			ff, meet, err = e.pathStep(r, ff, fwd, bwd, fh, storage.RoleSpend, lim, res)
		} else {
			bh++
			bf, meet, err = e.pathStep(r, bf, bwd, fwd, bh, storage.RoleReceive, lim, res)
		}
		if err != nil {
			return nil, err
		}
		if len(meet) > 0 {
			sort.Slice(meet, func(i, j int) bool { return meet[i] < meet[j] })
			for _, m := range meet[:min(len(meet), lim.MaxPaths)] {
				p, err := e.buildPath(r, m, fwd, bwd)
				if err != nil {
					return nil, err
				}
				res.Paths = append(res.Paths, p)
			}
			break
		}
		if len(fwd)+len(bwd) >= lim.MaxNodes {
			res.Partial, res.Limit = true, "nodes"
			break
		}
	}
	res.Visited = len(fwd) + len(bwd)
	return res, nil
}

// pathStep grows one side of the search by a hop and returns its new
// frontier and the addresses where it met the other side in time order.
func (e *Engine) pathStep(r *reader, frontier []storage.AddrID, side, other map[storage.AddrID]reach, hop int,
	role storage.Role, lim PathLimits, res *PathResult) ([]storage.AddrID, []storage.AddrID, error) {
	var next, meet []storage.AddrID
	for _, a := range frontier {
		at := side[a]
		var txs []storage.TxNum
		count := 0
		err := e.chain.Postings(a, nil, func(p storage.Posting) bool {
			count++
			if count > lim.MaxFanout {
				return false
			}
			if p.Role != role {
				return true
			}
			if (role == storage.RoleSpend && (at.tx == noTx || p.TxNum > at.tx)) ||
				(role == storage.RoleReceive && p.TxNum < at.tx) {
				txs = append(txs, p.TxNum)
			}
			return true
		})
		if err != nil {
			return nil, nil, fmt.Errorf("trace: postings of address %d: %w", a, err)
		}
		if count > lim.MaxFanout && hop > 1 {
			res.Partial, res.Limit = true, "fanout"
			continue
		}
		for _, n := range txs {
			var peers []storage.AddrID
			if role == storage.RoleSpend {
				outs, err := r.outputs(n)
				if err != nil {
					return nil, nil, err
				}
				for _, o := range outs {
					peers = append(peers, o.AddrID)
				}
			} else {
				ins, err := r.inputs(n)
				if err != nil {
					return nil, nil, err
				}
				for _, in := range ins {
					peers = append(peers, in.AddrID)
				}
			}
			for _, p := range peers {
				if p == 0 || p == a {
					continue
				}
				prev, seen := side[p]
				better := !seen || (prev.hop == hop && ((role == storage.RoleSpend && n < prev.tx) || (role == storage.RoleReceive && n > prev.tx)))
				if !better {
					continue
				}
				if !seen {
					next = append(next, p)
				}
				side[p] = reach{tx: n, next: a, hop: hop}
				if o, ok := other[p]; ok && inOrder(role, side[p].tx, o.tx) && !containsID(meet, p) {
					meet = append(meet, p)
				}
			}
		}
	}
	return next, meet, nil
}

// inOrder reports whether a search side's arrival at an address comes
// before the other side's departure from it.
func inOrder(role storage.Role, mine, theirs storage.TxNum) bool {
	if role == storage.RoleSpend {
		return mine < theirs
	}
	return theirs < mine
}

func containsID(ids []storage.AddrID, id storage.AddrID) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// buildPath joins the two halves of a path at m.
func (e *Engine) buildPath(r *reader, m storage.AddrID, fwd, bwd map[storage.AddrID]reach) (Path, error) {
	type link struct {
		from, to storage.AddrID
		tx       storage.TxNum
	}
	var links []link
	for a := m; fwd[a].tx != noTx; a = fwd[a].next {
		links = append(links, link{from: fwd[a].next, to: a, tx: fwd[a].tx})
	}
	for i, j := 0, len(links)-1; i < j; i, j = i+1, j-1 {
		links[i], links[j] = links[j], links[i]
	}
	for a := m; bwd[a].tx != endTx; a = bwd[a].next {
		links = append(links, link{from: a, to: bwd[a].next, tx: bwd[a].tx})
	}
	p := Path{Amount: math.MaxUint64}
	for _, l := range links {
		rec, err := r.tx(l.tx)
		if err != nil {
			return p, err
		}
		t, err := r.blockTime(rec.Height)
		if err != nil {
			return p, err
		}
		outs, err := r.outputs(l.tx)
		if err != nil {
			return p, err
		}
		var paid uint64
		for _, o := range outs {
			if o.AddrID == l.to {
				paid += o.Value
			}
		}
		fromName, err := r.name(l.from)
		if err != nil {
			return p, err
		}
		toName, err := r.name(l.to)
		if err != nil {
			return p, err
		}
		p.Hops = append(p.Hops, PathHop{From: fromName, To: toName, Txid: chainhash.Hash(rec.Txid).String(),
			Height: rec.Height, Time: t, Amount: paid})
		p.Amount = min(p.Amount, paid)
	}
	if len(p.Hops) == 0 {
		p.Amount = 0
	}
	return p, nil
}
