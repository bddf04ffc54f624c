package storage

import (
	"context"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// Batch collects the writes of one or more whole blocks. Nothing in it is
// visible to readers until Commit; a Batch that is dropped writes nothing.
// A Batch is not safe for concurrent use.
type Batch struct {
	db   *DB
	b    *pebble.Batch // nil for a bulk batch
	bulk *bulkWriter   // nil for a normal batch
	key  []byte        // scratch for key encoding; writes copy keys and values
	val  []byte
}

// NewBatch returns an empty batch.
func (db *DB) NewBatch() *Batch { return &Batch{db: db, b: db.pdb.NewBatch()} }

// NewBulkBatch returns an empty bulk batch, for loading history. It takes
// the same writes as a normal batch and commits them atomically too, but
// as sorted sstables ingested into the database instead of through the
// write-ahead log and the memtables, which costs a fraction of the work
// for large batches of fresh keys. A committed bulk batch is synced. Use
// large bulk batches: each commit adds a few files to the database.
// sizeHint is the bytes the batch is expected to hold, reserved up front.
func (db *DB) NewBulkBatch(sizeHint int) *Batch {
	db.bulkMu.Lock()
	w := db.bulkPool
	db.bulkPool = nil
	db.bulkMu.Unlock()
	if w == nil {
		w = &bulkWriter{}
	}
	if cap(w.arena) < sizeHint {
		w.arena = make([]byte, 0, sizeHint)
	}
	return &Batch{db: db, bulk: w}
}

// Bulk reports whether b is a bulk batch.
func (b *Batch) Bulk() bool { return b.bulk != nil }

// Len returns the number of bytes the batch holds.
func (b *Batch) Len() int {
	if b.bulk != nil {
		return len(b.bulk.arena)
	}
	return b.b.Len()
}

// Count returns the number of writes in the batch.
func (b *Batch) Count() uint32 {
	if b.bulk != nil {
		return b.bulk.count
	}
	return b.b.Count()
}

// Commit makes the batch durable and visible. With sync set it waits for
// the write-ahead log to reach stable storage; without, a crash of the
// process still loses nothing, but a crash of the machine may lose the
// latest batches (never part of one). A bulk batch is always synced.
func (b *Batch) Commit(sync bool) error {
	if b.bulk != nil {
		return b.bulk.commit(context.Background(), b.db)
	}
	opt := pebble.NoSync
	if sync {
		opt = pebble.Sync
	}
	if err := b.b.Commit(opt); err != nil {
		return fmt.Errorf("storage: commit batch of %d writes: %w", b.b.Count(), err)
	}
	return nil
}

// Close releases the batch. It is safe to call after Commit.
func (b *Batch) Close() error {
	if b.bulk != nil {
		// The buffer is kept for the database's next bulk batch: bulk
		// batches are large, and allocating them anew costs more than
		// filling them.
		b.bulk.reset()
		b.db.bulkMu.Lock()
		if b.db.bulkPool == nil {
			b.db.bulkPool = b.bulk
		}
		b.db.bulkMu.Unlock()
		b.bulk = nil
		return nil
	}
	return b.b.Close()
}

func (b *Batch) set(key, val []byte) {
	if b.bulk != nil {
		b.bulk.add(key, val, false)
		return
	}
	// Pebble's Batch.Set copies key and value and never fails on an open
	// batch; its error return exists for other Writer implementations.
	_ = b.b.Set(key, val, nil)
}

func (b *Batch) del(key []byte) {
	if b.bulk != nil {
		b.bulk.add(key, nil, true)
		return
	}
	_ = b.b.Delete(key, nil)
}

// deleteRange deletes every key in [lo, hi).
func (b *Batch) deleteRange(lo, hi []byte) error {
	if b.bulk != nil {
		return b.bulk.deleteRange(lo, hi)
	}
	return b.b.DeleteRange(lo, hi, nil)
}

// PutBlock writes the block record at height h and its hash lookup row.
func (b *Batch) PutBlock(h uint32, r *BlockRecord) {
	b.key = MakeBlockKey(h).Encode(b.key[:0])
	b.val = r.Encode(b.val[:0])
	b.set(b.key, b.val)
	b.key = MakeBlockHashKey(r.Hash).Encode(b.key[:0])
	b.val = appendU32(b.val[:0], h)
	b.set(b.key, b.val)
}

// PutTx writes a transaction record and its txid lookup row.
func (b *Batch) PutTx(n TxNum, r *TxRecord) {
	b.key = MakeTxKey(n).Encode(b.key[:0])
	b.val = r.Encode(b.val[:0])
	b.set(b.key, b.val)
	b.key = MakeTxidKey(r.Txid, n).Encode(b.key[:0])
	b.set(b.key, nil)
}

// PutOutputs writes the outputs of transaction n.
func (b *Batch) PutOutputs(n TxNum, r OutputsRecord) {
	b.key = MakeOutputsKey(n).Encode(b.key[:0])
	b.val = r.Encode(b.val[:0])
	b.set(b.key, b.val)
}

// PutInputs writes the inputs of transaction n.
func (b *Batch) PutInputs(n TxNum, r InputsRecord) {
	b.key = MakeInputsKey(n).Encode(b.key[:0])
	b.val = r.Encode(b.val[:0])
	b.set(b.key, b.val)
}

// PutSpend records that output vout of transaction n was spent by s.
func (b *Batch) PutSpend(n TxNum, vout uint32, s Spender) {
	b.key = MakeSpendKey(n, vout).Encode(b.key[:0])
	b.val = s.Encode(b.val[:0])
	b.set(b.key, b.val)
}

// PutAddress writes both directions of a new address's numbering.
func (b *Batch) PutAddress(id AddrID, class uint8, payload []byte) {
	b.key = MakeAddrKey(class, payload).Encode(b.key[:0])
	b.val = appendU64(b.val[:0], uint64(id))
	b.set(b.key, b.val)
	b.key = MakeAddrIDKey(id).Encode(b.key[:0])
	b.val = AddrRecord{Class: class, Payload: payload}.Encode(b.val[:0])
	b.set(b.key, b.val)
}

// PutAddrLink records, in both directions, that a and c are forms of one
// public key.
func (b *Batch) PutAddrLink(a, c AddrID) {
	b.key = MakeAddrLinkKey(a, c).Encode(b.key[:0])
	b.set(b.key, nil)
	b.key = MakeAddrLinkKey(c, a).Encode(b.key[:0])
	b.set(b.key, nil)
}

// PutPosting writes one address index row.
func (b *Batch) PutPosting(k PostingKey, v PostingValue) {
	b.key = k.Encode(b.key[:0])
	b.val = v.Encode(b.val[:0])
	b.set(b.key, b.val)
}

// DeletePosting removes one address index row.
func (b *Batch) DeletePosting(k PostingKey) {
	b.key = k.Encode(b.key[:0])
	b.del(b.key)
}

// PutUndo writes the undo record of height h.
func (b *Batch) PutUndo(h uint32, u *UndoRecord) {
	b.key = MakeUndoKey(h).Encode(b.key[:0])
	b.val = u.Encode(b.val[:0])
	b.set(b.key, b.val)
}

// PutState writes the chain state after the batch's last block.
func (b *Batch) PutState(s *ChainState) {
	b.key = MakeMetaKey(metaState).Encode(b.key[:0])
	b.val = s.Encode(b.val[:0])
	b.set(b.key, b.val)
}

// PutTip records the tip of the named index.
func (b *Batch) PutTip(index string, t Tip) {
	b.key = MakeMetaKey(metaTipPre + index).Encode(b.key[:0])
	b.val = t.Encode(b.val[:0])
	b.set(b.key, b.val)
}

// DeleteTip removes the tip of the named index: it then holds no block.
func (b *Batch) DeleteTip(index string) {
	b.key = MakeMetaKey(metaTipPre + index).Encode(b.key[:0])
	b.del(b.key)
}

// DeleteChainBlock removes everything the chain tables hold for the block
// at height h, given its record and the state before it: the block rows,
// its transactions with their inputs, outputs, txid rows and the spend rows
// of the outputs they spent, the addresses first seen in it with their
// links, and its undo record. after is the chain state with the block
// connected, which bounds the addresses it numbered. It reads the block's
// rows from the database, so the block must be committed.
func (b *Batch) DeleteChainBlock(h uint32, blk *BlockRecord, after *ChainState) error {
	db := b.db
	end := blk.FirstTxNum + TxNum(blk.NumTx)
	for n := blk.FirstTxNum; n < end; n++ {
		tx, err := db.Tx(n)
		if err != nil {
			return fmt.Errorf("storage: disconnect height %d: %w", h, err)
		}
		if tx.Flags&TxCoinbase == 0 {
			ins, err := db.Inputs(n)
			if err != nil {
				return fmt.Errorf("storage: disconnect height %d: %w", h, err)
			}
			for _, in := range ins {
				b.del(MakeSpendKey(in.PrevTxNum, in.PrevVout).Encode(b.key[:0]))
			}
			b.del(MakeInputsKey(n).Encode(b.key[:0]))
		}
		b.del(MakeOutputsKey(n).Encode(b.key[:0]))
		b.del(MakeTxidKey(tx.Txid, n).Encode(b.key[:0]))
		b.del(MakeTxKey(n).Encode(b.key[:0]))
	}
	for id := blk.FirstAddrID; id < after.NextAddrID; id++ {
		rec, err := db.Address(id)
		if err != nil {
			return fmt.Errorf("storage: disconnect height %d: address %d: %w", h, id, err)
		}
		links, err := db.Links(id)
		if err != nil {
			return err
		}
		for _, l := range links {
			b.del(MakeAddrLinkKey(id, l).Encode(b.key[:0]))
			b.del(MakeAddrLinkKey(l, id).Encode(b.key[:0]))
		}
		b.del(MakeAddrKey(rec.Class, rec.Payload).Encode(b.key[:0]))
		b.del(MakeAddrIDKey(id).Encode(b.key[:0]))
	}
	b.del(MakeBlockHashKey(blk.Hash).Encode(b.key[:0]))
	b.del(MakeBlockKey(h).Encode(b.key[:0]))
	b.del(MakeUndoKey(h).Encode(b.key[:0]))
	return nil
}
