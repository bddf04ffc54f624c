package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	exportOnce sync.Once
	exportDir  string
	exportErr  string
)

// exportWorld simulates and indexes a small chain (with its clustering)
// and imports the world's labels, once per test binary; it returns the
// chain directory and the data directory.
func exportWorld(t *testing.T) (blocks, data string) {
	t.Helper()
	exportOnce.Do(func() {
		dir, err := os.MkdirTemp("", "spoor-export-")
		if err != nil {
			exportErr = err.Error()
			return
		}
		exportDir = dir
		blocks, data := filepath.Join(dir, "chain"), filepath.Join(dir, "data")
		if code, out, errs := runCLI(t, "simulate", "bitcoin", "--out", blocks, "--seed", "5", "--txs", "4000"); code != 0 {
			exportErr = "simulate: " + out + errs
			return
		}
		if code, out, errs := runCLI(t, "index", "bitcoin", "--network", "regtest", "--blocks", blocks, "--datadir", data, "--progress", "none", "--log-level", "warn"); code != 0 {
			exportErr = "index: " + out + errs
			return
		}
		if code, out, errs := runCLI(t, "labels", "import", "--datadir", data, filepath.Join(blocks, "labels.csv")); code != 0 {
			exportErr = "labels import: " + out + errs
		}
	})
	if exportErr != "" {
		t.Fatal(exportErr)
	}
	return filepath.Join(exportDir, "chain"), filepath.Join(exportDir, "data")
}

// truthWallet returns the first wallet address of the world's truth.
func truthWallet(t *testing.T, blocks string) string {
	t.Helper()
	f, err := os.Open(filepath.Join(blocks, "truth.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var line struct{ Address, Kind string }
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Kind == "wallet" && line.Address != "" {
			return line.Address
		}
	}
	t.Fatal("no wallet in truth.jsonl")
	return ""
}

func TestExportTrace(t *testing.T) {
	blocks, data := exportWorld(t)
	from := truthWallet(t, blocks)
	out := t.TempDir()
	auditLog := filepath.Join(data, "audit", "audit.log")
	before, _ := os.ReadFile(auditLog)
	formats := []string{"graphml", "gexf", "cytoscape", "csv", "anx", "maltego", "stix", "misp"}
	for _, f := range formats {
		t.Run(f, func(t *testing.T) {
			path := filepath.Join(out, "trace."+f)
			code, stdout, errs := runCLI(t, "export", "trace", from, "--hops", "4", "--format", f, "-o", path, "--datadir", data)
			if code != 0 {
				t.Fatalf("exit %d: %s %s", code, stdout, errs)
			}
			st, err := os.Stat(path)
			if err != nil || st.Size() == 0 || !strings.Contains(stdout, "wrote "+path) {
				t.Fatalf("%v, %q", err, stdout)
			}
		})
	}
	after, err := os.ReadFile(auditLog)
	if err != nil {
		t.Fatal(err)
	}
	added := strings.Count(string(after), `"export"`) - strings.Count(string(before), `"export"`)
	if added != len(formats) {
		t.Errorf("%d export entries added to the audit log, want %d", added, len(formats))
	}
	if code, _, errs := runCLI(t, "audit", "verify", "--datadir", data); code != 0 {
		t.Fatalf("audit verify: %s", errs)
	}
	// The STIX and MISP exports import back as labels.
	for _, f := range []string{"stix", "misp"} {
		p := filepath.Join(out, "back-"+f+".json")
		if err := os.Rename(filepath.Join(out, "trace."+f), p); err != nil {
			t.Fatal(err)
		}
		code, stdout, errs := runCLI(t, "labels", "import", "--datadir", data, p)
		if code != 0 || !strings.Contains(stdout, ": "+f+" ") {
			t.Fatalf("labels import %s: %d %s %s", f, code, stdout, errs)
		}
	}
	// The cluster export still works next to the trace export.
	if code, stdout, errs := runCLI(t, "export", "clusters", "--datadir", data); code != 0 || !strings.HasPrefix(stdout, "address,cluster_id") {
		t.Fatalf("export clusters: %d %s", code, errs)
	}
}

// TestExportTraceTooLarge checks that a graph over the configured limit is
// an error naming the size and the limit, and leaves no file.
func TestExportTraceTooLarge(t *testing.T) {
	blocks, data := exportWorld(t)
	cfg := filepath.Join(t.TempDir(), "spoor.yaml")
	if err := os.WriteFile(cfg, []byte("export:\n  max_nodes: 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "big.gexf")
	code, _, errs := runCLI(t, "export", "trace", truthWallet(t, blocks), "--format", "gexf", "-o", path, "--datadir", data, "--config", cfg)
	if code == 0 || !strings.Contains(errs, "more than the limit of 2") {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("a file was left: %v", err)
	}
	ents, _ := os.ReadDir(filepath.Dir(path))
	if len(ents) != 0 {
		t.Fatalf("temporary files left: %v", ents)
	}
	if code, _, errs := runCLI(t, "export", "trace", "x", "--format", "pdf", "-o", path, "--datadir", data); code == 0 || !strings.Contains(errs, `unknown export format "pdf"`) {
		t.Fatalf("bad format: %d %s", code, errs)
	}
}

func TestExportPath(t *testing.T) {
	blocks, data := exportWorld(t)
	from := truthWallet(t, blocks)
	code, out, errs := runCLI(t, "trace", from, "--hops", "3", "--json", "--datadir", data)
	if code != 0 {
		t.Fatalf("trace: %s", errs)
	}
	var res struct {
		Nodes []struct {
			Kind, Address string
			Hop           int
		}
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	to := ""
	for _, n := range res.Nodes {
		if n.Kind == "address" && n.Hop == 2 && n.Address != from {
			to = n.Address
			break
		}
	}
	if to == "" {
		t.Fatal("no address two hops from the wallet")
	}
	path := filepath.Join(t.TempDir(), "paths.graphml")
	code, out, errs = runCLI(t, "export", "path", from, to, "--format", "graphml", "-o", path, "--datadir", data)
	if code != 0 || !strings.Contains(out, "wrote "+path) {
		t.Fatalf("export path: %d %s %s", code, out, errs)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `<node id="`+from+`">`) || !strings.Contains(string(b), `<node id="`+to+`">`) || !strings.Contains(string(b), "<edge ") {
		t.Fatalf("the graph lacks the two ends or an edge:\n%.2000s", b)
	}
}
