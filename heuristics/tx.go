package heuristics

import (
	"github.com/spoorhq/spoor/chains/bitcoin"
	"github.com/spoorhq/spoor/storage"
)

// Input is one input of a Tx: the address, script class and value of the
// output it spends, and the outpoint (transaction and output) it spends.
type Input struct {
	Addr   storage.AddrID
	Class  bitcoin.ScriptClass
	Value  uint64
	PrevTx storage.TxNum
	// PrevVout is the output of PrevTx the input spends.
	PrevVout uint32
}

// Output is one output of a Tx. Addr is 0 for outputs without an address
// (OP_RETURN, non-standard scripts).
type Output struct {
	Addr  storage.AddrID
	Class bitcoin.ScriptClass
	Value uint64
}

// Tx is a transaction as the heuristics see it. FreshFrom is the first
// address number not seen before the transaction: an output address with a
// number at least FreshFrom appears in the chain for the first time here.
type Tx struct {
	Num       storage.TxNum
	Height    uint32
	Coinbase  bool
	Ins       []Input
	Outs      []Output
	FreshFrom storage.AddrID
}

// Spendable reports whether output o has an address and so can be spent by
// someone.
func (o Output) Spendable() bool { return o.Addr != 0 }

// MinInput returns the smallest input value, or 0 without inputs.
func (t *Tx) MinInput() uint64 {
	if len(t.Ins) == 0 {
		return 0
	}
	m := t.Ins[0].Value
	for _, in := range t.Ins[1:] {
		m = min(m, in.Value)
	}
	return m
}

// InputClass returns the script class shared by every input, and false if
// the inputs mix classes or there are none.
func (t *Tx) InputClass() (bitcoin.ScriptClass, bool) {
	if len(t.Ins) == 0 {
		return 0, false
	}
	c := t.Ins[0].Class
	for _, in := range t.Ins[1:] {
		if in.Class != c {
			return 0, false
		}
	}
	return c, true
}

// DistinctInputAddrs counts the distinct input addresses (0 not counted).
func (t *Tx) DistinctInputAddrs() int {
	seen := make(map[storage.AddrID]struct{}, len(t.Ins))
	for _, in := range t.Ins {
		if in.Addr != 0 {
			seen[in.Addr] = struct{}{}
		}
	}
	return len(seen)
}

// DistinctOutputAddrs reports whether no address is paid twice among the
// spendable outputs.
func (t *Tx) DistinctOutputAddrs() bool {
	seen := make(map[storage.AddrID]struct{}, len(t.Outs))
	for _, o := range t.Outs {
		if o.Addr == 0 {
			continue
		}
		if _, ok := seen[o.Addr]; ok {
			return false
		}
		seen[o.Addr] = struct{}{}
	}
	return true
}

// MostFrequentValue returns the output value that occurs most often among
// the outputs for which keep returns true, and its count; ties go to the
// lowest value, so the answer is deterministic.
func (t *Tx) MostFrequentValue(keep func(Output) bool) (uint64, int) {
	counts := make(map[uint64]int, len(t.Outs))
	for _, o := range t.Outs {
		if keep == nil || keep(o) {
			counts[o.Value]++
		}
	}
	var best uint64
	n := 0
	for v, c := range counts {
		if c > n || (c == n && v < best) {
			best, n = v, c
		}
	}
	return best, n
}
