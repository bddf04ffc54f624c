package export

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// needNetworkx returns the python3 that can import networkx, the
// independent GraphML and GEXF reader of the tests. Without it the test
// skips, unless CI is set: scripts/install-web-tools.sh installs it there.
func needNetworkx(t *testing.T) string {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err == nil {
		err = exec.Command(py, "-c", "import networkx").Run()
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("python3 with networkx is required with CI set (scripts/install-web-tools.sh installs it): %v", err)
		}
		t.Skipf("python3 with networkx not available: %v", err)
	}
	return py
}

// networkxSummary is what testdata/readgraph.py prints.
type networkxSummary struct {
	Directed    bool     `json:"directed"`
	Nodes       int      `json:"nodes"`
	Edges       int      `json:"edges"`
	Amount      uint64   `json:"amount"`
	NodeStarts  int      `json:"node_starts"`
	EdgeStarts  int      `json:"edge_starts"`
	Labelled    []string `json:"labelled"`
	Clusters    int      `json:"clusters"`
	TimesSorted []string `json:"times_sorted"`
}

func readWithNetworkx(t *testing.T, kind, path string) networkxSummary {
	t.Helper()
	py := needNetworkx(t)
	out, err := exec.Command(py, "testdata/readgraph.py", kind, path).Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("networkx cannot read the %s export: %v\n%s", kind, err, stderr)
	}
	var s networkxSummary
	if err := json.Unmarshal(out, &s); err != nil {
		t.Fatalf("readgraph.py output %q: %v", out, err)
	}
	return s
}

// needNodeReaders returns node and the directory of the npm readers
// (graphology-gexf, graphology-graphml, cytoscape) that
// scripts/install-web-tools.sh installs. Without them the test skips,
// unless CI is set.
func needNodeReaders(t *testing.T) (string, string) {
	t.Helper()
	dir := filepath.Join("testdata", "readers")
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join(dir, "node_modules", "graphology-gexf"))
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("node and the npm readers are required with CI set (scripts/install-web-tools.sh installs them): %v", err)
		}
		t.Skipf("node or the npm readers missing (run scripts/install-web-tools.sh): %v", err)
	}
	return node, dir
}

// nodeSummary is what testdata/readers/read.js prints.
type nodeSummary struct {
	Nodes      int      `json:"nodes"`
	Edges      int      `json:"edges"`
	Amount     uint64   `json:"amount"`
	Labelled   []string `json:"labelled"`
	Clusters   int      `json:"clusters"`
	NodeStarts int      `json:"nodeStarts"`
	EdgeStarts int      `json:"edgeStarts"`
}

func readWithNode(t *testing.T, kind, path string) nodeSummary {
	t.Helper()
	node, dir := needNodeReaders(t)
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, "read.js", kind, abs)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("the npm %s reader cannot read the export: %v\n%s", kind, err, stderr)
	}
	var s nodeSummary
	if err := json.Unmarshal(out, &s); err != nil {
		t.Fatalf("read.js output %q: %v", out, err)
	}
	return s
}
