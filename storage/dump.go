package storage

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"io"
)

// Dump writes every row of the index to w, one line per row in key order,
// decoded where the table is known. Two indexes hold the same data exactly
// when their dumps are equal, whatever their files look like; crash and
// reorg tests compare dumps.
func (db *DB) Dump(w io.Writer) error { return db.dumpRows(w, describeRow) }

// dumpRows writes every row of the database to w, one line per row in key
// order, as describe renders it.
func (db *DB) dumpRows(w io.Writer, describe func(k, v []byte) (string, error)) error {
	it, err := db.pdb.NewIter(nil)
	if err != nil {
		return err
	}
	defer it.Close()
	bw := bufio.NewWriter(w)
	for it.First(); it.Valid(); it.Next() {
		line, err := describe(it.Key(), it.Value())
		if err != nil {
			return err
		}
		if _, err := bw.WriteString(line + "\n"); err != nil {
			return err
		}
	}
	if err := it.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// describeRow renders one row as text.
func describeRow(k, v []byte) (string, error) {
	if len(k) == 0 {
		return "", errKey("any", k)
	}
	var (
		key, val string
		err      error
	)
	switch k[0] {
	case tagBlock:
		var bk BlockKey
		var r BlockRecord
		if bk, err = DecodeBlockKey(k); err == nil {
			r, err = DecodeBlockRecord(v)
		}
		key, val = fmt.Sprint(bk.Height), fmt.Sprintf("%+v", r)
	case tagTx:
		var tk TxKey
		var r TxRecord
		if tk, err = DecodeTxKey(k); err == nil {
			r, err = DecodeTxRecord(v)
		}
		key, val = fmt.Sprint(tk.TxNum), fmt.Sprintf("%+v", r)
	case tagOutputs:
		var ok OutputsKey
		var r OutputsRecord
		if ok, err = DecodeOutputsKey(k); err == nil {
			r, err = DecodeOutputsRecord(v)
		}
		key, val = fmt.Sprint(ok.TxNum), fmt.Sprintf("%+v", r)
	case tagInputs:
		var ik InputsKey
		var r InputsRecord
		if ik, err = DecodeInputsKey(k); err == nil {
			r, err = DecodeInputsRecord(v)
		}
		key, val = fmt.Sprint(ik.TxNum), fmt.Sprintf("%+v", r)
	case tagSpend:
		var sk SpendKey
		var r Spender
		if sk, err = DecodeSpendKey(k); err == nil {
			r, err = DecodeSpender(v)
		}
		key, val = fmt.Sprintf("%d:%d", sk.TxNum, sk.Vout), fmt.Sprintf("%+v", r)
	case tagPosting:
		var pk PostingKey
		var r PostingValue
		if pk, err = DecodePostingKey(k); err == nil {
			r, err = DecodePostingValue(v)
		}
		key, val = fmt.Sprintf("%d:%d:%s", pk.AddrID, pk.TxNum, pk.Role), fmt.Sprintf("%+v", r)
	case tagUndo:
		var uk UndoKey
		var r UndoRecord
		if uk, err = DecodeUndoKey(k); err == nil {
			r, err = DecodeUndoRecord(v)
		}
		key, val = fmt.Sprint(uk.Height), fmt.Sprintf("%+v", r.Before)
	case tagMeta:
		mk, derr := DecodeMetaKey(k)
		err = derr
		key, val = mk.Name, hex.EncodeToString(v)
		if mk.Name == metaState {
			var s ChainState
			s, err = DecodeChainState(v)
			val = fmt.Sprintf("%+v", s)
		}
	default:
		key, val = hex.EncodeToString(k[1:]), hex.EncodeToString(v)
	}
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%c %s = %s", k[0], key, val), nil
}
