package storage

import (
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// ClearExposure removes the exposure index: its stamp first, in its own
// synced write, so that an index being rebuilt is never taken for a
// complete one, then every entry.
func (db *DB) ClearExposure() error {
	if err := db.pdb.Delete(MakeExposureMetaKey().Encode(nil), pebble.Sync); err != nil {
		return fmt.Errorf("storage: delete exposure stamp: %w", err)
	}
	lo := []byte{tagExposure}
	if err := db.pdb.DeleteRange(lo, prefixUpperBound(lo), pebble.Sync); err != nil {
		return fmt.Errorf("storage: delete exposure entries: %w", err)
	}
	return nil
}

// PutExposure writes the precomputed exposure of address id.
func (b *Batch) PutExposure(id AddrID, e *ExposureEntry) {
	b.key = MakeExposureKey(id).Encode(b.key[:0])
	b.val = e.Encode(b.val[:0])
	b.set(b.key, b.val)
}

// PutExposureMeta writes the stamp of the exposure index. A builder
// writes it last, once every entry is committed.
func (b *Batch) PutExposureMeta(m *ExposureMeta) {
	b.key = MakeExposureMetaKey().Encode(b.key[:0])
	b.val = m.Encode(b.val[:0])
	b.set(b.key, b.val)
}
