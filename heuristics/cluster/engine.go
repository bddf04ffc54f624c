package cluster

import (
	"github.com/spoorhq/spoor/chains/bitcoin"
	"github.com/spoorhq/spoor/heuristics"
	"github.com/spoorhq/spoor/heuristics/change"
	"github.com/spoorhq/spoor/heuristics/coinjoin"
	"github.com/spoorhq/spoor/storage"
)

// state is a union-find with cluster stats, kept in memory (Build) or in
// storage (Index). The engine decides what to merge; a state only does it.
type state interface {
	// find returns the cluster of address a and its size.
	find(a storage.AddrID) (storage.AddrID, uint64, error)
	// create makes a new address a cluster of its own unless it has one.
	create(a storage.AddrID, class bitcoin.ScriptClass, height uint32) error
	// merge joins cluster loser into cluster winner for the link a–b.
	merge(winner, loser, a, b storage.AddrID, ev storage.Evidence) error
	// flow adds an output paid to (in false) or an input spending (in
	// true) address a to the totals of its cluster.
	flow(a storage.AddrID, value uint64, height uint32, in bool) error
	// plans keeps the plans of change-spend/1.
	plans
}

// link is a reason to join the clusters of two addresses.
type link struct {
	a, b storage.AddrID
	ev   storage.Evidence
}

// engine applies a Set to transactions, one at a time in chain order.
type engine struct {
	set   *Set
	st    state
	links []link // scratch
}

// applyTx applies the set to one transaction, given the P2PK keys first
// numbered in it with their P2PKH forms, the key-equivalence links of its
// inputs and its wallet fingerprint (for change-spend/1), and returns what
// the heuristics found in it.
func (e *engine) applyTx(tx *heuristics.Tx, eq []storage.AddrID, keys []link, fp uint64) (storage.TxHeuristics, error) {
	var res storage.TxHeuristics
	for i := range tx.Outs {
		o := &tx.Outs[i]
		if o.Addr >= tx.FreshFrom {
			if err := e.st.create(o.Addr, o.Class, tx.Height); err != nil {
				return res, err
			}
		}
	}
	for i := 0; i+1 < len(eq); i += 2 {
		if err := e.st.create(eq[i+1], bitcoin.ClassP2PKH, tx.Height); err != nil {
			return res, err
		}
	}
	e.links = e.links[:0]
	if !tx.Coinbase {
		kinds := coinjoin.Detect(tx, coinjoin.All)
		res.CoinJoin = uint16(kinds)
		mixed := kinds&e.set.Veto != 0
		var changeLink *link
		if ch, ok := change.Detect(tx, kinds&coinjoin.Mixing != 0); ok {
			res.HasChange, res.ChangeVout, res.ChangeRules, res.ChangeConfidence = true, ch.Vout, uint8(ch.Rules), ch.Confidence
			if e.set.Has(Change) && !mixed && ch.Confidence >= e.set.ChangeMin && tx.Ins[0].Addr != 0 {
				changeLink = &link{a: tx.Ins[0].Addr, b: tx.Outs[ch.Vout].Addr,
					ev: storage.Evidence{TxNum: tx.Num, Rule: uint8(Change), Confidence: ch.Confidence}}
			}
		}
		if e.set.Has(MultiInput) && !mixed && len(tx.Ins) > 1 {
			first := tx.Ins[0].Addr
			for _, in := range tx.Ins[1:] {
				if in.Addr != 0 && first != 0 && in.Addr != first {
					e.links = append(e.links, link{a: first, b: in.Addr,
						ev: storage.Evidence{TxNum: tx.Num, Rule: uint8(MultiInput), Confidence: ConfidenceMultiInput}})
				}
			}
		}
		if changeLink != nil {
			e.links = append(e.links, *changeLink)
		}
		if e.set.Has(ChangeSpend) {
			var err error
			if e.links, err = spendChange(e.st, tx, fp, kinds != 0, e.links); err != nil {
				return res, err
			}
		}
	}
	if e.set.Has(Equivalence) {
		for i := 0; i+1 < len(eq); i += 2 {
			e.links = append(e.links, link{a: eq[i], b: eq[i+1],
				ev: storage.Evidence{TxNum: tx.Num, Rule: uint8(Equivalence), Confidence: ConfidenceEquivalence}})
		}
	}
	if e.set.Has(KeyEquivalence) {
		e.links = append(e.links, keys...)
	}
	for _, l := range e.links {
		if err := e.union(l, &res); err != nil {
			return res, err
		}
	}
	for _, in := range tx.Ins {
		if in.Addr != 0 {
			if err := e.st.flow(in.Addr, in.Value, tx.Height, true); err != nil {
				return res, err
			}
		}
	}
	for _, o := range tx.Outs {
		if o.Addr != 0 {
			if err := e.st.flow(o.Addr, o.Value, tx.Height, false); err != nil {
				return res, err
			}
		}
	}
	return res, nil
}

// union joins the clusters of l.a and l.b unless they are one already or
// the super-cluster guard refuses. The larger cluster absorbs the smaller;
// on a tie the one with the smaller number does.
func (e *engine) union(l link, res *storage.TxHeuristics) error {
	ca, sa, err := e.st.find(l.a)
	if err != nil {
		return err
	}
	cb, sb, err := e.st.find(l.b)
	if err != nil {
		return err
	}
	if ca == cb {
		return nil
	}
	if bound := e.set.MaxClusterSize; bound > 0 && sa+sb > bound && (e.set.RefuseOversize || (sa <= bound && sb <= bound)) {
		res.Guards = append(res.Guards, storage.GuardEvent{A: l.a, B: l.b, Rule: l.ev.Rule, SizeA: sa, SizeB: sb, Refused: e.set.RefuseOversize})
		if e.set.RefuseOversize {
			return nil
		}
	}
	if sb > sa || (sb == sa && cb < ca) {
		return e.st.merge(cb, ca, l.b, l.a, l.ev)
	}
	return e.st.merge(ca, cb, l.a, l.b, l.ev)
}

// bitcoinClass is the script class type, named short for signatures.
type bitcoinClass = bitcoin.ScriptClass
