package detect

import (
	"context"

	"github.com/spoorhq/spoor/storage"
)

// hawala flags hawala-like periodic settlement (§4.8): an address with at
// least MinInflows inflows that settles in few transactions (at most
// MaxOutShare of the inflows, at least MinSettlements), each much larger
// than an inflow (median ratio MinMedianRatio), at regular intervals (CV
// at most MaxIntervalCV), to at most MaxCounterparties stable
// counterparties, leaving at most MaxResidual of each accumulation.
type hawala struct{}

// Name returns the detector's stable name.
func (hawala) Name() string { return "hawala" }

// Version returns the version of the rule.
func (hawala) Version() int { return 1 }

// Run applies the rule to every candidate of the world.
func (d hawala) Run(ctx context.Context, w *World, c *Context) ([]Finding, error) {
	cfg := c.Cfg.Hawala
	var out []Finding
	for _, a := range sortedAddrs(keysOf(w.Recv)) {
		if len(w.Recv[a]) < cfg.MinInflows || w.service(a) != "" || c.Deposits[uint64(a)] != "" {
			continue
		}
		var ins []int
		var inVals []float64
		for _, r := range w.Recv[a] {
			if SpentIn(&w.Txs[r], a) == 0 {
				ins = append(ins, r)
				inVals = append(inVals, float64(ReceivedIn(&w.Txs[r], a)))
			}
		}
		outs := w.Sent[a]
		if len(ins) < cfg.MinInflows || len(outs) < cfg.MinSettlements || float64(len(outs)) > cfg.MaxOutShare*float64(len(ins)) {
			continue
		}
		var outVals, gaps []float64
		cps := map[storage.AddrID]bool{}
		ok := true
		prev := -1
		for _, s := range outs {
			st := &w.Txs[s]
			var paid uint64
			for _, o := range st.Outs {
				if o.Addr != a {
					paid += o.Value
					cps[w.ClusterOf(o.Addr)] = true
				}
			}
			if small, err := c.below("hawala.min_settlement", cfg.MinSettlement(), paid, st); err != nil {
				return nil, err
			} else if small {
				ok = false
			}
			outVals = append(outVals, float64(paid))
			// Accumulated since the previous settlement.
			var acc uint64
			for _, r := range ins {
				if r > prev && r < s {
					acc += ReceivedIn(&w.Txs[r], a)
				}
			}
			if float64(balanceAfter(w, a, s)) > cfg.MaxResidual*float64(max(acc, 1)) {
				ok = false
			}
			if prev >= 0 {
				gaps = append(gaps, float64(st.Time-w.Txs[prev].Time))
			}
			prev = s
		}
		if !ok || len(cps) > cfg.MaxCounterparties || median(outVals) < cfg.MinMedianRatio*median(inVals) || cv(gaps) > cfg.MaxIntervalCV {
			continue
		}
		b := w.newFinding(d, a, "PERIODIC_SETTLEMENT", "")
		for _, r := range ins {
			p := &w.Txs[r]
			b.ev(p, w.Source(p), ReceivedIn(p, a), "inflow from %s", w.Name(w.Source(p)))
		}
		for _, s := range outs {
			st := &w.Txs[s]
			for _, o := range st.Outs {
				if o.Addr != a {
					b.ev(st, o.Addr, o.Value, "settlement of %s BTC to %s; balance after %s BTC", btc(o.Value), w.Name(o.Addr), btc(balanceAfter(w, a, s)))
				}
			}
		}
		b.f.Measured["inflows"] = float64(len(ins))
		b.f.Measured["settlements"] = float64(len(outs))
		b.f.Measured["median_ratio"] = median(outVals) / median(inVals)
		b.f.Measured["interval_cv"] = cv(gaps)
		b.f.Measured["counterparties"] = float64(len(cps))
		out = append(out, b.done("%d small inflows settled in %d transactions (median %.0f× an inflow) to the same %d counterparties at regular intervals (CV %.2f), each emptying the address",
			len(ins), len(outs), median(outVals)/median(inVals), len(cps), cv(gaps)))
	}
	return out, nil
}
