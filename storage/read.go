package storage

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// State returns the chain state after the tip block. A new index has the
// zero state.
func (db *DB) State() (ChainState, error) {
	v, err := db.getMeta(metaState)
	if errors.Is(err, ErrNotFound) {
		return ChainState{NextAddrID: 1}, nil
	}
	if err != nil {
		return ChainState{}, err
	}
	return DecodeChainState(v)
}

// Tip returns the tip of the named index, and false if it holds no block.
func (db *DB) Tip(index string) (Tip, bool, error) {
	v, err := db.getMeta(metaTipPre + index)
	if errors.Is(err, ErrNotFound) {
		return Tip{}, false, nil
	}
	if err != nil {
		return Tip{}, false, err
	}
	t, err := DecodeTip(v)
	return t, err == nil, err
}

// Block returns the record of the block at height h.
func (db *DB) Block(h uint32) (BlockRecord, error) {
	v, err := db.get(MakeBlockKey(h).Encode(nil))
	if err != nil {
		return BlockRecord{}, fmt.Errorf("block at height %d: %w", h, err)
	}
	return DecodeBlockRecord(v)
}

// BlockHeight returns the height of the block with the given hash.
func (db *DB) BlockHeight(hash [32]byte) (uint32, error) {
	v, err := db.get(MakeBlockHashKey(hash).Encode(nil))
	if err != nil {
		return 0, err
	}
	if len(v) != 4 {
		return 0, fmt.Errorf("storage: block hash row of %d bytes: %w", len(v), ErrCorruption)
	}
	return binary.BigEndian.Uint32(v), nil
}

// Undo returns the undo record of the block at height h.
func (db *DB) Undo(h uint32) (UndoRecord, error) {
	v, err := db.get(MakeUndoKey(h).Encode(nil))
	if err != nil {
		return UndoRecord{}, fmt.Errorf("undo record of height %d: %w", h, err)
	}
	return DecodeUndoRecord(v)
}

// Tx returns the record of transaction n.
func (db *DB) Tx(n TxNum) (TxRecord, error) {
	v, err := db.get(MakeTxKey(n).Encode(nil))
	if err != nil {
		return TxRecord{}, fmt.Errorf("tx %d: %w", n, err)
	}
	return DecodeTxRecord(v)
}

// LookupTxid returns the number and record of the transaction with the
// given txid. Two mainnet coinbases were repeated before BIP 30 forbade it;
// for those the later copy, the one whose outputs can be spent, is
// returned.
func (db *DB) LookupTxid(txid [32]byte) (TxNum, TxRecord, error) {
	prefix := txidScanPrefix(txid)
	it, err := db.pdb.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixUpperBound(prefix)})
	if err != nil {
		return 0, TxRecord{}, err
	}
	defer it.Close()
	for valid := it.Last(); valid; valid = it.Prev() {
		k, err := DecodeTxidKey(it.Key())
		if err != nil {
			return 0, TxRecord{}, err
		}
		rec, err := db.Tx(k.TxNum)
		if err != nil {
			return 0, TxRecord{}, err
		}
		if rec.Txid == txid {
			return k.TxNum, rec, nil
		}
	}
	if err := it.Error(); err != nil {
		return 0, TxRecord{}, err
	}
	return 0, TxRecord{}, ErrNotFound
}

// Outputs returns the outputs of transaction n.
func (db *DB) Outputs(n TxNum) (OutputsRecord, error) {
	v, err := db.get(MakeOutputsKey(n).Encode(nil))
	if err != nil {
		return nil, fmt.Errorf("outputs of tx %d: %w", n, err)
	}
	return DecodeOutputsRecord(v)
}

// Inputs returns the inputs of transaction n; a coinbase has none.
func (db *DB) Inputs(n TxNum) (InputsRecord, error) {
	v, err := db.get(MakeInputsKey(n).Encode(nil))
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("inputs of tx %d: %w", n, err)
	}
	return DecodeInputsRecord(v)
}

// Spender returns the input that spent output vout of transaction n, or
// ErrNotFound if it is unspent.
func (db *DB) Spender(n TxNum, vout uint32) (Spender, error) {
	v, err := db.get(MakeSpendKey(n, vout).Encode(nil))
	if err != nil {
		return Spender{}, err
	}
	return DecodeSpender(v)
}

// LookupAddr returns the number of the address (class, payload).
func (db *DB) LookupAddr(class uint8, payload []byte) (AddrID, error) {
	v, err := db.get(MakeAddrKey(class, payload).Encode(nil))
	if err != nil {
		return 0, err
	}
	if len(v) != 8 {
		return 0, fmt.Errorf("storage: address row of %d bytes: %w", len(v), ErrCorruption)
	}
	return AddrID(binary.BigEndian.Uint64(v)), nil
}

// Address returns the address numbered id.
func (db *DB) Address(id AddrID) (AddrRecord, error) {
	v, err := db.get(MakeAddrIDKey(id).Encode(nil))
	if err != nil {
		return AddrRecord{}, fmt.Errorf("address %d: %w", id, err)
	}
	return DecodeAddrRecord(v)
}

// Links returns the addresses linked to id as forms of the same key.
func (db *DB) Links(id AddrID) ([]AddrID, error) {
	prefix := MakeAddrLinkKey(id, 0).Encode(nil)[:9]
	it, err := db.pdb.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixUpperBound(prefix)})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []AddrID
	for it.First(); it.Valid(); it.Next() {
		k, err := DecodeAddrLinkKey(it.Key())
		if err != nil {
			return nil, err
		}
		out = append(out, k.To)
	}
	return out, it.Error()
}

// Posting is one decoded address index row.
type Posting struct {
	PostingKey
	PostingValue
}

// Postings calls fn for every address index row of id in transaction order,
// starting after the row whose key is after (nil for the first), until fn
// returns false or the rows end.
func (db *DB) Postings(id AddrID, after *PostingKey, fn func(Posting) bool) error {
	prefix := postingPrefix(id)
	it, err := db.pdb.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixUpperBound(prefix)})
	if err != nil {
		return err
	}
	defer it.Close()
	valid := it.First()
	if after != nil {
		start := after.Encode(nil)
		valid = it.SeekGE(start)
		if valid && bytes.Equal(it.Key(), start) {
			valid = it.Next()
		}
	}
	for ; valid; valid = it.Next() {
		k, err := DecodePostingKey(it.Key())
		if err != nil {
			return err
		}
		v, err := DecodePostingValue(it.Value())
		if err != nil {
			return fmt.Errorf("posting %x: %w", it.Key(), err)
		}
		if !fn(Posting{PostingKey: k, PostingValue: v}) {
			break
		}
	}
	return it.Error()
}

// Addresses calls fn with the class, payload and number of every address
// in the index, in key order, until fn returns false. The payload is only
// valid during the call.
func (db *DB) Addresses(ctx context.Context, fn func(class uint8, payload []byte, id AddrID) bool) error {
	lo := []byte{tagAddr}
	it, err := db.pdb.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: prefixUpperBound(lo)})
	if err != nil {
		return err
	}
	defer it.Close()
	for n, ok := 0, it.First(); ok; n, ok = n+1, it.Next() {
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		k, err := DecodeAddrKey(it.Key())
		if err != nil {
			return err
		}
		if v := it.Value(); len(v) != 8 {
			return fmt.Errorf("storage: address row %x: %w", it.Key(), ErrCorruption)
		} else if !fn(k.Class, k.Payload, AddrID(binary.BigEndian.Uint64(v))) {
			break
		}
	}
	return it.Error()
}
