package detect

import (
	"context"
	"fmt"
	"math"

	"github.com/spoorhq/spoor/storage"
)

// roundAmount reports round payments (§4.6), supporting evidence only: at
// least MinPayments payments that are multiples of UnitSat (or, with
// USDUnit and a price table, worth a round number of dollars), from distinct
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
			if o.Addr == 0 || o.Value == 0 {
				continue
			}
			if o.Value%cfg.UnitSat != 0 {
				if cfg.USDUnit == 0 {
					continue
				}
				if _, round, err := roundUSD(o.Value, t, cfg, c.Prices); err != nil {
					return nil, err
				} else if !round {
					continue
				}
			}
			if w.ClusterOf(o.Addr) == src || w.service(o.Addr) != "" || c.Deposits[uint64(o.Addr)] != "" {
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
			if o.Value%cfg.UnitSat == 0 {
				b.ev(t, o.Addr, o.Value, "round payment of %s BTC (a multiple of %s BTC) from %s", btc(o.Value), btc(cfg.UnitSat), w.Name(w.Source(t)))
				continue
			}
			usd, _, err := roundUSD(o.Value, t, cfg, c.Prices)
			if err != nil {
				return nil, err
			}
			b.ev(t, o.Addr, o.Value, "round payment of %s BTC, worth %s USD (within %s USD of a multiple of %s USD), from %s",
				btc(o.Value), usdString(usd), usdString(cfg.USDTolerance*cfg.USDUnit), usdString(cfg.USDUnit), w.Name(w.Source(t)))
		}
		if key >= 0 {
			st := &w.Txs[key]
			b.ev(st, 0, st.OutSum(), "the round coins are spent together")
		}
		b.f.Measured["round_payments"] = float64(len(ps))
		b.f.Measured["payers"] = float64(len(payers))
		b.f.Measured["unit_sat"] = float64(cfg.UnitSat)
		if cfg.USDUnit != 0 {
			b.f.Measured["usd_unit"] = cfg.USDUnit
		}
		out = append(out, b.done("%d round payments (%s BTC together) from %d distinct payers, collected together; supporting evidence only",
			len(ps), btc(sum), len(payers)))
	}
	sortFindings(out)
	return out, nil
}

// roundUSD returns the USD value of v satoshis paid in t and whether it is
// round: within cfg.USDTolerance·cfg.USDUnit of a non-zero multiple of
// cfg.USDUnit, at the price of t's day. The tolerance is a share of the
// unit, not of the payment: as a share of the payment, every payment above
// 10,000 USD would be within 0.5 % of a multiple of 100 USD.
func roundUSD(v uint64, t *Tx, cfg RoundAmountConfig, p *PriceTable) (usd float64, round bool, err error) {
	if p == nil {
		return 0, false, fmt.Errorf("detect.round_amount.usd_unit = %v: USD roundness needs a price table (detect.prices)", cfg.USDUnit)
	}
	usd, err = p.USD(v, t.Time)
	if err != nil {
		return 0, false, fmt.Errorf("detect.round_amount.usd_unit: transaction %s at height %d: %w", TxidString(t.Txid), t.Height, err)
	}
	near := math.Round(usd/cfg.USDUnit) * cfg.USDUnit
	return usd, near > 0 && math.Abs(usd-near) <= cfg.USDTolerance*cfg.USDUnit, nil
}
