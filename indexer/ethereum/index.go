package ethereum

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/spoorhq/spoor/storage"
)

// Block is a connected block as an Index sees it: its record and its
// transactions with their transfer edges, numbered as the chain tables
// number them. The system transaction holding the block's withdrawals and
// rewards, when there is one, comes last.
type Block struct {
	Height uint32
	Record storage.EthBlockRecord
	Txs    []Tx
	// Addrs are the addresses first seen in the block, numbered from
	// Record.FirstAddrID on.
	Addrs [][20]byte
}

// Tx is one transaction of a Block.
type Tx struct {
	Num       storage.TxNum
	Record    storage.EthTxRecord
	Transfers []storage.EthTransferRecord
}

// Tip returns the block as an index tip.
func (b *Block) Tip() storage.Tip { return storage.Tip{Height: b.Height, Hash: b.Record.Hash} }

// Index is an index built from the Ethereum chain tables, such as a
// clustering. The indexer connects every block to every index in the same
// batch as the block itself, records each index's tip there too, and
// disconnects blocks from the indexes in the batch that disconnects them
// from the chain tables. An index whose tip lags the chain tables (one
// added to an existing index) is caught up from the stored blocks before
// new blocks arrive.
type Index interface {
	// Name identifies the index; its tip is stored under this name.
	Name() string
	// ConnectBlock adds the block's rows to b.
	ConnectBlock(b *storage.Batch, blk *Block) error
	// DisconnectBlock removes exactly the rows ConnectBlock added for blk,
	// the tip block of the index.
	DisconnectBlock(b *storage.Batch, blk *Block) error
}

// BatchObserver is implemented by an index that must know when the batch
// holding its writes is committed or dropped. Reads go to the committed
// database and one batch may hold many blocks, so such an index keeps its
// uncommitted writes in memory and may drop them only once the batch is
// committed; a dropped batch means they must be forgotten.
type BatchObserver interface {
	// Committed is called after a batch holding the index's writes has
	// been committed.
	Committed()
	// Discarded is called after a batch holding the index's writes has
	// been dropped without being committed.
	Discarded()
}

// notifyCommitted tells idx, if it observes batches, that its writes are
// committed (ok) or dropped.
func notifyCommitted(idx Index, ok bool) {
	o, is := idx.(BatchObserver)
	switch {
	case !is:
	case ok:
		o.Committed()
	default:
		o.Discarded()
	}
}

// LoadBlock reads the committed block at height h from the chain tables.
func LoadBlock(db *storage.DB, h uint32) (*Block, error) {
	rec, err := db.EthBlock(h)
	if err != nil {
		return nil, err
	}
	n := int(rec.NumTx)
	if rec.System {
		n++
	}
	blk := &Block{Height: h, Record: rec, Txs: make([]Tx, n)}
	next := storage.AddrID(0)
	if after, err := db.EthBlock(h + 1); err == nil {
		next = after.FirstAddrID
	} else if !errors.Is(err, storage.ErrNotFound) {
		return nil, err
	} else {
		st, err := db.EthState()
		if err != nil {
			return nil, err
		}
		next = st.NextAddrID
	}
	for id := rec.FirstAddrID; id < next; id++ {
		a, err := db.EthAddress(id)
		if err != nil {
			return nil, fmt.Errorf("block %d: %w", h, err)
		}
		blk.Addrs = append(blk.Addrs, a)
	}
	for i := range blk.Txs {
		tx := &blk.Txs[i]
		tx.Num = rec.FirstTxNum + storage.TxNum(i)
		if tx.Record, err = db.EthTx(tx.Num); err != nil {
			return nil, fmt.Errorf("block %d: %w", h, err)
		}
		if tx.Record.Transfers > 0 {
			if tx.Transfers, err = db.EthTransfers(tx.Num); err != nil {
				return nil, fmt.Errorf("block %d: %w", h, err)
			}
		}
	}
	return blk, nil
}

// CatchUp brings idx up to the tip of the chain tables in db by replaying
// the stored blocks above its tip, committing every batchBytes (32 MiB
// when 0). The indexer does it at start for every index it was given; it
// is exported for callers that build an index without a source, such as a
// clustering built beside the active one.
func CatchUp(ctx context.Context, db *storage.DB, idx Index, batchBytes int, log *slog.Logger) error {
	if batchBytes <= 0 {
		batchBytes = 32 << 20
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	tip, ok, err := db.Tip(ChainIndexName)
	if err != nil || !ok {
		return err
	}
	st, err := db.EthState()
	if err != nil {
		return err
	}
	first := tip.Height + 1 - uint32(st.Blocks)
	return catchUp(ctx, db, idx, first, tip, batchBytes, log)
}

// catchUp replays the stored blocks above idx's tip (from first, the
// index's first height, when idx has none) up to chainTip.
func catchUp(ctx context.Context, db *storage.DB, idx Index, first uint32, chainTip storage.Tip, batchBytes int, log *slog.Logger) error {
	tip, ok, err := db.Tip(idx.Name())
	if err != nil {
		return err
	}
	from := first
	if ok {
		if tip.Height > chainTip.Height {
			return fmt.Errorf("index %s is at height %d, above the chain tables' tip %d", idx.Name(), tip.Height, chainTip.Height)
		}
		rec, err := db.EthBlock(tip.Height)
		if err != nil {
			return fmt.Errorf("index %s: %w", idx.Name(), err)
		}
		if rec.Hash != tip.Hash {
			return fmt.Errorf("index %s is at a block that is no longer on the chain (height %d); rebuild it", idx.Name(), tip.Height)
		}
		from = tip.Height + 1
	}
	if from > chainTip.Height {
		return nil
	}
	log.Info("catching up index", "index", idx.Name(), "from", from, "to", chainTip.Height)
	b := db.NewBatch()
	for h := from; h <= chainTip.Height; h++ {
		if err := ctx.Err(); err != nil {
			_ = b.Close()
			notifyCommitted(idx, false)
			return err
		}
		blk, err := LoadBlock(db, h)
		if err == nil {
			err = idx.ConnectBlock(b, blk)
		}
		if err != nil {
			_ = b.Close()
			notifyCommitted(idx, false)
			return fmt.Errorf("index %s: height %d: %w", idx.Name(), h, err)
		}
		b.PutTip(idx.Name(), blk.Tip())
		if b.Len() >= batchBytes || h == chainTip.Height {
			err := b.Commit(h == chainTip.Height)
			_ = b.Close()
			notifyCommitted(idx, err == nil)
			if err != nil {
				return err
			}
			b = db.NewBatch()
		}
	}
	_ = b.Close()
	return nil
}
