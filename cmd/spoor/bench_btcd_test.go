package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/spoorhq/spoor/chains/bitcoin/sim"
)

func TestFramedPrefix(t *testing.T) {
	frame := func(n int) []byte {
		b := []byte{0xfa, 0xbf, 0xb5, 0xda, byte(n), 0, 0, 0}
		return append(b, bytes.Repeat([]byte{7}, n)...)
	}
	two := append(frame(10), frame(3)...)
	tests := []struct {
		name string
		data []byte
		want []byte
		same bool // the file itself is returned
	}{
		{name: "complete frames", data: two, want: two, same: true},
		{name: "zero padding", data: append(append([]byte(nil), two...), make([]byte, 100)...), want: two},
		{name: "truncated last frame", data: append(append([]byte(nil), two...), frame(50)[:20]...), want: two},
		{name: "short tail", data: append(append([]byte(nil), two...), 1, 2, 3), want: two},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "blk00000.dat")
			if err := os.WriteFile(path, tt.data, 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := framedPrefix(path, dir)
			if err != nil {
				t.Fatal(err)
			}
			if (got == path) != tt.same {
				t.Fatalf("framedPrefix returned %s, want the file itself: %v", got, tt.same)
			}
			data, err := os.ReadFile(got)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(data, tt.want) {
				t.Fatalf("framedPrefix kept %d bytes, want %d", len(data), len(tt.want))
			}
		})
	}
}

// TestBenchIngestBtcd runs spoor bench ingest on a small simulated chain
// side by side with btcd's real addblock.
func TestBenchIngestBtcd(t *testing.T) {
	bin := findAddblock("")
	if bin == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("addblock missing: run scripts/install-nodes.sh")
		}
		t.Skip("addblock missing: run scripts/install-nodes.sh")
	}
	chain := t.TempDir()
	sum, err := sim.Generate(context.Background(), chain, sim.Options{Seed: 2, Txs: 2000, TxsPerBlock: 100})
	if err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCLI(t, "bench", "ingest", "--runs", "1", "--blocks", chain, "--network", "regtest", "--json", "--addblock", bin, "--log-level", "warn")
	if code != 0 {
		t.Fatalf("bench ingest exited %d: %s", code, errs)
	}
	var res IngestResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if res.Txs != uint64(sum.Txs+sum.Blocks) || res.BtcdTxPerSec <= 0 ||
		math.Abs(res.BtcdRatio-res.IndexTxPerSec/res.BtcdTxPerSec) > 1e-9 {
		t.Fatalf("result %+v for a chain of %d transactions in %d blocks", res, sum.Txs, sum.Blocks)
	}
	t.Logf("spoor %.0f tx/s, btcd addblock %.0f tx/s: %.1fx", res.IndexTxPerSec, res.BtcdTxPerSec, res.BtcdRatio)
}
