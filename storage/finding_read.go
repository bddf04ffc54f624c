package storage

import (
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// ScanFindings calls fn with every stored finding in sequence order until
// fn returns an error, which ScanFindings returns.
func (db *DB) ScanFindings(fn func(seq uint32, value []byte) error) error {
	return db.scanPrefix([]byte{tagFinding}, func(k, v []byte) error {
		fk, err := DecodeFindingKey(k)
		if err != nil {
			return err
		}
		return fn(fk.Seq, v)
	})
}

// Finding returns the stored finding seq.
func (db *DB) Finding(seq uint32) ([]byte, error) {
	v, err := db.get(FindingKey{Seq: seq}.Encode(nil))
	if err != nil {
		return nil, fmt.Errorf("storage: finding %d: %w", seq, err)
	}
	return v, nil
}

// FindingsOf returns the sequence numbers of the stored findings that name
// address a.
func (db *DB) FindingsOf(a AddrID) ([]uint32, error) {
	var out []uint32
	err := db.scanPrefix(findingAddrPrefix(a), func(k, _ []byte) error {
		fk, err := DecodeFindingAddrKey(k)
		if err != nil {
			return err
		}
		out = append(out, fk.Seq)
		return nil
	})
	return out, err
}

// ScanAlerts calls fn with every stored alert in identity order until fn
// returns an error, which ScanAlerts returns.
func (db *DB) ScanAlerts(fn func(id AlertID, value []byte) error) error {
	return db.scanPrefix([]byte{tagAlert}, func(k, v []byte) error {
		ak, err := DecodeAlertKey(k)
		if err != nil {
			return err
		}
		return fn(ak.ID, v)
	})
}

// Alert returns the stored alert id, or an error wrapping ErrNotFound.
func (db *DB) Alert(id AlertID) ([]byte, error) {
	v, err := db.get(AlertKey{ID: id}.Encode(nil))
	if err != nil {
		return nil, fmt.Errorf("storage: alert %x: %w", id, err)
	}
	return v, nil
}

// ScanReviews calls fn with every stored review, by alert and then by
// time, until fn returns an error, which ScanReviews returns.
func (db *DB) ScanReviews(fn func(k ReviewKey, value []byte) error) error {
	return db.scanPrefix([]byte{tagReview}, func(k, v []byte) error {
		rk, err := DecodeReviewKey(k)
		if err != nil {
			return err
		}
		return fn(rk, v)
	})
}

// scanPrefix calls fn with every row whose key starts with prefix. The key
// and value are copies fn may keep.
func (db *DB) scanPrefix(prefix []byte, fn func(k, v []byte) error) error {
	it, err := db.pdb.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixUpperBound(prefix)})
	if err != nil {
		return err
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		if err := fn(append([]byte(nil), it.Key()...), append([]byte(nil), it.Value()...)); err != nil {
			return err
		}
	}
	return errors.Join(it.Error())
}
