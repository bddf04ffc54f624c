package trace

import (
	"context"
	"fmt"
	"slices"

	"github.com/spoorhq/spoor/storage"
)

// Risk levels, in increasing order.
const (
	RiskNone   = "none"
	RiskLow    = "low"
	RiskMedium = "medium"
	RiskHigh   = "high"
	RiskSevere = "severe"
)

var riskRank = map[string]int{RiskNone: 0, RiskLow: 1, RiskMedium: 2, RiskHigh: 3, RiskSevere: 4}

// RiskRule raises the risk level when exposure to a category reaches a
// share of the screened value.
type RiskRule struct {
	// Code is the reason code reported when the rule fires.
	Code string `yaml:"code" json:"code"`
	// Categories the rule counts together.
	Categories []string `yaml:"categories" json:"categories"`
	// Direct counts only direct exposure, Indirect only indirect
	// exposure; with neither, the rule counts both together.
	Direct   bool `yaml:"direct" json:"direct"`
	Indirect bool `yaml:"indirect" json:"indirect"`
	// MinShare is the share of the screened value (0..1) at or above
	// which the rule fires; 0 fires on any exposure at all.
	MinShare float64 `yaml:"min_share" json:"min_share"`
	// Level is the risk level the rule sets.
	Level string `yaml:"level" json:"level"`
}

// DefaultRiskRules is the policy used when none is configured. Sanctions
// and the gravest abuse categories fire on any direct contact; the others
// need a share of the value.
func DefaultRiskRules() []RiskRule {
	grave := []string{"sanction", "terrorism", "terrorism_financing", "human_trafficking", "child_sexual_abuse"}
	illicit := []string{"ransomware", "scam", "market", "hacking", "service_hack", "phishing", "extortion", "drugs", "weapons", "money_laundering"}
	return []RiskRule{
		{Code: "SANCTIONS_DIRECT", Categories: []string{"sanction"}, Direct: true, MinShare: 0, Level: RiskSevere},
		{Code: "GRAVE_ABUSE_DIRECT", Categories: grave[1:], Direct: true, MinShare: 0, Level: RiskSevere},
		{Code: "SANCTIONS_INDIRECT", Indirect: true, Categories: []string{"sanction"}, MinShare: 0.001, Level: RiskHigh},
		{Code: "GRAVE_ABUSE_INDIRECT", Indirect: true, Categories: grave[1:], MinShare: 0.01, Level: RiskHigh},
		{Code: "ILLICIT_DIRECT", Categories: illicit, Direct: true, MinShare: 0.01, Level: RiskHigh},
		{Code: "ILLICIT_INDIRECT", Indirect: true, Categories: illicit, MinShare: 0.05, Level: RiskMedium},
		{Code: "MIXER_DIRECT", Categories: []string{"mixing_service", "coinjoin"}, Direct: true, MinShare: 0.05, Level: RiskHigh},
		{Code: "MIXER_INDIRECT", Indirect: true, Categories: []string{"mixing_service", "coinjoin"}, MinShare: 0.1, Level: RiskMedium},
		{Code: "GAMBLING", Categories: []string{"gambling"}, MinShare: 0.2, Level: RiskLow},
	}
}

// CheckRiskRules reports the first malformed rule.
func CheckRiskRules(rules []RiskRule) error {
	for i, r := range rules {
		if _, ok := riskRank[r.Level]; !ok || r.Level == RiskNone {
			return fmt.Errorf("risk rule %d (%s): unknown level %q (want low, medium, high or severe)", i, r.Code, r.Level)
		}
		if r.Code == "" || len(r.Categories) == 0 {
			return fmt.Errorf("risk rule %d: needs a code and categories", i)
		}
		if r.Direct && r.Indirect {
			return fmt.Errorf("risk rule %d (%s): direct and indirect both set; leave both unset to count both", i, r.Code)
		}
		if r.MinShare < 0 || r.MinShare > 1 {
			return fmt.Errorf("risk rule %d (%s): min_share %v outside 0..1", i, r.Code, r.MinShare)
		}
	}
	return nil
}

// Screening is the result of screening one address: its exposure in both
// directions, a risk level and the reasons for it.
type Screening struct {
	Address   string    `json:"address"`
	Tags      []Tag     `json:"tags,omitempty"`
	Risk      string    `json:"risk"`
	Reasons   []Reason  `json:"reasons"`
	Receiving *Exposure `json:"receiving"`
	Sending   *Exposure `json:"sending"`
	Partial   bool      `json:"partial"`
	// Source says where the exposure figures come from: "index" (the
	// precomputed exposure index, without evidence paths) or "live" (a
	// walk at request time).
	Source string `json:"source"`
	// IndexNote says why a walk answered when an exposure index is
	// attached but could not: missing, stale or built for other limits.
	IndexNote string `json:"index_note,omitempty"`
}

