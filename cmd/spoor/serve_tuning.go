package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
)

// defaultServeGCPercent is the Go GC target spoor serve runs with when
// serve.gc_percent is 0 and $GOGC is unset. A server's live Go heap is
// small (Pebble's block cache is allocated outside it), so collecting at
// 5× the live heap instead of 2× costs little memory and cuts the server
// CPU per screening by about a fifth: fewer collections, fewer write
// barriers, and fewer goroutine stacks shrunk only to be grown again by
// the next request.
const defaultServeGCPercent = 400

// defaultServeCacheBytes is Pebble's block cache for spoor serve (and
// bench api) when storage.cache_bytes is 0: 2 GiB, not the 256 MiB other
// commands use. On the 1M-transaction world (an 871 MB index) it halves
// the p99 of 4-hop traces once the cache is warm (11 ms against 16-22 ms
// at 300 traces/s); a server is long-lived and answers from all over the
// index, so the cache pays for itself.
const defaultServeCacheBytes = 2 << 30

// withServeStorage returns cfg with serve's default block cache when the
// configuration leaves it at 0.
func withServeStorage(cfg Config) Config {
	if cfg.Storage.CacheBytes == 0 {
		cfg.Storage.CacheBytes = defaultServeCacheBytes
	}
	return cfg
}

// setServeGC sets the GC target of a serving process to percent (0 means
// defaultServeGCPercent) unless $GOGC says otherwise, and returns a
// function that puts the previous target back.
func setServeGC(percent int) (restore func()) {
	if os.Getenv("GOGC") != "" {
		return func() {}
	}
	if percent == 0 {
		percent = defaultServeGCPercent
	}
	old := debug.SetGCPercent(percent)
	return func() { debug.SetGCPercent(old) }
}

// setServeProcs sets how many threads run Go code at once in a serving
// process (GOMAXPROCS) to n, unless n is 0 (one per core, Go's default)
// or $GOMAXPROCS says otherwise, and returns a function that puts the
// previous value back.
//
// Fewer than one per core pays where the server shares its cores with
// other busy processes, a load generator among them: on two cores, a
// server running two threads beside a one-threaded load generator has
// three threads for two cores, and a request caught on a thread the
// kernel has set aside waits out a time slice of milliseconds. One
// thread for the server leaves one core to the rest and keeps the tail
// short, as long as one core can do the server's work.
func setServeProcs(n int) (restore func(), err error) {
	if n < 0 {
		return nil, fmt.Errorf("serve.procs %d: want 0 (one per core) or more", n)
	}
	if n == 0 || os.Getenv("GOMAXPROCS") != "" {
		return func() {}, nil
	}
	old := runtime.GOMAXPROCS(n)
	return func() { runtime.GOMAXPROCS(old) }, nil
}
