package detect

import (
	"context"
)

// peelChain follows peel chains (§1.5, §4.5): hops of 1–2 inputs and two
// outputs, the smaller (the peel) at most MaxPeelShare of the input, whose
// larger output (the continuation) is spent by the next hop. A chain of
// MinHops hops is flagged, and flagged as ending at an exchange when
// MinPeelsToExchange peels, or its final spend, reach exchange deposits.
// With a floor (MinInput), a transaction whose largest input is below it
// is no hop: the floor bounds the money entering a hop, not its outputs.
type peelChain struct{}

// Name returns the detector's stable name.
func (peelChain) Name() string { return "peel_chain" }

// Version returns the version of the rule.
func (peelChain) Version() int { return 1 }

// hop returns the continuation and peel output indexes of t when t is a
// peel hop. A hop whose largest input is below the floor (MinInput, at
// t's day) is not one.
func (peelChain) hop(c *Context, t *Tx) (cont, peel int, ok bool, err error) {
	maxShare := c.Cfg.PeelChain.MaxPeelShare
	if t.Coinbase || len(t.Ins) < 1 || len(t.Ins) > 2 || len(t.Outs) != 2 || t.Outs[0].Addr == 0 || t.Outs[1].Addr == 0 {
		return 0, 0, false, nil
	}
	cont, peel = 0, 1
	if t.Outs[1].Value > t.Outs[0].Value {
		cont, peel = 1, 0
	}
	if float64(t.Outs[peel].Value) > maxShare*float64(t.InSum()) {
		return 0, 0, false, nil
	}
	if small, err := c.below("peel_chain.min_input", c.Cfg.PeelChain.MinInput(), largestIn(t), t); err != nil || small {
		return 0, 0, false, err
	}
	return cont, peel, true, nil
}

// largestIn returns the value of t's largest input.
func largestIn(t *Tx) uint64 {
	var v uint64
	for _, in := range t.Ins {
		v = max(v, in.Value)
	}
	return v
}

// Run applies the rule to every candidate of the world.
func (d peelChain) Run(ctx context.Context, w *World, c *Context) ([]Finding, error) {
	cfg := c.Cfg.PeelChain
	// isHop[i] says whether transaction i is a hop, and its legs.
	type legs struct{ cont, peel int }
	isHop := make(map[int]legs)
	for i := range w.Txs {
		cont, peel, ok, err := d.hop(c, &w.Txs[i])
		if err != nil {
			return nil, err
		}
		if ok {
			isHop[i] = legs{cont, peel}
		}
	}
	next := make(map[int]int)
	hasPrev := make(map[int]bool)
	for i, l := range isHop {
		if s := w.Txs[i].SpentBy[l.cont]; s >= 0 {
			if _, ok := isHop[s]; ok {
				next[i] = s
				hasPrev[s] = true
			}
		}
	}
	var out []Finding
	for i := range w.Txs {
		if _, ok := next[i]; !ok || hasPrev[i] {
			continue
		}
		var chain []int
		for j, ok := i, true; ok; j, ok = next[j] {
			chain = append(chain, j)
		}
		// The last hop's continuation is spent by the chain's final
		// transaction, which is not a hop.
		if len(chain) < cfg.MinHops {
			continue
		}
		first := &w.Txs[chain[0]]
		b := w.newFinding(d, first.Ins[0].Addr, "PEEL_CHAIN", "")
		toEx := 0
		var peeled uint64
		entity := ""
		var shares []float64
		for k, j := range chain {
			t := &w.Txs[j]
			cont, peel := isHop[j].cont, isHop[j].peel
			p := t.Outs[peel]
			peeled += p.Value
			shares = append(shares, float64(p.Value)/float64(t.InSum()))
			note := "peel"
			if ex, ok := c.Deposits[uint64(p.Addr)]; ok {
				toEx++
				entity = ex
				note = "peel to a deposit address of " + ex
			}
			b.ev(t, p.Addr, p.Value, "hop %d spends %s BTC: %s of %s BTC (%.1f%%), continuation %s BTC to %s", k+1, btc(t.InSum()), note, btc(p.Value),
				100*float64(p.Value)/float64(t.InSum()), btc(t.Outs[cont].Value), w.Name(t.Outs[cont].Addr))
			b.addr(t.Outs[cont].Addr)
		}
		last := &w.Txs[chain[len(chain)-1]]
		cont := isHop[chain[len(chain)-1]].cont
		endsAtEx := false
		if s := last.SpentBy[cont]; s >= 0 {
			end := &w.Txs[s]
			for _, o := range end.Outs {
				if ex, ok := c.Deposits[uint64(o.Addr)]; ok {
					endsAtEx = true
					entity = ex
					b.ev(end, o.Addr, o.Value, "the chain's remainder goes to a deposit address of %s", ex)
				}
			}
		}
		b.f.Entity = entity
		b.f.Measured["hops"] = float64(len(chain))
		b.f.Measured["peels_to_exchange"] = float64(toEx)
		b.f.Measured["peeled_sat"] = float64(peeled)
		b.f.Measured["start_sat"] = float64(first.InSum())
		b.f.Measured["median_peel_share"] = median(shares)
		where := "no exchange seen at its end"
		if toEx >= cfg.MinPeelsToExchange || endsAtEx {
			b.f.Reason = "PEEL_CHAIN_TO_EXCHANGE"
			where = "it reaches exchange " + entity
		}
		out = append(out, b.done("peel chain of %d hops, the first spending %s BTC: %d peels (median %.1f%% of their hop's input) totalling %s BTC, %d to exchange deposits; %s",
			len(chain), btc(first.InSum()), len(chain), 100*median(shares), btc(peeled), toEx, where))
	}
	return out, nil
}
