package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spoorhq/spoor/api"
)

// TestServe runs spoor serve on the demo index, queries it over loopback
// with a key made by spoor keys new, stops it, and checks the audit log
// with spoor audit verify, before and after tampering with it.
func TestServe(t *testing.T) {
	dir := demoData(t)
	code, out, errs := runCLI(t, "keys", "new", "--id", "tester", "--role", "viewer")
	if code != 0 {
		t.Fatalf("keys new: %d %s", code, errs)
	}
	m := regexp.MustCompile(`(?s)^key .*?\n  (spoor_\S+)\nconfig entry \(under serve.keys\):\n(.*)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("keys new printed %q", out)
	}
	key, entry := m[1], m[2]
	if code, out, _ := runCLI(t, "keys", "hash", key); code != 0 || strings.TrimSpace(out) != api.HashKey(key) || !strings.Contains(entry, api.HashKey(key)) {
		t.Fatalf("keys hash: %d %q", code, out)
	}
	cfg := filepath.Join(t.TempDir(), "spoor.yaml")
	if err := os.WriteFile(cfg, []byte("serve:\n  keys:\n"+entry), 0o600); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(filepath.Join(dir, "audit"))

	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	var errb bytes.Buffer
	go func() {
		done <- run(ctx, []string{"serve", "--config", cfg, "--datadir", dir, "--listen", "127.0.0.1:0", "--log-level", "warn", "--network", "mainnet"}, pw, &errb)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("serve printed %q: %v; stderr: %s", line, err, errb.String())
	}
	go io.Copy(io.Discard, pr)
	url := regexp.MustCompile(`http://\S+`).FindString(line)
	if url == "" {
		t.Fatalf("serve printed %q", line)
	}

	post := func(key string) (int, map[string]any) {
		req, _ := http.NewRequest("POST", url+"/graphql", strings.NewReader(`{"query":"{ stats { height txs } }"}`))
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body
	}
	status, body := post(key)
	stats, _ := body["data"].(map[string]any)["stats"].(map[string]any)
	if status != 200 || stats["height"] != float64(14131) || stats["txs"] != float64(14247) {
		t.Fatalf("query: %d %v", status, body)
	}
	if status, _ := post("spoor_wrong"); status != 401 {
		t.Fatalf("wrong key: %d", status)
	}
	// While serve runs it owns the index (in this process Pebble says the
	// lock is held; from another it says the index is in use).
	if code, _, errs := runCLI(t, "stats", "--datadir", dir, "--network", "mainnet"); code == 0 || !strings.Contains(errs, "in use") && !strings.Contains(errs, "lock held") {
		t.Fatalf("stats while serving: %d %s", code, errs)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exited %d: %s", code, errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}

	code, out, errs = runCLI(t, "audit", "verify", "--datadir", dir)
	if code != 0 || !strings.Contains(out, "audit log intact: 1 entries") {
		t.Fatalf("audit verify: %d %s %s", code, out, errs)
	}
	head := strings.TrimSpace(strings.TrimPrefix(out[strings.Index(out, "head: "):], "head: "))
	if code, _, errs := runCLI(t, "audit", "verify", "--datadir", dir, "--anchor", head); code != 0 {
		t.Fatalf("verify with anchor: %s", errs)
	}
	logPath := filepath.Join(dir, "audit", "audit.log")
	raw, _ := os.ReadFile(logPath)
	if err := os.WriteFile(logPath, bytes.Replace(raw, []byte(`"key_id":"tester"`), []byte(`"key_id":"tested"`), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runCLI(t, "audit", "verify", "--datadir", dir); code != 1 || !strings.Contains(errs, "line 1 (seq 1): hash does not match") {
		t.Fatalf("verify after tampering: %d %s", code, errs)
	}
	os.RemoveAll(filepath.Join(dir, "audit"))
}

func TestServeRefusesWithoutKeys(t *testing.T) {
	dir := demoData(t)
	if code, _, errs := runCLI(t, "serve", "--datadir", dir, "--listen", "127.0.0.1:0"); code != 1 || !strings.Contains(errs, "no API keys") {
		t.Fatalf("%d %s", code, errs)
	}
	if code, _, errs := runCLI(t, "keys", "new", "--id", "x", "--role", "root"); code != 1 || !strings.Contains(errs, `role "root"`) {
		t.Fatalf("%d %s", code, errs)
	}
}
