package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/cockroachdb/pebble/v2"
)

// DetectMark returns the next height incremental detection is to run at
// (0 when it never ran).
func (db *DB) DetectMark() (uint32, error) {
	v, err := db.get(DetectMarkKey{}.Encode(nil))
	if errors.Is(err, ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if len(v) != 4 {
		return 0, fmt.Errorf("storage: detection mark of %d bytes: %w", len(v), ErrCorruption)
	}
	return binary.BigEndian.Uint32(v), nil
}

// IncFinding returns the incremental finding k, or an error wrapping
// ErrNotFound.
func (db *DB) IncFinding(k IncFindingKey) (StoredFinding, error) {
	v, err := db.get(k.Encode(nil))
	if err != nil {
		return StoredFinding{}, fmt.Errorf("storage: finding %d raised at height %d: %w", k.Seq, k.Height, err)
	}
	return DecodeIncFinding(v)
}

// IncFindings calls fn with every incremental finding after key after
// (the zero key for all, since no finding has sequence 0), in order of
// the height that raised it, until fn returns false or an error.
func (db *DB) IncFindings(after IncFindingKey, fn func(IncFindingKey, StoredFinding) (bool, error)) error {
	return db.incFindingsFrom(IncFindingKey{Height: after.Height, Seq: after.Seq + 1}.Encode(nil), []byte{tagIncFinding + 1}, fn)
}

// IncFindingsIn calls fn with every incremental finding raised at heights
// from..to, until fn returns false or an error.
func (db *DB) IncFindingsIn(from, to uint32, fn func(IncFindingKey, StoredFinding) (bool, error)) error {
	hi := IncFindingKey{Height: to + 1}.Encode(nil)
	if to == ^uint32(0) {
		hi = []byte{tagIncFinding + 1}
	}
	return db.incFindingsFrom(IncFindingKey{Height: from}.Encode(nil), hi, fn)
}

func (db *DB) incFindingsFrom(lo, hi []byte, fn func(IncFindingKey, StoredFinding) (bool, error)) error {
	it, err := db.pdb.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return err
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		k, err := DecodeIncFindingKey(it.Key())
		if err != nil {
			return err
		}
		f, err := DecodeIncFinding(it.Value())
		if err != nil {
			return fmt.Errorf("storage: finding %d raised at height %d: %w", k.Seq, k.Height, err)
		}
		ok, err := fn(k, f)
		if err != nil || !ok {
			return err
		}
	}
	return it.Error()
}

// IncFindingsOf returns the keys of the incremental findings naming
// address a, in order.
func (db *DB) IncFindingsOf(a AddrID) ([]IncFindingKey, error) {
	var out []IncFindingKey
	err := db.scanPrefix(binary.BigEndian.AppendUint64([]byte{tagIncFindingAddr}, uint64(a)), func(k, _ []byte) error {
		fk, err := DecodeIncFindingAddrKey(k)
		out = append(out, fk.Finding)
		return err
	})
	return out, err
}

// IncAlert returns the latest version of alert id raised by incremental
// detection and the height that raised it, or an error wrapping
// ErrNotFound.
func (db *DB) IncAlert(id AlertID) (uint32, []byte, error) {
	prefix := append([]byte{tagIncAlert, incAlertVersion}, id[:]...)
	it, err := db.pdb.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixUpperBound(prefix)})
	if err != nil {
		return 0, nil, err
	}
	defer it.Close()
	if !it.Last() {
		if err := it.Error(); err != nil {
			return 0, nil, err
		}
		return 0, nil, fmt.Errorf("storage: incremental alert %x: %w", id, ErrNotFound)
	}
	k, err := DecodeIncAlertKey(it.Key())
	if err != nil {
		return 0, nil, err
	}
	return k.Height, append([]byte(nil), it.Value()...), nil
}

// IncAlerts calls fn with the latest version of every alert raised by
// incremental detection, in identity order, until fn returns false or an
// error.
func (db *DB) IncAlerts(fn func(id AlertID, height uint32, value []byte) (bool, error)) error {
	prefix := []byte{tagIncAlert, incAlertVersion}
	it, err := db.pdb.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixUpperBound(prefix)})
	if err != nil {
		return err
	}
	defer it.Close()
	var (
		have bool
		last IncAlertKey
		val  []byte
	)
	for it.First(); it.Valid(); it.Next() {
		k, err := DecodeIncAlertKey(it.Key())
		if err != nil {
			return err
		}
		if have && k.ID != last.ID {
			if ok, err := fn(last.ID, last.Height, val); err != nil || !ok {
				return err
			}
		}
		have, last, val = true, k, append(val[:0:0], it.Value()...)
	}
	if err := it.Error(); err != nil {
		return err
	}
	if have {
		_, err := fn(last.ID, last.Height, val)
		return err
	}
	return nil
}

