package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/spoorhq/spoor/trace"
)

// TestExposureCommands builds the exposure index of the demo world,
// checks that screenings then come from it with the walk's risk, and that
// without it they walk and say why.
func TestExposureCommands(t *testing.T) {
	dir := demoData(t)
	args := []string{"--network", "regtest", "--datadir", dir}
	direct := scenarioAddr(t, dir, "sanctioned", "direct")
	indirect := scenarioAddr(t, dir, "sanctioned", "indirect")
	screen := func() []trace.Screening {
		t.Helper()
		code, out, errs := runCLI(t, append([]string{"screen", direct, indirect, "--json"}, args...)...)
		if code != 0 {
			t.Fatalf("screen: %d %s", code, errs)
		}
		var s []trace.Screening
		if err := json.Unmarshal([]byte(out), &s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	code, out, errs := runCLI(t, append([]string{"exposure", "build"}, args...)...)
	if code != 0 || !strings.Contains(out, "exposure index:") {
		t.Fatalf("build: %d %s %s", code, out, errs)
	}
	defer func() {
		if code, _, errs := runCLI(t, append([]string{"exposure", "drop"}, args...)...); code != 0 {
			t.Errorf("drop: %s", errs)
		}
	}()
	if code, out, errs := runCLI(t, append([]string{"exposure", "status"}, args...)...); code != 0 || !strings.Contains(out, "fresh") {
		t.Fatalf("status: %d %s %s", code, out, errs)
	}
	fast := screen()
	if fast[0].Source != "index" || fast[0].Risk != trace.RiskSevere || fast[1].Source != "index" || fast[1].Risk != trace.RiskHigh {
		t.Fatalf("from the index: %s %s, %s %s", fast[0].Source, fast[0].Risk, fast[1].Source, fast[1].Risk)
	}
	if code, _, errs := runCLI(t, append([]string{"exposure", "drop"}, args...)...); code != 0 {
		t.Fatalf("drop: %s", errs)
	}
	if code, out, _ := runCLI(t, append([]string{"exposure", "status"}, args...)...); code != 0 || !strings.Contains(out, "no exposure index") {
		t.Fatalf("status after drop: %s", out)
	}
	slow := screen()
	if slow[0].Source != "live" || !strings.Contains(slow[0].IndexNote, "no exposure index") || slow[0].Risk != fast[0].Risk || slow[1].Risk != fast[1].Risk {
		t.Fatalf("after drop: %s (%s) %s, %s", slow[0].Source, slow[0].IndexNote, slow[0].Risk, slow[1].Risk)
	}
}
