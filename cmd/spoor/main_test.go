package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/spoorhq/spoor/api"
	"github.com/spoorhq/spoor/chains/bitcoin/sim"
)

// runCLI runs one command line in process.
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

var (
	demoOnce sync.Once
	demoDir  string
	demoOut  string
)

// demoData runs the demo once into a shared directory.
func demoData(t *testing.T) string {
	t.Helper()
	demoOnce.Do(func() {
		dir, err := os.MkdirTemp("", "spoor-demo-")
		if err != nil {
			t.Fatal(err)
		}
		demoDir = filepath.Join(dir, "data")
		var code int
		code, demoOut, _ = runCLI(t, "demo", "--no-serve", "--datadir", demoDir, "--log-level", "warn")
		if code != 0 {
			t.Fatalf("demo exited %d:\n%s", code, demoOut)
		}
	})
	return demoDir
}

func TestDemo(t *testing.T) {
	dir := demoData(t)
	// Part 1: the simulated world, checked against its own truth file
	// and the index.
	recs, err := sim.ReadTruthFile(filepath.Join(dir, demoChainDir, sim.TruthFile))
	if err != nil {
		t.Fatal(err)
	}
	planted, decoys := 0, 0
	for _, r := range recs {
		switch {
		case r.Scenario != "" && r.Decoy:
			decoys++
		case r.Scenario != "":
			planted++
		}
	}
	if planted < 9 {
		t.Errorf("only %d planted instances in the demo world", planted)
	}
	code, out, errs := runCLI(t, "stats", "--network", "regtest", "--datadir", dir, "--json")
	var s api.Stats
	if code != 0 || json.Unmarshal([]byte(out), &s) != nil {
		t.Fatalf("stats: %d %s %s", code, out, errs)
	}
	if s.Txs != demoTxs+s.Blocks {
		t.Errorf("regtest index holds %d transactions in %d blocks, want %d plus one coinbase per block", s.Txs, s.Blocks, demoTxs)
	}
	for _, want := range []string{
		fmt.Sprintf("indexed %d blocks (tip %d): %d transactions", s.Blocks, s.Height, s.Txs),
		fmt.Sprintf("planted: %d scenario instances", planted),
		fmt.Sprintf("and %d legitimate decoys", decoys),
		"peel_chain-",
		"is an exchange deposit address",
		// The planted sanctioned entity's counterparties, screened from
		// the exposure index the demo builds.
		"risk SEVERE [from the exposure index]",
		"risk HIGH [from the exposure index]",
	} {
		if !strings.Contains(demoOut, want) {
			t.Errorf("demo output lacks %q:\n%s", want, demoOut)
		}
	}
	// Part 2: real mainnet blocks.
	for _, want := range []string{
		"indexed 14132 blocks (tip 14131",
		"14247 transactions",
		"the first payment between two people, block 170",
		"pays   10.00000000 BTC to 04ae1a62fe09c5f51b13905f07f06b99a2f7159b2225f374cd378d71302fa28414e7aab37397f554a7df5f142c21c1b7303b8a0626f1baded5c72a704f7e6cd84c (p2pk)",
		"address 12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S",
	} {
		if !strings.Contains(demoOut, want) {
			t.Errorf("demo output lacks %q:\n%s", want, demoOut)
		}
	}
}

func TestQueriesJSON(t *testing.T) {
	dir := demoData(t)
	code, out, errs := runCLI(t, "tx", "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16", "--network", "mainnet", "--datadir", dir, "--json")
	if code != 0 {
		t.Fatalf("tx: %d %s", code, errs)
	}
	var tx api.Tx
	if err := json.Unmarshal([]byte(out), &tx); err != nil {
		t.Fatal(err)
	}
	if tx.Height != 170 || len(tx.Inputs) != 1 || tx.Inputs[0].PrevTxid != "0437cd7f8525ceed2324359c2d0ba26006d92d856a9c20fa0241106ee5a597c9" ||
		len(tx.Outputs) != 2 || tx.Outputs[1].SpentBy == nil || tx.Outputs[0].SpentBy != nil {
		t.Fatalf("tx view = %+v", tx)
	}

	// Page through an address's history two transactions at a time and
	// check the pages join up to the whole history.
	var all []string
	cursor := ""
	for page := 0; page < 10; page++ {
		args := []string{"address", "12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S", "--network", "mainnet", "--datadir", dir, "--json", "--limit", "2"}
		if cursor != "" {
			args = append(args, "--cursor", cursor)
		}
		code, out, errs := runCLI(t, args...)
		if code != 0 {
			t.Fatalf("address: %d %s", code, errs)
		}
		var a api.Address
		if err := json.Unmarshal([]byte(out), &a); err != nil {
			t.Fatal(err)
		}
		if a.TxCount != 6 || a.FirstSeen != 9 {
			t.Fatalf("address view = %+v", a)
		}
		for _, tx := range a.Txs {
			all = append(all, tx.Txid)
		}
		if cursor = a.NextCursor; cursor == "" {
			break
		}
	}
	if len(all) != 6 || all[len(all)-1] != "0437cd7f8525ceed2324359c2d0ba26006d92d856a9c20fa0241106ee5a597c9" {
		t.Fatalf("paged history = %v", all)
	}

	code, out, _ = runCLI(t, "stats", "--network", "mainnet", "--datadir", dir, "--json")
	var s api.Stats
	if code != 0 || json.Unmarshal([]byte(out), &s) != nil || s.Height != 14131 || s.IndexTips["addrindex"] != 14131 {
		t.Fatalf("stats = %d %s", code, out)
	}
}