// ReviewsOf returns the stored reviews of alert id, oldest first.
func (db *DB) ReviewsOf(id AlertID) ([][]byte, error) {
	var out [][]byte
	err := db.scanPrefix(append([]byte{tagReview}, id[:]...), func(_, v []byte) error {
		out = append(out, v)
		return nil
	})
	return out, err
}

// OutboxEvents calls fn with every outbox event from sequence from on,
// until fn returns false or an error.
func (db *DB) OutboxEvents(from uint64, fn func(seq uint64, value []byte) (bool, error)) error {
	prefix := []byte{tagOutbox, outboxEvent}
	it, err := db.pdb.NewIter(&pebble.IterOptions{LowerBound: OutboxEventKey{Seq: from}.Encode(nil), UpperBound: prefixUpperBound(prefix)})
	if err != nil {
		return err
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		k, err := DecodeOutboxEventKey(it.Key())
		if err != nil {
			return err
		}
		if ok, err := fn(k.Seq, append([]byte(nil), it.Value()...)); err != nil || !ok {
			return err
		}
	}
	return it.Error()
}

// NextOutboxSeq returns the sequence number the next outbox event takes.
func (db *DB) NextOutboxSeq() (uint64, error) {
	prefix := []byte{tagOutbox, outboxEvent}
	it, err := db.pdb.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixUpperBound(prefix)})
	if err != nil {
		return 0, err
	}
	defer it.Close()
	if !it.Last() {
		return 1, it.Error()
	}
	k, err := DecodeOutboxEventKey(it.Key())
	if err != nil {
		return 0, err
	}
	return k.Seq + 1, nil
}

// Delivery returns one webhook's delivery state of an event, and false
// when it has none yet.
func (db *DB) Delivery(k OutboxStateKey) (DeliveryRecord, bool, error) {
	v, err := db.get(k.Encode(nil))
	if errors.Is(err, ErrNotFound) {
		return DeliveryRecord{}, false, nil
	}
	if err != nil {
		return DeliveryRecord{}, false, err
	}
	r, err := DecodeDeliveryRecord(v)
	return r, err == nil, err
}

// PutDelivery stores one webhook's delivery state of an event, synced.
func (db *DB) PutDelivery(k OutboxStateKey, r *DeliveryRecord) error {
	b := db.NewBatch()
	defer b.Close()
	b.PutDelivery(k, r)
	return b.Commit(true)
}

// IncAlertsAt calls fn with every alert version raised at height h.
func (db *DB) IncAlertsAt(h uint32, fn func(id AlertID, value []byte) error) error {
	return db.scanPrefix(binary.BigEndian.AppendUint32([]byte{tagIncAlert, incAlertHeight}, h), func(k, _ []byte) error {
		ak, err := DecodeIncAlertHeightKey(k)
		if err != nil {
			return err
		}
		v, err := db.get(IncAlertKey{ID: ak.ID, Height: h}.Encode(nil))
		if err != nil {
			return fmt.Errorf("storage: alert %x raised at height %d: %w", ak.ID, h, err)
		}
		return fn(ak.ID, v)
	})
}

// IncAlertBefore reports whether alert id has a version raised below
// height h.
func (db *DB) IncAlertBefore(id AlertID, h uint32) (bool, error) {
	lo := IncAlertKey{ID: id}.Encode(nil)
	it, err := db.pdb.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: IncAlertKey{ID: id, Height: h}.Encode(nil)})
	if err != nil {
		return false, err
	}
	defer it.Close()
	found := it.First()
	return found, it.Error()
}

// DumpDetect writes the rows of the incremental detection and outbox
// tables and the tip of index tip to w, one line per row in key order, as
// Dump renders them: reorg tests compare them.
func (db *DB) DumpDetect(w io.Writer, tip string) error {
	for _, tag := range []byte{tagIncFinding, tagIncFindingAddr, tagOutbox, tagIncAlert} {
		if err := db.scanPrefix([]byte{tag}, func(k, v []byte) error {
			line, err := describeRow(k, v)
			if err == nil {
				_, err = io.WriteString(w, line+"\n")
			}
			return err
		}); err != nil {
			return err
		}
	}
	v, err := db.getMeta(metaTipPre + tip)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "tip %x\n", v)
	return err
}
