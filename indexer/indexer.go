package indexer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spoorhq/spoor/chains/bitcoin"
	"github.com/spoorhq/spoor/storage"
)

// Indexer keeps a Bitcoin index in step with a source.
type Indexer struct {
	cfg     Config
	db      *storage.DB
	src     Source
	w       *chainWriter
	indexes []Index

	batch      *storage.Batch // pending writes of whole blocks, or nil
	batchStart time.Time
	srcTip     int32
	target     int32  // last height of the current sync
	keys       uint64 // keys committed since New
	stalls     int    // rounds in a row that connected nothing
}

// New returns an indexer writing to db from src. indexes are the indexes
// built on the chain tables; the address index is always one of them.
func New(db *storage.DB, src Source, cfg Config, indexes ...Index) (*Indexer, error) {
	cfg.EnsureDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(indexes) == 0 {
		indexes = []Index{AddrIndex{}}
	}
	ix := &Indexer{cfg: cfg, db: db, src: src, indexes: indexes}
	if err := ix.load(); err != nil {
		return nil, err
	}
	return ix, nil
}

// load reads the committed state into a fresh writer.
func (ix *Indexer) load() error {
	state, err := ix.db.State()
	if err != nil {
		return err
	}
	tip, ok, err := ix.db.Tip(ChainIndexName)
	if err != nil {
		return err
	}
	ix.w = &chainWriter{db: ix.db, state: state, tip: tip, hasTip: ok,
		utxos: newUTXOCache(ix.cfg.UTXOCacheTxs), addrs: newAddrCache(ix.cfg.AddrCacheEntries)}
	return nil
}

// Height returns the height of the last committed block, or -1.
func (ix *Indexer) Height() int32 { return ix.w.tipHeight() }

// Run indexes the source's chain up to its tip (less the lag), following
// reorganizations, and returns; with Follow set it keeps going until ctx is
// cancelled and then returns nil. Everything committed before an error or
// cancellation stays committed.
func (ix *Indexer) Run(ctx context.Context) error {
	if err := ix.catchUpIndexes(ctx); err != nil {
		return err
	}
	log := ix.cfg.Logger
	for {
		caughtUp, err := ix.step(ctx)
		if err != nil {
			if ix.cfg.Follow && ctx.Err() != nil {
				return nil
			}
			var se *sourceError
			if !ix.cfg.Follow || !errors.As(err, &se) {
				return err
			}
			// A follower outlives a node that restarts, reorganizes under
			// it or is briefly unreachable: everything before the failure
			// is committed, and the next round starts from there.
			log.Warn("source failed; retrying", "err", err, "height", ix.Height(), "retry_in", ix.cfg.PollInterval)
			caughtUp = true
		}
		if caughtUp && !ix.cfg.Follow {
			log.Info("index is at the source's tip", "height", ix.Height())
			return nil
		}
		if !caughtUp {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(ix.cfg.PollInterval):
		}
	}
}

// step brings the index one round closer to the source: it rewinds past a
// reorganization if there is one, then connects blocks up to the target.
// It reports whether the index reached the target.
func (ix *Indexer) step(ctx context.Context) (bool, error) {
	srcTip, _, err := ix.src.Tip(ctx)
	if err != nil {
		return false, &sourceError{fmt.Errorf("source tip: %w", err)}
	}
	ix.srcTip = srcTip
	if m := ix.cfg.Metrics; m != nil {
		m.sourceHeight.Set(float64(srcTip))
	}
	if err := ix.rewind(ctx, srcTip); err != nil {
		return false, err
	}
	target := srcTip - ix.cfg.Lag
	if ix.cfg.StopHeight > 0 && ix.cfg.StopHeight < target {
		target = ix.cfg.StopHeight
	}
	from := ix.Height() + 1
	if from > target {
		return true, nil
	}
	ix.target = target
	ix.cfg.Logger.Info("indexing", "from", from, "to", target, "source_tip", srcTip)
	err = ix.sync(ctx, from, target)
	var nc *errNotConnecting
	if errors.As(err, &nc) {
		// Usually the source reorganized while we read it, and the next
		// round's rewind takes care of it. A source that keeps serving a
		// block that does not build on its own previous block is broken.
		if ix.Height() >= from {
			ix.stalls = 0
		}
		ix.stalls++
		if ix.stalls > maxStalls {
			return false, fmt.Errorf("the source keeps serving a block that does not build on its own chain: %w", err)
		}
		ix.cfg.Logger.Warn("source reorganized during sync", "detail", nc.Error())
		if ix.stalls > 1 {
			select {
			case <-ctx.Done():
				return false, ctx.Err()
			case <-time.After(ix.cfg.PollInterval):
			}
		}
		return false, nil
	}
	if err != nil {
		return false, err
	}
	ix.stalls = 0
	return ix.Height() >= target, nil
}