// TestBadInput checks that bad input gets an error naming it and a
// non-zero exit.
func TestBadInput(t *testing.T) {
	dir := demoData(t)
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("index:\n  workerz: 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(t.TempDir(), "blk00000.dat")
	if err := os.WriteFile(truncated, []byte{0xf9, 0xbe, 0xb4, 0xd9, 0x1d, 0x01, 0x00, 0x00, 0x01}, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"malformed address", []string{"address", "1NotAnAddress", "--network", "mainnet", "--datadir", dir}, 1, "1NotAnAddress"},
		{"testnet address on mainnet", []string{"address", "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx", "--network", "mainnet", "--datadir", dir}, 1, "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx"},
		{"unknown address", []string{"address", "1BoatSLRHtKNngkdXEeobR76b53LETtpyT", "--network", "mainnet", "--datadir", dir}, 1, "never seen"},
		{"bad txid", []string{"tx", "xyz", "--network", "mainnet", "--datadir", dir}, 1, `"xyz" is not a 64-digit hex txid`},
		{"unknown txid", []string{"tx", strings.Repeat("ab", 32), "--network", "mainnet", "--datadir", dir}, 1, "not in the index"},
		{"no index", []string{"stats", "--datadir", t.TempDir()}, 1, "no Bitcoin index"},
		{"unknown network", []string{"index", "bitcoin", "--network", "dogecoin", "--blocks", "x", "--datadir", t.TempDir()}, 1, `unknown bitcoin network "dogecoin"`},
		{"no source", []string{"index", "bitcoin", "--datadir", t.TempDir()}, 1, "--blocks"},
		{"follow block files", []string{"index", "bitcoin", "--blocks", "x", "--follow", "--datadir", t.TempDir()}, 1, "--follow needs --rpc"},
		{"bad rpc url", []string{"index", "bitcoin", "--rpc", "localhost", "--datadir", t.TempDir()}, 1, `rpc url "localhost"`},
		{"unknown config key", []string{"--config", bad, "stats"}, 2, "workerz"},
		{"unknown command", []string{"frobnicate"}, 2, "frobnicate"},
		{"corrupt block file", []string{"index", "bitcoin", "--blocks", truncated, "--datadir", t.TempDir()}, 1, truncated},
		{"wrong network index", []string{"stats", "--datadir", dir, "--network", "testnet3"}, 1, "testnet3"},
		{"two networks, none chosen", []string{"stats", "--datadir", dir}, 1, "choose one with --network"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errs := runCLI(t, tt.args...)
			if code != tt.code || !strings.Contains(errs, tt.want) {
				t.Fatalf("exit %d (want %d), stderr %q does not name %q", code, tt.code, errs, tt.want)
			}
		})
	}
}

// runAsCLIEnv, when "1", makes the test binary run as spoor itself with
// its arguments: commands that start a second spoor process (bench api's
// load generator) start the test binary.
const runAsCLIEnv = "SPOOR_TEST_RUN_AS_CLI"

func TestMain(m *testing.M) {
	if os.Getenv(runAsCLIEnv) == "1" {
		os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
	}
	code := m.Run()
	if demoDir != "" {
		os.RemoveAll(filepath.Dir(demoDir))
	}
	if clusterDir != "" {
		os.RemoveAll(clusterDir)
	}
	os.Exit(code)
}
