package trace

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/spoorhq/spoor/storage"
)

// ExposureStore is what reading the exposure index needs. *storage.DB
// implements it.
type ExposureStore interface {
	ExposureMeta() (storage.ExposureMeta, bool, error)
	Exposure(id storage.AddrID) (storage.ExposureEntry, bool, error)
}

// IndexState is the state an exposure index must have been built at to
// be served: the labels, clustering and chain tip a walk would use now.
type IndexState struct {
	LabelsHash [32]byte
	Clustered  bool
	Generation uint32
	TipHeight  uint32
	TipHash    [32]byte
}

// Stamp returns the index stamp for this state; BuildExposureIndex fills
// in the rest.
func (s IndexState) Stamp() storage.ExposureMeta {
	return storage.ExposureMeta{LabelsHash: s.LabelsHash, Clustered: s.Clustered, Generation: s.Generation, TipHeight: s.TipHeight, TipHash: s.TipHash}
}

// LabelsHash is a SHA-256 over the address labels a walk stops at, in
// address order with each address's tags sorted, so that two label sets
// hash alike exactly when they label the same addresses the same way.
func LabelsHash(m MapLabels) [32]byte {
	ids := make([]storage.AddrID, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	h := sha256.New()
	var buf []byte
	for _, id := range ids {
		tags := append([]Tag(nil), m[id]...)
		sort.Slice(tags, func(i, j int) bool {
			if tags[i].Confidence != tags[j].Confidence {
				return tags[i].Confidence < tags[j].Confidence
			}
			return tagLess(tags[i], tags[j])
		})
		buf = binary.BigEndian.AppendUint64(buf[:0], uint64(id))
		buf = binary.AppendUvarint(buf, uint64(len(tags)))
		for _, t := range tags {
			for _, f := range []string{t.Entity, t.Category, t.Source, t.Via} {
				buf = binary.AppendUvarint(buf, uint64(len(f)))
				buf = append(buf, f...)
			}
			buf = append(buf, t.Confidence)
		}
		h.Write(buf)
	}
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}

// ExposureIndex answers screenings from precomputed exposure, and only
// while its stamp matches the state a walk would read. It is safe for
// concurrent use.
type ExposureIndex struct {
	store ExposureStore
	meta  storage.ExposureMeta
	ok    bool
	state func() (IndexState, error)
	now   func() time.Time

	// mu guards the state last read: it is read at most once every
	// stateMaxAge, not on every screening.
	mu struct {
		sync.Mutex
		at  time.Time
		st  IndexState
		err error
	}
}

// stateMaxAge is how long a read of the index state is trusted: a
// screening may be answered from the index for up to this long after a
// label import, re-clustering or new block made it stale.
const stateMaxAge = time.Second

// OpenExposureIndex reads the stamp of the index in store. state reports
// the current labels, clustering and tip; it is called at most once a
// second (stateMaxAge), however many screenings there are.
func OpenExposureIndex(store ExposureStore, state func() (IndexState, error)) (*ExposureIndex, error) {
	m, ok, err := store.ExposureMeta()
	if err != nil {
		return nil, fmt.Errorf("trace: exposure index stamp: %w", err)
	}
	return &ExposureIndex{store: store, meta: m, ok: ok, state: state, now: time.Now}, nil
}

// currentState returns the index state, read anew when the last read is
// older than stateMaxAge.
func (ix *ExposureIndex) currentState() (IndexState, error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	now := ix.now()
	if ix.mu.at.IsZero() || now.Sub(ix.mu.at) >= stateMaxAge || now.Before(ix.mu.at) {
		ix.mu.st, ix.mu.err = ix.state()
		ix.mu.at = now
	}
	return ix.mu.st, ix.mu.err
}

// Meta returns the stamp of the index and whether one exists.
func (ix *ExposureIndex) Meta() (storage.ExposureMeta, bool) { return ix.meta, ix.ok }

// Usable reports whether the index may answer a screening under lim
// (already with defaults), and if not, why, in words for the result.
func (ix *ExposureIndex) Usable(lim ExposureLimits) (bool, string, error) {
	if !ix.ok {
		return false, "no exposure index (run spoor exposure build)", nil
	}
	m := ix.meta
	switch {
	case lim.MaxHops != int(m.MaxHops):
		return false, fmt.Sprintf("the exposure index holds %d hops, %d asked", m.MaxHops, lim.MaxHops), nil
	case lim.MaxFanout != int(m.MaxFanout) || lim.MaxTransfers != int(m.MaxTransfers):
		return false, fmt.Sprintf("the exposure index was built with max fanout %d and max transfers %d, not %d and %d",
			m.MaxFanout, m.MaxTransfers, lim.MaxFanout, lim.MaxTransfers), nil
	}
	st, err := ix.currentState()
	if err != nil {
		return false, "", fmt.Errorf("trace: state for the exposure index: %w", err)
	}
	switch {
	case st.LabelsHash != m.LabelsHash:
		return false, "the exposure index is stale: labels changed since it was built (run spoor exposure build)", nil
	case st.Clustered != m.Clustered || st.Generation != m.Generation:
		return false, fmt.Sprintf("the exposure index is stale: built on clustering generation %d, now %d (run spoor exposure build)", m.Generation, st.Generation), nil
	case st.TipHeight != m.TipHeight || st.TipHash != m.TipHash:
		return false, fmt.Sprintf("the exposure index is stale: built at height %d, the index is now at %d (run spoor exposure build)", m.TipHeight, st.TipHeight), nil
	}
	return true, "", nil
}

// exposures returns the address's precomputed exposure receiving and
// sending, and false if the index holds none for it.
func (ix *ExposureIndex) exposures(id storage.AddrID) (*Exposure, *Exposure, bool, error) {
	e, ok, err := ix.store.Exposure(id)
	if err != nil || !ok {
		return nil, nil, false, err
	}
	rx, err := ix.side(Receiving, &e.Receiving)
	if err != nil {
		return nil, nil, false, err
	}
	sx, err := ix.side(Sending, &e.Sending)
	if err != nil {
		return nil, nil, false, err
	}
	return rx, sx, true, nil
}

// side turns a stored side into an Exposure, rounding and dividing as
// Engine.Exposure does.
func (ix *ExposureIndex) side(dir Direction, s *storage.ExposureSide) (*Exposure, error) {
	x := &Exposure{Direction: dir.String(), Total: uint64(s.Total + 0.5), Unattributed: uint64(s.Unattributed + 0.5),
		Transfers: int(s.Transfers), Direct: map[string]*CategoryExposure{}, Indirect: map[string]*CategoryExposure{}}
	if s.Partial {
		x.Partial, x.Limit = true, "transfers"
	}
	// One allocation for all the side's categories.
	ces := make([]CategoryExposure, len(s.Direct)+len(s.Indirect))
	for _, d := range []struct {
		as []storage.ExposureAmount
		m  map[string]*CategoryExposure
	}{{s.Direct, x.Direct}, {s.Indirect, x.Indirect}} {
		for _, a := range d.as {
			if int(a.Category) >= len(ix.meta.Categories) {
				return nil, fmt.Errorf("trace: exposure entry names category %d of %d: %w", a.Category, len(ix.meta.Categories), storage.ErrCorruption)
			}
			ce := &ces[0]
			ces = ces[1:]
			*ce = CategoryExposure{Amount: uint64(a.Weight + 0.5), MinHop: int(a.MinHop), Entities: []string{}, Paths: []ExposurePath{}}
			if s.Total > 0 {
				ce.Share = a.Weight / s.Total
			}
			d.m[ix.meta.Categories[a.Category]] = ce
		}
	}
	return x, nil
}
