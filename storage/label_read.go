package storage

import (
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// AddressLabels returns every label of the address (class, payload), in key
// order. An address without labels has none, which is not an error.
func (db *DB) AddressLabels(class uint8, payload []byte) ([]Label, error) {
	if len(payload) > MaxAddrPayload {
		return nil, fmt.Errorf("storage: address labels: payload of %d bytes is longer than %d", len(payload), MaxAddrPayload)
	}
	var out []Label
	err := db.scanLabels(addressLabelPrefix(class, payload), func(l *Label) error {
		out = append(out, *l)
		return nil
	})
	return out, err
}

// TxLabels returns every label of transaction txid, in key order.
func (db *DB) TxLabels(txid [32]byte) ([]Label, error) {
	var out []Label
	err := db.scanLabels(txLabelPrefix(txid), func(l *Label) error {
		out = append(out, *l)
		return nil
	})
	return out, err
}

// ScanLabels calls fn for every label in key order: address labels grouped
// by address, then transaction labels grouped by txid. It stops at the
// first error fn returns and returns it. fn must not keep the pointer.
func (db *DB) ScanLabels(fn func(*Label) error) error {
	return db.scanLabels([]byte{tagLabel}, fn)
}

// CountLabels returns how many labels the index holds.
func (db *DB) CountLabels() (int, error) {
	n := 0
	err := db.ScanLabels(func(*Label) error { n++; return nil })
	return n, err
}

func (db *DB) scanLabels(prefix []byte, fn func(*Label) error) error {
	it, err := db.pdb.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixUpperBound(prefix)})
	if err != nil {
		return err
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		l, err := DecodeLabel(it.Key(), it.Value())
		if err != nil {
			return err
		}
		if err := fn(&l); err != nil {
			return err
		}
	}
	return it.Error()
}
