package detect

import (
	"context"
	"fmt"

	"github.com/spoorhq/spoor/storage"
)

// sanctionedContact flags contact with designated addresses (§4.10):
// every address that paid a sanctioned address or was paid by it
// (direct), and every address the money paid out by it reaches within
// MaxHops hops (indirect), following spends forward.
type sanctionedContact struct{}

// Name returns the detector's stable name.
func (sanctionedContact) Name() string { return "sanctioned_contact" }

// Version returns the version of the rule.
func (sanctionedContact) Version() int { return 1 }

// maxFrontier bounds one hop's addresses so a walk into a busy service
// stays small.
const maxFrontier = 2000

// Run applies the rule to every candidate of the world.
func (d sanctionedContact) Run(ctx context.Context, w *World, c *Context) ([]Finding, error) {
	var out []Finding
	for _, z := range sortedAddrs(keysOf(w.Recv)) {
		tag, ok := w.tagOf(z, c.isSanction)
		if !ok || w.Labels[z] == nil {
			continue
		}
		seen := map[storage.AddrID]bool{z: true}
		// small reports a transfer below the contact floor: not contact,
		// and not followed further.
		var ferr error
		small := func(v uint64, t *Tx) bool {
			s, err := c.below("sanctioned_contact.min_amount", c.Cfg.Sanctioned.MinAmount(), v, t)
			if err != nil && ferr == nil {
				ferr = err
			}
			return s || err != nil
		}
		emit := func(a storage.AddrID, t *Tx, v uint64, hop int, how string) {
			if a == 0 || seen[a] || w.service(a) != "" {
				return
			}
			seen[a] = true
			reason := "SANCTIONED_DIRECT"
			if hop > 1 {
				reason = "SANCTIONED_INDIRECT"
			}
			b := w.newFinding(d, a, reason, tag.Entity)
			b.addr(z)
			b.ev(t, a, v, "%s", how)
			b.f.Measured["hops"] = float64(hop)
			out = append(out, b.done("%s is %d hop(s) from %s (designated %s, %s): %s", w.Name(a), hop, w.Name(z), tag.Entity, tag.Source, how))
		}
		var frontier []storage.AddrID
		for _, r := range w.Recv[z] {
			t := &w.Txs[r]
			if SpentIn(t, z) > 0 {
				continue
			}
			if small(ReceivedIn(t, z), t) {
				continue
			}
			for _, in := range t.Ins {
				emit(in.Addr, t, ReceivedIn(t, z), 1, fmt.Sprintf("paid %s BTC to %s", btc(ReceivedIn(t, z)), w.Name(z)))
			}
		}
		for _, s := range w.Sent[z] {
			t := &w.Txs[s]
			for _, o := range t.Outs {
				if o.Addr != z && !seen[o.Addr] && !small(o.Value, t) {
					emit(o.Addr, t, o.Value, 1, fmt.Sprintf("received %s BTC from %s", btc(o.Value), w.Name(z)))
					frontier = append(frontier, o.Addr)
				}
			}
		}
		for hop := 2; hop <= c.Cfg.Sanctioned.MaxHops && len(frontier) > 0; hop++ {
			var next []storage.AddrID
			for _, a := range frontier {
				for _, s := range w.Sent[a] {
					t := &w.Txs[s]
					for _, o := range t.Outs {
						if o.Addr == a || seen[o.Addr] || len(next) >= maxFrontier || small(o.Value, t) {
							continue
						}
						emit(o.Addr, t, o.Value, hop, fmt.Sprintf("received %s BTC from %s, which is %d hop(s) from %s", btc(o.Value), w.Name(a), hop-1, w.Name(z)))
						next = append(next, o.Addr)
					}
				}
			}
			frontier = next
		}
		if ferr != nil {
			return nil, ferr
		}
	}
	return out, nil
}
