package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spoorhq/spoor/api"
	"github.com/spoorhq/spoor/chains/bitcoin/sim"
)

// browserTools returns node, Debian's chromium and the directory of the
// browser test script with playwright-core installed
// (scripts/install-web-tools.sh puts them there). Without them the test
// skips, unless CI is set.
func browserTools(t *testing.T) (node, chromium, dir string) {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "api", "web", "testdata", "e2e"))
	if err != nil {
		t.Fatal(err)
	}
	chromium = "/usr/bin/chromium"
	node, err = exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(chromium)
	}
	if err == nil {
		_, err = os.Stat(filepath.Join(dir, "node_modules", "playwright-core", "package.json"))
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("node, /usr/bin/chromium and playwright-core are required with CI set (scripts/install-web-tools.sh installs them): %v", err)
		}
		t.Skipf("browser test tools missing (run scripts/install-web-tools.sh): %v", err)
	}
	return node, chromium, dir
}

// artefactDir returns where the browser test leaves its screenshots and
// downloads: $SPOOR_ARTEFACTS/explorer when set (kept after the test),
// else a temporary directory.
func artefactDir(t *testing.T) string {
	t.Helper()
	base := os.Getenv("SPOOR_ARTEFACTS")
	if base == "" {
		return t.TempDir()
	}
	dir := filepath.Join(base, "explorer")
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// explorerSummary is what api/web/testdata/e2e/explore.js prints.
type explorerSummary struct {
	Steps []struct {
		Step, Status, Count string
		Error               bool
		Nodes, Edges        int
	}
	Screenshots       []string
	Connected         string
	DetailTitle       string
	ExpandedOutNodes  int
	ExpandedNodes     int
	ExpandedAddresses []string
	FindingsText      string
	PeelDetails       string
	Injected          int
	PeelRisky         bool
	TraceStatus       string
	TraceNodes        int
	TraceEdges        int
	TraceAddresses    []string
	TraceTainted      int
	TraceLabelled     []string
	GexfFile          string
	Gexf              struct {
		Parses              bool
		Root, Version, Mode string
		Nodes, Edges, Timed int
	}
	ClusterStatus  string
	ClusterMembers int
	ConsoleErrors  []string
	Failure        string
}

// TestExplorerInBrowser serves a simulated world with a planted peel
// chain (indexed, clustered, labelled and run through the detectors) and
// drives the web explorer in headless chromium: key, search, expand,
// findings, trace, GEXF export, cluster neighbourhood. The page must
// show the chain's first hop after expanding its source, the peel chain
// finding on a hop, the chain's exit (an exchange deposit address) and a
// labelled exchange in the trace, and export a GEXF 1.3 file that parses
// and holds exactly the graph on screen.
func TestExplorerInBrowser(t *testing.T) {
	node, chromium, script := browserTools(t)
	dir := t.TempDir()
	chain, data := filepath.Join(dir, "chain"), filepath.Join(dir, "data")
	world := filepath.Join(dir, "world.yaml")
	if err := os.WriteFile(world, []byte("simulate:\n  bitcoin:\n    scenarios:\n      peel_chain: {enabled: true, instances: 1, size: 6}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"simulate", "bitcoin", "--out", chain, "--seed", "11", "--txs", "4000", "--txs-per-block", "100", "--config", world},
		{"index", "bitcoin", "--network", "regtest", "--blocks", chain, "--datadir", data, "--progress", "none", "--log-level", "warn"},
		{"labels", "import", "--datadir", data, filepath.Join(chain, "labels.csv")},
		{"detect", "--datadir", data},
	} {
		if code, out, errs := runCLI(t, args...); code != 0 {
			t.Fatalf("%s: %d %s %s", args[0], code, out, errs)
		}
	}
	recs, err := sim.ReadTruthFile(filepath.Join(chain, sim.TruthFile))
	if err != nil {
		t.Fatal(err)
	}
	var source, exit, peel string
	var hops []string
	for _, r := range recs {
		if r.Kind != "peel_chain" || r.Decoy {
			continue
		}
		for _, a := range r.Addresses {
			switch a.Role {
			case "source":
				source = a.Address
			case "exit":
				exit = a.Address
			case "hop":
				hops = append(hops, a.Address)
			case "peel":
				if peel == "" {
					peel = a.Address
				}
			}
		}
	}
	if source == "" || exit == "" || peel == "" || len(hops) < 2 {
		t.Fatalf("the world has no complete peel chain: source %q exit %q peel %q hops %v", source, exit, peel, hops)
	}
	// A label whose entity is HTML: the page must show it as text.
	const htmlEntity = `<img src=x id=xss onerror=alert(1)>`
	hostile := filepath.Join(dir, "hostile.csv")
	if err := os.WriteFile(hostile, []byte("address,chain,entity,category,source,confidence\n"+peel+`,bitcoin-regtest,"`+htmlEntity+`",sanction,e2e test,80`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := runCLI(t, "labels", "import", "--datadir", data, hostile); code != 0 {
		t.Fatalf("labels import: %d %s %s", code, out, errs)
	}

	key, err := api.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "spoor.yaml")
	if err := os.WriteFile(cfg, []byte("serve:\n  keys:\n    - id: browser\n      role: analyst\n      sha256: "+api.HashKey(key)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	var serveErr bytes.Buffer
	go func() {
		done <- run(ctx, []string{"serve", "--config", cfg, "--datadir", data, "--listen", "127.0.0.1:0", "--log-level", "warn"}, pw, &serveErr)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("serve printed %q: %v; stderr: %s", line, err, serveErr.String())
	}
	go io.Copy(io.Discard, pr)
	url := regexp.MustCompile(`http://\S+`).FindString(line)
	if url == "" {
		t.Fatalf("serve printed %q", line)
	}

	out := artefactDir(t)
	t.Logf("browser test artefacts (screenshots, the exported GEXF) in %s", out)
	cmd := exec.Command(node, "explore.js")
	cmd.Dir = script
	cmd.Env = append(os.Environ(), "SPOOR_URL="+url, "SPOOR_KEY="+key, "SPOOR_SOURCE="+source, "SPOOR_HOP="+hops[0], "SPOOR_PEEL="+peel,
		"SPOOR_OUT="+out, "CHROMIUM="+chromium)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	raw, runErr := cmd.Output()
	var s explorerSummary
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatalf("explore.js printed %q (%v): %v\n%s", raw, runErr, err, stderr.String())
	}
	for _, st := range s.Steps {
		t.Logf("%-13s %-22s %s", st.Step, st.Count, st.Status)
	}
	if runErr != nil || s.Failure != "" {
		t.Fatalf("the browser run failed: %v\n%s\n%s", runErr, s.Failure, stderr.String())
	}

	check := func(ok bool, format string, args ...any) {
		t.Helper()
		if !ok {
			t.Errorf(format, args...)
		}
	}
	check(strings.Contains(s.Connected, "bitcoin/regtest"), "after the key: %q", s.Connected)
	check(s.DetailTitle == source, "the panel shows %q after searching %s", s.DetailTitle, source)
	check(s.ExpandedOutNodes > 2 && slices.Contains(s.ExpandedAddresses, hops[0]),
		"expanding the source out gave %d nodes without the chain's first hop %s", s.ExpandedOutNodes, hops[0])
	check(s.ExpandedNodes > s.ExpandedOutNodes, "expanding in added nothing (%d nodes, %d before)", s.ExpandedNodes, s.ExpandedOutNodes)
	check(strings.Contains(s.FindingsText, "PEEL_CHAIN"), "the hop's findings panel says %q", s.FindingsText)
	check(strings.Contains(s.PeelDetails, htmlEntity) && s.Injected == 0 && s.PeelRisky,
		"the HTML label: shown as text %v, %d elements injected, node marked risky %v", strings.Contains(s.PeelDetails, htmlEntity), s.Injected, s.PeelRisky)
	check(slices.Contains(s.TraceAddresses, exit), "the trace (%d nodes) lacks the chain's exit %s", s.TraceNodes, exit)
	check(s.TraceTainted > 0 && len(s.TraceLabelled) > 0 && strings.Contains(s.TraceStatus, "reaches"),
		"trace: %d tainted edges, labelled %v, status %q", s.TraceTainted, s.TraceLabelled, s.TraceStatus)
	check(s.Gexf.Parses && s.Gexf.Root == "gexf" && s.Gexf.Version == "1.3" && s.Gexf.Nodes == s.TraceNodes && s.Gexf.Edges == s.TraceEdges &&
		s.Gexf.Mode == "dynamic" && s.Gexf.Timed == s.Gexf.Edges,
		"the GEXF download %s: %+v; the screen had %d nodes and %d edges", s.GexfFile, s.Gexf, s.TraceNodes, s.TraceEdges)
	check(s.ClusterMembers >= 1 && strings.Contains(s.ClusterStatus, "cluster of"), "cluster: %d members, %q", s.ClusterMembers, s.ClusterStatus)
	check(len(s.ConsoleErrors) == 0, "browser console errors: %q", s.ConsoleErrors)
	check(len(s.Screenshots) == len(s.Steps) && len(s.Screenshots) >= 8, "%d screenshots for %d steps", len(s.Screenshots), len(s.Steps))
	for _, p := range s.Screenshots {
		b, err := os.ReadFile(p)
		check(err == nil && len(b) > 10_000 && bytes.HasPrefix(b, []byte("\x89PNG")), "screenshot %s: %d bytes, %v", p, len(b), err)
	}

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exited %d: %s", code, serveErr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
	// The browser's export is in the audit log like any query.
	logText, err := os.ReadFile(filepath.Join(data, "audit", "audit.log"))
	check(err == nil && strings.Contains(string(logText), "exportTrace") && strings.Contains(string(logText), `"key_id":"browser"`),
		"the audit log lacks the browser's export: %v", err)
	check(!strings.Contains(string(logText), key), "the API key is in the audit log")
}
