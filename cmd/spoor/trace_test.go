package main

import (
	"encoding/json"
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spoorhq/spoor/api/audit"
	"github.com/spoorhq/spoor/chains/bitcoin/sim"
	"github.com/spoorhq/spoor/trace"
)

// scenarioAddr returns the first address with role in the first planted
// instance of kind in the demo world's truth.
func scenarioAddr(t *testing.T, dir, kind, role string) string {
	t.Helper()
	recs, err := sim.ReadTruthFile(filepath.Join(dir, demoChainDir, sim.TruthFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.Scenario == "" || r.Kind != kind || r.Decoy {
			continue
		}
		for _, a := range r.Addresses {
			if a.Role == role {
				return a.Address
			}
		}
	}
	t.Fatalf("no %s address in a %s scenario", role, kind)
	return ""
}

// TestTraceCommands screens, traces and searches paths on the demo world,
// whose labels the demo imported, and checks the answers against the
// planted truth: counterparties of the sanctioned entity screen severe
// (direct) and high (indirect), a peel chain's value reaches an
// exchange, and a path joins its source to its exit. Each query is in the
// audit log.
func TestTraceCommands(t *testing.T) {
	dir := demoData(t)
	before, err := audit.VerifyDir(filepath.Join(dir, "audit"), nil)
	if errors.Is(err, fs.ErrNotExist) {
		// Another test removed the log; the commands below start it anew.
		before, err = audit.Result{}, nil
	}
	if err != nil {
		t.Fatal(err)
	}
	direct := scenarioAddr(t, dir, "sanctioned", "direct")
	indirect := scenarioAddr(t, dir, "sanctioned", "indirect")
	code, out, errs := runCLI(t, "screen", direct, indirect, "--network", "regtest", "--datadir", dir, "--json")
	if code != 0 {
		t.Fatalf("screen: %d %s", code, errs)
	}
	var screens []trace.Screening
	if err := json.Unmarshal([]byte(out), &screens); err != nil {
		t.Fatal(err)
	}
	if len(screens) != 2 || screens[0].Risk != trace.RiskSevere || screens[0].Reasons[0].Code != "SANCTIONS_DIRECT" {
		t.Fatalf("direct counterparty screened %+v", screens[0])
	}
	if screens[1].Risk != trace.RiskHigh || screens[1].Reasons[0].Code != "SANCTIONS_INDIRECT" {
		t.Fatalf("indirect counterparty screened %s %+v", screens[1].Risk, screens[1].Reasons)
	}

	source := scenarioAddr(t, dir, "peel_chain", "source")
	exit := scenarioAddr(t, dir, "peel_chain", "exit")
	code, out, errs = runCLI(t, "trace", source, "--model", "fifo", "--hops", "12", "--network", "regtest", "--datadir", dir, "--json")
	if code != 0 {
		t.Fatalf("trace: %d %s", code, errs)
	}
	var res trace.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if res.Ends["service:exchange"] == 0 || res.SeedValue == 0 {
		t.Fatalf("peel chain trace reached no exchange: %v", res.Ends)
	}
	code, out, errs = runCLI(t, "path", source, exit, "--hops", "12", "--network", "regtest", "--datadir", dir)
	if code != 0 || !strings.Contains(out, "path 1:") || !strings.Contains(out, "-> "+exit) {
		t.Fatalf("path: %d %s %s", code, out, errs)
	}

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"malformed address", []string{"trace", "nonsense"}, `"nonsense"`},
		{"unknown model", []string{"trace", source, "--model", "lifo2"}, `unknown taint model "lifo2"`},
		{"tiho backward", []string{"trace", source, "--backward", "--model", "tiho"}, "forward only"},
		{"mainnet address in a regtest index", []string{"screen", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"}, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"},
		{"bad output", []string{"trace", strings.Repeat("ab", 32) + ":x"}, "malformed index"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := runCLI(t, append(tc.args, "--network", "regtest", "--datadir", dir)...)
			if code == 0 || !strings.Contains(errs, tc.want) {
				t.Fatalf("exit %d, stderr %q, want %q", code, errs, tc.want)
			}
		})
	}
	after, err := audit.VerifyDir(filepath.Join(dir, "audit"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if after.Entries != before.Entries+3 {
		t.Fatalf("audit log grew from %d to %d entries, want 3 more", before.Entries, after.Entries)
	}
}
