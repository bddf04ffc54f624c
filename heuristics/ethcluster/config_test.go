package ethcluster

import (
	"strings"
	"testing"
)

func TestNewSet(t *testing.T) {
	tests := []struct {
		name    string
		c       Config
		wantErr string
	}{
		{"defaults", Config{}, ""},
		{"one rule", Config{Heuristics: []string{"airdrop/1"}}, ""},
		{"unknown rule", Config{Heuristics: []string{"deposit-reuse/9"}}, `unknown ethereum heuristic "deposit-reuse/9"`},
		{"bad exchange", Config{Exchanges: []string{"0x12"}}, `exchanges: "0x12" is not a 0x address`},
		{"bad amount", Config{MaxAmountDiff: "-1"}, "max_amount_diff"},
		{"too precise", Config{MaxAmountDiff: "0.0000000000000000001"}, "more than 18 decimals"},
		{"one recipient", Config{AirdropMinRecipients: 1}, "at least 2 recipients"},
		{"refuse without bound", Config{RefuseOversize: true}, "needs max_cluster_size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewSet(tt.c)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("NewSet(%+v) = %v, want an error with %q", tt.c, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			again, err := ParseSpec(s.Spec())
			if err != nil || again.Spec() != s.Spec() {
				t.Fatalf("spec %s parses to %v (%v)", s.Spec(), again, err)
			}
		})
	}
	s, err := NewSet(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if s.MaxAmountDiff.String() != "10000000000000000" || s.MaxBlockDiff != 3200 || s.MinRecipients != 1000 || s.MaxMedianGap != 2 || s.MinAggregations != 2 {
		t.Errorf("defaults: α %s wei, τ %d, airdrop %d/%d/%d; want the reference's 0.01 ether, 3200, 1000/2/2",
			s.MaxAmountDiff, s.MaxBlockDiff, s.MinRecipients, s.MaxMedianGap, s.MinAggregations)
	}
	if !strings.Contains(s.Spec(), `"max_amount_diff":"0.01"`) {
		t.Errorf("spec %s does not record α as 0.01", s.Spec())
	}
}
