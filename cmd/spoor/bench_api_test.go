package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestRunLoad loads a loopback server that answers 200 after a fixed
// pause and checks the counts and latencies the load generator reports.
func TestRunLoad(t *testing.T) {
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "POST" && r.Header.Get("Authorization") != "Bearer k" {
			w.WriteHeader(401)
			return
		}
		time.Sleep(2 * time.Millisecond)
		served.Add(1)
	}))
	defer srv.Close()
	res, err := runLoad(context.Background(), loadOptions{URL: srv.URL, Body: `{}`, Key: "k", Duration: 300 * time.Millisecond, Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed != 0 || res.Requests == 0 || int64(res.Requests) > served.Load() || res.P50Micros < 2000 || res.P99Micros < res.P50Micros ||
		res.PerSecond > 4*1000/2+100 {
		t.Fatalf("result %+v (served %d)", res, served.Load())
	}
	bad, err := runLoad(context.Background(), loadOptions{URL: srv.URL, Body: `{}`, Key: "wrong", Duration: 100 * time.Millisecond, Concurrency: 1})
	if err != nil || bad.Failed == 0 || bad.Requests != 0 {
		t.Fatalf("wrong key: %+v %v", bad, err)
	}
	if _, err := runLoad(context.Background(), loadOptions{URL: srv.URL, Concurrency: 0, Duration: time.Second}); err == nil {
		t.Fatal("concurrency 0 accepted")
	}
}

// TestRunLoadBodies checks that a load with several bodies sends each of
// them, round the list.
func TestRunLoadBodies(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen[string(b)]++
		mu.Unlock()
	}))
	defer srv.Close()
	bodies := []string{`{"a":1}`, `{"b":2}`, `{"c":3}`}
	res, err := runLoad(context.Background(), loadOptions{URL: srv.URL, Bodies: bodies, Key: "k", Duration: 200 * time.Millisecond, Concurrency: 2})
	if err != nil || res.Failed != 0 || res.Requests < 6 {
		t.Fatalf("result %+v %v", res, err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, b := range bodies {
		if seen[b] == 0 {
			t.Fatalf("body %s never sent: %v", b, seen)
		}
	}
	if len(seen) != len(bodies) {
		t.Fatalf("bodies sent: %v", seen)
	}
}

// TestRunLoadPartial checks that the load generator counts the answers
// that say a trace was cut short.
func TestRunLoadPartial(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%2 == 0 {
			io.WriteString(w, `{"data":{"trace":{"partial":true}}}`)
			return
		}
		io.WriteString(w, `{"data":{"trace":{"partial":false}}}`)
	}))
	defer srv.Close()
	res, err := runLoad(context.Background(), loadOptions{URL: srv.URL, Body: `{}`, Key: "k", Duration: 200 * time.Millisecond, Concurrency: 1})
	if err != nil || res.Requests < 4 {
		t.Fatalf("result %+v %v", res, err)
	}
	if d := res.Requests/2 - res.Partial; d < -1 || d > 1 {
		t.Fatalf("%d partial answers of %d, want half", res.Partial, res.Requests)
	}
}

// TestBenchAPIRunSelected checks how --only picks scenarios.
func TestBenchAPIRunSelected(t *testing.T) {
	for _, tc := range []struct {
		only, name string
		want       bool
	}{
		{"", "trace", true},
		{"trace", "trace", true},
		{"trace", "healthz", false},
		{"healthz, trace", "trace", true},
		{"screen,bulk", "evidence", false},
	} {
		if got := (benchAPIRun{only: tc.only}).selected(tc.name); got != tc.want {
			t.Errorf("only %q, %s: got %v, want %v", tc.only, tc.name, got, tc.want)
		}
	}
}

// benchAPIReport is the part of bench api's --json output the tests read.
type benchAPIReport struct {
	Generator   string       `json:"generator"`
	ServerProcs int          `json:"server_procs"`
	LoadProcs   int          `json:"load_procs"`
	Results     []LoadResult `json:"results"`
}

// runBenchAPI runs spoor bench api on its built-in index (real mainnet
// blocks) with the test binary as the load generator's executable.
func runBenchAPI(t *testing.T, args ...string) benchAPIReport {
	t.Helper()
	t.Setenv(runAsCLIEnv, "1")
	args = append([]string{"bench", "api", "--json", "--audit-sync", "none", "--duration", "1s", "--warmup", "300ms", "--log-level", "warn"}, args...)
	code, out, errs := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("bench api exited %d: %s", code, errs)
	}
	var rep benchAPIReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	return rep
}

