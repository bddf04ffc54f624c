package storage

import (
	"encoding/hex"
	"fmt"
	"io"
)

// DumpEthereum writes every row of an Ethereum index to w, one line per
// row in key order, decoded. Two Ethereum indexes hold the same data
// exactly when their dumps are equal; the reorg tests compare dumps.
func (db *DB) DumpEthereum(w io.Writer) error { return db.dumpRows(w, describeEthRow) }

// describeEthRow renders one row of an Ethereum index as text.
func describeEthRow(k, v []byte) (string, error) {
	if len(k) == 0 {
		return "", errKey("any", k)
	}
	var (
		key, val string
		err      error
	)
	decode := func(kerr error, kstr string, rec func() (any, error)) {
		if kerr != nil {
			err = kerr
			return
		}
		r, rerr := rec()
		key, val, err = kstr, fmt.Sprintf("%+v", r), rerr
	}
	switch k[0] {
	case tagBlock:
		bk, kerr := DecodeBlockKey(k)
		decode(kerr, fmt.Sprint(bk.Height), func() (any, error) { return DecodeEthBlockRecord(v) })
	case tagBlockHash:
		bk, kerr := DecodeBlockHashKey(k)
		key, val, err = hex.EncodeToString(bk.Hash[:]), hex.EncodeToString(v), kerr
	case tagTx:
		tk, kerr := DecodeTxKey(k)
		decode(kerr, fmt.Sprint(tk.TxNum), func() (any, error) { return DecodeEthTxRecord(v) })
	case tagTxid:
		tk, kerr := DecodeTxidKey(k)
		key, val, err = fmt.Sprintf("%x:%d", tk.Prefix, tk.TxNum), "", kerr
	case tagEthTransfer:
		tk, kerr := DecodeEthTransferKey(k)
		decode(kerr, fmt.Sprintf("%d:%d", tk.TxNum, tk.Seq), func() (any, error) { return DecodeEthTransferRecord(v) })
	case tagEthSkip:
		sk, kerr := DecodeEthSkipKey(k)
		key, val, err = fmt.Sprintf("%d:%d", sk.TxNum, sk.Log), string(v), kerr
	case tagEthAddr:
		ak, kerr := DecodeEthAddrKey(k)
		key, val, err = hex.EncodeToString(ak.Addr[:]), hex.EncodeToString(v), kerr
	case tagEthAddrID:
		ak, kerr := DecodeEthAddrIDKey(k)
		key, val, err = fmt.Sprint(ak.AddrID), hex.EncodeToString(v), kerr
	case tagEthPosting:
		pk, kerr := DecodeEthPostingKey(k)
		key, val, err = fmt.Sprintf("%d:%d:%d:%s", pk.AddrID, pk.TxNum, pk.Seq, pk.Role), "", kerr
	case tagEthTotals:
		tk, kerr := DecodeEthTotalsKey(k)
		decode(kerr, fmt.Sprintf("%d:%d:%v", tk.AddrID, tk.Asset, tk.TokenIDInt()), func() (any, error) { return DecodeEthTotalsRecord(v) })
	case tagEthToken:
		tk, kerr := DecodeEthTokenKey(k)
		decode(kerr, fmt.Sprint(tk.AddrID), func() (any, error) { return DecodeEthTokenRecord(v) })
	case tagUndo:
		uk, kerr := DecodeUndoKey(k)
		decode(kerr, fmt.Sprint(uk.Height), func() (any, error) { return DecodeEthUndoRecord(v) })
	case tagMeta:
		mk, kerr := DecodeMetaKey(k)
		key, val, err = mk.Name, hex.EncodeToString(v), kerr
		if kerr == nil && mk.Name == metaEthState {
			decode(nil, mk.Name, func() (any, error) { return DecodeEthState(v) })
		}
	default:
		key, val = hex.EncodeToString(k[1:]), hex.EncodeToString(v)
	}
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%c %s = %s", k[0], key, val), nil
}
