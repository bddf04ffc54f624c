package btcdtest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/btcsuite/btcd/rpcclient"
)

// writeFile creates path, with its parent directories, holding a tiny shell
// script and the given permissions.
func writeFile(t *testing.T, path string, perm os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("#!/bin/sh\nexit 0\n"), perm); err != nil {
		t.Fatal(err)
	}
}

func TestBinary(t *testing.T) {
	tests := []struct {
		name string
		// setup prepares dir and returns the environment, the working
		// directory relative to dir and the expected path relative to
		// dir ("" when Binary must fail).
		setup   func(t *testing.T, dir string) (env map[string]string, wd, want string)
		wantErr string
	}{
		{
			name: "SPOOR_BTCD wins over everything",
			setup: func(t *testing.T, dir string) (map[string]string, string, string) {
				writeFile(t, filepath.Join(dir, "custom", "btcd"), 0o755)
				writeFile(t, filepath.Join(dir, "bin", "btcd"), 0o755)
				return map[string]string{
					"SPOOR_BTCD": filepath.Join(dir, "custom", "btcd"),
					"SPOOR_BIN":  filepath.Join(dir, "bin"),
					"PATH":       filepath.Join(dir, "bin"),
				}, ".", "custom/btcd"
			},
		},
		{
			name: "SPOOR_BTCD missing is an error",
			setup: func(t *testing.T, dir string) (map[string]string, string, string) {
				writeFile(t, filepath.Join(dir, "bin", "btcd"), 0o755)
				return map[string]string{
					"SPOOR_BTCD": filepath.Join(dir, "nope", "btcd"),
					"PATH":       filepath.Join(dir, "bin"),
				}, ".", ""
			},
			wantErr: "nope/btcd",
		},
		{
			name: "SPOOR_BTCD not executable is an error",
			setup: func(t *testing.T, dir string) (map[string]string, string, string) {
				writeFile(t, filepath.Join(dir, "plain", "btcd"), 0o644)
				return map[string]string{"SPOOR_BTCD": filepath.Join(dir, "plain", "btcd")}, ".", ""
			},
			wantErr: "not an executable file",
		},
		{
			name: "SPOOR_BIN directory",
			setup: func(t *testing.T, dir string) (map[string]string, string, string) {
				writeFile(t, filepath.Join(dir, "bin", "btcd"), 0o755)
				return map[string]string{"SPOOR_BIN": filepath.Join(dir, "bin")}, ".", "bin/btcd"
			},
		},
		{
			name: "repo .bin found from a subdirectory",
			setup: func(t *testing.T, dir string) (map[string]string, string, string) {
				if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module x\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				writeFile(t, filepath.Join(dir, ".bin", "btcd"), 0o755)
				writeFile(t, filepath.Join(dir, "pathbin", "btcd"), 0o755)
				if err := os.MkdirAll(filepath.Join(dir, "a", "b"), 0o755); err != nil {
					t.Fatal(err)
				}
				return map[string]string{"PATH": filepath.Join(dir, "pathbin")}, "a/b", ".bin/btcd"
			},
		},
		{
			name: "PATH when the repo has no .bin",
			setup: func(t *testing.T, dir string) (map[string]string, string, string) {
				if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module x\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				writeFile(t, filepath.Join(dir, "pathbin", "btcd"), 0o755)
				return map[string]string{"PATH": filepath.Join(dir, "pathbin")}, ".", "pathbin/btcd"
			},
		},
		{
			name: "nothing anywhere",
			setup: func(t *testing.T, dir string) (map[string]string, string, string) {
				if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module x\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				return map[string]string{"PATH": filepath.Join(dir, "empty")}, ".", ""
			},
			wantErr: ".bin/btcd",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			env, wd, want := tc.setup(t, dir)
			for _, k := range []string{"SPOOR_BTCD", "SPOOR_BIN", "PATH"} {
				t.Setenv(k, env[k])
			}
			t.Chdir(filepath.Join(dir, wd))
			got, err := Binary()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Binary() = %q, %v; want error containing %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Binary(): %v", err)
			}
			if wantPath := filepath.Join(dir, want); got != wantPath {
				t.Fatalf("Binary() = %q, want %q", got, wantPath)
			}
		})
	}
}

