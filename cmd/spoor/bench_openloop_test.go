package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// TestRunOpenLoadKeepsRate loads a loopback server that takes 20 ms per
// answer at 200 requests/s: a closed loop of one would send 50/s, the
// open loop must keep its schedule by opening connections, and the
// latencies must show the server's 20 ms.
func TestRunOpenLoadKeepsRate(t *testing.T) {
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(20 * time.Millisecond)
		served.Add(1)
	}))
	defer srv.Close()
	res, err := runLoad(context.Background(), loadOptions{URL: srv.URL, Rate: 200, Duration: time.Second, Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed != 0 || res.Requests < 190 || res.Requests > 201 || int64(res.Requests) != served.Load() {
		t.Fatalf("sent %d (failed %d), want 200 in a second: %+v", res.Requests, res.Failed, res)
	}
	if res.PerSecond < 150 || res.Connections < 3 || res.Rate != 200 {
		t.Fatalf("achieved %.0f/s over %d connections, want about 200/s over at least 3: %+v", res.PerSecond, res.Connections, res)
	}
	if res.P50Micros < 20000 || res.P99Micros < res.P50Micros || res.P999Micros < res.P99Micros || res.MaxMicros < res.P999Micros {
		t.Fatalf("latencies %+v, want p50 at least the server's 20 ms and ordered percentiles", res)
	}
}

// TestRunOpenLoadCountsQueueing holds the open loop to one connection
// against a server that needs 10 ms per answer while requests fall due
// every 5 ms: the schedule runs ahead of the server, and the time the
// requests wait for the connection must show in their latency (no
// coordinated omission) instead of vanishing into a lower send rate.
func TestRunOpenLoadCountsQueueing(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(10 * time.Millisecond)
	}))
	defer srv.Close()
	res, err := runLoad(context.Background(), loadOptions{URL: srv.URL, Rate: 200, Duration: 500 * time.Millisecond, Connections: 1})
	if err != nil {
		t.Fatal(err)
	}
	// 100 requests due over 500 ms take at least a second to answer one
	// at a time, so the last waits about 500 ms past its due time; a
	// closed loop would report about 10 ms for every one of them.
	if res.Requests < 95 || res.Connections != 1 {
		t.Fatalf("result %+v", res)
	}
	if res.MaxMicros < 400000 || res.P50Micros < 150000 {
		t.Fatalf("latencies %+v, want the queueing behind the slow server (max about 500 ms, p50 about 250 ms)", res)
	}
}

// TestRunOpenLoadRejects checks that an open loop needs a positive
// duration.
func TestRunOpenLoadRejects(t *testing.T) {
	if _, err := runOpenLoad(context.Background(), loadOptions{URL: "http://127.0.0.1:1", Rate: 10}); err == nil {
		t.Fatal("zero duration accepted")
	}
}

// TestParseRates checks --rate lists.
func TestParseRates(t *testing.T) {
	got, err := parseRates("2000, 5000,10000")
	if err != nil || len(got) != 3 || got[0] != 2000 || got[2] != 10000 {
		t.Fatalf("got %v %v", got, err)
	}
	if got, err := parseRates(""); err != nil || len(got) != 0 {
		t.Fatalf("empty: %v %v", got, err)
	}
	for _, bad := range []string{"fast", "0", "-5", "100,x"} {
		if _, err := parseRates(bad); err == nil {
			t.Errorf("--rate %q accepted", bad)
		}
	}
}
