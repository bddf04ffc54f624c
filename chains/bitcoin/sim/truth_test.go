package sim

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/btcsuite/btcd/txscript/v2"
)

// readTruth parses truth.jsonl strictly: with ReadTruthFile, and again line
// by line rejecting unknown fields.
func readTruth(t *testing.T, path string) []TruthRecord {
	t.Helper()
	want, err := ReadTruthFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []TruthRecord
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for line := 1; sc.Scan(); line++ {
		if line == 1 {
			continue // the header, checked by ReadTruthFile
		}
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		var r TruthRecord
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("%s line %d: %v", path, line, err)
		}
		recs = append(recs, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(want) {
		t.Fatalf("%s: %d records line by line, ReadTruthFile read %d", path, len(recs), len(want))
	}
	return recs
}

// TestTruthCoversOutputs checks that truth.jsonl names every address paid in
// the chain exactly once, names no unused address, and labels coinbase
// recipients as miners.
func TestTruthCoversOutputs(t *testing.T) {
	opts := chainOpts()
	c := generate(t, opts)
	recs := readTruth(t, c.sum.Truth)
	if len(recs) != c.sum.Addresses {
		t.Fatalf("%d truth records, summary says %d addresses", len(recs), c.sum.Addresses)
	}
	owner := make(map[string]TruthRecord, len(recs))
	for _, r := range recs {
		if _, dup := owner[r.Address]; dup {
			t.Fatalf("address %s listed twice", r.Address)
		}
		wantKind := r.Kind
		switch {
		case strings.HasPrefix(r.Entity, "w"):
			wantKind = "wallet"
		case strings.HasPrefix(r.Entity, "m"):
			wantKind = "miner"
		case strings.HasPrefix(r.Entity, "x"):
			wantKind = "exchange"
		}
		if r.Kind != wantKind || r.Address == "" {
			t.Fatalf("address %s of %s has kind %q, want %q", r.Address, r.Entity, r.Kind, wantKind)
		}
		owner[r.Address] = r
	}

	used := make(map[string]bool)
	entities := make(map[string]bool)
	for h, blk := range c.blocks[1:] {
		for i, tx := range blk.Transactions {
			for _, o := range tx.TxOut {
				if txscript.GetScriptClass(o.PkScript) == txscript.NullDataTy {
					continue // witness commitment
				}
				_, addrs, _, err := txscript.ExtractPkScriptAddrs(o.PkScript, &chaincfg.RegressionNetParams)
				if err != nil || len(addrs) != 1 {
					t.Fatalf("block %d: output script %x: %v", h+1, o.PkScript, err)
				}
				a := addrs[0].EncodeAddress()
				r, ok := owner[a]
				if !ok {
					t.Fatalf("block %d: address %s missing from the truth file", h+1, a)
				}
				if i == 0 && r.Kind != "miner" {
					t.Fatalf("block %d: coinbase pays %s of %s", h+1, a, r.Entity)
				}
				used[a] = true
				entities[r.Entity] = true
			}
		}
	}
	if len(used) != len(owner) {
		t.Errorf("%d addresses in the truth file, %d used in the chain", len(owner), len(used))
	}
	if len(entities) < opts.Wallets/2 {
		t.Errorf("only %d entities received coins", len(entities))
	}
}

// TestTruthReaderRejects checks that the reader refuses files that are not
// version 2 truth files, with an error that says why, and reads a good one.
func TestTruthReaderRejects(t *testing.T) {
	tests := []struct {
		name, data, want string
	}{
		{"empty", "", "empty"},
		{"version 1 file without header", `{"address":"bcrt1q","entity":"w1","kind":"wallet"}` + "\n", "not a spoor-truth header"},
		{"other format", `{"format":"other","version":2}` + "\n", "not a spoor-truth header"},
		{"newer major version", `{"format":"spoor-truth","version":3}` + "\n", "version 3 is not supported"},
		{"older major version", `{"format":"spoor-truth","version":1}` + "\n", "version 1 is not supported"},
		{"bad line", `{"format":"spoor-truth","version":2}` + "\n{\"address\":\n", "line 2"},
		{"unknown line", `{"format":"spoor-truth","version":2}` + "\n{\"entity\":\"w1\"}\n", "line 2: neither"},
		{"good", `{"format":"spoor-truth","version":2}` + "\n" +
			`{"address":"bcrt1q","entity":"w1","kind":"wallet"}` + "\n" +
			`{"scenario":"peel_chain-1","kind":"peel_chain","decoy":false,"detectors":["peel_chain"],"txids":["ab"],"addresses":[{"address":"bcrt1q","role":"source"}],"params":{"hops":8}}` + "\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), TruthFile)
			if err := os.WriteFile(path, []byte(tt.data), 0o644); err != nil {
				t.Fatal(err)
			}
			recs, err := ReadTruthFile(path)
			if tt.want == "" {
				if err != nil || len(recs) != 2 || recs[1].Scenario != "peel_chain-1" || recs[1].Addresses[0].Role != "source" {
					t.Fatalf("ReadTruthFile = %+v, %v", recs, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("ReadTruthFile error %v, want one naming %s and saying %q", err, path, tt.want)
			}
		})
	}
}
