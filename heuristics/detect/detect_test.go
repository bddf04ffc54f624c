package detect

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/spoorhq/spoor/chains/bitcoin/sim"
	"github.com/spoorhq/spoor/storage"
)

// evaluate scores the package world's findings.
func evaluate(t *testing.T) *Evaluation {
	t.Helper()
	spent := map[string]bool{}
	for a, s := range loaded.Sent {
		if len(s) > 0 {
			spent[loaded.Name(a)] = true
		}
	}
	ev, err := Evaluate(truth, result.Findings, result.Alerts, func(a string) bool { return spent[a] })
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestDetectorsOnPlantedInstancesAndDecoys(t *testing.T) {
	ev := evaluate(t)
	byName := map[string]Score{}
	for _, s := range ev.Scores {
		byName[s.Detector] = s
	}
	tests := []struct {
		detector   string
		minPlanted int // instances the world is known to plant
		minF1      float64
	}{
		{"deposit_sweep", 100, 0.99},
		{"peel_chain", 1, 0.9},
		{"structuring", 1, 0.9},
		{"fan_in", 2, 0.9},
		{"fan_out", 1, 0.9},
		{"pass_through", 1, 0.9},
		{"hawala", 1, 0.9},
		{"round_amount", 1, 0.9},
		{"chain_hop", 1, 0.9},
		{"sanctioned_contact", 1, 0.9},
	}
	for _, tt := range tests {
		t.Run(tt.detector, func(t *testing.T) {
			s, ok := byName[tt.detector]
			if !ok {
				t.Fatalf("no score for %s", tt.detector)
			}
			if s.Planted < tt.minPlanted {
				t.Fatalf("%s: %d planted instances in the world, want at least %d", tt.detector, s.Planted, tt.minPlanted)
			}
			if tt.detector == "deposit_sweep" {
				kinds := map[string]string{}
				for _, r := range truth {
					if r.Address != "" {
						kinds[r.Address] = r.Entity + " " + r.Kind + " " + r.Role
					}
				}
				for _, f := range result.Findings {
					if f.Name() == "deposit_sweep" && !strings.HasSuffix(kinds[f.Subject], " deposit") {
						t.Logf("not a deposit: %s (%s): %s", f.Subject, kinds[f.Subject], f.Summary)
					}
				}
			}
			if s.F1 < tt.minF1 || s.DecoyHits > 0 && tt.detector != "deposit_sweep" {
				t.Errorf("%s: %+v, want F1 ≥ %.2f and no decoy hit; missed: %v", tt.detector, s, tt.minF1, ev.MissedDetail)
			}
		})
	}
	if ev.Decoys == 0 || ev.DecoyFPRate > 0.01 {
		t.Errorf("decoys %d, hit %d: false-positive rate %.3f, want at most 0.01", ev.Decoys, ev.DecoysHit, ev.DecoyFPRate)
	}
}

func TestFindingsCarryEvidence(t *testing.T) {
	if len(result.Findings) == 0 {
		t.Fatal("no findings")
	}
	for _, f := range result.Findings {
		if !strings.HasSuffix(f.Detector, "/1") || CheckName(f.Name()) != nil {
			t.Fatalf("finding of detector %q", f.Detector)
		}
		if f.Subject == "" || f.Summary == "" || f.Reason == "" || len(f.Evidence) == 0 || len(f.Txids) == 0 || len(f.Measured) == 0 {
			t.Fatalf("finding without evidence: %+v", f)
		}
		for _, e := range f.Evidence {
			if len(e.Txid) != 64 || e.Note == "" || e.Time == 0 {
				t.Fatalf("evidence %+v of %s", e, f.Detector)
			}
		}
		if f.Name() == "round_amount" && !f.Supporting {
			t.Fatalf("round amounts must be supporting evidence only: %+v", f)
		}
	}
}

func TestAlertsNeedTwoFamiliesOrDirectSanction(t *testing.T) {
	if len(result.Alerts) == 0 {
		t.Fatal("no alerts")
	}
	for _, a := range result.Alerts {
		fams := map[string]bool{}
		for _, ind := range a.Indicators {
			fams[families[detectorName(ind.Detector)]] = true
			if detectorName(ind.Detector) == "deposit_sweep" || detectorName(ind.Detector) == "round_amount" {
				t.Fatalf("alert %s counts %s as an indicator", a.ID, ind.Detector)
			}
		}
		if len(fams) < 2 && !slices.Contains(a.Reasons, "SANCTIONED_DIRECT") {
			t.Fatalf("alert %s on %s has indicators of %d families and no direct sanctioned contact: %v", a.ID, a.Subject, len(fams), a.Reasons)
		}
		if a.Score <= 0 || a.Score > 1 || len(a.ID) != 16 {
			t.Fatalf("alert %+v", a)
		}
	}
}

func TestRunSaysWhichDetectorsAreBlind(t *testing.T) {
	if len(result.Warnings) != 0 {
		t.Fatalf("warnings with every label imported: %v", result.Warnings)
	}
	bare := *loaded
	bare.Labels = nil
	res, err := Run(context.Background(), &bare, Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) != 3 || res.Counts["sanctioned_contact"] != 0 || res.Counts["deposit_sweep"] != 0 {
		t.Fatalf("without labels: warnings %v, counts %v", res.Warnings, res.Counts)
	}
}

func TestRunRejectsBadInput(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		only []string
		want string
	}{
		{"unknown detector", Config{}, []string{"peel_chains"}, `unknown detector "peel_chains"`},
		{"peel share of one", Config{PeelChain: PeelChainConfig{MaxPeelShare: 1}}, nil, "peel_chain.max_peel_share"},
		{"one-hop chains", Config{PeelChain: PeelChainConfig{MinHops: 1}}, nil, "peel_chain.min_hops"},
		{"margin over one", Config{Structuring: StructuringConfig{Margin: 1.5}}, nil, "structuring.margin"},
		{"negative hops", Config{Sanctioned: SanctionedConfig{MaxHops: -1}}, nil, "sanctioned_contact.max_hops"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Run(context.Background(), loaded, tt.cfg, tt.only)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Run error %v, want one naming %q", err, tt.want)
			}
		})
	}
}

