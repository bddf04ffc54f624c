package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/spoorhq/spoor/heuristics/cluster"
)

var (
	clusterOnce sync.Once
	clusterDir  string
	clusterErr  string
)

// clusterWorld simulates a small chain and indexes it with the default
// clustering, once per test binary. It returns the directory holding the
// blocks (and truth.jsonl) and the data directory.
func clusterWorld(t *testing.T) (blocks, data string) {
	t.Helper()
	clusterOnce.Do(func() {
		dir, err := os.MkdirTemp("", "spoor-cluster-")
		if err != nil {
			clusterErr = err.Error()
			return
		}
		clusterDir = dir
		blocks, data := filepath.Join(dir, "chain"), filepath.Join(dir, "data")
		if code, out, errs := runCLI(t, "simulate", "bitcoin", "--out", blocks, "--seed", "7", "--txs", "3000", "--coinjoins", "40"); code != 0 {
			clusterErr = "simulate: " + out + errs
			return
		}
		if code, out, errs := runCLI(t, "index", "bitcoin", "--network", "regtest", "--blocks", blocks, "--datadir", data, "--progress", "none", "--log-level", "warn"); code != 0 {
			clusterErr = "index: " + out + errs
		}
	})
	if clusterErr != "" {
		t.Fatal(clusterErr)
	}
	return filepath.Join(clusterDir, "chain"), filepath.Join(clusterDir, "data")
}