// Reason is one fired risk rule with the figure that fired it.
type Reason struct {
	Code      string  `json:"code"`
	Level     string  `json:"level"`
	Direction string  `json:"direction"`
	Category  string  `json:"category"`
	Share     float64 `json:"share"`
	Amount    uint64  `json:"amount"`
}

// Screen measures the address's exposure both ways and applies the risk
// rules (DefaultRiskRules if nil). The address's own labels count as
// direct exposure: a sanctioned address is itself severe.
func (e *Engine) Screen(ctx context.Context, id storage.AddrID, rules []RiskRule, lim ExposureLimits) (*Screening, error) {
	if rules == nil {
		rules = e.defaultRules
	}
	if rules == nil {
		rules = DefaultRiskRules()
	}
	s := &Screening{Tags: e.labels.Tags(id), Risk: RiskNone}
	if e.names != nil {
		name, err := e.names(id)
		if err != nil {
			return nil, fmt.Errorf("trace: address %d: %w", id, err)
		}
		s.Address = name
	}
	if err := e.exposures(ctx, s, id, lim); err != nil {
		return nil, err
	}
	s.Partial = s.Receiving.Partial || s.Sending.Partial
	for _, r := range rules {
		for _, t := range s.Tags {
			if contains(r.Categories, t.Category) {
				s.fire(r, "self", t.Category, 1, 0)
			}
		}
		for _, x := range []*Exposure{s.Receiving, s.Sending} {
			// Only the maps the rule reads, and only when not empty.
			direct, indirect := x.Direct, x.Indirect
			if r.Indirect {
				direct = nil
			}
			if r.Direct {
				indirect = nil
			}
			if len(direct) == 0 && len(indirect) == 0 {
				continue
			}
			for _, c := range r.Categories {
				var amount uint64
				var share float64
				if d := direct[c]; d != nil {
					amount, share = d.Amount, d.Share
				}
				if in := indirect[c]; in != nil {
					amount, share = amount+in.Amount, share+in.Share
				}
				if amount > 0 && share >= r.MinShare {
					s.fire(r, x.Direction, c, share, amount)
				}
			}
		}
	}
	slices.SortStableFunc(s.Reasons, func(a, b Reason) int { return riskRank[b.Level] - riskRank[a.Level] })
	if s.Risk == RiskNone && s.Receiving.Total+s.Sending.Total > 0 {
		s.Risk = RiskLow
	}
	return s, nil
}

// exposures fills in the screening's exposure both ways: from the
// exposure index when one is attached, fresh and built for these limits;
// else by walking. With Evidence, a fresh index still gives the figures
// and a walk (with the epsilon cut, unless Exact) adds the entities and
// paths behind them.
func (e *Engine) exposures(ctx context.Context, s *Screening, id storage.AddrID, lim ExposureLimits) error {
	if e.index != nil {
		full, err := lim.withDefaults()
		if err != nil {
			return err
		}
		ok, why, err := e.index.Usable(full)
		if err != nil {
			return err
		}
		if ok {
			rx, sx, found, err := e.index.exposures(id)
			if err != nil {
				return err
			}
			if found {
				s.Receiving, s.Sending, s.Source = rx, sx, "index"
				if lim.Evidence {
					return e.addEvidence(ctx, s, id, lim)
				}
				return nil
			}
			why = "the exposure index holds no entry for this address"
		}
		s.IndexNote = why
	}
	var err error
	if s.Receiving, err = e.Exposure(ctx, id, Receiving, lim); err != nil {
		return err
	}
	if s.Sending, err = e.Exposure(ctx, id, Sending, lim); err != nil {
		return err
	}
	s.Source = "live"
	return nil
}

// addEvidence walks both ways (or only the lim.EvidenceOnly way) and
// gives each category of the indexed figures the entities and paths the
// walk found for it. A category the
// walk's epsilon cut never reached keeps none.
func (e *Engine) addEvidence(ctx context.Context, s *Screening, id storage.AddrID, lim ExposureLimits) error {
	for _, side := range []struct {
		dir Direction
		x   *Exposure
	}{{Receiving, s.Receiving}, {Sending, s.Sending}} {
		if lim.EvidenceOnly != 0 && lim.EvidenceOnly != side.dir {
			continue
		}
		w, err := e.Exposure(ctx, id, side.dir, lim)
		if err != nil {
			return err
		}
		for _, m := range []struct{ idx, walk map[string]*CategoryExposure }{{side.x.Direct, w.Direct}, {side.x.Indirect, w.Indirect}} {
			for c, ce := range m.idx {
				if wc := m.walk[c]; wc != nil {
					ce.Entities, ce.Paths = wc.Entities, wc.Paths
				}
			}
		}
	}
	return nil
}

func (s *Screening) fire(r RiskRule, dir, cat string, share float64, amount uint64) {
	s.Reasons = append(s.Reasons, Reason{Code: r.Code, Level: r.Level, Direction: dir, Category: cat, Share: share, Amount: amount})
	if riskRank[r.Level] > riskRank[s.Risk] {
		s.Risk = r.Level
	}
}
