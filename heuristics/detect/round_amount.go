package detect

import (
	"context"

	"github.com/spoorhq/spoor/storage"
)

// roundAmount reports round payments (§4.6), supporting evidence only: at
// least MinPayments payments that are multiples of UnitSat, from distinct
// payers, into one address or into addresses later spent together (a
// collector's fresh addresses). It never alerts by itself.
type roundAmount struct{}

// Name returns the detector's stable name.
func (roundAmount) Name() string { return "round_amount" }

// Version returns the version of the rule.
func (roundAmount) Version() int { return 1 }

// Run applies the rule to every candidate of the world.
func (d roundAmount) Run(ctx context.Context, w *World, c *Context) ([]Finding, error) {
	cfg := c.Cfg.RoundAmount
	type pay struct {
		tx, vout int
	}
	groups := map[int64][]pay{} // key: spending tx index, or −address for unspent coins
	for i := range w.Txs {
		t := &w.Txs[i]
		src := w.Source(t)
		if src == 0 || w.service(src) != "" {
			continue
		}
		for k, o := range t.Outs {
			if o.Addr == 0 || o.Value == 0 || o.Value%cfg.UnitSat != 0 || w.ClusterOf(o.Addr) == src || w.service(o.Addr) != "" || c.Deposits[uint64(o.Addr)] != "" {
				continue
			}
			if small, err := c.below("round_amount.min_amount", cfg.MinAmount(), o.Value, t); err != nil {
				return nil, err
			} else if small {
				continue
			}
			key := -int64(o.Addr)
			if s := t.SpentBy[k]; s >= 0 {
				key = int64(s)
			}
			groups[key] = append(groups[key], pay{i, k})
		}
	}
	var out []Finding
	for key := range groups {
		ps := groups[key]
		payers := map[storage.AddrID]bool{}
		for _, p := range ps {
			payers[w.Source(&w.Txs[p.tx])] = true
		}
		if len(payers) < cfg.MinPayments {
			continue
		}
		first := w.Txs[ps[0].tx].Outs[ps[0].vout].Addr
		b := w.newFinding(d, first, "ROUND_AMOUNTS", "")
		b.f.Supporting = true
		var sum uint64
		for _, p := range ps {
			t := &w.Txs[p.tx]
			o := t.Outs[p.vout]
			sum += o.Value
			b.ev(t, o.Addr, o.Value, "round payment of %s BTC (a multiple of %s BTC) from %s", btc(o.Value), btc(cfg.UnitSat), w.Name(w.Source(t)))
		}
		if key >= 0 {
			st := &w.Txs[key]
			b.ev(st, 0, st.OutSum(), "the round coins are spent together")
		}
		b.f.Measured["round_payments"] = float64(len(ps))
		b.f.Measured["payers"] = float64(len(payers))
		b.f.Measured["unit_sat"] = float64(cfg.UnitSat)
		out = append(out, b.done("%d round payments (%s BTC together) from %d distinct payers, collected together; supporting evidence only",
			len(ps), btc(sum), len(payers)))
	}
	sortFindings(out)
	return out, nil
}
