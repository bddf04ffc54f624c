package main

import (
	"runtime/debug"
	"testing"
)

// TestSetServeGC checks that serve's GC target is set, defaults to 400
// and is put back afterwards, unless $GOGC is set.
func TestSetServeGC(t *testing.T) {
	t.Setenv("GOGC", "")
	before := debug.SetGCPercent(-1)
	debug.SetGCPercent(before)
	for _, tc := range []struct{ percent, want int }{{0, defaultServeGCPercent}, {250, 250}} {
		restore := setServeGC(tc.percent)
		got := debug.SetGCPercent(tc.want)
		restore()
		if got != tc.want {
			t.Errorf("gc_percent %d: GC target %d, want %d", tc.percent, got, tc.want)
		}
		if now := debug.SetGCPercent(before); now != before {
			t.Errorf("gc_percent %d: target after restore %d, want %d", tc.percent, now, before)
		}
	}
	t.Setenv("GOGC", "150")
	restore := setServeGC(0)
	got := debug.SetGCPercent(before)
	restore()
	if got != before {
		t.Errorf("with $GOGC set: GC target changed to %d", got)
	}
}

// TestWithServeStorage checks serve's block cache default and that a
// configured size is kept.
func TestWithServeStorage(t *testing.T) {
	if got := withServeStorage(Config{}).Storage.CacheBytes; got != defaultServeCacheBytes {
		t.Errorf("default cache %d, want %d", got, defaultServeCacheBytes)
	}
	var cfg Config
	cfg.Storage.CacheBytes = 64 << 20
	if got := withServeStorage(cfg).Storage.CacheBytes; got != 64<<20 {
		t.Errorf("configured cache became %d", got)
	}
}
