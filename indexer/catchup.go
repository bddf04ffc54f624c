package indexer

import (
	"context"
	"fmt"
)

// catchUpIndexes brings every index whose tip lags the chain tables up to
// the chain's tip by replaying committed blocks from storage.
func (ix *Indexer) catchUpIndexes(ctx context.Context) error {
	chainTip := ix.Height()
	for _, idx := range ix.indexes {
		tip, ok, err := ix.db.Tip(idx.Name())
		if err != nil {
			return err
		}
		from := int32(0)
		if ok {
			if int32(tip.Height) > chainTip {
				return fmt.Errorf("index %s is at height %d, above the chain tables' tip %d", idx.Name(), tip.Height, chainTip)
			}
			rec, err := ix.db.Block(tip.Height)
			if err != nil {
				return err
			}
			if rec.Hash != tip.Hash {
				return fmt.Errorf("index %s is at a block that is no longer on the chain (height %d); rebuild it", idx.Name(), tip.Height)
			}
			from = int32(tip.Height) + 1
		}
		if from > chainTip {
			continue
		}
		ix.cfg.Logger.Info("catching up index", "index", idx.Name(), "from", from, "to", chainTip)
		b := ix.db.NewBatch()
		for h := from; h <= chainTip; h++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			cb, err := loadConnectedBlock(ix.db, uint32(h))
			if err != nil {
				return err
			}
			if err := idx.ConnectBlock(b, cb); err != nil {
				return fmt.Errorf("index %s: height %d: %w", idx.Name(), h, err)
			}
			b.PutTip(idx.Name(), cb.Tip())
			if b.Len() >= ix.cfg.BulkBatchBytes || h == chainTip {
				if err := b.Commit(h == chainTip); err != nil {
					return err
				}
				_ = b.Close()
				b = ix.db.NewBatch()
			}
		}
		_ = b.Close()
	}
	return nil
}
