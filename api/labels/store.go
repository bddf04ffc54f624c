package labels

import (
	"context"
	"fmt"
	"sort"

	"github.com/spoorhq/spoor/storage"
)

// StoreResult says what Store wrote to one index.
type StoreResult struct {
	// Stored is the number of distinct labels written.
	Stored int
	// Replaced is the number of labels of the same packs that were in
	// the index before and were removed first (re-imported labels are
	// counted here and in Stored).
	Replaced int
	// Duplicates is the number of entries that repeated an earlier entry
	// of the same import (same subject, entity, category and source).
	Duplicates int
}

// Store writes entries to db in one synced batch. Every pack the entries
// come from is replaced: its labels from earlier imports are removed in the
// same batch, so a label dropped from a newer version of a pack (an
// address delisted from the SDN list) disappears, and importing the same
// file twice leaves the index as after the first time.
func Store(ctx context.Context, db *storage.DB, entries []Entry) (StoreResult, error) {
	var res StoreResult
	if err := ctx.Err(); err != nil {
		return res, err
	}
	packs := map[string]bool{}
	for i := range entries {
		packs[entries[i].Label.Pack] = true
	}
	names := make([]string, 0, len(packs))
	for p := range packs {
		names = append(names, p)
	}
	sort.Strings(names)
	b := db.NewBatch()
	defer b.Close()
	for _, p := range names {
		n, err := b.DeleteLabelPack(p)
		if err != nil {
			return res, fmt.Errorf("replace pack %q in %s: %w", p, db.Chain(), err)
		}
		res.Replaced += n
	}
	seen := map[string]bool{}
	for i := range entries {
		l := &entries[i].Label
		if err := l.Validate(); err != nil {
			return res, fmt.Errorf("%s: %w", entries[i].Ref, err)
		}
		k := string(l.Key().Encode(nil))
		if seen[k] {
			res.Duplicates++
			continue
		}
		seen[k] = true
		b.PutLabel(l)
		res.Stored++
	}
	if err := b.Commit(true); err != nil {
		return res, fmt.Errorf("store labels in %s: %w", db.Chain(), err)
	}
	return res, nil
}
