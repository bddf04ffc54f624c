package detect

import (
	"context"
	"fmt"
	"slices"

	"github.com/spoorhq/spoor/storage"
	"github.com/spoorhq/spoor/trace"
)

// ethStep is one reached address of an Ethereum contact walk: the
// transfer that reached it and the step it came from (-1 for a transfer
// of the designated address itself).
type ethStep struct {
	addr     storage.AddrID
	transfer int
	prev     int
	hop      int
}

// ethSanctionedContact is sanctioned_contact on Ethereum (§4.10): every
// address that paid a designated address or was paid by it (direct), and
// every address the money paid out by it reaches within MaxHops hops
// (indirect), following transfers forward in time and in one asset only:
// ether stays ether and each token stays that token, so a path never
// switches asset. The evidence of a finding is every transfer of its path.
// detect.sanctioned_contact.min_amount (in satoshis or USD) does not
// apply to Ethereum.
func ethSanctionedContact(ctx context.Context, w *EthWorld, c *Context) ([]Finding, error) {
	d := sanctionedContact{}
	var out []Finding
	for _, z := range keysOfEth(w.Labels) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		tag, ok := w.tagOf(z, c.isSanction)
		if !ok {
			continue
		}
		seen := map[storage.AddrID]bool{z: true}
		var steps []ethStep
		emit := func(s ethStep) bool {
			if seen[s.addr] {
				return false
			}
			if _, svc := w.tagOf(s.addr, func(t trace.Tag) bool { return t.Category != "" }); svc {
				return false
			}
			seen[s.addr] = true
			steps = append(steps, s)
			out = append(out, w.contactFinding(d, z, tag, steps, len(steps)-1))
			return true
		}
		// Direct contact, in chain order: payers of z, then payees of z.
		for _, k := range w.In[z] {
			emit(ethStep{addr: w.Transfers[k].From, transfer: k, prev: -1, hop: 1})
		}
		var frontier []int
		for _, k := range w.Out[z] {
			if emit(ethStep{addr: w.Transfers[k].To, transfer: k, prev: -1, hop: 1}) {
				frontier = append(frontier, len(steps)-1)
			}
		}
		for hop := 2; hop <= c.Cfg.Sanctioned.MaxHops && len(frontier) > 0; hop++ {
			var next []int
			for _, si := range frontier {
				in := w.Transfers[steps[si].transfer]
				for _, k := range w.Out[steps[si].addr] {
					t := w.Transfers[k]
					// Same asset, and not before the money arrived.
					if t.Asset != in.Asset || k < steps[si].transfer || len(next) >= maxFrontier {
						continue
					}
					if emit(ethStep{addr: t.To, transfer: k, prev: si, hop: hop}) {
						next = append(next, len(steps)-1)
					}
				}
			}
			frontier = next
		}
	}
	return out, nil
}

// contactFinding builds the finding of step i of a walk from the
// designated address z: its subject is the step's address and its
// evidence every transfer of the path from z.
func (w *EthWorld) contactFinding(d Detector, z storage.AddrID, tag trace.Tag, steps []ethStep, i int) Finding {
	s := steps[i]
	var path []int
	for j := i; j >= 0; j = steps[j].prev {
		path = append(path, steps[j].transfer)
	}
	slices.Reverse(path)
	reason := "SANCTIONED_DIRECT"
	if s.hop > 1 {
		reason = "SANCTIONED_INDIRECT"
	}
	f := Finding{Detector: d.Name() + "/" + fmt.Sprint(d.Version()), Subject: w.Name(s.addr), Entity: tag.Entity,
		Reason: reason, Measured: map[string]float64{"hops": float64(s.hop)}, subject: s.addr}
	addrs := map[storage.AddrID]bool{}
	add := func(a storage.AddrID) {
		if !addrs[a] {
			addrs[a] = true
			f.addrs = append(f.addrs, a)
			f.Addresses = append(f.Addresses, w.Name(a))
		}
	}
	add(s.addr)
	add(z)
	txs := map[string]bool{}
	for _, k := range path {
		t := w.Transfers[k]
		add(t.From)
		add(t.To)
		id := ethHash(t.Hash)
		if !txs[id] {
			txs[id] = true
			f.Txids = append(f.Txids, id)
		}
		f.Evidence = append(f.Evidence, Evidence{Txid: id, Height: t.Height, Time: t.Time, Address: w.Name(t.To),
			From: w.Name(t.From), To: w.Name(t.To), Asset: w.AssetName(t.Asset), Value: t.Amount.String(),
			Note: fmt.Sprintf("%s paid %s %s to %s", w.Name(t.From), t.Amount, w.assetUnit(t.Asset), w.Name(t.To))})
		if f.FirstTime == 0 || t.Time < f.FirstTime {
			f.FirstTime = t.Time
		}
		f.LastTime = max(f.LastTime, t.Time)
	}
	first := w.Transfers[path[0]]
	how := fmt.Sprintf("received %s %s from %s", first.Amount, w.assetUnit(first.Asset), w.Name(z))
	if s.hop == 1 && first.To == z {
		how = fmt.Sprintf("paid %s %s to %s", first.Amount, w.assetUnit(first.Asset), w.Name(z))
	} else if s.hop > 1 {
		how = fmt.Sprintf("received %s along a path of %d transfers of it from %s", w.AssetName(first.Asset), len(path), w.Name(z))
	}
	f.Summary = fmt.Sprintf("%s is %d hop(s) from %s (designated %s, %s): %s", w.Name(s.addr), s.hop, w.Name(z), tag.Entity, tag.Source, how)
	return f
}

// assetUnit names the unit of an amount of asset a.
func (w *EthWorld) assetUnit(a storage.AddrID) string {
	if a == 0 {
		return "wei"
	}
	return "units of token " + w.Name(a)
}

// RunEthereum validates cfg (after Defaults) and runs the detectors that
// apply to Ethereum over w (sanctioned_contact; only, when given, must
// name it), then builds alerts: by subject address, as Ethereum has no
// clusters here, a direct contact alerting alone.
func RunEthereum(ctx context.Context, w *EthWorld, cfg Config, only []string) (*Result, error) {
	cfg = cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	for _, n := range only {
		if err := CheckName(n); err != nil {
			return nil, err
		}
		if n != "sanctioned_contact" {
			return nil, fmt.Errorf("detect: detector %q does not run on ethereum (only sanctioned_contact does)", n)
		}
	}
	c := &Context{Cfg: cfg, Deposits: map[uint64]string{}}
	res := &Result{Counts: map[string]int{}}
	sanc := false
	for _, tags := range w.Labels {
		for _, t := range tags {
			sanc = sanc || c.isSanction(t)
		}
	}
	if !sanc {
		res.Warnings = append(res.Warnings, fmt.Sprintf("no sanction labels (categories %v) in the ethereum index: sanctioned_contact can find nothing", cfg.Sanctioned.Categories))
	}
	fs, err := ethSanctionedContact(ctx, w, c)
	if err != nil {
		return nil, fmt.Errorf("detect: sanctioned_contact/1 on ethereum: %w", err)
	}
	sortFindings(fs)
	res.Counts["sanctioned_contact"] = len(fs)
	res.Findings = fs
	res.Alerts = buildAlerts(&World{Name: w.Name}, res.Findings, cfg.MinIndicators)
	return res, nil
}
