package indexer

import (
	"context"
	"fmt"

	"github.com/spoorhq/spoor/storage"
)

// rewind disconnects blocks from the tip until the index's tip is on the
// source's chain, whose tip is at srcTip.
func (ix *Indexer) rewind(ctx context.Context, srcTip int32) error {
	tip := ix.Height()
	if tip < 0 {
		return nil
	}
	// Find the highest height where both chains have the same block. A
	// source that is merely behind the index (a node still syncing, fewer
	// block files) is not a reorganization: the index waits for it.
	fork := min(tip, srcTip)
	for ; fork >= 0; fork-- {
		rec, err := ix.db.Block(uint32(fork))
		if err != nil {
			return err
		}
		hash, err := ix.src.HashAt(ctx, fork)
		if err != nil {
			return &sourceError{fmt.Errorf("source hash at height %d: %w", fork, err)}
		}
		if hash == rec.Hash {
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
	if fork < 0 {
		return fmt.Errorf("the source's genesis block differs from the index's: it serves another chain")
	}
	ix.cfg.Logger.Warn("reorganization: disconnecting blocks", "from", tip, "to", fork+1, "depth", tip-fork)
	for h := tip; h > fork; h-- {
		if err := ix.disconnect(uint32(h)); err != nil {
			return err
		}
	}
	if m := ix.cfg.Metrics; m != nil {
		m.reorgs.Inc()
		m.disconnected.Add(float64(tip - fork))
		m.height.Set(float64(ix.Height()))
	}
	return nil
}

// disconnect removes the tip block at height h from the chain tables and
// every index, in one synced batch, restoring the state from its undo
// record.
func (ix *Indexer) disconnect(h uint32) error {
	if err := ix.commit(true); err != nil {
		return err
	}
	if ix.Height() != int32(h) {
		return fmt.Errorf("disconnect height %d: the tip is %d", h, ix.Height())
	}
	cb, err := loadConnectedBlock(ix.db, h)
	if err != nil {
		return fmt.Errorf("disconnect height %d: %w", h, err)
	}
	undo, err := ix.db.Undo(h)
	if err != nil {
		return fmt.Errorf("disconnect height %d: %w", h, err)
	}
	b := ix.db.NewBatch()
	defer b.Close()
	committed := false
	defer func() {
		for _, idx := range ix.indexes {
			notifyCommitted(idx, committed)
		}
	}()
	var prev storage.Tip
	if h > 0 {
		rec, err := ix.db.Block(h - 1)
		if err != nil {
			return fmt.Errorf("disconnect height %d: %w", h, err)
		}
		prev = storage.Tip{Height: h - 1, Hash: rec.Hash}
	}
	setTip := func(name string) {
		if h > 0 {
			b.PutTip(name, prev)
		} else {
			b.DeleteTip(name)
		}
	}
	for i := len(ix.indexes) - 1; i >= 0; i-- {
		idx := ix.indexes[i]
		if err := idx.DisconnectBlock(b, cb); err != nil {
			return fmt.Errorf("index %s: disconnect height %d: %w", idx.Name(), h, err)
		}
		setTip(idx.Name())
	}
	after := ix.w.state
	if err := b.DeleteChainBlock(h, &cb.Block, &after); err != nil {
		return err
	}
	b.PutState(&undo.Before)
	setTip(ChainIndexName)
	if err := b.Commit(true); err != nil {
		return fmt.Errorf("disconnect height %d: %w", h, err)
	}
	committed = true
	ix.w.state = undo.Before
	ix.w.tip, ix.w.hasTip = prev, h > 0
	ix.w.utxos.reset()
	ix.w.addrs.reset(ix.w.state.NextAddrID <= 1)
	ix.cfg.Logger.Info("disconnected block", "height", h, "hash", fmt.Sprintf("%x", reverse(cb.Block.Hash)))
	return nil
}

// reverse returns a hash in the byte order Bitcoin displays.
func reverse(h [32]byte) [32]byte {
	for i := 0; i < 16; i++ {
		h[i], h[31-i] = h[31-i], h[i]
	}
	return h
}
