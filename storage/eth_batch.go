package storage

import "fmt"

// PutEthBlock writes an Ethereum block record at height h and its hash
// lookup row.
func (b *Batch) PutEthBlock(h uint32, r *EthBlockRecord) {
	b.key = MakeBlockKey(h).Encode(b.key[:0])
	b.val = r.Encode(b.val[:0])
	b.set(b.key, b.val)
	b.key = MakeBlockHashKey(r.Hash).Encode(b.key[:0])
	b.val = appendU32(b.val[:0], h)
	b.set(b.key, b.val)
}

// PutEthTx writes an Ethereum transaction record and, unless it is a
// system transaction, its hash lookup row.
func (b *Batch) PutEthTx(n TxNum, r *EthTxRecord) {
	b.key = MakeTxKey(n).Encode(b.key[:0])
	b.val = r.Encode(b.val[:0])
	b.set(b.key, b.val)
	if r.Flags&EthTxSystem == 0 {
		b.key = MakeTxidKey(r.Hash, n).Encode(b.key[:0])
		b.set(b.key, nil)
	}
}

// PutEthTransfer writes transfer edge seq of transaction n and its address
// index rows: a send row for its sender and a receive row for its
// receiver (a mint has no sender, a sink no receiver).
func (b *Batch) PutEthTransfer(n TxNum, seq uint32, r *EthTransferRecord) {
	b.key = EthTransferKey{TxNum: n, Seq: seq}.Encode(b.key[:0])
	b.val = r.Encode(b.val[:0])
	b.set(b.key, b.val)
	if !r.Mint {
		b.key = EthPostingKey{AddrID: r.From, TxNum: n, Seq: seq, Role: RoleSpend}.Encode(b.key[:0])
		b.set(b.key, nil)
	}
	if !r.Sink {
		b.key = EthPostingKey{AddrID: r.To, TxNum: n, Seq: seq, Role: RoleReceive}.Encode(b.key[:0])
		b.set(b.key, nil)
	}
}

// PutEthSkip records a token log of transaction n that could not be
// decoded, and why.
func (b *Batch) PutEthSkip(n TxNum, log uint32, reason string) {
	b.key = EthSkipKey{TxNum: n, Log: log}.Encode(b.key[:0])
	b.set(b.key, []byte(reason))
}

// PutEthAddress writes both directions of a new address's numbering.
func (b *Batch) PutEthAddress(id AddrID, addr [20]byte) {
	b.key = EthAddrKey{Addr: addr}.Encode(b.key[:0])
	b.val = appendU64(b.val[:0], uint64(id))
	b.set(b.key, b.val)
	b.key = EthAddrIDKey{AddrID: id}.Encode(b.key[:0])
	b.set(b.key, addr[:])
}

// PutEthToken writes a token contract's metadata.
func (b *Batch) PutEthToken(id AddrID, r *EthTokenRecord) {
	b.key = EthTokenKey{AddrID: id}.Encode(b.key[:0])
	b.val = r.Encode(b.val[:0])
	b.set(b.key, b.val)
}

// PutEthUndo writes the undo record of height h.
func (b *Batch) PutEthUndo(h uint32, u *EthUndoRecord) {
	b.key = MakeUndoKey(h).Encode(b.key[:0])
	b.val = u.Encode(b.val[:0])
	b.set(b.key, b.val)
}

// PutEthState writes the Ethereum index's state after the batch's last
// block.
func (b *Batch) PutEthState(s *EthState) {
	b.key = MakeMetaKey(metaEthState).Encode(b.key[:0])
	b.val = s.Encode(b.val[:0])
	b.set(b.key, b.val)
}

// DeleteEthBlock removes every row the Ethereum block at height h wrote:
// its block rows, transactions with their hash rows, transfer edges and
// their address index rows, skipped-log rows, the addresses first numbered
// in it, the token metadata it wrote, and its undo record. after is the
// state with the block connected. It reads the block's rows, so the block
// must be committed.
func (b *Batch) DeleteEthBlock(h uint32, blk *EthBlockRecord, after *EthState, undo *EthUndoRecord) error {
	db := b.db
	delta := EthTotalsDelta{}
	end := blk.FirstTxNum + TxNum(blk.NumTx)
	if blk.System {
		end++
	}
	for n := blk.FirstTxNum; n < end; n++ {
		tx, err := db.EthTx(n)
		if err != nil {
			return fmt.Errorf("storage: disconnect ethereum height %d: %w", h, err)
		}
		ts, err := db.EthTransfers(n)
		if err != nil {
			return fmt.Errorf("storage: disconnect ethereum height %d: %w", h, err)
		}
		for seq, t := range ts {
			if !t.Mint {
				b.del(EthPostingKey{AddrID: t.From, TxNum: n, Seq: uint32(seq), Role: RoleSpend}.Encode(b.key[:0]))
			}
			if !t.Sink {
				b.del(EthPostingKey{AddrID: t.To, TxNum: n, Seq: uint32(seq), Role: RoleReceive}.Encode(b.key[:0]))
			}
			b.del(EthTransferKey{TxNum: n, Seq: uint32(seq)}.Encode(b.key[:0]))
			delta.ApplyEthEdge(&t, -1)
		}
		if tx.Flags&EthTxSystem == 0 {
			b.del(MakeTxidKey(tx.Hash, n).Encode(b.key[:0]))
		}
		b.del(MakeTxKey(n).Encode(b.key[:0]))
	}
	for k, d := range delta {
		base, err := db.EthTotals(k)
		if err != nil {
			return fmt.Errorf("storage: disconnect ethereum height %d: %w", h, err)
		}
		next, err := d.Add(base)
		if err != nil {
			return fmt.Errorf("storage: disconnect ethereum height %d: totals of address %d: %w", h, k.AddrID, err)
		}
		b.PutEthTotals(k, &next)
	}
	lo := EthSkipKey{TxNum: blk.FirstTxNum}.Encode(nil)
	hi := EthSkipKey{TxNum: end}.Encode(nil)
	if err := b.deleteRange(lo, hi); err != nil {
		return fmt.Errorf("storage: disconnect ethereum height %d: skipped logs: %w", h, err)
	}
	for id := blk.FirstAddrID; id < after.NextAddrID; id++ {
		addr, err := db.EthAddress(id)
		if err != nil {
			return fmt.Errorf("storage: disconnect ethereum height %d: address %d: %w", h, id, err)
		}
		b.del(EthAddrKey{Addr: addr}.Encode(b.key[:0]))
		b.del(EthAddrIDKey{AddrID: id}.Encode(b.key[:0]))
	}
	for _, id := range undo.Tokens {
		b.del(EthTokenKey{AddrID: id}.Encode(b.key[:0]))
	}
	b.del(MakeBlockHashKey(blk.Hash).Encode(b.key[:0]))
	b.del(MakeBlockKey(h).Encode(b.key[:0]))
	b.del(MakeUndoKey(h).Encode(b.key[:0]))
	return nil
}
