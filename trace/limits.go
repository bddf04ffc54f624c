package trace

import (
	"fmt"
	"slices"
	"time"
)

// Limits bound a walk. Zero fields take the defaults of DefaultLimits; a
// walk that reaches a budget (nodes, edges, duration) stops and returns a
// partial result that says which budget ended it.
type Limits struct {
	// MaxHops is how many transactions deep a walk goes from its seeds.
	MaxHops int
	// Window, if positive, ignores transactions more than this long after
	// (forward) or before (backward) the earliest seed.
	Window time.Duration
	// MinValue drops flows carrying less than this many satoshi.
	MinValue uint64
	// MaxFanout stops at transactions with more outputs (forward) or
	// inputs (backward) than this, and at addresses with more transactions
	// than this when a walk lists them: such nodes are usually services.
	MaxFanout int
	// MixDegree stops at mixing transactions: those with at least this
	// many inputs and at least this many outputs (CoinJoins). Past one,
	// the value is spread over every participant, and following it walks
	// into the whole mix; the traced value ends there with the reason
	// "mixing". Negative never stops at a mix.
	MixDegree int
	// MaxNodes and MaxEdges bound the result.
	MaxNodes int
	MaxEdges int
	// MaxDuration bounds the time a walk may take.
	MaxDuration time.Duration
	// StopCategories are label categories at which a walk stops: value
	// that reaches a service leaves the chain's view.
	StopCategories []string
}

// DefaultLimits returns the limits used for zero fields.
func DefaultLimits() Limits {
	return Limits{
		MaxHops:     6,
		MaxFanout:   500,
		MixDegree:   20,
		MaxNodes:    10_000,
		MaxEdges:    50_000,
		MaxDuration: 10 * time.Second,
		StopCategories: []string{
			"exchange", "mixing_service", "payment_processor", "market", "gambling",
			"wallet_service", "atm", "bridge", "dex", "custody",
		},
	}
}

// withDefaults fills zero fields and checks the rest.
func (l Limits) withDefaults() (Limits, error) {
	d := DefaultLimits()
	if l.MaxHops == 0 {
		l.MaxHops = d.MaxHops
	}
	if l.MaxFanout == 0 {
		l.MaxFanout = d.MaxFanout
	}
	if l.MixDegree == 0 {
		l.MixDegree = d.MixDegree
	}
	if l.MaxNodes == 0 {
		l.MaxNodes = d.MaxNodes
	}
	if l.MaxEdges == 0 {
		l.MaxEdges = d.MaxEdges
	}
	if l.MaxDuration == 0 {
		l.MaxDuration = d.MaxDuration
	}
	if l.StopCategories == nil {
		l.StopCategories = d.StopCategories
	}
	switch {
	case l.MaxHops < 0 || l.MaxHops > 1000:
		return l, fmt.Errorf("trace: hops %d out of range 1..1000", l.MaxHops)
	case l.MaxFanout < 0, l.MaxNodes < 0, l.MaxEdges < 0, l.MaxDuration < 0, l.Window < 0:
		return l, fmt.Errorf("trace: negative limit in %+v", l)
	}
	return l, nil
}

// mixing reports whether a transaction with ins inputs and outs outputs
// is a mix at which walks stop.
func (l *Limits) mixing(ins, outs int) bool {
	return l.MixDegree > 0 && ins >= l.MixDegree && outs >= l.MixDegree
}

// stopAt returns the first tag whose category stops a walk.
func (l *Limits) stopAt(tags []Tag) (Tag, bool) {
	for _, t := range tags {
		if slices.Contains(l.StopCategories, t.Category) {
			return t, true
		}
	}
	return Tag{}, false
}