// maxStalls is how many rounds in a row may fail to connect a block before
// the source is declared broken.
const maxStalls = 10

// sync connects the blocks from..to. If connecting a block fails, the
// blocks before it are connected and committed and the error is returned.
func (ix *Indexer) sync(ctx context.Context, from, to int32) error {
	failed := int32(-1)
	err := fetchOrdered(ctx, ix.src, from, to, ix.cfg.Workers, ix.cfg.Window, func(blk *bitcoin.Block) error {
		if err := ix.connect(blk); err != nil {
			failed = blk.Height
			return err
		}
		return nil
	})
	if failed < 0 {
		// Only whole blocks are pending: keep them.
		return errors.Join(err, ix.commit(true))
	}
	// The batch holds part of the failed block: drop it, reload, and redo
	// the good blocks before it.
	ix.discard()
	if lerr := ix.load(); lerr != nil {
		return errors.Join(err, lerr)
	}
	if good := failed - 1; good > ix.Height() {
		if rerr := ix.sync(ctx, ix.Height()+1, good); rerr != nil {
			return errors.Join(err, rerr)
		}
	}
	return err
}

// connect writes one block and its indexes into the pending batch and
// commits when the mode says so.
func (ix *Indexer) connect(blk *bitcoin.Block) error {
	if ix.batch == nil {
		ix.batch = ix.db.NewBatch()
		ix.batchStart = time.Now()
	}
	cb, err := ix.w.connect(ix.batch, blk)
	if err != nil {
		return err
	}
	for _, idx := range ix.indexes {
		if err := idx.ConnectBlock(ix.batch, cb); err != nil {
			return fmt.Errorf("index %s: block %s at height %d: %w", idx.Name(), blk.Hash, blk.Height, err)
		}
	}
	if m := ix.cfg.Metrics; m != nil {
		m.blocks.Inc()
		m.txs.Add(float64(len(blk.Txs)))
	}
	// Near the tip every block is its own commit, so that it is visible at
	// once; it is synced when it is the last block the source has. Below
	// the finality depth blocks share batches. A commit without sync
	// survives a crash of the process (kill -9), not of the machine.
	bulk := blk.Height < ix.srcTip-ix.cfg.FinalityDepth
	switch {
	case !bulk:
		return ix.commit(blk.Height >= ix.target)
	case ix.batch.Len() >= ix.cfg.BulkBatchBytes || time.Since(ix.batchStart) >= ix.cfg.BulkCommitInterval:
		return ix.commit(false)
	}
	return nil
}

// commit commits the pending batch, if any.
func (ix *Indexer) commit(sync bool) error {
	if ix.batch == nil {
		return nil
	}
	// The batch holds whole blocks; the state and the tips of the chain
	// tables and of every index move to its last block in the same commit.
	ix.batch.PutState(&ix.w.state)
	ix.batch.PutTip(ChainIndexName, ix.w.tip)
	for _, idx := range ix.indexes {
		ix.batch.PutTip(idx.Name(), ix.w.tip)
	}
	start := time.Now()
	count := ix.batch.Count()
	err := ix.batch.Commit(sync)
	_ = ix.batch.Close()
	ix.batch = nil
	for _, idx := range ix.indexes {
		notifyCommitted(idx, err == nil)
	}
	if err != nil {
		return err
	}
	ix.keys += uint64(count)
	ix.w.utxos.committed()
	ix.w.addrs.committed()
	if m := ix.cfg.Metrics; m != nil {
		m.commitTime.Observe(time.Since(start).Seconds())
		m.height.Set(float64(ix.Height()))
		m.cacheHits.Add(float64(ix.w.utxos.hits))
		m.cacheMisses.Add(float64(ix.w.utxos.misses))
	}
	ix.w.utxos.hits, ix.w.utxos.misses = 0, 0
	if ix.cfg.OnCommit != nil {
		ix.cfg.OnCommit(Progress{Height: ix.Height(), SourceHeight: ix.srcTip, Txs: ix.w.state.Txs, Keys: ix.keys, Bulk: !sync})
	}
	return nil
}

func (ix *Indexer) discard() {
	if ix.batch != nil {
		_ = ix.batch.Close()
		ix.batch = nil
		for _, idx := range ix.indexes {
			notifyCommitted(idx, false)
		}
	}
}

// ParseOnly runs the fetch and decode stages over heights from..to with
// the given parallelism and writes nothing. It returns the number of
// transactions decoded: the reference the full index's speed is compared
// with.
func ParseOnly(ctx context.Context, src Source, from, to int32, workers int) (uint64, error) {
	var txs uint64
	err := fetchOrdered(ctx, src, from, to, workers, 8*workers, func(b *bitcoin.Block) error {
		txs += uint64(len(b.Txs))
		return nil
	})
	return txs, err
}
