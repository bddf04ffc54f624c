package api

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spoorhq/spoor/api/audit"
)

// testServer is a real server on loopback over the shared index.
type testServer struct {
	url      string
	viewer   string // API keys
	analyst  string
	auditDir string
	audit    *audit.Log
	logs     *bytes.Buffer
	logMu    *sync.Mutex
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func newTestServer(t *testing.T, opts ServerOptions) *testServer {
	t.Helper()
	ts := &testServer{auditDir: filepath.Join(t.TempDir(), "audit"), logs: &bytes.Buffer{}, logMu: &sync.Mutex{}}
	ts.viewer, _ = NewKey()
	ts.analyst, _ = NewKey()
	kr, err := NewKeyRing([]KeyConfig{{ID: "vic", Role: "viewer", SHA256: HashKey(ts.viewer)}, {ID: "ana", Role: "analyst", SHA256: HashKey(ts.analyst)}})
	if err != nil {
		t.Fatal(err)
	}
	ts.audit, err = audit.Open(ts.auditDir, &audit.Options{Sync: audit.SyncNone})
	if err != nil {
		t.Fatal(err)
	}
	opts.Log = slog.New(slog.NewTextHandler(lockedWriter{ts.logMu, ts.logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := httptest.NewServer(NewServer(testSchema(t), kr, ts.audit, opts).Handler())
	t.Cleanup(func() {
		srv.Close()
		ts.audit.Close()
	})
	ts.url = srv.URL
	return ts
}

// post sends a GraphQL request with the key in header ("Authorization"
// gets "Bearer " in front) and returns the status and decoded body.
func (ts *testServer) post(t *testing.T, header, key, query string) (int, map[string]any) {
	t.Helper()
	body, _ := json.Marshal(Request{Query: query})
	req, _ := http.NewRequest("POST", ts.url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	switch header {
	case "Authorization":
		req.Header.Set("Authorization", "Bearer "+key)
	case "X-API-Key":
		req.Header.Set("X-API-Key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("status %d, body not JSON: %v", resp.StatusCode, err)
	}
	return resp.StatusCode, out
}

func errorCode(body map[string]any) string {
	errs, _ := body["errors"].([]any)
	if len(errs) == 0 {
		return ""
	}
	ext, _ := errs[0].(map[string]any)["extensions"].(map[string]any)
	code, _ := ext["code"].(string)
	return code
}

func get(t *testing.T, url string) (int, string, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

// TestHTTP sends real requests over loopback: keys, roles, errors, the
// page and the health check, then verifies the audit log they left.
func TestHTTP(t *testing.T) {
	ts := newTestServer(t, ServerOptions{})
	const q = `{ transaction(txid: "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16") { height outputs { valueSat } } }`
	tests := []struct {
		name   string
		header string
		key    string
		query  string
		status int
		code   string
	}{
		{"bearer key", "Authorization", ts.viewer, q, 200, ""},
		{"x-api-key", "X-API-Key", ts.analyst, q, 200, ""},
		{"no key", "", "", q, 401, "UNAUTHENTICATED"},
		{"invalid key", "Authorization", "spoor_guess", q, 401, "UNAUTHENTICATED"},
		{"key hash instead of key", "Authorization", HashKey(ts.viewer), q, 401, "UNAUTHENTICATED"},
		{"syntax error", "Authorization", ts.viewer, `{ stats {`, 400, CodeSyntax},
		{"over a limit", "Authorization", ts.viewer, `{ block(height: 1) { transactions(first: 1000) { totalCount } } }`, 400, CodeLimit},
		{"not indexed", "Authorization", ts.viewer, `{ address(address: "0x52908400098527886E0F7030069857D2E4169EE7") { txCount } }`, 200, CodeNotFound},
	}
	audited := 0
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := ts.post(t, tt.header, tt.key, tt.query)
			if status != tt.status || errorCode(body) != tt.code {
				t.Fatalf("status %d code %q, want %d %q: %v", status, errorCode(body), tt.status, tt.code, body)
			}
			if tt.code == "" {
				tx := body["data"].(map[string]any)["transaction"].(map[string]any)
				if tx["height"] != float64(170) || len(tx["outputs"].([]any)) != 2 {
					t.Fatalf("data = %v", tx)
				}
			}
		})
		if tt.status != 401 {
			audited++
		}
	}

	for _, tt := range []struct {
		path, ctype, want string
		status            int
	}{
		{"/healthz", "text/plain", "ok", 200},
		{"/", "text/html", `<script src="graphiql.js">`, 200},
		{"/graphiql.js", "javascript", "", 200},
		{"/graphiql.css", "text/css", "", 200},
		{"/explore", "text/html", `<script src="explore.js">`, 200},
		{"/explore.js", "javascript", "cytoscape", 200},
		{"/explore.css", "text/css", "", 200},
		{"/licenses/cytoscape@3.34.4.txt", "text/plain", "Copyright", 200},
		{"/licenses/react@18.3.1.txt", "text/plain", "MIT License", 200},
		{"/nope", "text/plain", "404", 404},
		{"/graphql", "application/json", "POST a JSON body", 405},
	} {
		status, ctype, body := get(t, ts.url+tt.path)
		if status != tt.status || !strings.Contains(ctype, tt.ctype) || !strings.Contains(body, tt.want) {
			t.Errorf("GET %s: %d %s %.80q", tt.path, status, ctype, body)
		}
	}

	// The audit log holds every authenticated request, with the key's id
	// and never the key.
	ts.audit.Close()
	res, err := audit.VerifyDir(ts.auditDir, nil)
	if err != nil || res.Entries != uint64(audited) {
		t.Fatalf("audit: %+v, %v; want %d entries", res, err, audited)
	}
	raw, _ := os.ReadFile(filepath.Join(ts.auditDir, audit.LogFile))
	ts.logMu.Lock()
	logs := ts.logs.String()
	ts.logMu.Unlock()
	for _, secret := range []string{ts.viewer, ts.analyst, ts.viewer[6:20]} {
		if strings.Contains(string(raw), secret) || strings.Contains(logs, secret) {
			t.Fatal("a key appears in the audit log or the server log")
		}
	}
	var statuses []string
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		var e audit.Entry
		json.Unmarshal([]byte(line), &e)
		statuses = append(statuses, e.KeyID+"/"+e.Role+"/"+e.Status)
		if e.Operation != audit.OpQuery || e.Query == "" || e.ResultBytes == 0 {
			t.Errorf("entry %+v", e)
		}
	}
	want := "vic/viewer/ok ana/analyst/ok vic/viewer/rejected vic/viewer/rejected vic/viewer/error"
	if strings.Join(statuses, " ") != want {
		t.Fatalf("audit statuses %v, want %s", statuses, want)
	}
}

// TestMalformedBodies posts bodies that are not GraphQL requests: each
// gets 400 with a reason that names no Go type.
func TestMalformedBodies(t *testing.T) {
	ts := newTestServer(t, ServerOptions{})
	tests := []struct{ name, body, want string }{
		{"not json", `query { stats }`, "does not parse at byte 1"},
		{"array", `[1,2]`, "it is a JSON array"},
		{"query a number", `{"query": 5}`, "query must not be a JSON number"},
		{"variables a string", `{"query": "{ stats { height } }", "variables": "x"}`, "variables must not be a JSON string"},
		{"empty", ``, "does not parse"},
		{"no query", `{}`, "the request has no query"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", ts.url+"/graphql", strings.NewReader(tt.body))
			req.Header.Set("X-API-Key", ts.viewer)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 400 || !strings.Contains(string(b), tt.want) || strings.Contains(string(b), "Go ") || strings.Contains(string(b), "api.Request") {
				t.Fatalf("%d %s", resp.StatusCode, b)
			}
		})
	}
}

// TestHugeBody streams bodies of gigabytes, with and without a declared
// length: each is refused with 413 after at most a few MiB are read, and
// the server keeps serving.
func TestHugeBody(t *testing.T) {
	ts := newTestServer(t, ServerOptions{MaxBodyBytes: 1 << 20})
	for _, declared := range []bool{false, true} {
		var sent atomic.Int64
		body := &endless{limit: 4 << 30, sent: &sent}
		req, _ := http.NewRequest("POST", ts.url+"/graphql", body)
		req.Header.Set("Authorization", "Bearer "+ts.viewer)
		if declared {
			req.ContentLength = body.limit
		} else {
			req.ContentLength = -1
		}
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), "exceeds the limit of 1048576 bytes") {
				t.Fatalf("declared %v: status %d %s", declared, resp.StatusCode, b)
			}
		}
		// The transport may also give up writing once the server closes
		// the connection; either way, little was read and it was fast.
		if n := sent.Load(); n > 64<<20 || time.Since(start) > 20*time.Second {
			t.Fatalf("declared %v: %d bytes sent in %v", declared, n, time.Since(start))
		}
		t.Logf("declared %v: refused after %d bytes sent in %v (err %v)", declared, sent.Load(), time.Since(start), err)
	}
	if status, body := ts.post(t, "Authorization", ts.viewer, `{ stats { height } }`); status != 200 || body["data"] == nil {
		t.Fatalf("after the huge bodies: %d %v", status, body)
	}
}

