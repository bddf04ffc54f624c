package ethereum

import (
	"context"
	"errors"
	"fmt"
	"time"

	chain "github.com/spoorhq/spoor/chains/ethereum"
	"github.com/spoorhq/spoor/storage"
)

// Indexer keeps an Ethereum index in step with a source.
type Indexer struct {
	cfg   Config
	db    *storage.DB
	src   Source
	logs  *chain.LogDecoder
	metas *metaCache
	w     *writer

	batch      *storage.Batch // pending writes of whole blocks, or nil
	batchStart time.Time
	srcTip     int64
	target     int64
	keys       uint64
	stalls     int
	caughtUp   bool // the indexes were caught up with the chain tables
}

// New returns an indexer writing to db (an index opened with chain
// "ethereum") from src.
func New(db *storage.DB, src Source, cfg Config) (*Indexer, error) {
	cfg.EnsureDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ix := &Indexer{cfg: cfg, db: db, src: src, logs: chain.NewLogDecoder(cfg.WETH...), metas: newMetaCache()}
	if err := ix.load(); err != nil {
		return nil, err
	}
	return ix, nil
}

// load reads the committed state into a fresh writer.
func (ix *Indexer) load() error {
	state, err := ix.db.EthState()
	if err != nil {
		return err
	}
	tip, ok, err := ix.db.Tip(ChainIndexName)
	if err != nil {
		return err
	}
	from := ix.cfg.From
	if ok || state.Blocks > 0 {
		// A resumed index starts where it stopped, whatever --from says.
		from = uint64(tip.Height) + 1 - state.Blocks
	}
	ix.w = &writer{db: ix.db, log: ix.cfg.Logger, from: from, state: state, tip: tip, hasTip: ok, maxAddrs: ix.cfg.AddrCacheEntries}
	ix.w.resetCaches()
	return nil
}

// Height returns the height of the last committed block, or the start
// height less one for an empty index.
func (ix *Indexer) Height() int64 { return ix.w.tipHeight() }

// State returns the index's state after the last connected block.
func (ix *Indexer) State() storage.EthState { return ix.w.state }

