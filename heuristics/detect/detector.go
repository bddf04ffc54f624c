package detect

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Detector is one named, versioned rule. Run reads the world and the
// context earlier detectors filled in and returns its findings.
type Detector interface {
	// Name is the rule's stable name, for example "peel_chain".
	Name() string
	// Version changes whenever the rule's logic changes.
	Version() int
	Run(ctx context.Context, w *World, c *Context) ([]Finding, error)
}

// Context is what detectors share: deposit addresses found by the sweep
// detector, which later detectors use as off-ramp endpoints.
type Context struct {
	Cfg Config
	// Deposits maps an exchange deposit address to its exchange's entity.
	Deposits map[uint64]string
	// Prices converts amounts to USD when a price table is configured
	// (nil otherwise).
	Prices *PriceTable
}

// Detectors returns every detector in the order Run executes them:
// deposit sweeps first, because the others ask whether money reaches an
// exchange.
func Detectors() []Detector {
	return []Detector{
		depositSweep{}, peelChain{}, structuring{}, fanIn{}, fanOut{}, passThrough{},
		hawala{}, roundAmount{}, chainHop{}, sanctionedContact{},
	}
}

// Names returns the names of every detector.
func Names() []string {
	var out []string
	for _, d := range Detectors() {
		out = append(out, d.Name())
	}
	return out
}

// CheckName returns an error naming the known detectors when name is not
// one of them.
func CheckName(name string) error {
	if slices.Contains(Names(), name) {
		return nil
	}
	return fmt.Errorf("detect: unknown detector %q (known: %s)", name, strings.Join(Names(), ", "))
}
