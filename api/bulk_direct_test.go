package api

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/spoorhq/spoor/api/audit"
	"github.com/spoorhq/spoor/storage"
)

// TestBulkDirectMatchesGraphQL sends the same screenings to POST /screen,
// which answers them without the GraphQL executor, and to /graphql as the
// bulk query, on the golden simulated world (labels, clusters and the
// exposure index), and expects byte-identical answers and audit entries
// that differ only in sequence, time and hashes. Requests the direct path
// does not handle (errors, a viewer key, evidence) must answer as the
// executor does too.
func TestBulkDirectMatchesGraphQL(t *testing.T) {
	w := goldenSim(t)
	names := w.x.Namer()
	name := func(id storage.AddrID) string {
		s, err := names(id)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	// Labelled addresses (their tags and reasons), and addresses spread
	// over the whole index.
	var labelled []storage.AddrID
	for id := range w.own {
		labelled = append(labelled, id)
	}
	sort.Slice(labelled, func(i, j int) bool { return labelled[i] < labelled[j] })
	st, err := w.x.DB.State()
	if err != nil {
		t.Fatal(err)
	}
	var addrs []string
	for _, id := range labelled[:min(len(labelled), 12)] {
		addrs = append(addrs, name(id))
	}
	for i := range 40 {
		addrs = append(addrs, name(storage.AddrID(1+uint64(i)*(uint64(st.NextAddrID)-2)/40)))
	}

	ana, _ := NewKey()
	viewer, _ := NewKey()
	kr, err := NewKeyRing([]KeyConfig{{ID: "ana", Role: "analyst", SHA256: HashKey(ana)}, {ID: "vic", Role: "viewer", SHA256: HashKey(viewer)}})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "audit")
	alog, err := audit.Open(dir, &audit.Options{Sync: audit.SyncNone})
	if err != nil {
		t.Fatal(err)
	}
	defer alog.Close()
	// The debug log tells which path answered: "screen" lines come from
	// the direct path, "graphql" lines from the executor.
	var logBuf syncBuffer
	log := slog.New(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := httptest.NewServer(NewServer(w.schema, kr, alog, ServerOptions{RatePerSecond: 1e6, RateBurst: 1e6, Log: log, Timeout: 5 * time.Minute}).Handler())
	defer srv.Close()

	post := func(path, key string, body []byte) (int, []byte) {
		t.Helper()
		req, _ := http.NewRequest("POST", srv.URL+path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, b
	}
	hops := func(n int) *int { return &n }
	cases := []struct {
		name     string
		key      string
		req      bulkScreenRequest
		wantErr  bool
		evidence bool
	}{
		{name: "labelled, one at a time"},
		{name: "all at once", req: bulkScreenRequest{Addresses: addrs}},
		{name: "2 hops", req: bulkScreenRequest{Addresses: addrs[:20], Hops: hops(2)}},
		{name: "hops above the limit", req: bulkScreenRequest{Addresses: addrs[:2], Hops: hops(40)}, wantErr: true},
		{name: "not indexed", req: bulkScreenRequest{Addresses: []string{addrs[0], "bcrt1qxyz"}}, wantErr: true},
		{name: "viewer key", key: viewer, req: bulkScreenRequest{Addresses: addrs[:2]}, wantErr: true},
		{name: "evidence", req: bulkScreenRequest{Addresses: addrs[:3], Evidence: true}, evidence: true},
	}
	var reqs []struct {
		name     string
		key      string
		req      bulkScreenRequest
		wantErr  bool
		evidence bool
	}
	for _, a := range addrs {
		reqs = append(reqs, cases[0])
		reqs[len(reqs)-1].req = bulkScreenRequest{Addresses: []string{a}, Hops: hops(4)}
	}
	reqs = append(reqs, cases[1:]...)
	var all []byte
	for _, tc := range reqs {
		key := tc.key
		if key == "" {
			key = ana
		}
		body, _ := json.Marshal(tc.req)
		dstatus, direct := post("/screen", key, body)
		vars := map[string]any{"addresses": tc.req.Addresses}
		if tc.req.Hops != nil {
			vars["hops"] = *tc.req.Hops
		}
		gql, _ := json.Marshal(Request{Query: bulkScreenQuery(tc.evidence), OperationName: "BulkScreen", Variables: vars})
		gstatus, viaGraphQL := post("/graphql", key, gql)
		all = append(all, direct...)
		if dstatus != gstatus || !bytes.Equal(direct, viaGraphQL) {
			t.Fatalf("%s: POST /screen answered %d\n%s\nGraphQL answered %d\n%s", tc.name, dstatus, direct, gstatus, viaGraphQL)
		}
		if hasErr := bytes.Contains(direct, []byte(`"errors"`)); hasErr != tc.wantErr {
			t.Fatalf("%s: errors %v, want %v: %s", tc.name, hasErr, tc.wantErr, direct)
		}
		fromIndex := tc.req.Hops == nil || *tc.req.Hops == 4 // what the index was built for
		if !tc.wantErr && fromIndex && !bytes.Contains(direct, []byte(`"source":"index"`)) {
			t.Fatalf("%s: not answered from the exposure index: %s", tc.name, direct)
		}
	}
	// Every request without an error or evidence was answered directly.
	direct := 0
	for _, tc := range reqs {
		if !tc.wantErr && !tc.evidence {
			direct++
		}
	}
	if got := bytes.Count(logBuf.Bytes(), []byte("msg=screen ")); got != direct {
		t.Fatalf("%d requests answered by the direct path, want %d", got, direct)
	}

	// The addresses cover screenings with fired rules and with tags.
	for _, want := range []string{`"reasons":[{`, `"tags":[{`, `"indirect":[{`} {
		if !bytes.Contains(all, []byte(want)) {
			t.Fatalf("no answer holds %s: the comparison missed a part", want)
		}
	}

	// The audit entries come in pairs, direct then GraphQL, alike but
	// for their place in the chain.
	f, err := os.Open(filepath.Join(dir, audit.LogFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var entries []audit.Entry
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var e audit.Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		e.Seq, e.Time, e.Prev, e.Hash = 0, "", "", ""
		entries = append(entries, e)
	}
	if len(entries) < 2*len(reqs) {
		t.Fatalf("%d audit entries for %d request pairs", len(entries), len(reqs))
	}
	for i := range reqs {
		a, b := entries[2*i], entries[2*i+1]
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if !bytes.Equal(ja, jb) {
			t.Fatalf("%s: audit entries differ:\n%s\n%s", reqs[i].name, ja, jb)
		}
	}
	if res, err := audit.VerifyDir(dir, nil); err != nil || res.Entries != uint64(len(entries)) {
		t.Fatalf("audit verify: %+v %v", res, err)
	}
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// Bytes returns a copy of what was written.
func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.b.Bytes())
}

// TestBulkVariablesMatchesMarshal checks that the direct path writes the
// audit entry's variables as json.Marshal writes serveBulkScreen's map,
// and leaves addresses it cannot copy as they are to json.Marshal.
func TestBulkVariablesMatchesMarshal(t *testing.T) {
	hops := func(n int) *int { return &n }
	for _, tc := range []struct {
		req  bulkScreenRequest
		fast bool
	}{
		{bulkScreenRequest{Addresses: []string{"bcrt1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh"}}, true},
		{bulkScreenRequest{Addresses: []string{"2N3oefVeg6stiTb5Kh3ozCSkaqmx91FDbsm", "0x52908400098527886E0F7030069857D2E4169EE7"}, Hops: hops(4)}, true},
		{bulkScreenRequest{Addresses: []string{"a", "", "b.c:d_e-f"}, Hops: hops(-2147483648)}, true},
		{bulkScreenRequest{Addresses: []string{"a"}, Hops: hops(0)}, true},
		{bulkScreenRequest{Addresses: []string{"<&>"}}, false},
		{bulkScreenRequest{Addresses: []string{"a b"}}, false},
		{bulkScreenRequest{Addresses: []string{"é"}, Hops: hops(2)}, false},
		{bulkScreenRequest{Addresses: []string{"ok", "\"quoted\""}}, false},
	} {
		vars := map[string]any{"addresses": tc.req.Addresses}
		if tc.req.Hops != nil {
			vars["hops"] = *tc.req.Hops
		}
		want, _ := json.Marshal(vars)
		got, ok := appendBulkVariables(nil, tc.req)
		if ok != tc.fast || ok && !bytes.Equal(got, want) {
			t.Errorf("%+v: appendBulkVariables gave %s, %v; json.Marshal gives %s", tc.req, got, ok, want)
		}
	}
}
