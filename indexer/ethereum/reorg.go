package ethereum

import (
	"context"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/spoorhq/spoor/storage"
)

// rewind disconnects blocks from the tip until the index's tip is on the
// source's chain, whose tip is at srcTip.
func (ix *Indexer) rewind(ctx context.Context, srcTip int64) error {
	if !ix.w.hasTip {
		return nil
	}
	tip := ix.Height()
	first := int64(ix.w.from)
	fork := min(tip, srcTip)
	for ; fork >= first; fork-- {
		rec, err := ix.db.EthBlock(uint32(fork))
		if err != nil {
			return err
		}
		hash, err := ix.src.HashAt(ctx, uint64(fork))
		if err != nil {
			return &sourceError{fmt.Errorf("source hash at height %d: %w", fork, err)}
		}
		if hash == common.Hash(rec.Hash) {
			break
		}
		if tip-fork >= ix.cfg.MaxReorgDepth {
			return fmt.Errorf("the source's chain differs from the index below height %d (more than %d blocks deep): is it the same network? refusing to disconnect",
				fork, ix.cfg.MaxReorgDepth)
		}
	}
	if fork == min(tip, srcTip) {
		if srcTip < tip {
			ix.cfg.Logger.Warn("the source is behind the index; waiting for it", "source_tip", srcTip, "index_tip", tip)
		}
		return nil
	}
	if fork < first {
		return fmt.Errorf("the source's block at height %d differs from the index's first block: it serves another chain", first)
	}
	ix.cfg.Logger.Warn("reorganization: disconnecting blocks", "from", tip, "to", fork+1, "depth", tip-fork)
	if m := ix.cfg.Metrics; m != nil {
		m.reorgs.Inc()
	}
	for h := tip; h > fork; h-- {
		if err := ix.disconnect(uint32(h)); err != nil {
			return err
		}
	}
	return nil
}

// disconnect removes the tip block at height h in one synced batch,
// restoring the state from its undo record.
func (ix *Indexer) disconnect(h uint32) error {
	if err := ix.commit(true); err != nil {
		return err
	}
	if ix.Height() != int64(h) {
		return fmt.Errorf("disconnect height %d: the tip is %d", h, ix.Height())
	}
	rec, err := ix.db.EthBlock(h)
	if err != nil {
		return fmt.Errorf("disconnect height %d: %w", h, err)
	}
	undo, err := ix.db.EthUndo(h)
	if err != nil {
		return fmt.Errorf("disconnect height %d: %w", h, err)
	}
	var blk *Block
	if len(ix.cfg.Indexes) > 0 {
		if blk, err = LoadBlock(ix.db, h); err != nil {
			return fmt.Errorf("disconnect height %d: %w", h, err)
		}
	}
	b := ix.db.NewBatch()
	defer b.Close()
	for _, idx := range ix.cfg.Indexes {
		if err := idx.DisconnectBlock(b, blk); err != nil {
			return fmt.Errorf("disconnect height %d from index %s: %w", h, idx.Name(), err)
		}
	}
	after := ix.w.state
	if err := b.DeleteEthBlock(h, &rec, &after, &undo); err != nil {
		return err
	}
	var prev storage.Tip
	first := uint32(ix.w.from)
	if h > first {
		prevRec, err := ix.db.EthBlock(h - 1)
		if err != nil {
			return fmt.Errorf("disconnect height %d: %w", h, err)
		}
		prev = storage.Tip{Height: h - 1, Hash: prevRec.Hash}
		b.PutTip(ChainIndexName, prev)
		b.PutTip(AddrIndexName, prev)
		for _, idx := range ix.cfg.Indexes {
			b.PutTip(idx.Name(), prev)
		}
	} else {
		b.DeleteTip(ChainIndexName)
		b.DeleteTip(AddrIndexName)
		for _, idx := range ix.cfg.Indexes {
			b.DeleteTip(idx.Name())
		}
	}
	b.PutEthState(&undo.Before)
	err = b.Commit(true)
	for _, idx := range ix.cfg.Indexes {
		notifyCommitted(idx, err == nil)
	}
	if err != nil {
		return fmt.Errorf("disconnect height %d: %w", h, err)
	}
	ix.w.state = undo.Before
	ix.w.tip, ix.w.hasTip = prev, h > first
	ix.w.resetCaches()
	if m := ix.cfg.Metrics; m != nil {
		m.disconnected.Inc()
		m.height.Set(float64(ix.Height()))
	}
	ix.cfg.Logger.Info("disconnected block", "height", h, "hash", common.Hash(rec.Hash).Hex())
	return nil
}