// checkBenchResults checks that every scenario answered requests, none
// failed, and the server's and the generator's CPU and the ratios to
// /healthz were measured.
func checkBenchResults(t *testing.T, rep benchAPIReport, names ...string) {
	t.Helper()
	if len(rep.Results) != len(names) {
		t.Fatalf("%d results, want %d: %+v", len(rep.Results), len(names), rep.Results)
	}
	for i, r := range rep.Results {
		if !strings.HasPrefix(r.Name, names[i]) {
			t.Errorf("result %d is %q, want %q", i, r.Name, names[i])
		}
		if r.Requests == 0 || r.Failed != 0 || r.PerSecond <= 0 || r.CPUMicros <= 0 || r.LoadCPUMicros <= 0 || r.RatioToBase <= 0 {
			t.Errorf("%s: %+v", r.Name, r)
		}
		if r.P50Micros <= 0 || r.P99Micros < r.P50Micros || r.MaxMicros < r.P99Micros {
			t.Errorf("%s: latencies out of order: %+v", r.Name, r)
		}
	}
}

// TestBenchAPI runs bench api end to end with spoor's own load generator
// in a second process, closed loop and open loop, on one server thread.
func TestBenchAPI(t *testing.T) {
	rep := runBenchAPI(t, "--only", "healthz,bulk,trace", "--server-procs", "1")
	if rep.Generator != "spoor" || rep.ServerProcs != 1 || rep.LoadProcs != 1 {
		t.Fatalf("report %+v", rep)
	}
	checkBenchResults(t, rep, "GET /healthz", "screen, POST /screen", "trace forward")

	rep = runBenchAPI(t, "--only", "healthz,bulk", "--rate", "300")
	checkBenchResults(t, rep, "GET /healthz", "screen, POST /screen")
	for _, r := range rep.Results {
		if r.Rate != 300 || r.PerSecond < 200 || r.Requests > 301 {
			t.Errorf("%s: asked 300/s for a second: %+v", r.Name, r)
		}
	}
}

