package trace

import (
	"errors"
	"fmt"
	"sort"
	"sync/atomic"

	lru "github.com/hashicorp/golang-lru/v2"
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

// ClusterReader finds an address's cluster in the active clustering.
// *storage.DB implements it.
type ClusterReader interface {
	ActiveGeneration() (uint32, bool, error)
	ClusterOf(gen uint32, a storage.AddrID) (storage.AddrID, error)
}

// ClusterLabels is a Labeler that gives every address, besides its own
// tags, the tags of the other members of its cluster: a cluster inherits
// the labels of its members. An inherited tag names in Via the member
// that carries it, so a screening or a trace can say why it applies.
type ClusterLabels struct {
	own    MapLabels
	byRoot map[storage.AddrID][]inherited
	c      ClusterReader
	gen    uint32
	roots  *lru.Cache[storage.AddrID, storage.AddrID]
	errs   atomic.Int64
}

type inherited struct {
	from storage.AddrID
	tag  Tag
}

// NewClusterLabels returns own extended through the index's active
// clustering; with no clustering it returns own itself. names gives the
// Via text of inherited tags.
func NewClusterLabels(own MapLabels, c ClusterReader, names Namer) (Labeler, error) {
	gen, ok, err := c.ActiveGeneration()
	if err != nil {
		return nil, fmt.Errorf("trace: active clustering: %w", err)
	}
	if !ok {
		return own, nil
	}
	roots, err := lru.New[storage.AddrID, storage.AddrID](1 << 18)
	if err != nil {
		return nil, err
	}
	cl := &ClusterLabels{own: own, byRoot: map[storage.AddrID][]inherited{}, c: c, gen: gen, roots: roots}
	for id, tags := range own {
		root, err := c.ClusterOf(gen, id)
		if err != nil {
			return nil, fmt.Errorf("trace: cluster of address %d: %w", id, err)
		}
		via := fmt.Sprint(id)
		if names != nil {
			if via, err = names(id); err != nil {
				return nil, fmt.Errorf("trace: address %d: %w", id, err)
			}
		}
		for _, t := range tags {
			t.Via = via
			cl.byRoot[root] = append(cl.byRoot[root], inherited{from: id, tag: t})
		}
	}
	// The map gave the members in any order: sort them, so every run lists
	// a cluster's inherited tags alike.
	for _, in := range cl.byRoot {
		sort.SliceStable(in, func(i, j int) bool { return in[i].from < in[j].from })
	}
	return cl, nil
}

// Tags returns the address's own tags followed by those its cluster
// inherits from other members. If the cluster cannot be read, only the
// address's own tags are returned and the failure is counted (Errors).
func (cl *ClusterLabels) Tags(id storage.AddrID) []Tag {
	own := cl.own[id]
	if len(cl.byRoot) == 0 {
		return own
	}
	root, ok := cl.roots.Get(id)
	if !ok {
		var err error
		if root, err = cl.c.ClusterOf(cl.gen, id); err != nil {
			cl.errs.Add(1)
			return own
		}
		cl.roots.Add(id, root)
	}
	from := cl.byRoot[root]
	if len(from) == 0 {
		return own
	}
	out := append([]Tag(nil), own...)
	for _, in := range from {
		if in.from != id {
			out = append(out, in.tag)
		}
	}
	return out
}

// Errors returns how many cluster lookups failed.
func (cl *ClusterLabels) Errors() int64 { return cl.errs.Load() }
