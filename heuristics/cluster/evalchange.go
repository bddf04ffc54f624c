package cluster

import (
	"context"
	"fmt"

	"github.com/spoorhq/spoor/heuristics"
	"github.com/spoorhq/spoor/heuristics/change"
	"github.com/spoorhq/spoor/heuristics/coinjoin"
	"github.com/spoorhq/spoor/indexer"
	"github.com/spoorhq/spoor/storage"
)

// ChangeScore is a change detector's precision and recall against the
// truth's change outputs.
type ChangeScore struct {
	Rule      string  `json:"rule"`
	Truth     int     `json:"truth"`
	Detected  int     `json:"detected"`
	Correct   int     `json:"correct"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
}

// changeTruth holds the change outputs the truth implies. The truth does
// not mark change: an output is change when its address belongs to the
// owner of the transaction's inputs. Only transactions that are not
// CoinJoins, whose inputs all have one known owner, with at least two
// outputs with an address of which at least one pays someone else, are
// scored; a detector's picks elsewhere are not counted.
type changeTruth struct {
	txs   map[storage.TxNum][]storage.AddrID // the change addresses of a scored transaction
	total int
}

// observe adds transaction n with inputs ins and outputs outs, whose
// addresses entityOf maps to owners, and returns the outputs paid to the
// inputs' owner, whether the transaction is scored or not (a transfer
// between one owner's addresses pays no one else).
func (c *changeTruth) observe(n storage.TxNum, ins storage.InputsRecord, outs storage.OutputsRecord, entityOf map[storage.AddrID]int32) []storage.AddrID {
	if len(ins) == 0 {
		return nil
	}
	owner, ok := entityOf[ins[0].AddrID]
	if !ok {
		return nil
	}
	for _, in := range ins[1:] {
		if e, ok := entityOf[in.AddrID]; !ok || e != owner {
			return nil
		}
	}
	var ch []storage.AddrID
	spendable, other := 0, 0
	for _, o := range outs {
		if o.AddrID == 0 {
			continue
		}
		spendable++
		if e, ok := entityOf[o.AddrID]; ok && e == owner {
			ch = append(ch, o.AddrID)
		} else {
			other++
		}
	}
	if spendable < 2 || other == 0 || len(ch) == 0 {
		return ch
	}
	c.txs[n] = ch
	c.total += len(ch)
	return ch
}

// changeTally counts one detector's picks.
type changeTally struct {
	rule              string
	detected, correct int
}

// pick scores the detector's claim that addr is the change of tx n.
func (t *changeTally) pick(c *changeTruth, n storage.TxNum, addr storage.AddrID) {
	ch, ok := c.txs[n]
	if !ok {
		return
	}
	t.detected++
	for _, a := range ch {
		if a == addr {
			t.correct++
			return
		}
	}
}

func (t *changeTally) score(truth int) ChangeScore {
	return ChangeScore{Rule: t.rule, Truth: truth, Detected: t.detected, Correct: t.correct,
		Precision: ratio(uint64(t.correct), uint64(t.detected)), Recall: ratio(uint64(t.correct), uint64(truth))}
}

// scoreChange scores change/1 (at any confidence, at the set's threshold,
// and per rule holding for the chosen output) from the clustering's
// transaction rows, and change-spend/1 by replaying the chain with the
// fingerprints of src's blocks when src is not nil.
func scoreChange(ctx context.Context, db *storage.DB, gen uint32, set *Set, c *changeTruth, src BlockReader) ([]ChangeScore, error) {
	all := changeTally{rule: change.Name}
	policy := changeTally{rule: fmt.Sprintf("%s confidence >= %d", change.Name, set.ChangeMin)}
	var byRule []changeTally
	for r := change.Rules(1); r != 0 && r <= change.OneTime; r <<= 1 {
		byRule = append(byRule, changeTally{rule: change.Name + " " + r.String()})
	}
	kinds := map[storage.TxNum]coinjoin.Kinds{}
	var err error
	if cerr := db.ClusterTxs(gen, func(n storage.TxNum, t storage.TxHeuristics) bool {
		kinds[n] = coinjoin.Kinds(t.CoinJoin)
		if !t.HasChange {
			return true
		}
		if _, ok := c.txs[n]; !ok {
			return true
		}
		outs, oerr := db.Outputs(n)
		if oerr != nil {
			err = oerr
			return false
		}
		if int(t.ChangeVout) >= len(outs) {
			err = fmt.Errorf("tx %d: change output %d of %d outputs", n, t.ChangeVout, len(outs))
			return false
		}
		a := outs[t.ChangeVout].AddrID
		all.pick(c, n, a)
		if t.ChangeConfidence >= set.ChangeMin {
			policy.pick(c, n, a)
		}
		for i := range byRule {
			if change.Rules(t.ChangeRules)&(1<<i) != 0 {
				byRule[i].pick(c, n, a)
			}
		}
		return true
	}); cerr != nil {
		return nil, cerr
	}
	if err != nil {
		return nil, err
	}
	out := []ChangeScore{all.score(c.total), policy.score(c.total)}
	for i := range byRule {
		out = append(out, byRule[i].score(c.total))
	}
	if src == nil {
		return out, nil
	}
	spend := changeTally{rule: ChangeSpend.String()}
	tip, _, err := db.Tip(indexer.ChainIndexName)
	if err != nil {
		return nil, err
	}
	m := &memState{pending: map[storage.TxNum]storage.SpendPlan{}}
	noClass := func(storage.AddrID) (bitcoinClass, error) { return 0, nil }
	var links []link
	for h := uint32(0); h <= tip.Height; h++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		cb, err := indexer.LoadConnectedBlock(db, h)
		if err != nil {
			return nil, err
		}
		fps, err := blockFingerprints(ctx, src, cb)
		if err != nil {
			return nil, err
		}
		err = forEachTx(cb, noClass, func(tx *heuristics.Tx, _ []storage.AddrID) error {
			var err error
			links, err = spendChange(m, tx, fps[tx.Num-cb.Block.FirstTxNum], kinds[tx.Num] != 0, links[:0])
			for _, l := range links {
				spend.pick(c, l.ev.TxNum, l.b)
			}
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return append(out, spend.score(c.total)), nil
}
