package api

import (
	"errors"

	"github.com/spoorhq/spoor/heuristics/cluster"
	"github.com/spoorhq/spoor/storage"
)

// storedClusters is the active clustering of an index as a ClusterIndex.
type storedClusters struct {
	db   *storage.DB
	gen  uint32
	spec string
}

// StoredClusters returns the active clustering of db, or nil (and no
// error) when the index has none.
func StoredClusters(db *storage.DB) (ClusterIndex, error) {
	gen, set, err := cluster.Active(db)
	if errors.Is(err, cluster.ErrNoClusters) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &storedClusters{db: db, gen: gen, spec: set.Spec()}, nil
}

// ClusterOf returns the cluster of a.
func (s *storedClusters) ClusterOf(a storage.AddrID) (storage.AddrID, error) {
	return s.db.ClusterOf(s.gen, a)
}

// Members calls fn for the members of c; a cluster without member rows is
// its one address.
func (s *storedClusters) Members(c, after storage.AddrID, fn func(storage.AddrID) bool) error {
	n, err := s.Size(c)
	if err != nil {
		return err
	}
	if n <= 1 {
		if after < c {
			fn(c)
		}
		return nil
	}
	return s.db.ClusterMembers(s.gen, c, after, fn)
}

// Size returns the addresses of c: 1 for an address without stats.
func (s *storedClusters) Size(c storage.AddrID) (uint64, error) {
	st, ok, err := s.db.ClusterStats(s.gen, c)
	if err != nil || !ok {
		return 1, err
	}
	return st.Size, nil
}

// Merges returns the merges that involve a, with their rules' names.
func (s *storedClusters) Merges(a storage.AddrID) ([]Merge, error) {
	links, err := s.db.ClusterLinks(s.gen, a)
	if err != nil {
		return nil, err
	}
	out := make([]Merge, 0, len(links))
	for _, l := range links {
		out = append(out, Merge{Other: l.To, TxNum: l.TxNum, Rule: cluster.Rule(l.Rule).String(), Confidence: l.Confidence})
	}
	return out, nil
}

// Spec names the heuristic set of the clustering.
func (s *storedClusters) Spec() string { return s.spec }
