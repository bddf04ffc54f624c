package sim

import (
	"bufio"
	"encoding/json"
	"os"
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
