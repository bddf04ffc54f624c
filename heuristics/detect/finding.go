package detect

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/spoorhq/spoor/storage"
)

// Evidence is one fact a finding rests on: a transaction, with the
// address and amount that matter in it, and what it shows.
type Evidence struct {
	Txid    string `json:"txid"`
	Height  uint32 `json:"height"`
	Time    int64  `json:"time"`
	Address string `json:"address,omitempty"`
	Amount  uint64 `json:"amount_sat"`
	// From, To, Asset and Value describe an Ethereum transfer: its payer
	// and payee, "ETH" or the token contract, and the exact amount in
	// the asset's base units (wei for ether) as a decimal string. They
	// are empty on Bitcoin, and Amount is 0 on Ethereum.
	From  string `json:"from,omitempty"`
	To    string `json:"to,omitempty"`
	Asset string `json:"asset,omitempty"`
	Value string `json:"value,omitempty"`
	// USD is Amount's value in USD at PriceDay, the UTC day (YYYY-MM-DD)
	// of the price used: the transaction's day, or the nearest earlier
	// day of the price table. Both are set whenever a price table is
	// configured (detect.prices) and quotes a day on or before the
	// transaction; they are empty otherwise. A USD threshold is compared
	// at that same price.
	USD      float64 `json:"usd,omitempty"`
	PriceDay string  `json:"price_day,omitempty"`
	Note     string  `json:"note"`
}

// priceEvidence sets the USD value and price day of every piece of
// evidence of fs that p quotes a price for. Evidence before the table's
// first day stays without: a threshold that needed that price already
// failed its detector with an error naming the date.
func priceEvidence(fs []Finding, p *PriceTable) {
	if p == nil {
		return
	}
	for i := range fs {
		for j := range fs[i].Evidence {
			e := &fs[i].Evidence[j]
			usd, day, err := p.Price(e.Time)
			if err != nil {
				continue
			}
			e.USD = float64(e.Amount) / 1e8 * usd
			e.PriceDay = day.Format(time.DateOnly)
		}
	}
}

// Finding is one detector's indicator on one subject address, with its
// evidence and the rule's measured values.
type Finding struct {
	// Detector is the rule's name and version, for example "peel_chain/1".
	Detector string `json:"detector"`
	// Subject is the address the finding is about; Entity names a labelled
	// entity it concerns (an exchange, a sanctioned entity, a service)
	// when there is one.
	Subject string `json:"subject"`
	Entity  string `json:"entity,omitempty"`
	// Reason is a code for the typology, for example "PEEL_CHAIN_TO_EXCHANGE".
	Reason string `json:"reason"`
	// Summary says in words what the rule saw.
	Summary string `json:"summary"`
	// Measured holds the values the rule compared with its thresholds.
	Measured map[string]float64 `json:"measured"`
	// Supporting marks a finding that only strengthens others (round
	// amounts) and never counts as an independent indicator.
	Supporting bool       `json:"supporting,omitempty"`
	Evidence   []Evidence `json:"evidence"`
	// Addresses names every address the finding involves, the subject
	// first; Txids every transaction.
	Addresses []string `json:"addresses"`
	Txids     []string `json:"txids"`
	FirstTime int64    `json:"first_time"`
	LastTime  int64    `json:"last_time"`

	subject storage.AddrID
	addrs   []storage.AddrID
}

// Name returns the detector's name without its version.
func (f *Finding) Name() string { return detectorName(f.Detector) }

func detectorName(d string) string {
	for i := range len(d) {
		if d[i] == '/' {
			return d[:i]
		}
	}
	return d
}

// finding collects one finding's evidence as a detector builds it.
type finding struct {
	w     *World
	f     Finding
	addrs map[storage.AddrID]bool
	txids map[string]bool
}

func (w *World) newFinding(det Detector, subject storage.AddrID, reason, entity string) *finding {
	b := &finding{w: w, addrs: map[storage.AddrID]bool{}, txids: map[string]bool{}}
	b.f = Finding{Detector: det.Name() + "/" + fmt.Sprint(det.Version()), Subject: w.Name(subject), Entity: entity,
		Reason: reason, Measured: map[string]float64{}, subject: subject}
	b.f.Addresses = []string{b.f.Subject}
	b.f.addrs = []storage.AddrID{subject}
	b.addrs[subject] = true
	return b
}

// addr records an address the finding involves.
func (b *finding) addr(a storage.AddrID) {
	if a == 0 || b.addrs[a] {
		return
	}
	b.addrs[a] = true
	b.f.addrs = append(b.f.addrs, a)
	b.f.Addresses = append(b.f.Addresses, b.w.Name(a))
}

// ev records one piece of evidence: transaction t, address a (0 for
// none), an amount and a note.
func (b *finding) ev(t *Tx, a storage.AddrID, amount uint64, format string, args ...any) {
	id := TxidString(t.Txid)
	e := Evidence{Txid: id, Height: t.Height, Time: t.Time, Amount: amount, Note: fmt.Sprintf(format, args...)}
	if a != 0 {
		e.Address = b.w.Name(a)
		b.addr(a)
	}
	b.f.Evidence = append(b.f.Evidence, e)
	if !b.txids[id] {
		b.txids[id] = true
		b.f.Txids = append(b.f.Txids, id)
	}
	if b.f.FirstTime == 0 || t.Time < b.f.FirstTime {
		b.f.FirstTime = t.Time
	}
	b.f.LastTime = max(b.f.LastTime, t.Time)
}

// done sets the summary and returns the finding.
func (b *finding) done(format string, args ...any) Finding {
	b.f.Summary = fmt.Sprintf(format, args...)
	return b.f
}

// EncodeFinding returns the stored form of f: a version byte and JSON.
func EncodeFinding(f *Finding) ([]byte, error) {
	b, err := json.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("detect: encode finding of %s on %s: %w", f.Detector, f.Subject, err)
	}
	return append([]byte{recordVersion}, b...), nil
}

// DecodeFinding decodes a stored finding.
func DecodeFinding(b []byte) (Finding, error) {
	var f Finding
	if err := decodeRecord("finding", b, &f); err != nil {
		return f, err
	}
	return f, nil
}

// recordVersion is the first byte of every stored finding, alert and
// review: the version of its JSON layout.
const recordVersion = 1

func decodeRecord(what string, b []byte, v any) error {
	if len(b) == 0 || b[0] != recordVersion {
		return fmt.Errorf("detect: stored %s of version %v, this build reads version %d: %w", what, firstByte(b), recordVersion, storage.ErrCorruption)
	}
	if err := json.Unmarshal(b[1:], v); err != nil {
		return fmt.Errorf("detect: stored %s: %w: %w", what, err, storage.ErrCorruption)
	}
	return nil
}

func firstByte(b []byte) any {
	if len(b) == 0 {
		return "none"
	}
	return b[0]
}
