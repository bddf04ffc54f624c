package detect

import (
	"slices"

	"github.com/spoorhq/spoor/storage"
	"github.com/spoorhq/spoor/trace"
)

// tagOf returns the first label of a, or of a's cluster, that match
// accepts, and whether there is one.
func (w *World) tagOf(a storage.AddrID, match func(trace.Tag) bool) (trace.Tag, bool) {
	for _, t := range w.Labels[a] {
		if match(t) {
			return t, true
		}
	}
	if c := w.ClusterOf(a); c != a {
		for _, t := range w.Labels[c] {
			if match(t) {
				return t, true
			}
		}
	}
	return trace.Tag{}, false
}

// isSwap reports whether t marks a swap service (chain_hop configuration).
func (c *Context) isSwap(t trace.Tag) bool {
	return slices.Contains(c.Cfg.ChainHop.Categories, t.Category) || slices.Contains(c.Cfg.ChainHop.Sources, t.Source)
}

// isExchange reports whether t marks a custodial exchange (not a swap
// service).
func (c *Context) isExchange(t trace.Tag) bool { return t.Category == "exchange" && !c.isSwap(t) }

// isSanction reports whether t marks a designated entity.
func (c *Context) isSanction(t trace.Tag) bool {
	return slices.Contains(c.Cfg.Sanctioned.Categories, t.Category)
}

// service returns the entity of a labelled service owning a, or "".
func (w *World) service(a storage.AddrID) string {
	if t, ok := w.tagOf(a, func(t trace.Tag) bool { return t.Category != "" }); ok {
		return t.Entity
	}
	return ""
}

// paidByService reports whether any input of t belongs to a labelled
// service (an exchange's withdrawal spends hot and change coins together).
func (w *World) paidByService(t *Tx) bool {
	for _, in := range t.Ins {
		if in.Addr != 0 && w.service(in.Addr) != "" {
			return true
		}
	}
	return false
}
