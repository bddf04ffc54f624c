package sim

import (
	"strings"
	"testing"
)

func TestWorldDefaults(t *testing.T) {
	off := false
	tests := []struct {
		name       string
		world      World
		txs        int
		merchants  int
		processors int
		peelOn     bool
		peelSize   int
		threshold  int64
		err        string
	}{
		{name: "small chain", txs: 5_000, peelSize: 8, threshold: 10_000_000},
		{name: "large chain", txs: 10_000, merchants: 20, processors: 2, peelOn: true, peelSize: 8, threshold: 10_000_000},
		{name: "peel off", world: World{Scenarios: Scenarios{PeelChain: Scenario{Enabled: &off}}}, txs: 10_000, merchants: 20, processors: 2, peelSize: 8, threshold: 10_000_000},
		{name: "sized", world: World{Merchants: 3, Processors: -1, Scenarios: Scenarios{PeelChain: Scenario{Size: 12}, Structuring: Scenario{ThresholdSat: 1_000_000}}},
			txs: 10_000, merchants: 3, peelOn: true, peelSize: 12, threshold: 1_000_000},
		{name: "no merchants means no processors", world: World{Merchants: -1, Processors: 4}, txs: 10_000, peelOn: true, peelSize: 8, threshold: 10_000_000},
		{name: "peel chain too short", world: World{Scenarios: Scenarios{PeelChain: Scenario{Size: 4}}}, txs: 10_000, err: "peel_chain.size is 4"},
		{name: "fan-out too small", world: World{Scenarios: Scenarios{FanOut: Scenario{Size: 9}}}, txs: 10_000, err: "fan_out.size is 9"},
		{name: "threshold elsewhere", world: World{Scenarios: Scenarios{Hawala: Scenario{ThresholdSat: 5}}}, txs: 10_000, err: "hawala.threshold_sat"},
		{name: "tiny threshold", world: World{Scenarios: Scenarios{Structuring: Scenario{ThresholdSat: 5}}}, txs: 10_000, err: "threshold_sat is 5"},
		{name: "negative instances", world: World{Scenarios: Scenarios{Payroll: Scenario{Instances: -1}}}, txs: 10_000, err: "payroll.instances"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := tt.world.withDefaults(tt.txs)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			pc := w.Scenarios.PeelChain
			if w.Merchants != tt.merchants || w.Processors != tt.processors || *pc.Enabled != tt.peelOn ||
				pc.Size != tt.peelSize || pc.Instances != defaultInstances || w.Scenarios.Structuring.ThresholdSat != tt.threshold {
				t.Fatalf("world %+v, peel chain %+v", w, pc)
			}
		})
	}
}
