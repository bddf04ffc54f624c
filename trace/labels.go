package trace

import (
	"errors"
	"fmt"

	"github.com/spoorhq/spoor/storage"
)

// LabelStore is what loading labels reads. *storage.DB implements it.
type LabelStore interface {
	ScanLabels(fn func(*storage.Label) error) error
	LookupAddr(class uint8, payload []byte) (storage.AddrID, error)
}

// LoadLabels reads the index's address labels into memory, keyed by
// address number. Labels of addresses the index has not seen yet are
// skipped: no walk can reach them. It returns how many were skipped.
func LoadLabels(db LabelStore) (MapLabels, int, error) {
	m := MapLabels{}
	skipped := 0
	err := db.ScanLabels(func(l *storage.Label) error {
		if l.Subject != storage.SubjectAddress {
			return nil
		}
		id, err := db.LookupAddr(l.AddrClass, l.AddrPayload)
		if errors.Is(err, storage.ErrNotFound) {
			skipped++
			return nil
		}
		if err != nil {
			return fmt.Errorf("trace: label %q of %s: %w", l.Entity, l.Source, err)
		}
		m[id] = append(m[id], Tag{Entity: l.Entity, Category: l.Category, Source: l.Source, Confidence: l.Confidence})
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return m, skipped, nil
}