// endless is a reader of limit bytes of a JSON-looking body that counts
// what was read from it.
type endless struct {
	limit int64
	sent  *atomic.Int64
}

func (e *endless) Read(p []byte) (int, error) {
	n := e.sent.Load()
	if n >= e.limit {
		return 0, io.EOF
	}
	if int64(len(p)) > e.limit-n {
		p = p[:e.limit-n]
	}
	for i := range p {
		p[i] = ' '
	}
	if n == 0 && len(p) > 10 {
		copy(p, `{"query":"`)
	}
	e.sent.Add(int64(len(p)))
	return len(p), nil
}

// TestFlood sends requests from several goroutines faster than one key's
// rate allows: the excess gets 429, another key and the health check are
// unaffected, and the server stays up.
func TestFlood(t *testing.T) {
	ts := newTestServer(t, ServerOptions{RatePerSecond: 5, RateBurst: 10, BadKeysPerSecond: 5, BadKeysBurst: 10})
	var ok, limited, other atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 25 {
				body, _ := json.Marshal(Request{Query: `{ stats { height } }`})
				req, _ := http.NewRequest("POST", ts.url+"/graphql", bytes.NewReader(body))
				req.Header.Set("X-API-Key", ts.viewer)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				switch resp.StatusCode {
				case 200:
					ok.Add(1)
				case 429:
					if resp.Header.Get("Retry-After") == "" {
						t.Error("429 without Retry-After")
					}
					limited.Add(1)
				default:
					other.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	// The burst of 10 and the refills at 5/s while the flood lasted pass;
	// the rest are refused.
	allowed := 10 + int64(5*time.Since(start).Seconds()) + 1
	if ok.Load() < 10 || ok.Load() > allowed || ok.Load()+limited.Load() != 200 || limited.Load() < 100 || other.Load() != 0 {
		t.Fatalf("ok %d (at most %d), limited %d, other %d in %v", ok.Load(), allowed, limited.Load(), other.Load(), time.Since(start))
	}
	if status, _ := ts.post(t, "Authorization", ts.analyst, `{ stats { height } }`); status != 200 {
		t.Fatalf("another key: %d", status)
	}
	// A flood of wrong keys: the first ones get 401, the rest 429, and a
	// valid key still gets through.
	codes := map[int]int{}
	for range 100 {
		status, _ := ts.post(t, "Authorization", "spoor_guess", `{ stats { height } }`)
		codes[status]++
	}
	if codes[401] < 5 || codes[429] < 40 || codes[401]+codes[429] != 100 {
		t.Fatalf("wrong keys answered %v", codes)
	}
	if status, _ := ts.post(t, "Authorization", ts.analyst, `{ stats { height } }`); status != 200 {
		t.Fatalf("a valid key during a flood of wrong ones: %d", status)
	}
	if status, _, _ := get(t, ts.url+"/healthz"); status != 200 {
		t.Fatalf("healthz: %d", status)
	}
}

// TestResponseAndTimeLimits checks the response size limit and the
// per-request time limit.
func TestResponseAndTimeLimits(t *testing.T) {
	small := newTestServer(t, ServerOptions{MaxResponseBytes: 300})
	status, body := small.post(t, "Authorization", small.viewer,
		`{ block(height: 546) { transactions(first: 10) { edges { node { txid outputs { address valueSat } } } } } }`)
	if status != 200 || errorCode(body) != CodeLimit || body["data"] != nil ||
		!strings.Contains(body["errors"].([]any)[0].(map[string]any)["message"].(string), "exceeds the limit of 300 bytes") {
		t.Fatalf("big response: %d %v", status, body)
	}

	slow := newTestServer(t, ServerOptions{Timeout: time.Nanosecond})
	status, body = slow.post(t, "Authorization", slow.viewer, `{ stats { height } }`)
	if errorCode(body) != CodeTimeout {
		t.Fatalf("timeout: %d %v", status, body)
	}
	slow.audit.Close()
	raw, _ := os.ReadFile(filepath.Join(slow.auditDir, audit.LogFile))
	if !strings.Contains(string(raw), `"status":"timeout"`) {
		t.Fatalf("audit: %s", raw)
	}
}

// TestAuditFailureWithholdsAnswer closes the audit log under the server:
// queries then get 500 and no data.
func TestAuditFailureWithholdsAnswer(t *testing.T) {
	ts := newTestServer(t, ServerOptions{})
	ts.audit.Close()
	status, body := ts.post(t, "Authorization", ts.viewer, `{ stats { height } }`)
	if status != 500 || body["data"] != nil || errorCode(body) != CodeInternal {
		t.Fatalf("%d %v", status, body)
	}
}
