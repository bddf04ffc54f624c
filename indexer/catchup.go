package indexer

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/spoorhq/spoor/storage"
)

// catchUpIndexes brings every index whose tip lags the chain tables up to
// the chain's tip by replaying committed blocks from storage.
func (ix *Indexer) catchUpIndexes(ctx context.Context) error {
	for _, idx := range ix.indexes {
		if err := catchUp(ctx, ix.db, idx, ix.Height(), ix.cfg.BulkBatchBytes, ix.cfg.Logger); err != nil {
			return err
		}
	}
	return nil
}

// CatchUp brings one index up to the tip of the chain tables in db by
// replaying committed blocks, committing every batchBytes (32 MiB when 0).
// It is what the indexer does at start for every index it was given, for
// callers that build an index without a source, such as a clustering
// built beside the active one.
func CatchUp(ctx context.Context, db *storage.DB, idx Index, batchBytes int, log *slog.Logger) error {
	if batchBytes <= 0 {
		batchBytes = 32 << 20
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	chainTip := int32(-1)
	tip, ok, err := db.Tip(ChainIndexName)
	if err != nil {
		return err
	}
	if ok {
		chainTip = int32(tip.Height)
	}
	return catchUp(ctx, db, idx, chainTip, batchBytes, log)
}

// catchUp replays the committed blocks above idx's tip up to chainTip.
func catchUp(ctx context.Context, db *storage.DB, idx Index, chainTip int32, batchBytes int, log *slog.Logger) error {
	tip, ok, err := db.Tip(idx.Name())
	if err != nil {
		return err
	}
	from := int32(0)
	if ok {
		if int32(tip.Height) > chainTip {
			return fmt.Errorf("index %s is at height %d, above the chain tables' tip %d", idx.Name(), tip.Height, chainTip)
		}
		rec, err := db.Block(tip.Height)
		if err != nil {
			return err
		}
		if rec.Hash != tip.Hash {
			return fmt.Errorf("index %s is at a block that is no longer on the chain (height %d); rebuild it", idx.Name(), tip.Height)
		}
		from = int32(tip.Height) + 1
	}
	if from > chainTip {
		return nil
	}
	log.Info("catching up index", "index", idx.Name(), "from", from, "to", chainTip)
	// The blocks replayed are committed history: their rows are loaded as
	// ingested tables, like history in the chain tables.
	newBatch := func() *storage.Batch { return db.NewBulkBatch(batchBytes + batchBytes/4) }
	b := newBatch()
	for h := from; h <= chainTip; h++ {
		if err := ctx.Err(); err != nil {
			_ = b.Close()
			notifyCommitted(idx, false)
			return err
		}
		cb, err := loadConnectedBlock(db, uint32(h))
		if err == nil {
			err = idx.ConnectBlock(b, cb)
		}
		if err != nil {
			_ = b.Close()
			notifyCommitted(idx, false)
			return fmt.Errorf("index %s: height %d: %w", idx.Name(), h, err)
		}
		b.PutTip(idx.Name(), cb.Tip())
		if b.Len() >= batchBytes || h == chainTip {
			err := b.Commit(h == chainTip)
			_ = b.Close()
			notifyCommitted(idx, err == nil)
			if err != nil {
				return err
			}
			b = newBatch()
		}
	}
	_ = b.Close()
	return nil
}
