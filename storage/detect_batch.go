package storage

import (
	"encoding/binary"
	"fmt"
)

// PutIncFinding writes a finding raised at k.Height and its by-address
// rows.
func (b *Batch) PutIncFinding(k IncFindingKey, f *StoredFinding) {
	b.set(k.Encode(nil), EncodeIncFinding(nil, f))
	seen := map[AddrID]bool{}
	for _, a := range f.Addrs {
		if a == 0 || seen[a] {
			continue
		}
		seen[a] = true
		b.set(IncFindingAddrKey{Addr: a, Finding: k}.Encode(nil), nil)
	}
}

// PutIncAlert writes one version of an alert, raised at height.
func (b *Batch) PutIncAlert(id AlertID, height uint32, value []byte) {
	b.set(IncAlertKey{ID: id, Height: height}.Encode(nil), value)
	b.set(IncAlertHeightKey{Height: height, ID: id}.Encode(nil), nil)
}

// PutDetectMark records that incremental detection has run up to, and
// including, height next-1 (next 0: not at all).
func (b *Batch) PutDetectMark(next uint32) {
	b.set(DetectMarkKey{}.Encode(nil), binary.BigEndian.AppendUint32(nil, next))
}

// PutOutboxEvent writes one webhook event.
func (b *Batch) PutOutboxEvent(seq uint64, value []byte) {
	b.set(OutboxEventKey{Seq: seq}.Encode(nil), value)
}

// PutDelivery writes one webhook's delivery state of an event.
func (b *Batch) PutDelivery(k OutboxStateKey, r *DeliveryRecord) {
	b.set(k.Encode(nil), r.Encode(nil))
}

// DeleteIncHeight deletes everything incremental detection raised at
// height h: its findings with their by-address rows and its alert
// versions. It reads the committed rows of h, so h's run must be
// committed (detection runs after the block's commit).
func (b *Batch) DeleteIncHeight(h uint32) error {
	lo := binary.BigEndian.AppendUint32([]byte{tagIncFinding}, h)
	err := b.db.scanPrefix(lo, func(k, v []byte) error {
		fk, err := DecodeIncFindingKey(k)
		if err != nil {
			return err
		}
		f, err := DecodeIncFinding(v)
		if err != nil {
			return fmt.Errorf("storage: finding %d raised at height %d: %w", fk.Seq, h, err)
		}
		for _, a := range f.Addrs {
			if a != 0 {
				b.del(IncFindingAddrKey{Addr: a, Finding: fk}.Encode(nil))
			}
		}
		b.del(k)
		return nil
	})
	if err != nil {
		return err
	}
	hp := binary.BigEndian.AppendUint32([]byte{tagIncAlert, incAlertHeight}, h)
	return b.db.scanPrefix(hp, func(k, _ []byte) error {
		ak, err := DecodeIncAlertHeightKey(k)
		if err != nil {
			return err
		}
		b.del(IncAlertKey{ID: ak.ID, Height: h}.Encode(nil))
		b.del(k)
		return nil
	})
}

// DropIncDetection deletes everything incremental detection stored (its
// findings, by-address rows, alert versions and mark) and its index tip,
// so that it runs again from the first block; the webhook outbox stays.
func (db *DB) DropIncDetection(tip string) error {
	b := db.NewBatch()
	defer b.Close()
	for _, tag := range []byte{tagIncFinding, tagIncFindingAddr, tagIncAlert} {
		lo := []byte{tag}
		if err := b.deleteRange(lo, prefixUpperBound(lo)); err != nil {
			return fmt.Errorf("storage: clear table %q: %w", tag, err)
		}
	}
	b.DeleteTip(tip)
	return b.Commit(true)
}
