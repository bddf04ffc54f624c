package indexer

import (
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/spoorhq/spoor/chains/bitcoin"
	"github.com/spoorhq/spoor/storage"
)

// ChainIndexName is the name under which the chain tables keep their tip.
const ChainIndexName = "chain"

// errNotConnecting reports a block whose parent is not the index's tip: the
// source has reorganized (or serves another chain).
type errNotConnecting struct {
	height     int32
	hash, prev chainhash.Hash
	tip        chainhash.Hash
}

func (e *errNotConnecting) Error() string {
	return fmt.Sprintf("block %s at height %d builds on %s, but the index tip is %s", e.hash, e.height, e.prev, e.tip)
}

// chainStore is what the chain writer needs from storage.
type chainStore interface {
	chainReader
	LookupTxid(txid [32]byte) (storage.TxNum, storage.TxRecord, error)
	LookupAddr(class uint8, payload []byte) (storage.AddrID, error)
}

// chainWriter writes blocks into the chain tables. It owns the running
// chain state and the caches, and is used by one goroutine.
type chainWriter struct {
	db     chainStore
	state  storage.ChainState
	tip    storage.Tip
	hasTip bool
	utxos  *utxoCache
	addrs  *addrCache
}

// tipHeight returns the height of the tip, or -1 for an empty index.
func (w *chainWriter) tipHeight() int32 {
	if !w.hasTip {
		return -1
	}
	return int32(w.tip.Height)
}

// connect writes blk into batch b on top of the current tip and returns its
// connected form. The chain state and tip are written by the caller, once
// per commit. On error the batch may hold part of the block and must be
// discarded; the writer's state is then unusable until reload.
func (w *chainWriter) connect(b *storage.Batch, blk *bitcoin.Block) (*ConnectedBlock, error) {
	if blk.Height != w.tipHeight()+1 || (w.hasTip && blk.Header.PrevBlock != w.tip.Hash) {
		return nil, &errNotConnecting{height: blk.Height, hash: blk.Hash, prev: blk.Header.PrevBlock, tip: w.tip.Hash}
	}
	before := w.state
	h := uint32(blk.Height)
	cb := &ConnectedBlock{
		Height: h,
		Block: storage.BlockRecord{
			Hash: blk.Hash, Prev: blk.Header.PrevBlock, Time: uint32(blk.Header.Timestamp.Unix()),
			FirstTxNum: w.state.NextTxNum, NumTx: uint32(len(blk.Txs)),
			Size: blk.Size, Weight: blk.Weight, FirstAddrID: w.state.NextAddrID,
		},
		Txs: make([]ConnectedTx, len(blk.Txs)),
	}
	for i := range blk.Txs {
		tx := &blk.Txs[i]
		ct := &cb.Txs[i]
		ct.TxNum = w.state.NextTxNum
		w.state.NextTxNum++
		var inSum, outSum uint64
		if !tx.Coinbase() {
			ct.Inputs = make(storage.InputsRecord, len(tx.Inputs))
			for j, op := range tx.Inputs {
				in, err := w.resolve(op.Hash, op.Index)
				if err != nil {
					return nil, fmt.Errorf("block %s at height %d: tx %s input %d: %w", blk.Hash, blk.Height, tx.Txid, j, err)
				}
				ct.Inputs[j] = in
				inSum += in.Value
				b.PutSpend(in.PrevTxNum, in.PrevVout, storage.Spender{TxNum: ct.TxNum, Vin: uint32(j)})
			}
		}
		ct.Outputs = make(storage.OutputsRecord, len(tx.Outputs))
		cached := &cachedTx{txNum: ct.TxNum, outs: make([]cachedOutput, len(tx.Outputs))}
		for j := range tx.Outputs {
			out := &tx.Outputs[j]
			o := storage.Output{Value: uint64(out.Value), Class: uint8(out.Class)}
			if out.Class.HasAddress() && len(out.Payload) <= storage.MaxAddrPayload {
				id, link, err := w.addressID(b, out.Class, out.Payload)
				if err != nil {
					return nil, fmt.Errorf("block %s at height %d: tx %s output %d: %w", blk.Hash, blk.Height, tx.Txid, j, err)
				}
				o.AddrID = id
				if link != 0 {
					cb.Links = append(cb.Links, AddrLink{TxNum: ct.TxNum, P2PK: id, P2PKH: link})
				}
			} else {
				o.Script = out.Script
				w.state.NoAddress++
				w.state.Unspendable += o.Value
				switch out.Class {
				case bitcoin.ClassNullData:
					w.state.NullData++
				case bitcoin.ClassNonStandard:
					w.state.NonStandard++
				}
			}
			ct.Outputs[j] = o
			outSum += o.Value
			cached.outs[j] = cachedOutput{addrID: o.AddrID, value: o.Value}
			if out.Class != bitcoin.ClassNullData {
				cached.unspent++
			}
		}
		w.utxos.add(tx.Txid, cached)
		ct.Tx = storage.TxRecord{
			Txid: tx.Txid, Height: h, Index: uint32(i), Size: tx.Size, VSize: tx.VSize,
			NumIn: uint32(len(tx.Inputs)), NumOut: uint32(len(tx.Outputs)),
		}
		if tx.Witness {
			ct.Tx.Flags |= storage.TxWitness
		}
		if tx.Coinbase() {
			ct.Tx.Flags |= storage.TxCoinbase
			ct.Tx.NumIn = 0
			w.state.Minted += outSum
		} else {
			if inSum < outSum {
				return nil, fmt.Errorf("block %s at height %d: tx %s spends %d sat but creates %d", blk.Hash, blk.Height, tx.Txid, inSum, outSum)
			}
			ct.Tx.Fee = inSum - outSum
			cb.Block.Fees += ct.Tx.Fee
			b.PutInputs(ct.TxNum, ct.Inputs)
		}
		b.PutTx(ct.TxNum, &ct.Tx)
		b.PutOutputs(ct.TxNum, ct.Outputs)
		w.state.Inputs += uint64(len(ct.Inputs))
		w.state.Outputs += uint64(len(ct.Outputs))
	}
	w.state.Blocks++
	w.state.Txs += uint64(len(blk.Txs))
	w.state.Fees += cb.Block.Fees
	b.PutBlock(h, &cb.Block)
	b.PutUndo(h, &storage.UndoRecord{Before: before})
	w.tip, w.hasTip = cb.Tip(), true
	return cb, nil
}

