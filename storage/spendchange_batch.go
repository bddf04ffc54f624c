package storage

import "fmt"

// PutSpendPlan writes the plan of transaction n.
func (b *Batch) PutSpendPlan(gen uint32, n TxNum, p *SpendPlan) {
	b.key = MakeSpendPlanKey(gen, n).Encode(b.key[:0])
	b.val = p.Encode(b.val[:0])
	b.set(b.key, b.val)
}

// DeleteSpendPlan removes the plan of transaction n.
func (b *Batch) DeleteSpendPlan(gen uint32, n TxNum) {
	b.key = MakeSpendPlanKey(gen, n).Encode(b.key[:0])
	b.del(b.key)
}

// PutSpendPlanUndo records the plan transaction n had before the block at
// height h changed it; before nil means it had none.
func (b *Batch) PutSpendPlanUndo(gen, h uint32, n TxNum, before *SpendPlan) {
	b.key = MakeSpendPlanUndoKey(gen, h, n).Encode(b.key[:0])
	b.val = b.val[:0]
	if before != nil {
		b.val = before.Encode(b.val)
	}
	b.set(b.key, b.val)
}

// DeleteSpendPlanUndos removes every plan undo row of height h.
func (b *Batch) DeleteSpendPlanUndos(gen, h uint32) error {
	lo := spendPlanUndoPrefix(gen, h)
	if err := b.deleteRange(lo, prefixUpperBound(lo)); err != nil {
		return fmt.Errorf("storage: delete spend plan undo rows of height %d: %w", h, err)
	}
	return nil
}