func TestClusterCommands(t *testing.T) {
	blocks, data := clusterWorld(t)

	code, out, errs := runCLI(t, "eval", "clusters", "--truth", filepath.Join(blocks, "truth.jsonl"), "--datadir", data, "--json")
	var rep cluster.Report
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil {
		t.Fatalf("eval: %d %s %s", code, out, errs)
	}
	if rep.All.Precision < 0.995 || rep.CoinJoin.Precision < 0.99 || rep.CoinJoin.Recall < 0.95 || rep.CoSpent.CorrectPairs == 0 {
		t.Fatalf("eval report = %+v", rep)
	}
	code, out, _ = runCLI(t, "eval", "clusters", "--truth", filepath.Join(blocks, "truth.jsonl"), "--datadir", data)
	if code != 0 || !strings.Contains(out, "co-spent addresses") || !strings.Contains(out, "coinjoin") {
		t.Fatalf("eval text = %d %s", code, out)
	}

	// Export, and find the largest cluster in it.
	csvPath := filepath.Join(t.TempDir(), "clusters.csv")
	if code, _, errs := runCLI(t, "export", "clusters", "--format", "csv", "--out", csvPath, "--datadir", data); code != 0 {
		t.Fatalf("export: %s", errs)
	}
	f, err := os.Open(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil || len(rows) < 100 || strings.Join(rows[0], ",") != "address,cluster_id,heuristic_set_version" {
		t.Fatalf("export: %d rows %v", len(rows), err)
	}
	byCluster := map[string][]string{}
	for _, r := range rows[1:] {
		if !strings.HasPrefix(r[2], "hs-") {
			t.Fatalf("export row %v has no heuristic-set version", r)
		}
		byCluster[r[1]] = append(byCluster[r[1]], r[0])
	}
	var big []string
	for _, m := range byCluster {
		if len(m) > len(big) {
			big = m
		}
	}
	if len(big) < 3 {
		t.Fatalf("largest exported cluster has %d addresses", len(big))
	}

	// cluster ADDR is "cluster show ADDR".
	code, out, errs = runCLI(t, "cluster", big[0], "--datadir", data, "--json", "--limit", "2")
	var cv cluster.ClusterView
	if code != 0 || json.Unmarshal([]byte(out), &cv) != nil || cv.Size != uint64(len(big)) || len(cv.Members) != 2 || cv.NextCursor == "" {
		t.Fatalf("cluster: %d %s %s", code, out, errs)
	}
	code, out, _ = runCLI(t, "cluster", "show", big[1], "--datadir", data)
	if code != 0 || !strings.Contains(out, "is in cluster") {
		t.Fatalf("cluster show: %d %s", code, out)
	}

	code, out, errs = runCLI(t, "why", big[0], big[len(big)-1], "--datadir", data, "--json")
	var w cluster.WhyView
	if code != 0 || json.Unmarshal([]byte(out), &w) != nil || !w.Same || len(w.Steps) == 0 || w.Steps[0].From != big[0] || w.Steps[len(w.Steps)-1].To != big[len(big)-1] {
		t.Fatalf("why: %d %s %s", code, out, errs)
	}
	for _, s := range w.Steps {
		if len(s.Txid) != 64 || s.Rule == "" {
			t.Fatalf("why step %+v", s)
		}
	}
	var other string
	for _, m := range byCluster {
		if m[0] != big[0] && len(m) == 1 {
			other = m[0]
			break
		}
	}
	code, out, _ = runCLI(t, "why", big[0], other, "--datadir", data)
	if code != 0 || !strings.Contains(out, "different clusters") {
		t.Fatalf("why across clusters: %d %s", code, out)
	}
}

// TestClusterGuard rebuilds the clustering with a small bound that refuses
// merges, lists the reports and switches back to the default set.
func TestClusterGuard(t *testing.T) {
	_, data := clusterWorld(t)
	guarded := filepath.Join(t.TempDir(), "guard.yaml")
	if err := os.WriteFile(guarded, []byte("cluster:\n  max_cluster_size: 4\n  refuse_oversize: true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if code, _, errs := runCLI(t, "cluster", "build", "--datadir", data); code != 0 {
			t.Fatalf("rebuild with the default set: %s", errs)
		}
	}()
	code, out, errs := runCLI(t, "--config", guarded, "cluster", "build", "--datadir", data, "--finality", "20")
	if code != 0 || !strings.Contains(out, "replaced generation") || !strings.Contains(out, "block by block") {
		t.Fatalf("cluster build: %d %s %s", code, out, errs)
	}
	code, out, errs = runCLI(t, "cluster", "guards", "--datadir", data, "--json", "--limit", "5")
	var gs []cluster.GuardView
	if code != 0 || json.Unmarshal([]byte(out), &gs) != nil || len(gs) != 5 {
		t.Fatalf("guards: %d %s %s", code, out, errs)
	}
	for _, g := range gs {
		if !g.Refused || g.SizeA+g.SizeB <= 4 || len(g.Txid) != 64 || g.Rule == "" {
			t.Fatalf("guard report %+v", g)
		}
	}
}

func TestClusterBadInput(t *testing.T) {
	blocks, data := clusterWorld(t)
	badSet := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(badSet, []byte("cluster:\n  heuristics: [multi-input/9]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	badTruth := filepath.Join(t.TempDir(), "truth.csv")
	if err := os.WriteFile(badTruth, []byte("address,entity\nx,w1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown heuristic", []string{"--config", badSet, "cluster", "build", "--datadir", data}, `unknown heuristic "multi-input/9"`},
		{"truth in the wrong format", []string{"eval", "clusters", "--truth", badTruth, "--datadir", data}, "truth.csv line 1: not a truth.jsonl line"},
		{"missing truth", []string{"eval", "clusters", "--truth", filepath.Join(blocks, "nope.jsonl"), "--datadir", data}, "nope.jsonl"},
		{"export format", []string{"export", "clusters", "--format", "xml", "--datadir", data}, `export format "xml"`},
		{"unknown address", []string{"cluster", "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080", "--datadir", data}, "never seen"},
		{"invalid address", []string{"why", "nonsense", clusteredAddress(t, data), "--datadir", data}, `"nonsense": invalid address`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errs := runCLI(t, tt.args...)
			if code != 1 || !strings.Contains(errs, tt.want) {
				t.Fatalf("exit %d, stderr %q does not name %q", code, errs, tt.want)
			}
		})
	}
}

// clusteredAddress returns an address of the clustered world.
func clusteredAddress(t *testing.T, data string) string {
	t.Helper()
	code, out, errs := runCLI(t, "export", "clusters", "--datadir", data)
	if code != 0 {
		t.Fatal(errs)
	}
	lines := strings.Split(out, "\n")
	return strings.Split(lines[1], ",")[0]
}

// TestExampleConfigCluster loads config.example.yaml: its cluster section
// must be the default heuristic set.
func TestExampleConfigCluster(t *testing.T) {
	cfg, err := LoadConfig(filepath.Join("..", "..", "config.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	set, err := cluster.NewSet(cfg.Cluster.Config)
	if err != nil {
		t.Fatal(err)
	}
	def, _ := cluster.NewSet(cluster.Config{})
	if !cfg.Cluster.Enabled || set.Spec() != def.Spec() {
		t.Fatalf("example cluster section = %+v, set %s", cfg.Cluster, set.Spec())
	}
}

// TestClusterBuildKeyEquivalence rebuilds the clustering with
// key-equivalence/1, which reads the blocks again: without a block source
// it is refused, with one it is recorded in the generation's set.
func TestClusterBuildKeyEquivalence(t *testing.T) {
	blocks, data := clusterWorld(t)
	dir := t.TempDir()
	noSource, withSource := filepath.Join(dir, "nosource.yaml"), filepath.Join(dir, "source.yaml")
	set := "cluster:\n  heuristics: [address-equivalence/1, multi-input/1, key-equivalence/1]\n"
	if err := os.WriteFile(noSource, []byte(set), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(withSource, []byte(set+"bitcoin:\n  blocks: [\""+blocks+"\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if code, _, errs := runCLI(t, "cluster", "build", "--datadir", data); code != 0 {
			t.Fatalf("rebuild with the default set: %s", errs)
		}
	}()
	if code, _, errs := runCLI(t, "--config", noSource, "cluster", "build", "--datadir", data); code != 1 || !strings.Contains(errs, "key-equivalence/1 reads the blocks' input scripts") {
		t.Fatalf("build with key-equivalence/1 and no source: exit %d: %s", code, errs)
	}
	code, out, errs := runCLI(t, "--config", withSource, "cluster", "build", "--datadir", data, "--finality", "20")
	if code != 0 || !strings.Contains(out, "key-equivalence/1") || !strings.Contains(out, "block by block") {
		t.Fatalf("build with key-equivalence/1: exit %d: %s %s", code, out, errs)
	}
}

// TestClusterBuildChangeSpend rebuilds the clustering with change-spend/1,
// which needs the blocks for the wallet fingerprints, and scores it with
// eval clusters --blocks.
func TestClusterBuildChangeSpend(t *testing.T) {
	blocks, data := clusterWorld(t)
	dir := t.TempDir()
	noSource, withSource := filepath.Join(dir, "nosource.yaml"), filepath.Join(dir, "source.yaml")
	set := "cluster:\n  heuristics: [address-equivalence/1, multi-input/1, change-spend/1]\n"
	if err := os.WriteFile(noSource, []byte(set), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(withSource, []byte(set+"bitcoin:\n  blocks: [\""+blocks+"\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if code, _, errs := runCLI(t, "cluster", "build", "--datadir", data); code != 0 {
			t.Fatalf("rebuild with the default set: %s", errs)
		}
	}()
	if code, _, errs := runCLI(t, "--config", noSource, "cluster", "build", "--datadir", data); code != 1 || !strings.Contains(errs, "change-spend/1 their wallet fingerprints") {
		t.Fatalf("build with change-spend/1 and no source: exit %d: %s", code, errs)
	}
	code, out, errs := runCLI(t, "--config", withSource, "cluster", "build", "--datadir", data, "--finality", "20")
	if code != 0 || !strings.Contains(out, "change-spend/1") || !strings.Contains(out, "block by block") {
		t.Fatalf("build with change-spend/1: exit %d: %s %s", code, out, errs)
	}
	code, out, errs = runCLI(t, "eval", "clusters", "--truth", filepath.Join(blocks, "truth.jsonl"), "--datadir", data, "--blocks", blocks, "--json")
	var rep cluster.Report
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil {
		t.Fatalf("eval: %d %s %s", code, out, errs)
	}
	last := rep.Change[len(rep.Change)-1]
	if last.Rule != "change-spend/1" || last.Correct == 0 || last.Precision < 0.99 || rep.CoSpent.Precision < 0.995 ||
		rep.CoSpent.Recall <= rep.BoundCoSpent.Recall || rep.ChangeBoundCoSpent.Recall <= rep.CoSpent.Recall {
		t.Fatalf("eval with change-spend/1: %+v", rep)
	}
}
