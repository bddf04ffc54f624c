package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spoorhq/spoor/heuristics/detect"
)

// detectWorld simulates a chain with planted scenarios and indexes it
// (with the default clustering); it does not import the labels.
func detectWorld(t *testing.T) (blocks, data string) {
	t.Helper()
	dir := t.TempDir()
	blocks, data = filepath.Join(dir, "chain"), filepath.Join(dir, "data")
	steps := [][]string{
		{"simulate", "bitcoin", "--out", blocks, "--seed", "7", "--txs", "15000", "--txs-per-block", "200"},
		{"index", "bitcoin", "--network", "regtest", "--blocks", blocks, "--datadir", data, "--progress", "none", "--log-level", "warn"},
	}
	for _, s := range steps {
		if code, out, errs := runCLI(t, s...); code != 0 {
			t.Fatalf("%s: %d %s %s", s[0], code, out, errs)
		}
	}
	return blocks, data
}

func TestDetectCommands(t *testing.T) {
	blocks, data := detectWorld(t)
	truth := filepath.Join(blocks, "truth.jsonl")

	code, out, errs := runCLI(t, "eval", "detect", "--truth", truth, "--datadir", data)
	if code == 0 || !strings.Contains(errs, "run spoor detect first") {
		t.Fatalf("eval before detect: %d %s %s", code, out, errs)
	}
	// Before the labels are imported, detection says which detectors are blind.
	code, out, errs = runCLI(t, "detect", "--datadir", data)
	if code != 0 || !strings.Contains(errs, "no sanction labels") || !strings.Contains(errs, "no exchange labels") {
		t.Fatalf("detect without labels: %d %s %s", code, out, errs)
	}
	if code, out, errs := runCLI(t, "labels", "import", filepath.Join(blocks, "labels.csv"), "--datadir", data); code != 0 {
		t.Fatalf("labels import: %d %s %s", code, out, errs)
	}
	for range 2 { // a second run replaces the first
		code, out, errs = runCLI(t, "detect", "--datadir", data)
		if code != 0 || !strings.Contains(out, "peel_chain") || !strings.Contains(out, "alerts over") || errs != "" {
			t.Fatalf("detect: %d %s %s", code, out, errs)
		}
	}

	code, out, errs = runCLI(t, "findings", "--detector", "hawala", "--datadir", data, "--json")
	var fs []detect.Finding
	if code != 0 || json.Unmarshal([]byte(out), &fs) != nil || len(fs) == 0 {
		t.Fatalf("findings --detector hawala: %d %s %s", code, out, errs)
	}
	for _, f := range fs {
		if f.Name() != "hawala" {
			t.Fatalf("findings --detector hawala lists %s", f.Detector)
		}
	}
	code, out, errs = runCLI(t, "findings", fs[0].Subject, "--datadir", data)
	if code != 0 || !strings.Contains(out, fs[0].Summary) || !strings.Contains(out, fs[0].Txids[0]) {
		t.Fatalf("findings %s: %d %s %s", fs[0].Subject, code, out, errs)
	}

	code, out, errs = runCLI(t, "alerts", "--datadir", data, "--json")
	var al struct {
		Alerts []detect.Alert `json:"alerts"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &al) != nil || len(al.Alerts) == 0 {
		t.Fatalf("alerts: %d %s %s", code, out, errs)
	}
	a := al.Alerts[0]
	code, out, errs = runCLI(t, "alerts", "review", a.ID, "--false-positive", "--note", "known customer", "--datadir", data)
	if code != 0 || !strings.Contains(out, "false_positive") {
		t.Fatalf("review: %d %s %s", code, out, errs)
	}
	code, out, errs = runCLI(t, "alerts", "review", "0000000000000000", "--confirm", "--note", "x", "--datadir", data)
	if code == 0 || !strings.Contains(errs, "no alert 0000000000000000") {
		t.Fatalf("review of an unknown alert: %d %s %s", code, out, errs)
	}
	code, out, _ = runCLI(t, "alerts", "--datadir", data)
	if code != 0 || !strings.Contains(out, "false positives of "+a.Detectors[0]+": 1 of 1 reviewed alerts (100.0%)") {
		t.Fatalf("alerts after review: %d %s", code, out)
	}
	audit, err := os.ReadFile(filepath.Join(auditDir(data), "audit.log"))
	if err != nil || !strings.Contains(string(audit), "alerts.review") || !strings.Contains(string(audit), "known customer") {
		t.Fatalf("audit log does not record the review:\n%s", audit)
	}

	code, out, errs = runCLI(t, "eval", "detect", "--truth", truth, "--datadir", data, "--json")
	var ev detect.Evaluation
	if code != 0 || json.Unmarshal([]byte(out), &ev) != nil || len(ev.Scores) != len(detect.Names()) || ev.Decoys == 0 {
		t.Fatalf("eval detect: %d %s %s", code, out, errs)
	}
	code, out, _ = runCLI(t, "eval", "detect", "--truth", truth, "--datadir", data)
	if code != 0 || !strings.Contains(out, "precision") || !strings.Contains(out, "false-positive rate") {
		t.Fatalf("eval detect table: %d %s", code, out)
	}
}

func TestDetectBadInput(t *testing.T) {
	dir := t.TempDir()
	badTruth := filepath.Join(dir, "truth.csv")
	if err := os.WriteFile(badTruth, []byte("address,entity\nbcrt1q,w1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown detector", []string{"findings", "--detector", "peel", "--datadir", empty}, `unknown detector "peel"`},
		{"truth in the wrong format", []string{"eval", "detect", "--truth", badTruth, "--datadir", empty}, "not a spoor-truth header"},
		{"missing truth", []string{"eval", "detect", "--truth", filepath.Join(dir, "nope.jsonl"), "--datadir", empty}, "nope.jsonl"},
		{"no index", []string{"detect", "--datadir", empty}, "no Bitcoin index"},
		{"review without verdict", []string{"alerts", "review", "0011223344556677", "--note", "x", "--datadir", empty}, "exactly one of --confirm and --false-positive"},
		{"review of a malformed id", []string{"alerts", "review", "xyz", "--confirm", "--note", "x", "--datadir", empty}, "want 16 hex digits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runCLI(t, tt.args...)
			if code == 0 || !strings.Contains(out+errs, tt.want) {
				t.Fatalf("%v: exit %d, %s %s; want an error containing %q", tt.args, code, out, errs, tt.want)
			}
		})
	}
}

// TestExampleConfigDetect loads config.example.yaml: its detect section
// shows every threshold at its default.
func TestExampleConfigDetect(t *testing.T) {
	cfg, err := LoadConfig(filepath.Join("..", "..", "config.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	got, want := cfg.Detect.Defaults(), (detect.Config{}).Defaults()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("example detect section = %+v\nwant the defaults %+v", got, want)
	}
	if err := got.Validate(); err != nil {
		t.Fatal(err)
	}
}

// TestIndexIncrementalDetection indexes a simulated chain with incremental
// detection on: findings are raised, each at a height, as blocks are
// indexed; spoor findings, alerts and eval detect read them; a webhook on
// loopback receives every new alert, signed.
func TestIndexIncrementalDetection(t *testing.T) {
	dir := t.TempDir()
	blocks, data := filepath.Join(dir, "chain"), filepath.Join(dir, "data")
	var mu sync.Mutex
	got := map[uint64]detect.Event{}
	bad := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if detect.VerifySignature([]byte("hook-secret"), r.Header.Get(detect.HeaderTimestamp), r.Header.Get(detect.HeaderSignature), body, time.Now(), time.Minute) != nil {
			bad++
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var ev detect.Event
		if json.Unmarshal(body, &ev) != nil {
			bad++
		}
		got[ev.Seq] = ev
	}))
	defer srv.Close()
	t.Setenv("SPOOR_TEST_WEBHOOK_SECRET", "hook-secret")
	cfg := filepath.Join(dir, "spoor.yaml")
	yaml := "detect:\n  incremental:\n    enabled: true\n    window_blocks: 40\n  webhooks:\n    - url: " + srv.URL + "\n      secret_env: SPOOR_TEST_WEBHOOK_SECRET\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	steps := [][]string{
		{"simulate", "bitcoin", "--out", blocks, "--seed", "7", "--txs", "10000", "--txs-per-block", "200"},
		{"--config", cfg, "index", "bitcoin", "--network", "regtest", "--blocks", blocks, "--datadir", data, "--progress", "none", "--log-level", "warn"},
	}
	for _, s := range steps {
		if code, out, errs := runCLI(t, s...); code != 0 {
			t.Fatalf("%v: %d %s %s", s, code, out, errs)
		}
	}
	code, out, errs := runCLI(t, "findings", "--source", "incremental", "--datadir", data)
	if code != 0 || !strings.Contains(out, "(raised at height ") || !strings.Contains(out, "peel_chain/1") {
		t.Fatalf("findings --source incremental: %d %s %s", code, out, errs)
	}
	code, out, errs = runCLI(t, "findings", "--source", "batch", "--datadir", data)
	if code != 0 || !strings.HasSuffix(out, "0 findings\n") {
		t.Fatalf("findings --source batch before spoor detect: %d %s %s", code, out, errs)
	}
	code, out, errs = runCLI(t, "alerts", "--source", "incremental", "--json", "--datadir", data)
	var al struct {
		Alerts []detect.Alert `json:"alerts"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &al) != nil {
		t.Fatalf("alerts --source incremental: %d %s %s", code, out, errs)
	}
	mu.Lock()
	if bad != 0 || len(got) != len(al.Alerts) || len(got) == 0 {
		t.Fatalf("the webhook received %d events (%d bad) for %d incremental alerts", len(got), bad, len(al.Alerts))
	}
	for _, a := range al.Alerts {
		found := false
		for _, ev := range got {
			found = found || ev.Type == detect.EventNew && ev.Alert.ID == a.ID
		}
		if !found {
			t.Fatalf("alert %s never reached the webhook", a.ID)
		}
	}
	mu.Unlock()
	code, out, errs = runCLI(t, "alerts", "review", al.Alerts[0].ID, "--confirm", "--note", "seen", "--datadir", data)
	if code != 0 || !strings.Contains(out, "marked confirmed") {
		t.Fatalf("review of an incremental alert: %d %s %s", code, out, errs)
	}
	code, out, errs = runCLI(t, "eval", "detect", "--source", "incremental", "--truth", filepath.Join(blocks, "truth.jsonl"), "--datadir", data)
	if code != 0 || !strings.Contains(out, "peel_chain") {
		t.Fatalf("eval detect --source incremental: %d %s %s", code, out, errs)
	}
}

