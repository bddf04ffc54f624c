package detect

import (
	"fmt"
	"slices"
	"sort"

	"github.com/spoorhq/spoor/chains/bitcoin/sim"
)

// Score is one detector's quality against ground truth.
type Score struct {
	Detector string `json:"detector"`
	// Planted is the number of planted instances expecting the detector;
	// Found how many of them a finding of it names.
	Planted int `json:"planted"`
	Found   int `json:"found"`
	// DecoyHits counts decoys a finding of the detector names: its false
	// positives. CrossHits counts planted instances of other kinds it
	// names (illicit money, just not the typology the truth expects):
	// neither true nor false positives. Background counts findings that
	// name no instance at all: the truth does not say whether they are
	// right, so they are reported, not scored.
	DecoyHits  int     `json:"decoy_hits"`
	CrossHits  int     `json:"cross_hits"`
	Background int     `json:"background_findings"`
	Findings   int     `json:"findings"`
	Precision  float64 `json:"precision"`
	Recall     float64 `json:"recall"`
	F1         float64 `json:"f1"`
}

// Evaluation is the result of Evaluate.
type Evaluation struct {
	Scores []Score `json:"scores"`
	// Decoys and DecoysHit count decoy instances and those any detector
	// (other than deposit_sweep, which labels exchanges) named.
	Decoys       int      `json:"decoys"`
	DecoysHit    int      `json:"decoys_hit"`
	DecoyFPRate  float64  `json:"decoy_fp_rate"`
	MissedDetail []string `json:"missed,omitempty"`
	// Alerts counts the stored alerts, AlertsOnPlanted those one of whose
	// indicators names a planted instance, and AlertsOnDecoys those whose
	// subject is a decoy's legitimate entity.
	Alerts          int `json:"alerts"`
	AlertsOnPlanted int `json:"alerts_on_planted"`
	AlertsOnDecoys  int `json:"alerts_on_decoys"`
}

// Evaluate scores findings against the truth records of a simulated chain.
// A planted instance counts as found by detector D when a finding of D
// shares a transaction with it or has one of its addresses as subject.
// deposit_sweep is scored on the truth's address lines instead: its
// subjects should be exchange or service deposit addresses (precision),
// and every such address the chain spent should be found (recall; swept
// reports whether an address was ever spent). Alerts are counted by
// whether they touch planted instances or decoys. It is an error when the
// truth has no scenario lines.
func Evaluate(truth []sim.TruthRecord, fs []Finding, alerts []Alert, swept func(addr string) bool) (*Evaluation, error) {
	var scen []sim.TruthRecord
	deposits := map[string]bool{}
	for _, r := range truth {
		switch {
		case r.Scenario != "":
			scen = append(scen, r)
		case r.Address != "" && r.Role == "deposit" && (r.Kind == "exchange" || r.Kind == "service"):
			deposits[r.Address] = true
		}
	}
	if len(scen) == 0 {
		return nil, fmt.Errorf("detect: the truth file has no scenario lines: generate it with spoor simulate at 10,000 transactions or more")
	}
	matches := func(f *Finding, r *sim.TruthRecord) bool {
		for _, t := range f.Txids {
			if slices.Contains(r.Txids, t) {
				return true
			}
		}
		for _, a := range r.Addresses {
			if a.Address == f.Subject {
				return true
			}
		}
		return false
	}
	ev := &Evaluation{}
	decoyHits := map[string]bool{}
	for _, name := range Names() {
		s := Score{Detector: name}
		var mine []*Finding
		for i := range fs {
			if fs[i].Name() == name {
				mine = append(mine, &fs[i])
			}
		}
		s.Findings = len(mine)
		if name == "deposit_sweep" {
			tp := 0
			found := map[string]bool{}
			for _, f := range mine {
				if deposits[f.Subject] {
					tp++
					found[f.Subject] = true
				} else {
					s.DecoyHits++
				}
			}
			for a := range deposits {
				if swept(a) {
					s.Planted++
					if found[a] {
						s.Found++
					}
				}
			}
			s.Precision = ratio(tp, len(mine))
			s.Recall = ratio(s.Found, s.Planted)
			s.F1 = f1(s.Precision, s.Recall)
			ev.Scores = append(ev.Scores, s)
			continue
		}
		matched := make([]bool, len(mine))
		for i := range scen {
			r := &scen[i]
			hit := false
			for k, f := range mine {
				if matches(f, r) {
					hit = true
					matched[k] = true
				}
			}
			expected := slices.Contains(r.Detectors, name)
			switch {
			case expected:
				s.Planted++
				if hit {
					s.Found++
				} else {
					ev.MissedDetail = append(ev.MissedDetail, fmt.Sprintf("%s missed %s", name, r.Scenario))
				}
			case r.Decoy && decoyHit(mine, r):
				s.DecoyHits++
				decoyHits[r.Scenario] = true
			case hit:
				s.CrossHits++
			}
		}
		for _, m := range matched {
			if !m {
				s.Background++
			}
		}
		s.Precision = ratio(s.Found, s.Found+s.DecoyHits)
		s.Recall = ratio(s.Found, s.Planted)
		s.F1 = f1(s.Precision, s.Recall)
		ev.Scores = append(ev.Scores, s)
	}
	for _, r := range scen {
		if r.Decoy {
			ev.Decoys++
		}
	}
	ev.DecoysHit = len(decoyHits)
	ev.Alerts = len(alerts)
	for _, a := range alerts {
		planted, decoy := false, false
		for i := range scen {
			r := &scen[i]
			for _, ind := range append(append([]Indicator(nil), a.Indicators...), a.Supporting...) {
				if !r.Decoy && slices.ContainsFunc(ind.Txids, func(t string) bool { return slices.Contains(r.Txids, t) }) {
					planted = true
				}
			}
			if r.Decoy && decoyHit([]*Finding{{Subject: a.Subject}}, r) {
				decoy = true
			}
		}
		if planted {
			ev.AlertsOnPlanted++
		}
		if decoy {
			ev.AlertsOnDecoys++
		}
	}
	ev.DecoyFPRate = ratio(ev.DecoysHit, ev.Decoys)
	sort.Strings(ev.MissedDetail)
	return ev, nil
}

// counterpartyRoles are the decoy roles played by ordinary wallets that
// merely deal with the legitimate entity (its customers, employees and
// the merchants a processor pays). Their own unrelated activity is not
// the decoy: a finding about it is not a false positive on the decoy.
var counterpartyRoles = map[string]bool{"customer": true, "employee": true, "merchant": true}

// decoyHit reports whether a finding is about the decoy's legitimate
// entity: its subject is one of the entity's addresses.
func decoyHit(fs []*Finding, r *sim.TruthRecord) bool {
	for _, f := range fs {
		for _, a := range r.Addresses {
			if !counterpartyRoles[a.Role] && a.Address == f.Subject {
				return true
			}
		}
	}
	return false
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func f1(p, r float64) float64 {
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}
