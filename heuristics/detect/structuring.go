package detect

import (
	"context"
	"fmt"
	"sort"
	"strconv"

	"github.com/spoorhq/spoor/storage"
)

// structuring flags repeated transfers just below a reporting threshold
// (§4.2): at least MinTransfers separate transactions paying amounts in
// [T·(1−δ), T) within Window, together at least T, to one exchange deposit
// address (whoever pays it: the institution that would report is the
// exchange) or from one cluster to one other cluster.
type structuring struct{}

// Name returns the detector's stable name.
func (structuring) Name() string { return "structuring" }

// Version returns the version of the rule.
func (structuring) Version() int { return 1 }

type transfer struct {
	tx   int
	to   storage.AddrID
	from storage.AddrID
	v    uint64
	usd  float64 // the transfer's USD value, for USD thresholds
	T    uint64  // the threshold in satoshis at the transfer's time
}

// usdString formats a USD amount with two decimals.
func usdString(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }

// Run applies the rule to every candidate of the world.
func (d structuring) Run(ctx context.Context, w *World, c *Context) ([]Finding, error) {
	cfg := c.Cfg.Structuring
	var ths []Amount
	for _, T := range cfg.ThresholdsSat {
		ths = append(ths, Amount{Sat: T})
	}
	for _, u := range cfg.ThresholdsUSD {
		ths = append(ths, Amount{USD: u})
	}
	if len(cfg.ThresholdsUSD) > 0 && c.Prices == nil {
		return nil, fmt.Errorf("detect.structuring.thresholds_usd %v need a price table (detect.prices)", cfg.ThresholdsUSD)
	}
	var out []Finding
	flagged := map[string]bool{}
	for _, th := range ths {
		byKey := map[string][]transfer{}
		for i := range w.Txs {
			t := &w.Txs[i]
			src := w.Source(t)
			if src == 0 || w.service(src) != "" {
				continue
			}
			T, _, err := th.At(t.Time, c.Prices)
			if err != nil {
				return nil, fmt.Errorf("detect.structuring.thresholds_usd: transaction %s at height %d: %w", TxidString(t.Txid), t.Height, err)
			}
			var price float64
			if th.USD != 0 {
				price, _, _ = c.Prices.Price(t.Time)
			}
			lo := uint64(float64(T) * (1 - cfg.Margin))
			ins := map[storage.AddrID]bool{}
			for _, in := range t.Ins {
				ins[in.Addr] = true
			}
			for _, o := range t.Outs {
				if o.Addr == 0 || ins[o.Addr] || w.ClusterOf(o.Addr) == src || o.Value < lo || o.Value >= T {
					continue
				}
				tr := transfer{tx: i, to: o.Addr, from: src, v: o.Value, usd: float64(o.Value) / 1e8 * price, T: T}
				if c.Deposits[uint64(o.Addr)] != "" {
					// Into one exchange deposit address, whoever pays:
					// a structurer that changes its change address each
					// time still pays the same deposit address.
					k := fmt.Sprintf("to:%d", o.Addr)
					byKey[k] = append(byKey[k], tr)
				} else {
					// From one cluster to one other: a payout to many
					// different people just under T is not structuring.
					k := fmt.Sprintf("pair:%d:%d", src, w.ClusterOf(o.Addr))
					byKey[k] = append(byKey[k], tr)
				}
			}
		}
		keys := make([]string, 0, len(byKey))
		for k := range byKey {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			trs := byKey[k]
			if len(trs) < cfg.MinTransfers {
				continue
			}
			// Several outputs of one transaction count once in the window.
			// The longest run within Window.
			bestL, bestR := 0, -1
			for l, r := 0, 0; r < len(trs); r++ {
				for w.Txs[trs[r].tx].Time-w.Txs[trs[l].tx].Time > cfg.Window {
					l++
				}
				if r-l > bestR-bestL {
					bestL, bestR = l, r
				}
			}
			run := trs[bestL : bestR+1]
			var sum uint64
			var sumUSD float64
			txs := map[int]bool{}
			for _, tr := range run {
				sum += tr.v
				sumUSD += tr.usd
				txs[tr.tx] = true
			}
			// Structuring is separate transfers: one batch paying several
			// people just under T is not.
			reached := sum >= th.Sat
			if th.USD != 0 {
				reached = sumUSD >= th.USD
			}
			if len(txs) < cfg.MinTransfers || !reached {
				continue
			}
			id := fmt.Sprint(run[0].tx, run[len(run)-1].tx, len(run))
			if flagged[id] {
				continue
			}
			flagged[id] = true
			subject := w.Txs[run[0].tx].Ins[0].Addr
			b := w.newFinding(d, subject, "STRUCTURING", c.Deposits[uint64(run[0].to)])
			for _, tr := range run {
				t := &w.Txs[tr.tx]
				if th.USD != 0 {
					b.ev(t, tr.to, tr.v, "%s BTC (%s USD at that day's price) to %s, %.2f%% under the %s threshold", btc(tr.v), usdString(tr.usd), w.Name(tr.to),
						100*(th.USD-tr.usd)/th.USD, th)
				} else {
					b.ev(t, tr.to, tr.v, "%s BTC to %s, %.2f%% under the %s threshold", btc(tr.v), w.Name(tr.to), 100*float64(tr.T-tr.v)/float64(tr.T), th)
				}
				b.addr(t.Ins[0].Addr)
			}
			span := w.Txs[run[len(run)-1].tx].Time - w.Txs[run[0].tx].Time
			together := btc(sum) + " BTC"
			if th.USD != 0 {
				b.f.Measured["threshold_usd"] = th.USD
				b.f.Measured["sum_usd"] = sumUSD
				together += " (" + usdString(sumUSD) + " USD)"
			} else {
				b.f.Measured["threshold_sat"] = float64(th.Sat)
			}
			b.f.Measured["transfers"] = float64(len(run))
			b.f.Measured["sum_sat"] = float64(sum)
			b.f.Measured["span_seconds"] = float64(span)
			out = append(out, b.done("%d transfers each within %.0f%% under %s, %s together, within %s",
				len(run), 100*cfg.Margin, th, together, dur(span)))
		}
	}
	return out, nil
}

// dur formats seconds for summaries.
func dur(s int64) string {
	switch {
	case s >= 86400:
		return fmt.Sprintf("%.1f days", float64(s)/86400)
	case s >= 3600:
		return fmt.Sprintf("%.1f hours", float64(s)/3600)
	}
	return fmt.Sprintf("%d minutes", s/60)
}
