package trace

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/spoorhq/spoor/storage"
)

// TxidLookup finds a transaction number by txid. *storage.DB implements
// it.
type TxidLookup interface {
	LookupTxid(txid [32]byte) (storage.TxNum, storage.TxRecord, error)
}

// parseTxid parses a txid in its usual (reversed hex) display form.
func parseTxid(s string) ([32]byte, error) {
	h, err := chainhash.NewHashFromStr(s)
	if err != nil || len(s) != 64 {
		return [32]byte{}, fmt.Errorf("malformed txid %q: want 64 hex digits", s)
	}
	return *h, nil
}

// ParseOutpoint parses "txid:vout" and finds the output in the index.
func ParseOutpoint(db TxidLookup, s string) (Outpoint, error) {
	txid, vout, ok := strings.Cut(s, ":")
	if !ok {
		return Outpoint{}, fmt.Errorf("malformed output %q: want txid:vout", s)
	}
	h, err := parseTxid(txid)
	if err != nil {
		return Outpoint{}, fmt.Errorf("output %q: %w", s, err)
	}
	v, err := strconv.ParseUint(vout, 10, 32)
	if err != nil {
		return Outpoint{}, fmt.Errorf("output %q: malformed index %q", s, vout)
	}
	n, rec, err := db.LookupTxid(h)
	if err != nil {
		return Outpoint{}, fmt.Errorf("output %q: %w", s, err)
	}
	if uint32(v) >= rec.NumOut {
		return Outpoint{}, fmt.Errorf("output %q: transaction has %d outputs", s, rec.NumOut)
	}
	return Outpoint{TxNum: n, Vout: uint32(v)}, nil
}
