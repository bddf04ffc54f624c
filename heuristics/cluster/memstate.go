package cluster

import (
	"fmt"
	"math"

	"github.com/spoorhq/spoor/chains/bitcoin"
	"github.com/spoorhq/spoor/storage"
)

// addrTotals are one address's own totals, kept by the in-memory state and
// summed per cluster when it is written out.
type addrTotals struct {
	received, sent  uint64
	outputs, inputs uint32
	first, last     uint32
	class           uint8
	seen            bool
}

// edge is a merge made by the in-memory state.
type edge struct {
	a, b uint32
	ev   storage.Evidence
}

// ufNode is one address in the in-memory union-find. Parent and size sit
// side by side so that a step up the tree costs one cache line.
type ufNode struct {
	parent, size uint32
}

// memState is a union-find over address numbers in memory: parent links
// with path halving, union by size. Address numbers must fit in 32 bits.
type memState struct {
	nodes  []ufNode
	totals []addrTotals
	edges  []edge
	// pending are the change-spend/1 plans of transactions with outputs
	// not yet spent.
	pending map[storage.TxNum]storage.SpendPlan
}

// newMemState returns a state for addresses 1..n-1.
func newMemState(n int) *memState {
	m := &memState{nodes: make([]ufNode, n), totals: make([]addrTotals, n), pending: map[storage.TxNum]storage.SpendPlan{}}
	for i := range m.nodes {
		m.nodes[i].parent = uint32(i)
	}
	return m
}

func (m *memState) check(a storage.AddrID) error {
	if uint64(a) >= uint64(len(m.nodes)) {
		return fmt.Errorf("address %d is beyond the %d addresses the chain tables had", a, len(m.nodes)-1)
	}
	return nil
}

// root returns the root of a, halving the path on the way.
func (m *memState) root(a uint32) uint32 {
	n := m.nodes
	for p := n[a].parent; p != a; p = n[a].parent {
		gp := n[p].parent
		n[a].parent = gp
		a = gp
	}
	return a
}

func (m *memState) find(a storage.AddrID) (storage.AddrID, uint64, error) {
	if err := m.check(a); err != nil {
		return 0, 0, err
	}
	r := m.root(uint32(a))
	return storage.AddrID(r), uint64(m.nodes[r].size), nil
}

func (m *memState) create(a storage.AddrID, class bitcoin.ScriptClass, height uint32) error {
	if err := m.check(a); err != nil {
		return err
	}
	t := &m.totals[a]
	if t.seen {
		return nil
	}
	*t = addrTotals{seen: true, class: uint8(class), first: height, last: height}
	m.nodes[a].size = 1
	return nil
}

func (m *memState) merge(winner, loser, a, b storage.AddrID, ev storage.Evidence) error {
	m.nodes[loser].parent = uint32(winner)
	if s := uint64(m.nodes[winner].size) + uint64(m.nodes[loser].size); s <= math.MaxUint32 {
		m.nodes[winner].size = uint32(s)
	} else {
		return fmt.Errorf("cluster %d would hold more than 2^32 addresses", winner)
	}
	m.edges = append(m.edges, edge{a: uint32(a), b: uint32(b), ev: ev})
	return nil
}

func (m *memState) flow(a storage.AddrID, value uint64, height uint32, in bool) error {
	if err := m.check(a); err != nil {
		return err
	}
	t := &m.totals[a]
	if in {
		t.sent += value
		t.inputs++
	} else {
		t.received += value
		t.outputs++
	}
	t.last = max(t.last, height)
	return nil
}

// stats returns the stats of every cluster, indexed by root; entries of
// non-roots are zero.
func (m *memState) stats() []storage.ClusterStats {
	out := make([]storage.ClusterStats, len(m.nodes))
	for a := 1; a < len(m.nodes); a++ {
		t := &m.totals[a]
		if !t.seen {
			continue
		}
		s := &out[m.root(uint32(a))]
		one := storage.ClusterStats{Size: 1, Received: t.received, Sent: t.sent, Outputs: uint64(t.outputs), Inputs: uint64(t.inputs),
			FirstSeen: t.first, LastSeen: t.last}
		if int(t.class) < storage.MaxScriptClasses {
			one.Classes[t.class] = 1
		}
		s.Merge(&one)
	}
	return out
}

// unionFast joins the clusters of a and b with the engine's rule (larger
// size wins, the smaller number on a tie) and no guard or evidence; it is
// the inner loop the bulk path's speed rests on, benchmarked on its own.
func (m *memState) unionFast(a, b uint32) bool {
	ra, rb := m.root(a), m.root(b)
	if ra == rb {
		return false
	}
	n := m.nodes
	sa, sb := n[ra].size, n[rb].size
	if sb > sa || (sb == sa && rb < ra) {
		ra, rb = rb, ra
	}
	n[rb].parent = ra
	n[ra].size = sa + sb
	return true
}

func (m *memState) plan(n storage.TxNum) (storage.SpendPlan, bool, error) {
	p, ok := m.pending[n]
	return p, ok, nil
}

func (m *memState) putPlan(n storage.TxNum, p *storage.SpendPlan) error {
	m.pending[n] = *p
	return nil
}

func (m *memState) deletePlan(n storage.TxNum) error {
	delete(m.pending, n)
	return nil
}
