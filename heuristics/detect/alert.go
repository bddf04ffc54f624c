package detect

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/spoorhq/spoor/storage"
)

// Indicator is one detector's contribution to an alert.
type Indicator struct {
	Detector string   `json:"detector"`
	Reason   string   `json:"reason"`
	Summary  string   `json:"summary"`
	Txids    []string `json:"txids"`
}

// Alert combines indicators on one subject (a cluster, named by the
// address of a finding): indicators of at least MinIndicators independent
// families of detectors, or a direct contact with a sanctioned address
// alone.
type Alert struct {
	ID          string      `json:"id"`
	Subject     string      `json:"subject"`
	Score       float64     `json:"score"`
	Reasons     []string    `json:"reasons"`
	Detectors   []string    `json:"detectors"`
	Indicators  []Indicator `json:"indicators"`
	Supporting  []Indicator `json:"supporting,omitempty"`
	FirstTime   int64       `json:"first_time"`
	LastTime    int64       `json:"last_time"`
	Description string      `json:"description"`

	id storage.AlertID
}

// weights score each reason; round amounts only add to an alert.
var weights = map[string]float64{
	"SANCTIONED_DIRECT": 1.0, "SANCTIONED_INDIRECT": 0.4, "PEEL_CHAIN_TO_EXCHANGE": 0.5, "PEEL_CHAIN": 0.3,
	"STRUCTURING": 0.5, "FAN_IN": 0.4, "FAN_IN_TO_EXCHANGE": 0.5, "FAN_OUT": 0.5, "PASS_THROUGH": 0.4,
	"PERIODIC_SETTLEMENT": 0.5, "CHAIN_HOP": 0.3, "ROUND_AMOUNTS": 0.1,
}

// families groups detectors whose indicators are not independent of each
// other (§6: an alert needs indicators from different families). Peel
// chains, pass-through and fan-out are all layering: two of them on one
// subject are one kind of evidence.
var families = map[string]string{
	"sanctioned_contact": "exposure", "structuring": "threshold", "fan_in": "accumulation",
	"hawala": "settlement", "peel_chain": "layering", "pass_through": "layering", "fan_out": "layering",
	"chain_hop": "exit", "round_amount": "amount",
}

// buildAlerts groups findings by the cluster of their subject. Deposit
// sweeps describe exchanges, not suspicion, and are never indicators.
func buildAlerts(w *World, fs []Finding, minInd int) []Alert {
	groups := map[storage.AddrID][]int{}
	for i := range fs {
		if fs[i].Name() == "deposit_sweep" {
			continue
		}
		k := w.ClusterOf(fs[i].subject)
		groups[k] = append(groups[k], i)
	}
	var out []Alert
	for key, idx := range groups {
		dets := map[string]bool{}
		fams := map[string]bool{}
		direct := false
		a := Alert{Subject: w.Name(key)}
		for _, i := range idx {
			f := &fs[i]
			ind := Indicator{Detector: f.Detector, Reason: f.Reason, Summary: f.Summary, Txids: f.Txids}
			if f.Supporting {
				a.Supporting = append(a.Supporting, ind)
			} else {
				a.Indicators = append(a.Indicators, ind)
				dets[f.Name()] = true
				fams[families[f.Name()]] = true
			}
			direct = direct || f.Reason == "SANCTIONED_DIRECT"
			if a.FirstTime == 0 || f.FirstTime < a.FirstTime {
				a.FirstTime = f.FirstTime
			}
			a.LastTime = max(a.LastTime, f.LastTime)
		}
		if len(fams) < minInd && !direct {
			continue
		}
		reasons := map[string]bool{}
		for _, ind := range append(append([]Indicator(nil), a.Indicators...), a.Supporting...) {
			if !reasons[ind.Reason] {
				reasons[ind.Reason] = true
				a.Reasons = append(a.Reasons, ind.Reason)
				a.Score += weights[ind.Reason]
			}
		}
		a.Score = min(a.Score, 1)
		for d := range dets {
			a.Detectors = append(a.Detectors, d)
		}
		sort.Strings(a.Detectors)
		sort.Strings(a.Reasons)
		a.id = alertID(a.Subject)
		a.ID = hex.EncodeToString(a.id[:])
		a.Description = fmt.Sprintf("indicators of %d independent families on %s: %v", len(fams), a.Subject, a.Reasons)
		if direct && len(fams) < minInd {
			a.Description = fmt.Sprintf("direct contact with a sanctioned address by %s (alerts alone): %v", a.Subject, a.Reasons)
		}
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// alertID derives an alert's identity from its subject, so that every
// run names the alert about one cluster alike.
func alertID(subject string) storage.AlertID {
	var id storage.AlertID
	sum := sha256.Sum256([]byte("alert\x00" + subject))
	copy(id[:], sum[:])
	return id
}

// EncodeAlert returns the stored form of a.
func EncodeAlert(a *Alert) ([]byte, error) {
	b, err := json.Marshal(a)
	if err != nil {
		return nil, fmt.Errorf("detect: encode alert %s: %w", a.ID, err)
	}
	return append([]byte{recordVersion}, b...), nil
}

// DecodeAlert decodes a stored alert.
func DecodeAlert(b []byte) (Alert, error) {
	var a Alert
	err := decodeRecord("alert", b, &a)
	return a, err
}

// ParseAlertID parses an alert id as printed (16 hex digits).
func ParseAlertID(s string) (storage.AlertID, error) {
	var id storage.AlertID
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(id) {
		return id, fmt.Errorf("detect: alert id %q: want %d hex digits", s, 2*len(id))
	}
	copy(id[:], b)
	return id, nil
}

// Review is an analyst's mark on an alert.
type Review struct {
	Alert        string   `json:"alert"`
	Verdict      string   `json:"verdict"` // "confirmed" or "false_positive"
	Note         string   `json:"note"`
	Time         int64    `json:"time"`
	Detectors    []string `json:"detectors"`
	Reviewer     string   `json:"reviewer,omitempty"`
	AlertSubject string   `json:"subject"`
}

// EncodeReview returns the stored form of r.
func EncodeReview(r *Review) ([]byte, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	return append([]byte{recordVersion}, b...), nil
}

// DecodeReview decodes a stored review.
func DecodeReview(b []byte) (Review, error) {
	var r Review
	err := decodeRecord("review", b, &r)
	return r, err
}

// FalsePositiveRates returns, per detector, the reviewed alerts naming it
// and how many of them the latest review of each alert marked false
// positive.
func FalsePositiveRates(reviews []Review) (reviewed, falsePos map[string]int) {
	latest := map[string]Review{}
	for _, r := range reviews {
		if p, ok := latest[r.Alert]; !ok || r.Time >= p.Time {
			latest[r.Alert] = r
		}
	}
	reviewed, falsePos = map[string]int{}, map[string]int{}
	for _, r := range latest {
		for _, d := range r.Detectors {
			reviewed[d]++
			if r.Verdict == "false_positive" {
				falsePos[d]++
			}
		}
	}
	return reviewed, falsePos
}