// TestDetectNotify runs spoor detect --notify against a webhook on
// loopback: while the receiver fails, the new alerts stay in the outbox
// and the command says so; spoor index, with webhooks but no incremental
// detection, warns and delivers them, signed; a second run raises no new
// alert and sends nothing.
func TestDetectNotify(t *testing.T) {
	blocks, data := detectWorld(t)
	if code, out, errs := runCLI(t, "labels", "import", filepath.Join(blocks, "labels.csv"), "--datadir", data); code != 0 {
		t.Fatalf("labels import: %d %s %s", code, out, errs)
	}
	var mu sync.Mutex
	accept := false
	got := map[uint64]detect.Event{}
	bad, refused := 0, 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if detect.VerifySignature([]byte("notify-secret"), r.Header.Get(detect.HeaderTimestamp), r.Header.Get(detect.HeaderSignature), body, time.Now(), time.Minute) != nil {
			bad++
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		if !accept {
			refused++
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		var ev detect.Event
		if json.Unmarshal(body, &ev) != nil || r.Header.Get(detect.HeaderEvent) != ev.Type {
			bad++
		}
		got[ev.Seq] = ev
	}))
	defer srv.Close()
	cfg := filepath.Join(t.TempDir(), "spoor.yaml")
	yaml := "detect:\n  webhooks:\n    - url: " + srv.URL + "\n      secret: notify-secret\n      backoff_seconds: 1\n      max_backoff_seconds: 1\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}

	code, out, errs := runCLI(t, "--config", cfg, "detect", "--notify", "--notify-wait", "1500ms", "--datadir", data)
	if code != 0 || !strings.Contains(errs, "not acknowledged after 1.5s; they stay in the outbox") {
		t.Fatalf("detect --notify with the receiver down: %d %s %s", code, out, errs)
	}
	code, out, errs = runCLI(t, "alerts", "--json", "--datadir", data)
	var al struct {
		Alerts []detect.Alert `json:"alerts"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &al) != nil || len(al.Alerts) == 0 {
		t.Fatalf("alerts: %d %s %s", code, out, errs)
	}
	mu.Lock()
	if refused == 0 || len(got) != 0 || bad != 0 {
		t.Fatalf("with the receiver down: %d refused, %d received, %d bad", refused, len(got), bad)
	}
	accept = true
	mu.Unlock()

	time.Sleep(1100 * time.Millisecond) // the retry is due
	code, out, errs = runCLI(t, "--config", cfg, "index", "bitcoin", "--network", "regtest", "--blocks", blocks, "--datadir", data, "--progress", "none", "--log-level", "warn")
	if code != 0 || !strings.Contains(errs, "without detect.incremental.enabled: spoor index raises no alerts") {
		t.Fatalf("index with webhooks and no incremental detection: %d %s %s", code, out, errs)
	}
	mu.Lock()
	if bad != 0 || len(got) != len(al.Alerts) {
		t.Fatalf("the webhook received %d events (%d bad) for %d alerts", len(got), bad, len(al.Alerts))
	}
	ids := map[string]bool{}
	for _, ev := range got {
		if ev.Type != detect.EventNew || ev.Chain == "" || ev.Height == 0 {
			t.Fatalf("event %+v", ev)
		}
		ids[ev.Alert.ID] = true
	}
	for _, a := range al.Alerts {
		if !ids[a.ID] {
			t.Fatalf("alert %s never reached the webhook", a.ID)
		}
	}
	n := len(got)
	mu.Unlock()

	code, out, errs = runCLI(t, "--config", cfg, "detect", "--notify", "--datadir", data)
	if code != 0 || !strings.Contains(out, "0 new alerts queued for 1 webhook(s)") || errs != "" {
		t.Fatalf("a second detect --notify: %d %s %s", code, out, errs)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != n {
		t.Fatalf("a run with no new alert sent %d more events", len(got)-n)
	}

	noHooks := filepath.Join(t.TempDir(), "none.yaml")
	if err := os.WriteFile(noHooks, []byte("detect: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs = runCLI(t, "--config", noHooks, "detect", "--notify", "--datadir", data)
	if code == 0 || !strings.Contains(errs, "no webhooks configured") {
		t.Fatalf("detect --notify without webhooks: %d %s %s", code, out, errs)
	}
}
