package detect

import (
	"context"
)

// chainHop flags transfers into a labelled swap service or instant
// exchanger (§4.7): a payment to the service's labelled address, or to an
// order address the service swept into its labelled wallet (found by the
// deposit sweep detector). The other leg, on another chain, is not seen.
type chainHop struct{}

// Name returns the detector's stable name.
func (chainHop) Name() string { return "chain_hop" }

// Version returns the version of the rule.
func (chainHop) Version() int { return 1 }

// Run applies the rule to every candidate of the world.
func (d chainHop) Run(ctx context.Context, w *World, c *Context) ([]Finding, error) {
	swaps := map[string]bool{}
	for _, tags := range w.Labels {
		for _, t := range tags {
			if c.isSwap(t) {
				swaps[t.Entity] = true
			}
		}
	}
	var out []Finding
	for i := range w.Txs {
		t := &w.Txs[i]
		src := w.Source(t)
		if src == 0 || w.service(src) != "" || c.Deposits[uint64(t.Ins[0].Addr)] != "" {
			continue
		}
		for _, o := range t.Outs {
			entity := ""
			if tag, ok := w.tagOf(o.Addr, c.isSwap); ok {
				entity = tag.Entity
			} else if ex := c.Deposits[uint64(o.Addr)]; swaps[ex] {
				entity = ex
			}
			if entity == "" {
				continue
			}
			if small, err := c.below("chain_hop.min_amount", c.Cfg.ChainHop.MinAmount(), o.Value, t); err != nil {
				return nil, err
			} else if small {
				continue
			}
			b := w.newFinding(d, t.Ins[0].Addr, "CHAIN_HOP", entity)
			b.ev(t, o.Addr, o.Value, "%s BTC into %s of swap service %s", btc(o.Value), w.Name(o.Addr), entity)
			b.f.Measured["amount_sat"] = float64(o.Value)
			out = append(out, b.done("%s sent %s BTC to swap service %s: the money likely leaves for another asset or chain", w.Name(t.Ins[0].Addr), btc(o.Value), entity))
		}
	}
	return out, nil
}
