package detect

import (
	"context"

	"github.com/spoorhq/spoor/storage"
	"github.com/spoorhq/spoor/trace"
)

// depositSweep finds exchange deposit addresses (§4.1): unlabelled
// addresses paid by outsiders whose coins are swept, together with other
// such addresses, into a labelled exchange (or swap service) wallet. It
// records them in Context.Deposits, and the payers are the exchange's
// customers.
type depositSweep struct{}

// Name returns the detector's stable name.
func (depositSweep) Name() string { return "deposit_sweep" }

// Version returns the version of the rule.
func (depositSweep) Version() int { return 1 }

// Run applies the rule to every candidate of the world.
func (d depositSweep) Run(ctx context.Context, w *World, c *Context) ([]Finding, error) {
	cfg := c.Cfg.DepositSweep
	svc := func(t trace.Tag) bool { return c.isExchange(t) || c.isSwap(t) }
	var out []Finding
	done := map[storage.AddrID]bool{}
	for i := range w.Txs {
		t := &w.Txs[i]
		if t.Coinbase || len(t.Ins) < cfg.MinInputs {
			continue
		}
		var toEx uint64
		entity := ""
		for _, o := range t.Outs {
			if tag, ok := w.tagOf(o.Addr, svc); ok {
				toEx += o.Value
				entity = tag.Entity
			}
		}
		if entity == "" || float64(toEx) < cfg.MinExchangeShare*float64(t.OutSum()) {
			continue
		}
		inputs := map[storage.AddrID]bool{}
		for _, in := range t.Ins {
			if in.Addr != 0 && w.service(in.Addr) == "" {
				inputs[in.Addr] = true
			}
		}
		if len(inputs) < cfg.MinInputs {
			continue
		}
		for _, a := range sortedAddrs(inputs) {
			if done[a] {
				continue
			}
			// The deposits: payments to a before the sweep, from payers
			// that are not the exchange itself, within MaxDelay.
			b := w.newFinding(d, a, "EXCHANGE_DEPOSIT", entity)
			customers := map[storage.AddrID]bool{}
			var total uint64
			for _, r := range w.Recv[a] {
				p := &w.Txs[r]
				if r >= i || t.Time-p.Time > cfg.MaxDelay {
					continue
				}
				payer := w.Source(p)
				if payer == 0 || w.paidByService(p) {
					continue
				}
				v := ReceivedIn(p, a)
				if small, err := c.below("deposit_sweep.min_deposit", cfg.MinDeposit(), v, p); err != nil {
					return nil, err
				} else if small {
					continue
				}
				customers[payer] = true
				total += v
				b.ev(p, payer, v, "customer %s deposits %s BTC to %s", w.Name(payer), btc(v), w.Name(a))
			}
			if len(customers) == 0 {
				continue
			}
			done[a] = true
			c.Deposits[uint64(a)] = entity
			b.ev(t, a, SpentIn(t, a), "swept with %d other deposit addresses; %s of %s BTC goes to %s", len(inputs)-1, btc(toEx), btc(t.OutSum()), entity)
			b.f.Measured["customers"] = float64(len(customers))
			b.f.Measured["deposited_sat"] = float64(total)
			b.f.Measured["sweep_inputs"] = float64(len(inputs))
			b.f.Measured["exchange_share"] = float64(toEx) / float64(max(t.OutSum(), 1))
			out = append(out, b.done("%s is a deposit address of %s: %d customer(s) paid %s BTC into it and the exchange swept it with %d other addresses in %s",
				w.Name(a), entity, len(customers), btc(total), len(inputs)-1, TxidString(t.Txid)))
		}
	}
	return out, nil
}
