package detect

import (
	"context"
	"fmt"
	"sort"

	"github.com/spoorhq/spoor/storage"
)

// Result is one batch run: every finding, in detector order, and the
// alerts built from them.
type Result struct {
	Findings []Finding
	Alerts   []Alert
	// Counts is the number of findings per detector name, every detector
	// present (a detector that found nothing says 0, not nothing).
	Counts map[string]int
	// Warnings name detectors that ran blind: the labels they need are
	// missing from the index, so they can find nothing.
	Warnings []string
}

// Run validates cfg (after Defaults) and runs the detectors named in only
// (every detector when empty) over w, then builds alerts.
func Run(ctx context.Context, w *World, cfg Config, only []string) (*Result, error) {
	cfg = cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, n := range only {
		if err := CheckName(n); err != nil {
			return nil, err
		}
		want[n] = true
	}
	prices, err := cfg.loadPrices()
	if err != nil {
		return nil, err
	}
	c := &Context{Cfg: cfg, Deposits: map[uint64]string{}, Prices: prices}
	res := &Result{Counts: map[string]int{}, Warnings: blind(w, c)}
	for _, d := range Detectors() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		fs, err := d.Run(ctx, w, c)
		if err != nil {
			return nil, fmt.Errorf("detect: %s/%d: %w", d.Name(), d.Version(), err)
		}
		// Deposit sweeps always run: the other detectors need them.
		if len(want) > 0 && !want[d.Name()] {
			continue
		}
		sortFindings(fs)
		priceEvidence(fs, prices)
		res.Counts[d.Name()] = len(fs)
		res.Findings = append(res.Findings, fs...)
	}
	res.Alerts = buildAlerts(w, res.Findings, cfg.MinIndicators)
	return res, nil
}

// sortFindings orders findings by first time, then subject.
func sortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		if fs[i].FirstTime != fs[j].FirstTime {
			return fs[i].FirstTime < fs[j].FirstTime
		}
		return fs[i].Subject < fs[j].Subject
	})
}

// Store replaces the stored findings and alerts with res, atomically.
func Store(db *storage.DB, res *Result) error {
	sf := make([]storage.StoredFinding, 0, len(res.Findings))
	for i := range res.Findings {
		v, err := EncodeFinding(&res.Findings[i])
		if err != nil {
			return err
		}
		sf = append(sf, storage.StoredFinding{Value: v, Addrs: res.Findings[i].addrs})
	}
	sa := make([]storage.StoredAlert, 0, len(res.Alerts))
	for i := range res.Alerts {
		v, err := EncodeAlert(&res.Alerts[i])
		if err != nil {
			return err
		}
		sa = append(sa, storage.StoredAlert{ID: res.Alerts[i].id, Value: v})
	}
	if err := db.ReplaceFindings(sf, sa); err != nil {
		return fmt.Errorf("detect: store %d findings and %d alerts: %w", len(sf), len(sa), err)
	}
	return nil
}

// blind returns a warning for each detector whose labels are missing.
func blind(w *World, c *Context) []string {
	var ex, swap, sanc bool
	for _, tags := range w.Labels {
		for _, t := range tags {
			ex = ex || c.isExchange(t)
			swap = swap || c.isSwap(t)
			sanc = sanc || c.isSanction(t)
		}
	}
	var out []string
	if !ex {
		out = append(out, "no exchange labels in the index: deposit_sweep finds no deposit addresses, and no detector sees money reach an exchange (import labels with spoor labels import)")
	}
	if !swap {
		out = append(out, fmt.Sprintf("no swap-service labels (categories %v, sources %v): chain_hop can find nothing", c.Cfg.ChainHop.Categories, c.Cfg.ChainHop.Sources))
	}
	if !sanc {
		out = append(out, fmt.Sprintf("no sanction labels (categories %v): sanctioned_contact can find nothing", c.Cfg.Sanctioned.Categories))
	}
	return out
}
