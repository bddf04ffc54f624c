package storage

import (
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// ExposureMeta returns the stamp of the exposure index, and false if no
// complete index has been written.
func (db *DB) ExposureMeta() (ExposureMeta, bool, error) {
	v, err := db.get(MakeExposureMetaKey().Encode(nil))
	if errors.Is(err, ErrNotFound) {
		return ExposureMeta{}, false, nil
	}
	if err != nil {
		return ExposureMeta{}, false, err
	}
	m, err := DecodeExposureMeta(v)
	return m, err == nil, err
}

// Exposure returns the precomputed exposure of address id, and false if
// the index holds none for it.
func (db *DB) Exposure(id AddrID) (ExposureEntry, bool, error) {
	v, err := db.get(MakeExposureKey(id).Encode(nil))
	if errors.Is(err, ErrNotFound) {
		return ExposureEntry{}, false, nil
	}
	if err != nil {
		return ExposureEntry{}, false, fmt.Errorf("exposure of address %d: %w", id, err)
	}
	e, err := DecodeExposureEntry(v)
	if err != nil {
		return e, false, fmt.Errorf("exposure of address %d: %w", id, err)
	}
	return e, true, nil
}

// scanTable calls fn with every key and value of the table with tag, in
// key order, until fn fails.
func (db *DB) scanTable(tag byte, fn func(k, v []byte) error) error {
	lo := []byte{tag}
	it, err := db.pdb.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: prefixUpperBound(lo)})
	if err != nil {
		return err
	}
	defer it.Close()
	for valid := it.First(); valid; valid = it.Next() {
		if err := fn(it.Key(), it.Value()); err != nil {
			return err
		}
	}
	return it.Error()
}

// ScanPostings calls fn for every row of the address index, by address and
// then transaction order, until fn fails. Bulk computations use it instead
// of one Postings call per address.
func (db *DB) ScanPostings(fn func(Posting) error) error {
	return db.scanTable(tagPosting, func(k, v []byte) error {
		pk, err := DecodePostingKey(k)
		if err != nil {
			return err
		}
		pv, err := DecodePostingValue(v)
		if err != nil {
			return fmt.Errorf("posting %x: %w", k, err)
		}
		return fn(Posting{PostingKey: pk, PostingValue: pv})
	})
}

// ScanInputs calls fn for the inputs of every non-coinbase transaction in
// transaction order, until fn fails. The record is valid only during the
// call.
func (db *DB) ScanInputs(fn func(TxNum, InputsRecord) error) error {
	return db.scanTable(tagInputs, func(k, v []byte) error {
		ik, err := DecodeInputsKey(k)
		if err != nil {
			return err
		}
		in, err := DecodeInputsRecord(v)
		if err != nil {
			return fmt.Errorf("inputs of transaction %d: %w", ik.TxNum, err)
		}
		return fn(ik.TxNum, in)
	})
}

// ScanOutputs calls fn for the outputs of every transaction in
// transaction order, until fn fails. The record is valid only during the
// call (scripts alias the store's memory).
func (db *DB) ScanOutputs(fn func(TxNum, OutputsRecord) error) error {
	return db.scanTable(tagOutputs, func(k, v []byte) error {
		ok, err := DecodeOutputsKey(k)
		if err != nil {
			return err
		}
		out, err := DecodeOutputsRecord(v)
		if err != nil {
			return fmt.Errorf("outputs of transaction %d: %w", ok.TxNum, err)
		}
		return fn(ok.TxNum, out)
	})
}
