package labels

import (
	"reflect"
	"testing"
)

func TestConcepts(t *testing.T) {
	ids := Concepts()
	// Every concept but the root has a known broader concept, and
	// following them always ends at the root.
	for _, id := range ids {
		anc := ConceptAncestors(id)
		if id == "concept" {
			if len(anc) != 0 {
				t.Errorf("the root has ancestors %v", anc)
			}
			continue
		}
		if len(anc) == 0 || anc[len(anc)-1] != "concept" || len(anc) > 8 {
			t.Errorf("%s: ancestors %v do not end at the root", id, anc)
		}
	}
	for _, id := range []string{"exchange", "sanction", "mixing_service", "coinjoin", "human_trafficking", "terrorism",
		"terrorism_financing", "scam", "ransomware", "market", "gambling", "payment_processor", "deposit_wallet"} {
		if !IsConcept(id) {
			t.Errorf("%s is missing", id)
		}
	}
	if got, want := ConceptAncestors("ransomware"), []string{"extortion", "abuse", "behaviour", "concept"}; !reflect.DeepEqual(got, want) {
		t.Errorf("ransomware ancestors = %v, want %v", got, want)
	}
	if got, want := ConceptAncestors("coinjoin"), []string{"mixing", "gray_usage", "behaviour", "concept"}; !reflect.DeepEqual(got, want) {
		t.Errorf("coinjoin ancestors = %v, want %v", got, want)
	}
	if IsConcept("darknet_market") || ConceptAncestors("nope") != nil {
		t.Error("unknown concepts are accepted")
	}
	t.Logf("%d concepts", len(ids))
}

func TestConfidenceLevels(t *testing.T) {
	tests := []struct {
		in          string
		number      bool
		v           uint8
		name, error string
	}{
		{"ownership", false, 100, "ownership", ""},
		{"authority_data", false, 60, "authority_data", ""},
		{"heuristic", true, 10, "heuristic", ""},
		{"unknown", false, 5, "unknown", ""},
		{"75", true, 75, "", ""},
		{"75", false, 0, "", `unknown confidence level "75"`},
		{"-1", true, 0, "", `confidence "-1" is neither a number from 0 to 100 nor a level`},
	}
	for _, tt := range tests {
		v, name, err := parseConfidence(tt.in, tt.number)
		if tt.error != "" {
			if err == nil || len(err.Error()) < len(tt.error) || err.Error()[:len(tt.error)] != tt.error {
				t.Errorf("parseConfidence(%q) error %v, want %q…", tt.in, err, tt.error)
			}
			continue
		}
		if err != nil || v != tt.v || name != tt.name {
			t.Errorf("parseConfidence(%q) = %d %q %v", tt.in, v, name, err)
		}
	}
}
