package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/spoorhq/spoor/indexer"
	"github.com/spoorhq/spoor/storage"
)

// ErrNoClusters reports a data directory where no clustering was built.
var ErrNoClusters = errors.New("no clustering in this index: run \"spoor cluster build\" (or index with the cluster section enabled)")

// Active returns the active generation and the heuristic set it was built
// with.
func Active(db *storage.DB) (uint32, *Set, error) {
	gen, ok, err := db.ActiveGeneration()
	if err != nil {
		return 0, nil, err
	}
	if !ok {
		return 0, nil, ErrNoClusters
	}
	rec, err := db.Generation(gen)
	if err != nil {
		return 0, nil, err
	}
	set, err := ParseSpec(rec.Spec)
	if err != nil {
		return 0, nil, fmt.Errorf("cluster generation %d: %w", gen, err)
	}
	return gen, set, nil
}

// OpenIndex returns the index of the active generation, for the indexer to
// maintain. Without one it creates generation 1 with set, empty, so that
// the indexer's catch-up builds it from the chain tables. The active
// generation keeps the set it was built with, so that its result stays
// reproducible; when that differs from set the index says so in a warning
// on log (rebuild with "spoor cluster build" to switch).
func OpenIndex(db *storage.DB, set *Set, log *slog.Logger) (*Index, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	gen, active, err := Active(db)
	if errors.Is(err, ErrNoClusters) {
		gen, err = newGeneration(db, set)
		if err != nil {
			return nil, err
		}
		b := db.NewBatch()
		defer b.Close()
		b.PutActiveGeneration(gen)
		if err := b.Commit(true); err != nil {
			return nil, err
		}
		return NewIndex(db, gen, set, log), nil
	}
	if err != nil {
		return nil, err
	}
	if active.Spec() != set.Spec() {
		log.Warn("the active clustering was built with another heuristic set; keeping it (run \"spoor cluster build\" to switch)",
			"generation", gen, "active", active.Spec(), "configured", set.Spec())
	}
	return NewIndex(db, gen, active, log), nil
}

// newGeneration reserves the next generation number, clears any rows a
// crashed build left under it and records set as its heuristic set.
func newGeneration(db *storage.DB, set *Set) (uint32, error) {
	return OpenGeneration(db, set.Spec(), clearGeneration)
}

// clearGeneration deletes every row of the Bitcoin cluster generation gen.
func clearGeneration(b *storage.Batch, gen uint32) error {
	return b.DeleteGeneration(gen, IndexName(gen))
}

// OpenGeneration reserves the next generation number of db's clusterings,
// clears any rows a crashed build left under it with clear (which deletes
// every row of one generation) and records spec as its heuristic set. It
// serves every chain's clusterings: the generation tables are shared, and
// clear names the chain's own.
func OpenGeneration(db *storage.DB, spec string, clear func(*storage.Batch, uint32) error) (uint32, error) {
	gens, err := db.Generations()
	if err != nil {
		return 0, err
	}
	gen := uint32(1)
	if len(gens) > 0 {
		gen = slices.Max(gens) + 1
	}
	if a, ok, err := db.ActiveGeneration(); err != nil {
		return 0, err
	} else if ok && a >= gen {
		gen = a + 1
	}
	b := db.NewBatch()
	defer b.Close()
	if err := clear(b, gen); err != nil {
		return 0, err
	}
	b.PutGeneration(gen, storage.GenerationRecord{Spec: spec})
	if err := b.Commit(true); err != nil {
		return 0, err
	}
	return gen, nil
}

// RebuildSummary describes a rebuild.
type RebuildSummary struct {
	BuildSummary
	Generation uint32 // the new active generation
	Previous   uint32 // the generation it replaced, 0 if none
	Tip        int32  // height the new generation is at
}

// Rebuild clusters the whole chain in db with set as a new generation
// beside the active one: blocks more than finality below the tip in
// memory (Build), the rest block by block with undo records (Index), so
// that a later reorganization can disconnect them. Only when the new
// generation is complete does one commit make it active; the old one (and
// any generation a crashed build left) is then deleted. A failure at any point leaves the active generation as it
// was.
func Rebuild(ctx context.Context, db *storage.DB, set *Set, finality int32, log *slog.Logger) (RebuildSummary, error) {
	return RebuildFrom(ctx, db, set, finality, nil, log)
}

// RebuildFrom is Rebuild with the chain source src the index was built
// from, which a set with key-equivalence/1 needs to read input scripts;
// nil for other sets.
func RebuildFrom(ctx context.Context, db *storage.DB, set *Set, finality int32, src BlockReader, log *slog.Logger) (RebuildSummary, error) {
	var sum RebuildSummary
	if set.NeedsBlocks() && src == nil {
		return sum, errNoBlocks
	}
	prev, hasPrev, err := db.ActiveGeneration()
	if err != nil {
		return sum, err
	}
	gen, err := newGeneration(db, set)
	if err != nil {
		return sum, err
	}
	sum.Generation = gen
	tip, ok, err := db.Tip(indexer.ChainIndexName)
	if err != nil {
		return sum, err
	}
	sum.Tip = -1
	if ok {
		sum.Tip = int32(tip.Height)
	}
	bulkTo := sum.Tip - finality
	sum.Height = -1
	if bulkTo >= 0 {
		if sum.BuildSummary, err = BuildFrom(ctx, db, gen, set, bulkTo, 0, src); err != nil {
			return sum, err
		}
	}
	idx := NewIndex(db, gen, set, log)
	if src != nil {
		idx.ReadBlocksFrom(ctx, src)
	}
	if err := indexer.CatchUp(ctx, db, idx, 0, log); err != nil {
		return sum, err
	}
	if err := SwitchGeneration(db, gen, clearGeneration); err != nil {
		return sum, err
	}
	if hasPrev && prev != gen {
		sum.Previous = prev
	}
	return sum, nil
}

// SwitchGeneration makes generation gen of db's clusterings active in one
// commit, then deletes every other generation (the one it replaced, and
// any a crashed build left behind) with clear. A failure before the
// commit leaves the active generation as it was.
func SwitchGeneration(db *storage.DB, gen uint32, clear func(*storage.Batch, uint32) error) error {
	b := db.NewBatch()
	defer b.Close()
	b.PutActiveGeneration(gen)
	if err := b.Commit(true); err != nil {
		return err
	}
	gens, err := db.Generations()
	if err != nil {
		return err
	}
	for _, g := range gens {
		if g == gen {
			continue
		}
		d := db.NewBatch()
		err := clear(d, g)
		if err == nil {
			err = d.Commit(true)
		}
		_ = d.Close()
		if err != nil {
			return fmt.Errorf("delete the old cluster generation %d: %w", g, err)
		}
	}
	return nil
}