// recordTB captures Skipf and Fatalf calls so Require's reaction to a
// missing binary can be observed.
type recordTB struct {
	testing.TB
	skipped, fatal string
}

func (r *recordTB) Helper() {}

func (r *recordTB) Skipf(format string, args ...any) {
	r.skipped = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recordTB) Fatalf(format string, args ...any) {
	r.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestRequire(t *testing.T) {
	tests := []struct {
		name       string
		ci         string
		installed  bool
		wantSkip   bool
		wantFatal  bool
		wantResult bool
	}{
		{name: "missing locally skips", ci: "", wantSkip: true},
		{name: "missing with CI=false skips", ci: "false", wantSkip: true},
		{name: "missing with CI=true fails", ci: "true", wantFatal: true},
		{name: "present with CI=true returns path", ci: "true", installed: true, wantResult: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			bin := filepath.Join(dir, "btcd")
			if tc.installed {
				writeFile(t, bin, 0o755)
			}
			t.Setenv("SPOOR_BTCD", bin)
			t.Setenv("CI", tc.ci)
			rec := &recordTB{TB: t}
			var got string
			done := make(chan struct{})
			go func() {
				defer close(done)
				got = Require(rec)
			}()
			<-done
			if (rec.skipped != "") != tc.wantSkip || (rec.fatal != "") != tc.wantFatal || (got != "") != tc.wantResult {
				t.Fatalf("Require: skipped %q, fatal %q, result %q", rec.skipped, rec.fatal, got)
			}
			if tc.wantFatal && !strings.Contains(rec.fatal, "scripts/install-nodes.sh") {
				t.Fatalf("fatal message %q does not mention scripts/install-nodes.sh", rec.fatal)
			}
			if tc.wantResult && got != bin {
				t.Fatalf("Require = %q, want %q", got, bin)
			}
		})
	}
}

func TestStartGenerate(t *testing.T) {
	t.Parallel()
	n := Start(t, Options{})
	for _, addr := range []string{n.RPCAddr, n.P2PAddr} {
		host, _, err := net.SplitHostPort(addr)
		if err != nil || host != "127.0.0.1" {
			t.Fatalf("address %q is not on 127.0.0.1 (%v)", addr, err)
		}
	}
	if want := "http://" + n.RPCAddr; n.RPCURL() != want {
		t.Fatalf("RPCURL() = %q, want %q", n.RPCURL(), want)
	}

	hashes := n.Generate(t, 101)
	c := n.Client(t)
	count, err := c.GetBlockCount()
	if err != nil {
		t.Fatal(err)
	}
	if count != 101 {
		t.Fatalf("getblockcount = %d, want 101", count)
	}
	best, err := c.GetBestBlockHash()
	if err != nil {
		t.Fatal(err)
	}
	if !best.IsEqual(hashes[100]) {
		t.Fatalf("best block %s, want last generated %s", best, hashes[100])
	}
	for _, h := range []int{1, 50, 101} {
		got, err := c.GetBlockHash(int64(h))
		if err != nil {
			t.Fatal(err)
		}
		if !got.IsEqual(hashes[h-1]) {
			t.Fatalf("block %d is %s, want %s", h, got, hashes[h-1])
		}
	}

	// Without Options.MiningAddr rewards go to the default wallet's key 0.
	block, err := c.GetBlock(hashes[0])
	if err != nil {
		t.Fatal(err)
	}
	want := NewWallet(DefaultSeed, &chaincfg.RegressionNetParams).PkScript(KindP2PKH, 0)
	if got := block.Transactions[0].TxOut[0].PkScript; !bytes.Equal(got, want) {
		t.Fatalf("coinbase pays %x, want %x", got, want)
	}

	n.Stop(t)
	n.Stop(t) // idempotent
	if _, err := n.probe(t.Context()); err == nil {
		t.Fatal("RPC still answers after Stop")
	}
	if n.cmd.ProcessState == nil || !n.cmd.ProcessState.Exited() {
		t.Fatalf("btcd process state after Stop: %v", n.cmd.ProcessState)
	}
}