// TestBenchAPIWrk runs bench api with Debian's wrk as the load
// generator, which scripts/install-bench-tools.sh installs.
func TestBenchAPIWrk(t *testing.T) {
	if _, err := exec.LookPath("wrk"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("wrk missing: run scripts/install-bench-tools.sh")
		}
		t.Skip("wrk missing: run scripts/install-bench-tools.sh")
	}
	rep := runBenchAPI(t, "--generator", "wrk", "--concurrency", "2", "--only", "healthz,stats,bulk,trace")
	if rep.Generator != "wrk" {
		t.Fatalf("report %+v", rep)
	}
	checkBenchResults(t, rep, "GET /healthz", "stats", "screen, POST /screen", "trace forward")

	// The script posts each body of the file with the key, and counts the
	// answers that say "partial":true.
	var n atomic.Int64
	var mu sync.Mutex
	seen := map[string]bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen[string(b)] = true
		mu.Unlock()
		if r.Method != "POST" || r.Header.Get("Authorization") != "Bearer k" || r.Header.Get("Content-Type") != "application/json" {
			w.WriteHeader(401)
			return
		}
		if n.Add(1)%2 == 0 {
			io.WriteString(w, `{"partial":true}`)
			return
		}
		io.WriteString(w, `{"partial":false}`)
	}))
	defer srv.Close()
	dir := t.TempDir()
	bodies := filepath.Join(dir, "bodies.jsonl")
	if err := os.WriteFile(bodies, []byte("{\"a\":1}\n{\"a\":2}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd, err := wrkLoad{url: srv.URL + "/q", bodiesFile: bodies, connections: 1, duration: time.Second, countPartial: true}.command(context.Background(), "wrk", dir)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Env = append(os.Environ(), benchKeyEnv+"=k")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	res, err := parseWrk(out)
	if err != nil || res.Failed != 0 || res.Requests < 10 {
		t.Fatalf("%+v %v", res, err)
	}
	if d := res.Requests/2 - res.Partial; d < -1 || d > 1 {
		t.Fatalf("%d partial answers of %d, want half", res.Partial, res.Requests)
	}
	if len(seen) != 2 || !seen[`{"a":1}`] || !seen[`{"a":2}`] {
		t.Fatalf("bodies sent: %v", seen)
	}

	code, _, errs := runCLI(t, "bench", "api", "--generator", "wrk", "--rate", "100", "--only", "healthz")
	if code == 0 || !strings.Contains(errs, "closed loop only") {
		t.Fatalf("wrk with --rate: exit %d, %s", code, errs)
	}
}

// TestLoadConnAnswers checks spoor's load generator against answers
// net/http's client would take in its stride: a chunked body, a server
// closing the connection after each answer, and an error status.
func TestLoadConnAnswers(t *testing.T) {
	big := strings.Repeat("x", 10000)
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch n.Add(1) % 3 {
		case 0: // chunked: flushed before the end
			io.WriteString(w, `{"data":{"trace":{"pad":"`+big+`",`)
			w.(http.Flusher).Flush()
			io.WriteString(w, `"partial":true}}}`)
		case 1:
			w.Header().Set("Connection", "close")
			io.WriteString(w, `{"data":{"trace":{"partial":false}}}`)
		case 2:
			io.WriteString(w, `{"data":{"trace":{"partial":false}}}`)
		}
	}))
	defer srv.Close()
	res, err := runLoad(context.Background(), loadOptions{URL: srv.URL, Body: `{}`, Key: "k", Duration: 300 * time.Millisecond, Concurrency: 2})
	if err != nil || res.Requests < 9 || res.Failed != 0 {
		t.Fatalf("result %+v %v", res, err)
	}
	if d := res.Requests/3 - res.Partial; d < -2 || d > 2 {
		t.Fatalf("%d partial answers of %d, want a third (each chunked answer)", res.Partial, res.Requests)
	}

	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusTooManyRequests)
	}))
	defer bad.Close()
	res, err = runLoad(context.Background(), loadOptions{URL: bad.URL, Duration: 100 * time.Millisecond, Concurrency: 1})
	if err != nil || res.Requests != 0 || res.Failed == 0 {
		t.Fatalf("429s: %+v %v", res, err)
	}
}

// TestEncodeLoadRequests checks the requests as they go on the wire and
// the URLs refused.
func TestEncodeLoadRequests(t *testing.T) {
	addr, reqs, err := encodeLoadRequests("http://127.0.0.1:8080/screen?x=1", "KEY", []string{`{"a":1}`})
	if err != nil || addr != "127.0.0.1:8080" || len(reqs) != 1 {
		t.Fatalf("%q %d %v", addr, len(reqs), err)
	}
	want := "POST /screen?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Type: application/json\r\nAuthorization: Bearer KEY\r\nContent-Length: 7\r\n\r\n{\"a\":1}"
	if string(reqs[0]) != want {
		t.Fatalf("got %q\nwant %q", reqs[0], want)
	}
	if addr, reqs, err = encodeLoadRequests("http://localhost/healthz", "", nil); err != nil || addr != "localhost:80" || string(reqs[0]) != "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n" {
		t.Fatalf("%q %q %v", addr, reqs, err)
	}
	for _, bad := range []string{"https://127.0.0.1/", "127.0.0.1:80", "http:///x", "http://[::1"} {
		if _, _, err := encodeLoadRequests(bad, "", nil); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestParseWrk reads what the wrk script prints, and refuses output
// without a result.
func TestParseWrk(t *testing.T) {
	out := []byte("Running 1s test @ http://127.0.0.1:1/screen\n" +
		`{"requests":2000,"duration_us":1000000,"socket_errors":1,"status_errors":10,"p50_us":150,"p99_us":900,"p999_us":1500,"max_us":3000,"partial":7}` + "\n")
	r, err := parseWrk(out)
	if err != nil {
		t.Fatal(err)
	}
	want := LoadResult{Requests: 1990, Failed: 11, PerSecond: 1990, P50Micros: 150, P99Micros: 900, P999Micros: 1500, MaxMicros: 3000, Partial: 7}
	if r != want {
		t.Fatalf("got %+v, want %+v", r, want)
	}
	for _, bad := range []string{"", "unable to connect to 127.0.0.1:1 Connection refused\n", `{"requests":5,"duration_us":0}`, `{"requests":"x"}`} {
		if _, err := parseWrk([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
