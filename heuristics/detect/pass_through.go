package detect

import (
	"context"

	"github.com/spoorhq/spoor/storage"
)

// passThrough flags rapid pass-through (§4.4): an address whose inflow
// coin is spent within MaxDelayBlocks by a transaction that sends at
// least (1−ε) of it on, spends no more than that inflow (a forward, not
// an accumulation), pays at most two counterparties and leaves the
// address's balance at most ε of the inflow; MinCycles such cycles within
// Window flag the address.
type passThrough struct{}

// Name returns the detector's stable name.
func (passThrough) Name() string { return "pass_through" }

// Version returns the version of the rule.
func (passThrough) Version() int { return 1 }

// Run applies the rule to every candidate of the world.
func (d passThrough) Run(ctx context.Context, w *World, c *Context) ([]Finding, error) {
	cfg := c.Cfg.PassThrough
	eps := cfg.MaxResidual
	var out []Finding
	for _, a := range sortedAddrs(keysOf(w.Recv)) {
		if w.service(a) != "" || c.Deposits[uint64(a)] != "" || len(w.Recv[a]) < cfg.MinCycles {
			continue
		}
		type cycle struct{ in, out int }
		var cycles []cycle
		for _, r := range w.Recv[a] {
			p := &w.Txs[r]
			if SpentIn(p, a) > 0 {
				continue
			}
			x := ReceivedIn(p, a)
			if small, err := c.below("pass_through.min_amount", cfg.MinAmount(), x, p); err != nil {
				return nil, err
			} else if small {
				continue
			}
			s := -1
			for k, o := range p.Outs {
				if o.Addr == a {
					s = p.SpentBy[k]
				}
			}
			if s < 0 || w.Txs[s].Height-p.Height > cfg.MaxDelayBlocks {
				continue
			}
			st := &w.Txs[s]
			spent := SpentIn(st, a)
			if spent != st.InSum() {
				continue // the forward spends other owners' coins too
			}
			var fwd uint64
			cps := map[storage.AddrID]bool{}
			for _, o := range st.Outs {
				if o.Addr != a {
					fwd += o.Value
					cps[o.Addr] = true
				}
			}
			if float64(spent) > (1+eps)*float64(x) || float64(fwd) < (1-eps)*float64(x) || len(cps) > 2 {
				continue
			}
			if float64(balanceAfter(w, a, s)) > eps*float64(x) {
				continue
			}
			cycles = append(cycles, cycle{r, s})
		}
		if len(cycles) < cfg.MinCycles {
			continue
		}
		if w.Txs[cycles[len(cycles)-1].out].Time-w.Txs[cycles[0].in].Time > cfg.Window {
			continue
		}
		b := w.newFinding(d, a, "PASS_THROUGH", "")
		var in, fw uint64
		var hold []float64
		for _, cy := range cycles {
			p, s := &w.Txs[cy.in], &w.Txs[cy.out]
			x := ReceivedIn(p, a)
			in += x
			fw += s.OutSum()
			hold = append(hold, float64(s.Height-p.Height))
			b.ev(p, w.Source(p), x, "%s receives %s BTC", w.Name(a), btc(x))
			for _, o := range s.Outs {
				b.ev(s, o.Addr, o.Value, "%d block(s) later forwards %s BTC to %s, balance left %s BTC", s.Height-p.Height, btc(o.Value), w.Name(o.Addr), btc(balanceAfter(w, a, cy.out)))
			}
			if ex := c.Deposits[uint64(s.Outs[0].Addr)]; ex != "" {
				b.f.Entity = ex
			}
		}
		b.f.Measured["cycles"] = float64(len(cycles))
		b.f.Measured["pass_through_ratio"] = float64(fw) / float64(in)
		b.f.Measured["median_holding_blocks"] = median(hold)
		out = append(out, b.done("%d cycles of receive-and-forward: %s BTC in, %.1f%% passed on within %d blocks each (median %.0f), nearly nothing left behind",
			len(cycles), btc(in), 100*float64(fw)/float64(in), cfg.MaxDelayBlocks, median(hold)))
	}
	return out, nil
}

// balanceAfter returns a's balance after transaction idx.
func balanceAfter(w *World, a storage.AddrID, idx int) uint64 {
	var bal int64
	for _, r := range w.Recv[a] {
		if r <= idx {
			bal += int64(ReceivedIn(&w.Txs[r], a))
		}
	}
	for _, s := range w.Sent[a] {
		if s <= idx {
			bal -= int64(SpentIn(&w.Txs[s], a))
		}
	}
	return uint64(max(bal, 0))
}

func keysOf(m map[storage.AddrID][]int) map[storage.AddrID]bool {
	out := make(map[storage.AddrID]bool, len(m))
	for a := range m {
		out[a] = true
	}
	return out
}
