package cluster

import (
	"fmt"

	"github.com/spoorhq/spoor/storage"
)

// Step is one merge on the chain that links two addresses: the link From–To
// and why it was made.
type Step struct {
	From, To storage.AddrID
	storage.Evidence
}

// Why reports whether addresses a and b share a cluster in generation gen
// and, if so, the shortest chain of merges that links them. The merges of
// a cluster form a tree, so the chain is the tree path from a to b. At most
// maxVisit addresses are visited (0: no bound); a cluster too large to
// search is an error.
func Why(db *storage.DB, gen uint32, a, b storage.AddrID, maxVisit int) (bool, []Step, error) {
	ca, err := db.ClusterOf(gen, a)
	if err != nil {
		return false, nil, err
	}
	cb, err := db.ClusterOf(gen, b)
	if err != nil {
		return false, nil, err
	}
	if ca != cb {
		return false, nil, nil
	}
	if a == b {
		return true, nil, nil
	}
	prev := map[storage.AddrID]Step{a: {}}
	queue := []storage.AddrID{a}
	for len(queue) > 0 {
		x := queue[0]
		queue = queue[1:]
		links, err := db.ClusterLinks(gen, x)
		if err != nil {
			return true, nil, err
		}
		for _, l := range links {
			if _, seen := prev[l.To]; seen {
				continue
			}
			prev[l.To] = Step{From: x, To: l.To, Evidence: l.Evidence}
			if l.To == b {
				var path []Step
				for y := b; y != a; y = prev[y].From {
					path = append(path, prev[y])
				}
				for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
					path[i], path[j] = path[j], path[i]
				}
				return true, path, nil
			}
			queue = append(queue, l.To)
		}
		if maxVisit > 0 && len(prev) > maxVisit {
			return true, nil, fmt.Errorf("addresses %d and %d share cluster %d, but the chain of merges was not found within %d addresses", a, b, ca, maxVisit)
		}
	}
	return true, nil, fmt.Errorf("addresses %d and %d share cluster %d, but no chain of merges links them: the index is inconsistent", a, b, ca)
}
