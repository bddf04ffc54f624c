package storage

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// EthState returns the Ethereum index's state after its tip block. A new
// index has the zero state with addresses numbered from 1.
func (db *DB) EthState() (EthState, error) {
	v, err := db.getMeta(metaEthState)
	if errors.Is(err, ErrNotFound) {
		return EthState{NextAddrID: 1}, nil
	}
	if err != nil {
		return EthState{}, err
	}
	return DecodeEthState(v)
}

// EthBlock returns the record of the Ethereum block at height h.
func (db *DB) EthBlock(h uint32) (EthBlockRecord, error) {
	v, err := db.get(MakeBlockKey(h).Encode(nil))
	if err != nil {
		return EthBlockRecord{}, fmt.Errorf("block at height %d: %w", h, err)
	}
	return DecodeEthBlockRecord(v)
}

// EthUndo returns the undo record of the Ethereum block at height h.
func (db *DB) EthUndo(h uint32) (EthUndoRecord, error) {
	v, err := db.get(MakeUndoKey(h).Encode(nil))
	if err != nil {
		return EthUndoRecord{}, fmt.Errorf("undo record of height %d: %w", h, err)
	}
	return DecodeEthUndoRecord(v)
}

// EthTx returns the record of Ethereum transaction n.
func (db *DB) EthTx(n TxNum) (EthTxRecord, error) {
	v, err := db.get(MakeTxKey(n).Encode(nil))
	if err != nil {
		return EthTxRecord{}, fmt.Errorf("tx %d: %w", n, err)
	}
	return DecodeEthTxRecord(v)
}

// LookupEthTx returns the number and record of the transaction with the
// given hash, or ErrNotFound.
func (db *DB) LookupEthTx(hash [32]byte) (TxNum, EthTxRecord, error) {
	prefix := txidScanPrefix(hash)
	it, err := db.pdb.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixUpperBound(prefix)})
	if err != nil {
		return 0, EthTxRecord{}, err
	}
	defer it.Close()
	for valid := it.First(); valid; valid = it.Next() {
		k, err := DecodeTxidKey(it.Key())
		if err != nil {
			return 0, EthTxRecord{}, err
		}
		rec, err := db.EthTx(k.TxNum)
		if err != nil {
			return 0, EthTxRecord{}, err
		}
		if rec.Hash == hash {
			return k.TxNum, rec, nil
		}
	}
	if err := it.Error(); err != nil {
		return 0, EthTxRecord{}, err
	}
	return 0, EthTxRecord{}, ErrNotFound
}

// EthTransfers returns the transfer edges of transaction n in order.
func (db *DB) EthTransfers(n TxNum) ([]EthTransferRecord, error) {
	prefix := EthTransferKey{TxNum: n}.Encode(nil)[:9]
	it, err := db.pdb.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixUpperBound(prefix)})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []EthTransferRecord
	for it.First(); it.Valid(); it.Next() {
		k, err := DecodeEthTransferKey(it.Key())
		if err != nil {
			return nil, err
		}
		if int(k.Seq) != len(out) {
			return nil, fmt.Errorf("storage: tx %d: transfer %d follows %d: %w", n, k.Seq, len(out), ErrCorruption)
		}
		r, err := DecodeEthTransferRecord(it.Value())
		if err != nil {
			return nil, fmt.Errorf("tx %d transfer %d: %w", n, k.Seq, err)
		}
		out = append(out, r)
	}
	return out, it.Error()
}

// EthTransfer returns one transfer edge.
func (db *DB) EthTransfer(n TxNum, seq uint32) (EthTransferRecord, error) {
	v, err := db.get(EthTransferKey{TxNum: n, Seq: seq}.Encode(nil))
	if err != nil {
		return EthTransferRecord{}, fmt.Errorf("tx %d transfer %d: %w", n, seq, err)
	}
	return DecodeEthTransferRecord(v)
}

// LookupEthAddr returns the number of an Ethereum address, or ErrNotFound.
func (db *DB) LookupEthAddr(addr [20]byte) (AddrID, error) {
	v, err := db.get(EthAddrKey{Addr: addr}.Encode(nil))
	if err != nil {
		return 0, err
	}
	if len(v) != 8 {
		return 0, fmt.Errorf("storage: eth address row of %d bytes: %w", len(v), ErrCorruption)
	}
	return AddrID(binary.BigEndian.Uint64(v)), nil
}

// EthAddress returns the Ethereum address numbered id.
func (db *DB) EthAddress(id AddrID) ([20]byte, error) {
	var a [20]byte
	v, err := db.get(EthAddrIDKey{AddrID: id}.Encode(nil))
	if err != nil {
		return a, fmt.Errorf("address %d: %w", id, err)
	}
	if len(v) != 20 {
		return a, fmt.Errorf("storage: eth address %d row of %d bytes: %w", id, len(v), ErrCorruption)
	}
	copy(a[:], v)
	return a, nil
}

// EthToken returns the metadata of token contract id, or ErrNotFound.
func (db *DB) EthToken(id AddrID) (EthTokenRecord, error) {
	v, err := db.get(EthTokenKey{AddrID: id}.Encode(nil))
	if err != nil {
		return EthTokenRecord{}, err
	}
	return DecodeEthTokenRecord(v)
}

// EthPostings calls fn with every address index row of id, in transfer
// order (reverse set: newest first), starting after the row from (nil for
// the first), until fn returns false or the rows end.
func (db *DB) EthPostings(id AddrID, reverse bool, from *EthPostingKey, fn func(EthPostingKey) bool) error {
	prefix := binary.BigEndian.AppendUint64([]byte{tagEthPosting}, uint64(id))
	it, err := db.pdb.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixUpperBound(prefix)})
	if err != nil {
		return err
	}
	defer it.Close()
	var valid bool
	switch {
	case from == nil && !reverse:
		valid = it.First()
	case from == nil:
		valid = it.Last()
	case !reverse:
		start := from.Encode(nil)
		valid = it.SeekGE(start)
		if valid && bytes.Equal(it.Key(), start) {
			valid = it.Next()
		}
	default:
		valid = it.SeekLT(from.Encode(nil))
	}
	for valid {
		k, err := DecodeEthPostingKey(it.Key())
		if err != nil {
			return err
		}
		if !fn(k) {
			break
		}
		if reverse {
			valid = it.Prev()
		} else {
			valid = it.Next()
		}
	}
	return it.Error()
}

// EthSkips calls fn with every skipped token log in transaction order.
func (db *DB) EthSkips(fn func(EthSkipKey, string) bool) error {
	prefix := []byte{tagEthSkip}
	it, err := db.pdb.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixUpperBound(prefix)})
	if err != nil {
		return err
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		k, err := DecodeEthSkipKey(it.Key())
		if err != nil {
			return err
		}
		if !fn(k, string(it.Value())) {
			break
		}
	}
	return it.Error()
}
