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
	inflight   *inflight
	observed   bool // an index observes commits: no commit in the background
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
	for _, idx := range indexes {
		if _, ok := idx.(BatchObserver); ok {
			ix.observed = true
		}
	}
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
		utxos: newUTXOCache(ix.cfg.UTXOCacheTxs), addrs: newAddrCache(ix.cfg.AddrCacheEntries, state.NextAddrID <= 1)}
	return ix.preloadAddrs()
}

// preloadAddrs fills the address cache with every address of an index
// small enough for the cache to hold them all with room to grow, so that
// a restarted bulk load numbers new addresses without reading, as a fresh
// one does. Reading the address table in order costs far less than the
// point reads it saves.
func (ix *Indexer) preloadAddrs() error {
	c := ix.w.addrs
	if c.complete || ix.w.state.Addresses == 0 || ix.w.state.Addresses > uint64(c.capacity/4) {
		return nil
	}
	err := ix.db.Addresses(context.Background(), func(class uint8, payload []byte, id storage.AddrID) bool {
		c.put(class, payload, id)
		return true
	})
	if err != nil {
		c.reset(false)
		return fmt.Errorf("load the address table: %w", err)
	}
	c.complete = uint64(c.young.len()) == ix.w.state.Addresses
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
	err = errors.Join(err, ix.discard())
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
	// Near the tip every block is its own commit, so that it is visible at
	// once; it is synced when it is the last block the source has. Below
	// the finality depth blocks share bulk batches, which are written as
	// sorted tables and ingested: history is loaded without the write-ahead
	// log and the memtables.
	bulk := blk.Height < ix.srcTip-ix.cfg.FinalityDepth
	if ix.batch == nil {
		if bulk && !ix.cfg.NoIngest {
			// A batch ends with the block that takes it past its bound.
			ix.batch = ix.db.NewBulkBatch(ix.cfg.BulkBatchBytes + ix.cfg.BulkBatchBytes/4)
		} else {
			ix.batch = ix.db.NewBatch()
		}
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
	switch {
	case !bulk:
		return ix.commit(blk.Height >= ix.target)
	case ix.batch.Len() >= ix.cfg.BulkBatchBytes || time.Since(ix.batchStart) >= ix.cfg.BulkCommitInterval:
		return ix.commit(false)
	}
	return nil
}

// commit commits the pending batch, if any. A bulk batch below the tip is
// committed in the background while the writer fills the next one, unless
// an index must see each commit before it writes again (a BatchObserver);
// at most one commit is in flight, and any other commit first waits for
// it.
func (ix *Indexer) commit(sync bool) error {
	if ix.batch == nil {
		return ix.wait()
	}
	// The batch holds whole blocks; the state and the tips of the chain
	// tables and of every index move to its last block in the same commit.
	b := ix.batch
	ix.batch = nil
	b.PutState(&ix.w.state)
	b.PutTip(ChainIndexName, ix.w.tip)
	for _, idx := range ix.indexes {
		b.PutTip(idx.Name(), ix.w.tip)
	}
	c := &inflight{batch: b, count: b.Count(), start: time.Now(), bulk: !sync,
		height: ix.Height(), txs: ix.w.state.Txs}
	if err := ix.wait(); err != nil {
		_ = b.Close()
		for _, idx := range ix.indexes {
			notifyCommitted(idx, false)
		}
		return err
	}
	if !sync && b.Bulk() && !ix.observed {
		c.done = make(chan error, 1)
		go func() { c.done <- b.Commit(false) }()
		ix.inflight = c
		return nil
	}
	return ix.finish(c, b.Commit(sync))
}

// inflight is a commit and what to report once it is done.
type inflight struct {
	batch  *storage.Batch
	done   chan error // nil for a commit made in the writer's goroutine
	count  uint32
	start  time.Time
	bulk   bool
	height int32
	txs    uint64
}

// wait waits for the commit in flight, if any, and reports it.
func (ix *Indexer) wait() error {
	c := ix.inflight
	if c == nil {
		return nil
	}
	ix.inflight = nil
	return ix.finish(c, <-c.done)
}

// finish does what follows a commit: the indexes learn its outcome, and
// after a success the caches may forget what is now committed, and the
// metrics and the progress callback see the new height.
func (ix *Indexer) finish(c *inflight, err error) error {
	_ = c.batch.Close()
	for _, idx := range ix.indexes {
		notifyCommitted(idx, err == nil)
	}
	if err != nil {
		return err
	}
	ix.keys += uint64(c.count)
	ix.w.utxos.committed()
	ix.w.addrs.committed()
	if m := ix.cfg.Metrics; m != nil {
		m.commitTime.Observe(time.Since(c.start).Seconds())
		m.height.Set(float64(c.height))
		m.cacheHits.Add(float64(ix.w.utxos.hits))
		m.cacheMisses.Add(float64(ix.w.utxos.misses))
	}
	ix.w.utxos.hits, ix.w.utxos.misses = 0, 0
	if ix.cfg.OnCommit != nil {
		ix.cfg.OnCommit(Progress{Height: c.height, SourceHeight: ix.srcTip, Txs: c.txs, Keys: ix.keys, Bulk: c.bulk})
	}
	return nil
}

// discard drops the pending batch, after waiting for the commit in flight,
// whose error it returns.
func (ix *Indexer) discard() error {
	err := ix.wait()
	if ix.batch != nil {
		_ = ix.batch.Close()
		ix.batch = nil
		for _, idx := range ix.indexes {
			notifyCommitted(idx, false)
		}
	}
	return err
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
