package detect

import (
	"context"

	"github.com/spoorhq/spoor/storage"
)

// fanOut flags smurfing (§4.3): one transaction pays at least MinOutputs
// fresh addresses (first paid here) about equal amounts (coefficient of
// variation at most MaxCV), and at least MinForwardShare of them forward
// their coin within Forward to one common cluster or to exchange deposits.
type fanOut struct{}

// Name returns the detector's stable name.
func (fanOut) Name() string { return "fan_out" }

// Version returns the version of the rule.
func (fanOut) Version() int { return 1 }

// Run applies the rule to every candidate of the world.
func (d fanOut) Run(ctx context.Context, w *World, c *Context) ([]Finding, error) {
	cfg := c.Cfg.FanOut
	var out []Finding
	for i := range w.Txs {
		t := &w.Txs[i]
		if t.Coinbase || len(t.Outs) < cfg.MinOutputs {
			continue
		}
		src := w.Source(t)
		if src == 0 || w.service(src) != "" {
			continue
		}
		var fresh []int
		var vals []float64
		for k, o := range t.Outs {
			if o.Addr != 0 && w.FirstSeen(o.Addr, i) && w.ClusterOf(o.Addr) != src {
				fresh = append(fresh, k)
				vals = append(vals, float64(o.Value))
			}
		}
		// The change, fresh too, is the odd one out: keep the outputs
		// near the median amount.
		m := median(vals)
		keep, kv := fresh[:0:0], vals[:0:0]
		for j, k := range fresh {
			if vals[j] >= m/2 && vals[j] <= 1.5*m {
				keep, kv = append(keep, k), append(kv, vals[j])
			}
		}
		fresh, vals = keep, kv
		if len(fresh) < cfg.MinOutputs || cv(vals) > cfg.MaxCV {
			continue
		}
		var paid uint64
		for _, k := range fresh {
			paid += t.Outs[k].Value
		}
		if small, err := c.below("fan_out.min_total", cfg.MinTotal(), paid, t); err != nil {
			return nil, err
		} else if small {
			continue
		}
		dest := map[storage.AddrID]int{}
		toEx := 0
		fwdTx := map[int]int{}
		for _, k := range fresh {
			s := t.SpentBy[k]
			if s < 0 || w.Txs[s].Time-t.Time > cfg.Forward {
				continue
			}
			st := &w.Txs[s]
			best, bv := storage.AddrID(0), uint64(0)
			for _, o := range st.Outs {
				if o.Value > bv && o.Addr != 0 {
					best, bv = o.Addr, o.Value
				}
			}
			if best == 0 || 2*bv < st.OutSum() {
				continue
			}
			fwdTx[k] = s
			if c.Deposits[uint64(best)] != "" {
				toEx++
			}
			dest[w.ClusterOf(best)]++
		}
		common, n := storage.AddrID(0), 0
		for a, m := range dest {
			if m > n || (m == n && a < common) {
				common, n = a, m
			}
		}
		conv := max(n, toEx)
		if float64(conv) < cfg.MinForwardShare*float64(len(fresh)) {
			continue
		}
		b := w.newFinding(d, t.Ins[0].Addr, "FAN_OUT", "")
		var total uint64
		for _, k := range fresh {
			o := t.Outs[k]
			total += o.Value
			b.ev(t, o.Addr, o.Value, "%s BTC to fresh address %s", btc(o.Value), w.Name(o.Addr))
			if s, ok := fwdTx[k]; ok {
				st := &w.Txs[s]
				b.ev(st, o.Addr, st.OutSum(), "%s forwards %s BTC after %s", w.Name(o.Addr), btc(st.OutSum()), dur(st.Time-t.Time))
			}
		}
		b.addr(common)
		b.f.Measured["fresh_outputs"] = float64(len(fresh))
		b.f.Measured["amount_cv"] = cv(vals)
		b.f.Measured["forwarded_to_common"] = float64(n)
		b.f.Measured["forwarded_to_exchange"] = float64(toEx)
		out = append(out, b.done("one transaction paid %d fresh addresses %s BTC in near-equal amounts (CV %.3f); %d of them forwarded within %s to the common cluster of %s, %d to exchange deposits",
			len(fresh), btc(total), cv(vals), n, dur(cfg.Forward), w.Name(common), toEx))
	}
	return out, nil
}