func TestStartMiningAddr(t *testing.T) {
	t.Parallel()
	w := NewWallet("mining-addr-test", &chaincfg.RegressionNetParams)
	n := Start(t, Options{MiningAddr: w.Address(KindP2WPKH, 3)})
	hashes := n.Generate(t, 1)
	block, err := n.Client(t).GetBlock(hashes[0])
	if err != nil {
		t.Fatal(err)
	}
	if got, want := block.Transactions[0].TxOut[0].PkScript, w.PkScript(KindP2WPKH, 3); !bytes.Equal(got, want) {
		t.Fatalf("coinbase pays %x, want %x", got, want)
	}
}

func TestReorg(t *testing.T) {
	t.Parallel()
	a := Start(t, Options{})
	b := Start(t, Options{})
	ca, cb := a.Client(t), b.Client(t)

	aHashes := a.Generate(t, 3)
	bHashes := b.Generate(t, 5)
	if aHashes[0].IsEqual(bHashes[0]) {
		t.Fatalf("unconnected nodes mined the same block %s", aHashes[0])
	}

	// A switches to B's longer branch.
	a.Connect(t, b)
	if ha, hb := height(t, ca), height(t, cb); ha != 5 || hb != 5 {
		t.Fatalf("heights after connect: a %d, b %d; want 5 and 5", ha, hb)
	}
	best, err := ca.GetBestBlockHash()
	if err != nil {
		t.Fatal(err)
	}
	if !best.IsEqual(bHashes[4]) {
		t.Fatalf("node a tip %s, want b's tip %s", best, bHashes[4])
	}
	for h := 1; h <= 3; h++ {
		got, err := ca.GetBlockHash(int64(h))
		if err != nil {
			t.Fatal(err)
		}
		if !got.IsEqual(bHashes[h-1]) || got.IsEqual(aHashes[h-1]) {
			t.Fatalf("node a block %d is %s, want b's %s (a's own was %s)", h, got, bHashes[h-1], aHashes[h-1])
		}
	}

	// After Disconnect neither side has a peer and blocks no longer flow.
	a.Disconnect(t, b)
	for name, c := range map[string]*rpcclient.Client{"a": ca, "b": cb} {
		conns, err := c.GetConnectionCount()
		if err != nil {
			t.Fatal(err)
		}
		if conns != 0 {
			t.Fatalf("node %s has %d connections after Disconnect", name, conns)
		}
	}
	aHashes = a.Generate(t, 3) // a: 8 blocks
	bHashes = b.Generate(t, 1) // b: 6 blocks
	if hb := height(t, cb); hb != 6 {
		t.Fatalf("node b at height %d after disconnected mining, want 6", hb)
	}

	// Reconnecting the other way round reorganises B onto A's branch.
	b.Connect(t, a)
	best, err = cb.GetBestBlockHash()
	if err != nil {
		t.Fatal(err)
	}
	if !best.IsEqual(aHashes[2]) {
		t.Fatalf("node b tip %s, want a's tip %s", best, aHashes[2])
	}
	got, err := cb.GetBlockHash(6)
	if err != nil {
		t.Fatal(err)
	}
	if got.IsEqual(bHashes[0]) {
		t.Fatalf("node b still has its own block %s at height 6", got)
	}
}

// height returns the node's block count.
func height(t *testing.T, c *rpcclient.Client) int64 {
	t.Helper()
	h, err := c.GetBlockCount()
	if err != nil {
		t.Fatalf("getblockcount: %v", err)
	}
	return h
}
