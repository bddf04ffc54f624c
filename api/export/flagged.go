package export

import (
	"sort"

	"github.com/spoorhq/spoor/trace"
)

// Flagged is a labelled address of a graph with its labels: what the
// indicator formats share. The rest of the trace stays out.
type Flagged struct {
	Address    string
	Cluster    uint64
	HasCluster bool
	Start      int64
	Labels     []trace.Tag
}

// FlaggedAddresses returns the labelled addresses of g, sorted by address,
// each once with its labels merged.
func FlaggedAddresses(g *Graph) []Flagged {
	byAddr := map[string]int{}
	var out []Flagged
	for i := range g.Nodes {
		n := &g.Nodes[i]
		if n.Kind != trace.KindAddress || n.Address == "" || len(n.Labels) == 0 {
			continue
		}
		k, ok := byAddr[n.Address]
		if !ok {
			k = len(out)
			byAddr[n.Address] = k
			out = append(out, Flagged{Address: n.Address, Cluster: n.Cluster, HasCluster: n.HasCluster, Start: n.Start})
		}
		for _, t := range n.Labels {
			if !hasTag(out[k].Labels, t) {
				out[k].Labels = append(out[k].Labels, t)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Address < out[j].Address })
	for i := range out {
		sort.Slice(out[i].Labels, func(a, b int) bool {
			x, y := out[i].Labels[a], out[i].Labels[b]
			if x.Entity != y.Entity {
				return x.Entity < y.Entity
			}
			if x.Category != y.Category {
				return x.Category < y.Category
			}
			return x.Source < y.Source
		})
	}
	return out
}

func hasTag(list []trace.Tag, t trace.Tag) bool {
	for _, x := range list {
		if x == t {
			return true
		}
	}
	return false
}
