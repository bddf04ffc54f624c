package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
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
