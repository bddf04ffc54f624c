package detect

import (
	"context"

	"github.com/spoorhq/spoor/storage"
)

// fanIn flags accumulation (§4.3): the coins a transaction forwards were
// collected, within Window, from at least MinSources distinct paying
// clusters in small amounts (median at most MaxMedianShare of the sum),
// and the transaction forwards at least MinOutShare of that sum to at most
// MaxCounterparties counterparties. When the coins sat on one reused
// address that is the rule; when they sat on many addresses (a shop's
// fresh sale addresses look the same), the forward must reach an exchange
// deposit address: a consolidation into one's own treasury is not flagged.
type fanIn struct{}

// Name returns the detector's stable name.
func (fanIn) Name() string { return "fan_in" }

// Version returns the version of the rule.
func (fanIn) Version() int { return 1 }

// Run applies the rule to every candidate of the world.
func (d fanIn) Run(ctx context.Context, w *World, c *Context) ([]Finding, error) {
	cfg := c.Cfg.FanIn
	var out []Finding
	for i := range w.Txs {
		t := &w.Txs[i]
		if t.Coinbase {
			continue
		}
		set := map[storage.AddrID]bool{}
		skip := false
		for _, in := range t.Ins {
			if in.Addr == 0 || w.service(in.Addr) != "" || c.Deposits[uint64(in.Addr)] != "" {
				skip = true
				break
			}
			set[in.Addr] = true
		}
		if skip || len(set) == 0 {
			continue
		}
		// Inflows: payments to the set since each address's previous spend.
		var vals []float64
		var sum uint64
		sources := map[storage.AddrID]bool{}
		var inflows []int
		for a := range set {
			prevSpend := -1
			for _, s := range w.Sent[a] {
				if s < i {
					prevSpend = s
				}
			}
			for _, r := range w.Recv[a] {
				p := &w.Txs[r]
				if r <= prevSpend || r >= i || t.Time-p.Time > cfg.Window {
					continue
				}
				src := w.Source(p)
				if src == 0 || set[src] || set[p.Ins[0].Addr] {
					continue
				}
				v := ReceivedIn(p, a)
				sources[src] = true
				vals = append(vals, float64(v))
				sum += v
				inflows = append(inflows, r)
			}
		}
		if len(sources) < cfg.MinSources || sum == 0 || median(vals) > cfg.MaxMedianShare*float64(sum) {
			continue
		}
		if small, err := c.below("fan_in.min_total", cfg.MinTotal(), sum, t); err != nil {
			return nil, err
		} else if small {
			continue
		}
		var fwd uint64
		cps := map[storage.AddrID]bool{}
		toEx := ""
		for _, o := range t.Outs {
			if o.Addr == 0 || set[o.Addr] {
				continue
			}
			fwd += o.Value
			cps[w.ClusterOf(o.Addr)] = true
			if ex := c.Deposits[uint64(o.Addr)]; ex != "" {
				toEx = ex
			}
		}
		if float64(fwd) < cfg.MinOutShare*float64(sum) || len(cps) > cfg.MaxCounterparties {
			continue
		}
		reason := "FAN_IN"
		if len(set) > 1 {
			if toEx == "" {
				continue
			}
			reason = "FAN_IN_TO_EXCHANGE"
		}
		subject := sortedAddrs(set)[0]
		b := w.newFinding(d, subject, reason, toEx)
		sortInts(inflows)
		for _, r := range inflows {
			p := &w.Txs[r]
			for a := range set {
				if v := ReceivedIn(p, a); v > 0 {
					b.ev(p, a, v, "inflow of %s BTC from %s", btc(v), w.Name(w.Source(p)))
				}
			}
		}
		for _, o := range t.Outs {
			if o.Addr != 0 && !set[o.Addr] {
				b.ev(t, o.Addr, o.Value, "forwarded %s BTC to %s", btc(o.Value), w.Name(o.Addr))
			}
		}
		b.f.Measured["sources"] = float64(len(sources))
		b.f.Measured["inflow_sat"] = float64(sum)
		b.f.Measured["median_share"] = median(vals) / float64(sum)
		b.f.Measured["forwarded_share"] = float64(fwd) / float64(sum)
		b.f.Measured["counterparties"] = float64(len(cps))
		b.f.Measured["collection_addresses"] = float64(len(set))
		out = append(out, b.done("%d distinct sources paid %s BTC in %d inflows (median %.1f%% of the sum) into %d address(es); %.0f%% was forwarded to %d counterparties in %s",
			len(sources), btc(sum), len(vals), 100*median(vals)/float64(sum), len(set), 100*float64(fwd)/float64(sum), len(cps), TxidString(t.Txid)))
	}
	return out, nil
}

func sortInts(v []int) {
	for i := 1; i < len(v); i++ {
		for j := i; j > 0 && v[j] < v[j-1]; j-- {
			v[j], v[j-1] = v[j-1], v[j]
		}
	}
}
