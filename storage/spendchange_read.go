package storage

import (
	"errors"

	"github.com/cockroachdb/pebble/v2"
)

// SpendPlan returns the pending plan of transaction n in generation gen,
// and false if it has none.
func (db *DB) SpendPlan(gen uint32, n TxNum) (SpendPlan, bool, error) {
	v, err := db.get(MakeSpendPlanKey(gen, n).Encode(nil))
	if errors.Is(err, ErrNotFound) {
		return SpendPlan{}, false, nil
	}
	if err != nil {
		return SpendPlan{}, false, err
	}
	p, err := DecodeSpendPlan(v)
	return p, err == nil, err
}

// SpendPlanUndos calls fn, in transaction order, with every plan the block
// at height h changed and the plan as it was before the block (had false:
// it had none).
func (db *DB) SpendPlanUndos(gen, h uint32, fn func(n TxNum, before SpendPlan, had bool) error) error {
	lo := spendPlanUndoPrefix(gen, h)
	it, err := db.pdb.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: prefixUpperBound(lo)})
	if err != nil {
		return err
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		k, err := DecodeSpendPlanUndoKey(it.Key())
		if err != nil {
			return err
		}
		var p SpendPlan
		had := len(it.Value()) > 0
		if had {
			if p, err = DecodeSpendPlan(it.Value()); err != nil {
				return err
			}
		}
		if err := fn(k.TxNum, p, had); err != nil {
			return err
		}
	}
	return it.Error()
}
