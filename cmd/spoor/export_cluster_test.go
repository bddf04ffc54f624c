package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// clusteredWallet returns a wallet address of the export world whose
// cluster holds 2 to 50 addresses, with the cluster's members as
// "spoor cluster --json" lists them.
func clusteredWallet(t *testing.T, blocks, data string) (string, []string) {
	t.Helper()
	f, err := os.Open(filepath.Join(blocks, "truth.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	tried := 0
	for sc.Scan() && tried < 200 {
		var line struct{ Address, Kind string }
		if json.Unmarshal(sc.Bytes(), &line) != nil || line.Kind != "wallet" || line.Address == "" {
			continue
		}
		tried++
		code, out, _ := runCLI(t, "cluster", line.Address, "--json", "--limit", "50", "--datadir", data)
		var cv struct {
			Size    int
			Members []string
		}
		if code == 0 && json.Unmarshal([]byte(out), &cv) == nil && cv.Size >= 2 && cv.Size <= 50 {
			return line.Address, cv.Members
		}
	}
	t.Fatal("no wallet of the world is in a cluster of 2 to 50 addresses")
	return "", nil
}

func TestExportCluster(t *testing.T) {
	blocks, data := exportWorld(t)
	addr, members := clusteredWallet(t, blocks, data)
	out := t.TempDir()
	for _, f := range []string{"graphml", "gexf", "cytoscape", "csv", "anx", "maltego", "stix", "misp"} {
		t.Run(f, func(t *testing.T) {
			path := filepath.Join(out, "cluster."+f)
			code, stdout, errs := runCLI(t, "export", "cluster", addr, "--format", f, "-o", path, "--datadir", data)
			if code != 0 || !strings.Contains(stdout, "wrote "+path) || strings.Contains(stdout, "PARTIAL") {
				t.Fatalf("exit %d: %s %s", code, stdout, errs)
			}
			if st, err := os.Stat(path); err != nil || st.Size() == 0 {
				t.Fatal(err)
			}
		})
	}
	// The member nodes of the Cytoscape file are the cluster's addresses,
	// and every one of them carries the cluster id.
	var doc struct {
		Elements struct {
			Nodes []struct{ Data map[string]any }
		}
	}
	b, err := os.ReadFile(filepath.Join(out, "cluster.cytoscape"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var got []string
	clusters := map[float64]bool{}
	for _, n := range doc.Elements.Nodes {
		if flags, _ := n.Data["flags"].([]any); slices.Contains(flags, any("member")) {
			got = append(got, n.Data["address"].(string))
			clusters[n.Data["cluster"].(float64)] = true
		}
	}
	slices.Sort(got)
	want := slices.Clone(members)
	slices.Sort(want)
	if !slices.Equal(got, want) || len(clusters) != 1 {
		t.Fatalf("member nodes %v in %d clusters; the cluster is %v", got, len(clusters), want)
	}

	path := filepath.Join(out, "cut.gexf")
	code, stdout, errs := runCLI(t, "export", "cluster", addr, "--format", "gexf", "-o", path, "--max-members", "1", "--datadir", data)
	if code != 0 || !strings.Contains(stdout, "PARTIAL: the members limit") {
		t.Fatalf("max-members 1: %d %s %s", code, stdout, errs)
	}
	if b, _ := os.ReadFile(path); !strings.Contains(string(b), "partial: the members limit cut it") {
		t.Error("the cut file does not say it is partial")
	}
	code, _, errs = runCLI(t, "export", "cluster", addr, "--format", "gexf", "-o", path, "--max-txs=-1", "--datadir", data)
	if code == 0 || !strings.Contains(errs, "must not be negative") {
		t.Fatalf("negative bound: %d %s", code, errs)
	}
}