// Run indexes the source's chain up to its tip (less the lag), following
// reorganizations, and returns; with Follow set it keeps going until ctx
// is cancelled and then returns nil. Everything committed before an error
// or cancellation stays committed, and no block is ever committed in part.
func (ix *Indexer) Run(ctx context.Context) error {
	log := ix.cfg.Logger
	if !ix.caughtUp {
		if err := ix.catchUpIndexes(ctx); err != nil {
			return err
		}
		ix.caughtUp = true
	}
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

// step rewinds past a reorganization if there is one, then connects
// blocks up to the target, and reports whether it reached it.
func (ix *Indexer) step(ctx context.Context) (bool, error) {
	srcTip, _, err := ix.src.Tip(ctx)
	if err != nil {
		return false, &sourceError{fmt.Errorf("source tip: %w", err)}
	}
	ix.srcTip = int64(srcTip)
	if m := ix.cfg.Metrics; m != nil {
		m.sourceHeight.Set(float64(srcTip))
	}
	if err := ix.rewind(ctx, ix.srcTip); err != nil {
		return false, err
	}
	target := ix.srcTip - ix.cfg.Lag
	if ix.cfg.StopHeight > 0 && ix.cfg.StopHeight < target {
		target = ix.cfg.StopHeight
	}
	from := ix.Height() + 1
	if from > target {
		return true, nil
	}
	ix.target = target
	ix.cfg.Logger.Info("indexing", "from", from, "to", target, "source_tip", ix.srcTip)
	err = ix.sync(ctx, uint64(from), uint64(target))
	var nc *errNotConnecting
	if errors.As(err, &nc) {
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

// sync connects the blocks from..to. If a block fails, the blocks before
// it are committed, nothing of it is, and the error is returned.
func (ix *Indexer) sync(ctx context.Context, from, to uint64) error {
	failed := int64(-1)
	prep := func(ctx context.Context, n uint64) (*prepared, error) {
		return prepare(ctx, ix.src, ix.logs, ix.metas, n)
	}
	err := fetchOrdered(ctx, from, to, ix.cfg.Workers, ix.cfg.Window, prep, func(p *prepared) error {
		if err := ix.connect(p); err != nil {
			failed = int64(p.blk.Number)
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
		if rerr := ix.sync(ctx, uint64(ix.Height()+1), uint64(good)); rerr != nil {
			return errors.Join(err, rerr)
		}
	}
	return err
}

// connect writes one block into the pending batch and commits when the
// mode says so.
func (ix *Indexer) connect(p *prepared) error {
	if ix.batch == nil {
		ix.batch = ix.db.NewBatch()
		ix.batchStart = time.Now()
	}
	txs, transfers := ix.w.state.Txs, ix.w.state.Transfers
	var blk *Block
	if len(ix.cfg.Indexes) > 0 {
		blk = &Block{}
	}
	if err := ix.w.connect(ix.batch, p, blk); err != nil {
		return err
	}
	for _, idx := range ix.cfg.Indexes {
		if err := idx.ConnectBlock(ix.batch, blk); err != nil {
			return fmt.Errorf("index %s: block %d: %w", idx.Name(), blk.Height, err)
		}
	}
	if m := ix.cfg.Metrics; m != nil {
		m.blocks.Inc()
		m.txs.Add(float64(ix.w.state.Txs - txs))
		m.transfers.Add(float64(ix.w.state.Transfers - transfers))
	}
	bulk := int64(p.blk.Number) < ix.srcTip-ix.cfg.FinalityDepth
	switch {
	case !bulk:
		return ix.commit(int64(p.blk.Number) >= ix.target)
	case ix.batch.Len() >= ix.cfg.BulkBatchBytes || time.Since(ix.batchStart) >= ix.cfg.BulkCommitInterval:
		return ix.commit(false)
	}
	return nil
}

// commit commits the pending batch, with the state and both tips.
func (ix *Indexer) commit(sync bool) error {
	if ix.batch == nil {
		return nil
	}
	ix.batch.PutEthState(&ix.w.state)
	ix.batch.PutTip(ChainIndexName, ix.w.tip)
	ix.batch.PutTip(AddrIndexName, ix.w.tip)
	for _, idx := range ix.cfg.Indexes {
		ix.batch.PutTip(idx.Name(), ix.w.tip)
	}
	count := ix.batch.Count()
	start := time.Now()
	err := ix.batch.Commit(sync)
	_ = ix.batch.Close()
	ix.batch = nil
	for _, idx := range ix.cfg.Indexes {
		notifyCommitted(idx, err == nil)
	}
	if err != nil {
		return err
	}
	ix.keys += uint64(count)
	ix.w.committed()
	if m := ix.cfg.Metrics; m != nil {
		m.commitTime.Observe(time.Since(start).Seconds())
		m.height.Set(float64(ix.Height()))
	}
	if ix.cfg.OnCommit != nil {
		ix.cfg.OnCommit(Progress{Height: ix.Height(), SourceHeight: ix.srcTip, Txs: ix.w.state.Txs,
			Transfers: ix.w.state.Transfers, Keys: ix.keys, Bulk: !sync})
	}
	return nil
}

// discard drops the pending batch, and tells the indexes so.
func (ix *Indexer) discard() {
	if ix.batch != nil {
		_ = ix.batch.Close()
		ix.batch = nil
		for _, idx := range ix.cfg.Indexes {
			notifyCommitted(idx, false)
		}
	}
}

// FetchOnly fetches and decodes the blocks from..to with the indexer's
// parallelism and writes nothing. It returns the transactions and edges
// seen: the reference the full index's speed is compared with.
func FetchOnly(ctx context.Context, src Source, from, to uint64, workers int) (txs, edges uint64, err error) {
	logs, metas := chain.NewLogDecoder(), newMetaCache()
	prep := func(ctx context.Context, n uint64) (*prepared, error) { return prepare(ctx, src, logs, metas, n) }
	err = fetchOrdered(ctx, from, to, workers, 8*workers, prep, func(p *prepared) error {
		txs += uint64(len(p.blk.Txs))
		edges += uint64(p.dec.Edges())
		return nil
	})
	return txs, edges, err
}

// catchUpIndexes brings every index whose tip lags the chain tables up to
// the chain's tip from the stored blocks.
func (ix *Indexer) catchUpIndexes(ctx context.Context) error {
	if !ix.w.hasTip {
		return nil
	}
	for _, idx := range ix.cfg.Indexes {
		if err := catchUp(ctx, ix.db, idx, uint32(ix.w.from), ix.w.tip, ix.cfg.BulkBatchBytes, ix.cfg.Logger); err != nil {
			return err
		}
	}
	return nil
}
