package trace

import (
	"context"
	"testing"

	"github.com/spoorhq/spoor/storage"
)

func TestScreenRisk(t *testing.T) {
	ctx := context.Background()
	exch, byEntity := truthLabels(t)
	// Call one exchange sanctioned instead, and screen its customers.
	labels := MapLabels{}
	for id, tags := range exch {
		if tags[0].Entity == "x0" {
			labels[id] = []Tag{{Entity: "x0", Category: "sanction", Source: "test", Confidence: 60}}
		}
	}
	e := NewEngine(world.DB, labels, world.Namer())
	// Screen the addresses that paid the sanctioned exchange directly, and
	// a sample of other wallet addresses.
	var ids []storage.AddrID
	picked := map[storage.AddrID]bool{}
	for id := range labels {
		_ = world.DB.Postings(id, nil, func(p storage.Posting) bool {
			if p.Role != storage.RoleReceive {
				return true
			}
			ins, err := world.DB.Inputs(p.TxNum)
			if err != nil {
				return true
			}
			for _, in := range ins {
				if in.AddrID != 0 && labels[in.AddrID] == nil && !picked[in.AddrID] && len(ids) < 20 {
					picked[in.AddrID] = true
					ids = append(ids, in.AddrID)
				}
			}
			return len(ids) < 20
		})
	}
	for w := 0; w < 60 && len(ids) < 150; w++ {
		for _, id := range byEntity["w"+itoa(w)] {
			if !picked[id] && len(ids) < 150 {
				picked[id] = true
				ids = append(ids, id)
			}
		}
	}
	seen := map[string]int{}
	for _, id := range ids {
		{
			s, err := e.Screen(ctx, id, nil, ExposureLimits{})
			if err != nil {
				t.Fatal(err)
			}
			seen[s.Risk]++
			direct := s.Sending.Direct["sanction"] != nil || s.Receiving.Direct["sanction"] != nil
			if direct != (s.Risk == RiskSevere) {
				t.Fatalf("address %s: direct sanctions contact %v but risk %s (%+v)", s.Address, direct, s.Risk, s.Reasons)
			}
			if direct && s.Reasons[0].Code != "SANCTIONS_DIRECT" {
				t.Fatalf("first reason %+v", s.Reasons[0])
			}
			indirect := s.Sending.Indirect["sanction"] != nil || s.Receiving.Indirect["sanction"] != nil
			for _, r := range s.Reasons {
				if r.Code == "SANCTIONS_INDIRECT" && !indirect {
					t.Fatalf("address %s: SANCTIONS_INDIRECT without indirect exposure: %+v", s.Address, s.Reasons)
				}
			}
		}
	}
	if seen[RiskSevere] == 0 || seen[RiskLow]+seen[RiskHigh] == 0 {
		t.Fatalf("risk levels seen: %v", seen)
	}
	t.Logf("risk levels: %v", seen)

	// A sanctioned address is itself severe.
	for id := range labels {
		s, err := e.Screen(ctx, id, nil, ExposureLimits{MaxSteps: 10})
		if err != nil {
			t.Fatal(err)
		}
		if s.Risk != RiskSevere {
			t.Fatalf("sanctioned address screened %s", s.Risk)
		}
		break
	}
}

func TestCheckRiskRules(t *testing.T) {
	tests := []struct {
		name string
		rule RiskRule
		ok   bool
	}{
		{"good", RiskRule{Code: "X", Categories: []string{"scam"}, Level: RiskHigh}, true},
		{"bad level", RiskRule{Code: "X", Categories: []string{"scam"}, Level: "critical"}, false},
		{"none level", RiskRule{Code: "X", Categories: []string{"scam"}, Level: RiskNone}, false},
		{"no categories", RiskRule{Code: "X", Level: RiskHigh}, false},
		{"direct and indirect", RiskRule{Code: "X", Categories: []string{"scam"}, Level: RiskHigh, Direct: true, Indirect: true}, false},
		{"share above one", RiskRule{Code: "X", Categories: []string{"scam"}, Level: RiskHigh, MinShare: 2}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := CheckRiskRules([]RiskRule{tc.rule}); (err == nil) != tc.ok {
				t.Fatalf("err = %v", err)
			}
		})
	}
	if err := CheckRiskRules(DefaultRiskRules()); err != nil {
		t.Fatal(err)
	}
}
