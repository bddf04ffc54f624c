package export

import (
	"encoding/json"
	"os"
	"os/exec"
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
