package storage

import "fmt"

// StoredFinding is one finding as storage keeps it: an encoded value the
// detection package owns, and the addresses it names, which the
// by-address index lists.
type StoredFinding struct {
	Value []byte
	Addrs []AddrID
}

// StoredAlert is one alert as storage keeps it.
type StoredAlert struct {
	ID    AlertID
	Value []byte
}

// ReplaceFindings deletes every stored finding, its by-address rows and
// every alert, and writes findings and alerts in their place, in one
// batch: a reader sees either the previous run or this one. Reviews are
// kept: they name alerts by their stable identity.
func (db *DB) ReplaceFindings(findings []StoredFinding, alerts []StoredAlert) error {
	b := db.NewBatch()
	defer b.Close()
	for _, tag := range []byte{tagFinding, tagFindingAddr, tagAlert} {
		lo := []byte{tag}
		if err := b.deleteRange(lo, prefixUpperBound(lo)); err != nil {
			return fmt.Errorf("storage: clear table %q: %w", tag, err)
		}
	}
	for i, f := range findings {
		seq := uint32(i + 1)
		b.set(FindingKey{Seq: seq}.Encode(nil), f.Value)
		seen := map[AddrID]bool{}
		for _, a := range f.Addrs {
			if a == 0 || seen[a] {
				continue
			}
			seen[a] = true
			b.set(FindingAddrKey{Addr: a, Seq: seq}.Encode(nil), nil)
		}
	}
	for _, a := range alerts {
		b.set(AlertKey{ID: a.ID}.Encode(nil), a.Value)
	}
	return b.Commit(true)
}

// PutReview stores one review of an alert.
func (db *DB) PutReview(k ReviewKey, value []byte) error {
	b := db.NewBatch()
	defer b.Close()
	b.set(k.Encode(nil), value)
	return b.Commit(true)
}