func TestEvaluateNeedsScenarios(t *testing.T) {
	var addrsOnly []sim.TruthRecord
	for _, r := range truth {
		if r.Scenario == "" {
			addrsOnly = append(addrsOnly, r)
		}
	}
	if _, err := Evaluate(addrsOnly, result.Findings, nil, func(string) bool { return true }); err == nil || !strings.Contains(err.Error(), "no scenario lines") {
		t.Fatalf("Evaluate without scenarios: %v", err)
	}
}

func TestStoreReplacesTheRun(t *testing.T) {
	only, err := Run(context.Background(), loaded, Config{}, []string{"hawala"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		res  *Result
	}{{"every detector", result}, {"hawala only", only}, {"every detector again", result}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := Store(world.DB, tt.res); err != nil {
				t.Fatal(err)
			}
			n := 0
			if err := world.DB.ScanFindings(func(seq uint32, v []byte) error {
				f, err := DecodeFinding(v)
				if err != nil {
					return err
				}
				if seq != uint32(n+1) || f.Detector != tt.res.Findings[n].Detector || f.Subject != tt.res.Findings[n].Subject {
					t.Fatalf("finding %d = %s on %s, want %s on %s", seq, f.Detector, f.Subject, tt.res.Findings[n].Detector, tt.res.Findings[n].Subject)
				}
				n++
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if n != len(tt.res.Findings) {
				t.Fatalf("%d stored findings, want %d", n, len(tt.res.Findings))
			}
			f := tt.res.Findings[len(tt.res.Findings)-1]
			seqs, err := world.DB.FindingsOf(f.subject)
			if err != nil || len(seqs) == 0 {
				t.Fatalf("findings of %s: %v %v", f.Subject, seqs, err)
			}
			na := 0
			if err := world.DB.ScanAlerts(func(storage.AlertID, []byte) error { na++; return nil }); err != nil || na != len(tt.res.Alerts) {
				t.Fatalf("%d stored alerts (%v), want %d", na, err, len(tt.res.Alerts))
			}
		})
	}
}

func TestFalsePositiveRates(t *testing.T) {
	tests := []struct {
		name     string
		reviews  []Review
		detector string
		reviewed int
		fp       int
	}{
		{"none", nil, "fan_in", 0, 0},
		{"one false positive", []Review{{Alert: "a", Verdict: "false_positive", Time: 1, Detectors: []string{"fan_in", "hawala"}}}, "hawala", 1, 1},
		{"the latest review counts", []Review{
			{Alert: "a", Verdict: "false_positive", Time: 1, Detectors: []string{"fan_in"}},
			{Alert: "a", Verdict: "confirmed", Time: 2, Detectors: []string{"fan_in"}},
			{Alert: "b", Verdict: "false_positive", Time: 1, Detectors: []string{"fan_in"}},
		}, "fan_in", 2, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, fp := FalsePositiveRates(tt.reviews)
			if r[tt.detector] != tt.reviewed || fp[tt.detector] != tt.fp {
				t.Fatalf("%s: reviewed %d, false positives %d; want %d, %d", tt.detector, r[tt.detector], fp[tt.detector], tt.reviewed, tt.fp)
			}
		})
	}
}