// resolve finds the output an input spends: in the cache, else in the
// index.
func (w *chainWriter) resolve(txid chainhash.Hash, vout uint32) (storage.Input, error) {
	tx := w.utxos.get(txid)
	if tx == nil {
		n, _, err := w.db.LookupTxid(txid)
		if errors.Is(err, storage.ErrNotFound) {
			return storage.Input{}, fmt.Errorf("spends %s:%d, a transaction not in the index", txid, vout)
		}
		if err != nil {
			return storage.Input{}, err
		}
		outs, err := w.db.Outputs(n)
		if err != nil {
			return storage.Input{}, err
		}
		tx = &cachedTx{txNum: n, outs: make([]cachedOutput, len(outs)), unspent: len(outs)}
		for i, o := range outs {
			tx.outs[i] = cachedOutput{addrID: o.AddrID, value: o.Value}
		}
		w.utxos.add(txid, tx)
	}
	if int(vout) >= len(tx.outs) {
		return storage.Input{}, fmt.Errorf("spends %s:%d, but that transaction has %d outputs", txid, vout, len(tx.outs))
	}
	o := tx.outs[vout]
	w.utxos.spend(txid, tx, vout)
	return storage.Input{PrevTxNum: tx.txNum, PrevVout: vout, AddrID: o.addrID, Value: o.value}, nil
}

// addressID returns the number of an address, numbering it (and, for a
// P2PK key, linking it to the key's P2PKH address, which it returns as
// link) if it is new.
func (w *chainWriter) addressID(b *storage.Batch, class bitcoin.ScriptClass, payload []byte) (id, link storage.AddrID, err error) {
	id, isNew, err := w.lookupOrAssign(b, class, payload)
	if err != nil || !isNew || class != bitcoin.ClassP2PK {
		return id, 0, err
	}
	pkh := bitcoin.PubKeyHash(payload)
	other, _, err := w.lookupOrAssign(b, bitcoin.ClassP2PKH, pkh[:])
	if err != nil {
		return 0, 0, err
	}
	b.PutAddrLink(id, other)
	return id, other, nil
}

func (w *chainWriter) lookupOrAssign(b *storage.Batch, class bitcoin.ScriptClass, payload []byte) (storage.AddrID, bool, error) {
	if id, ok := w.addrs.get(uint8(class), payload); ok {
		return id, false, nil
	}
	if !w.addrs.complete {
		id, err := w.db.LookupAddr(uint8(class), payload)
		switch {
		case err == nil:
			w.addrs.put(uint8(class), payload, id)
			return id, false, nil
		case !errors.Is(err, storage.ErrNotFound):
			return 0, false, err
		}
	}
	id := w.state.NextAddrID
	w.state.NextAddrID++
	w.state.Addresses++
	b.PutAddress(id, uint8(class), payload)
	w.addrs.put(uint8(class), payload, id)
	return id, true, nil
}
