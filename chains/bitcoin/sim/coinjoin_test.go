package sim

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/btcsuite/btcd/txscript/v2"
)

// coinJoinOpts returns the options of the chain the CoinJoin tests share,
// with many more CoinJoins than the default so that every protocol shows up.
func coinJoinOpts() Options {
	if raceEnabled {
		return Options{Seed: 13, Txs: 1500, TxsPerBlock: 15, Wallets: 150, CoinJoins: 80}
	}
	return Options{Seed: 13, Txs: 8000, TxsPerBlock: 60, Wallets: 500, CoinJoins: 60}
}

// TestCoinJoinConsensusValid runs the full btcd validation of
// TestConsensusValid over a chain with CoinJoins.
func TestCoinJoinConsensusValid(t *testing.T) {
	checkConsensus(t, coinJoinOpts(), 0, 0)
}

// TestCoinJoinShapes checks, from the block files and truth.jsonl only, that
// every recorded CoinJoin has the shape of its protocol and joins coins of
// several owners, and that every protocol occurs.
func TestCoinJoinShapes(t *testing.T) {
	c := generate(t, coinJoinOpts())
	owner := make(map[string]TruthRecord)
	proto := make(map[string]string)
	for _, r := range readTruth(t, c.sum.Truth) {
		switch {
		case r.Txid != "" && r.Address == "":
			want := "coinjoin"
			if r.Protocol == protoTx0 {
				want = "coinjoin-tx0"
			}
			if r.Kind != want {
				t.Fatalf("transaction line %+v: kind %q, want %q", r, r.Kind, want)
			}
			proto[r.Txid] = r.Protocol
		case r.Address != "" && r.Txid == "":
			owner[r.Address] = r
		case r.Scenario != "":
		default:
			t.Fatalf("truth line %+v is neither an address nor a transaction", r)
		}
	}
	entityOf := func(script []byte) TruthRecord {
		if txscript.GetScriptClass(script) == txscript.NullDataTy {
			return TruthRecord{Kind: "op_return"}
		}
		_, addrs, _, err := txscript.ExtractPkScriptAddrs(script, &chaincfg.RegressionNetParams)
		if err != nil || len(addrs) != 1 {
			t.Fatalf("output script %x: %v", script, err)
		}
		r, ok := owner[addrs[0].EncodeAddress()]
		if !ok {
			t.Fatalf("address %s missing from the truth file", addrs[0].EncodeAddress())
		}
		return r
	}
	outs := indexOutputs(c.blocks)
	denoms := wasabiDenominations()
	seen := make(map[string]int)
	found := 0
	for _, blk := range c.blocks[1:] {
		for _, tx := range blk.Transactions[1:] {
			id := tx.TxHash().String()
			p, ok := proto[id]
			if !ok {
				continue
			}
			found++
			seen[p]++
			ents := map[string]bool{}
			prev := map[string]bool{}
			for _, in := range tx.TxIn {
				r := entityOf(outs[in.PreviousOutPoint].PkScript)
				if r.Kind != "wallet" {
					t.Fatalf("%s %s spends from %s (%s)", p, id, r.Entity, r.Kind)
				}
				ents[r.Entity] = true
				prev[in.PreviousOutPoint.Hash.String()] = true
			}
			values := map[int64]int{}
			for _, o := range tx.TxOut {
				values[o.Value]++
				r := entityOf(o.PkScript)
				if r.Kind == "wallet" && p != protoTx0 && !ents[r.Entity] {
					t.Fatalf("%s %s pays %s, who has no input", p, id, r.Entity)
				}
			}
			switch p {
			case protoTx0:
				if len(ents) != 1 {
					t.Fatalf("tx0 %s spends from %d entities, want 1", id, len(ents))
				}
				// One OP_RETURN with the 46-byte payload, one
				// coordinator fee.
				var data, fees int
				for _, o := range tx.TxOut {
					switch r := entityOf(o.PkScript); {
					case r.Kind == "op_return" && len(o.PkScript) == 2+tx0PayloadLen && o.Value == 0:
						data++
					case r.Kind == "coordinator":
						fees++
					}
				}
				if data != 1 || fees != 1 {
					t.Fatalf("tx0 %s: %d OP_RETURN outputs of %d bytes and %d fee outputs, want 1 and 1", id, data, tx0PayloadLen, fees)
				}
			case protoMix:
				d := tx.TxOut[0].Value
				if len(tx.TxIn) != mixSize || len(tx.TxOut) != mixSize || values[d] != mixSize ||
					!slices.ContainsFunc(whirlpoolPools[:], func(pl whirlpoolPool) bool { return pl.denom == d }) {
					t.Fatalf("whirlpool mix %s: %d inputs, %d outputs, values %v", id, len(tx.TxIn), len(tx.TxOut), values)
				}
				if len(ents) != mixSize || len(prev) != mixSize {
					t.Fatalf("whirlpool mix %s: inputs from %d entities and %d transactions, want %d", id, len(ents), len(prev), mixSize)
				}
				for _, in := range tx.TxIn {
					v := outs[in.PreviousOutPoint].Value
					if v < d || v > d+110_000 {
						t.Fatalf("whirlpool mix %s: input of %d outside [%d, %d]", id, v, d, d+110_000)
					}
				}
			case protoWasabi:
				std := 0
				for _, o := range tx.TxOut {
					if _, ok := slices.BinarySearchFunc(denoms, o.Value, cmpDesc); ok {
						std++
					}
				}
				if len(tx.TxIn) < 10 || len(ents) < 2 || 5*std < 4*len(tx.TxOut) {
					t.Fatalf("wasabi2 %s: %d inputs from %d entities, %d of %d outputs standard", id, len(tx.TxIn), len(ents), std, len(tx.TxOut))
				}
			case protoWasabi1:
				// At least 10 equal outputs within 0.1 BTC ± 0.02,
				// not exactly 0.1, and one coordinator fee.
				d, n := int64(0), 0
				for v, k := range values {
					if k > n {
						d, n = v, k
					}
				}
				fees := 0
				for _, o := range tx.TxOut {
					if entityOf(o.PkScript).Kind == "coordinator" {
						fees++
					}
				}
				if n < wasabi1MinWallets || d < 8_000_000 || d > 12_000_000 || d == 10_000_000 || fees != 1 || len(ents) != n {
					t.Fatalf("wasabi1 %s: %d outputs of %d from %d entities, %d fee outputs", id, n, d, len(ents), fees)
				}
			case protoJoinMarket:
				best := 0
				for _, n := range values {
					best = max(best, n)
				}
				if best < 3 || len(ents) < 3 {
					t.Fatalf("joinmarket %s: %d equal outputs, %d entities", id, best, len(ents))
				}
			default:
				t.Fatalf("transaction %s has unknown protocol %q", id, p)
			}
		}
	}
	if found != len(proto) {
		t.Fatalf("found %d of the %d recorded CoinJoins in the blocks", found, len(proto))
	}
	for _, p := range []string{protoTx0, protoMix, protoWasabi, protoWasabi1, protoJoinMarket} {
		if seen[p] == 0 {
			t.Errorf("no %s transaction in %d CoinJoins (%v)", p, found, seen)
		}
	}
	t.Logf("%d CoinJoins of %d transactions: %v", found, c.sum.Txs, seen)
}

// TestCoinJoinsOption checks the defaults and that CoinJoins can be switched
// off.
func TestCoinJoinsOption(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want int
	}{
		{name: "small chain", opts: Options{Txs: 9_999}, want: 0},
		{name: "large chain", opts: Options{Txs: 10_000}, want: defaultCoinJoins},
		{name: "explicit", opts: Options{Txs: 100, CoinJoins: 30}, want: 30},
		{name: "disabled", opts: Options{Txs: 100_000, CoinJoins: -1}, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := tt.opts.withDefaults()
			if err != nil {
				t.Fatal(err)
			}
			if o.CoinJoins != tt.want {
				t.Fatalf("CoinJoins = %d, want %d", o.CoinJoins, tt.want)
			}
		})
	}
}

// TestCoinJoinDeterminism checks that a chain with CoinJoins does not depend
// on the number of workers.
func TestCoinJoinDeterminism(t *testing.T) {
	opts := Options{Seed: 17, Txs: 800, TxsPerBlock: 20, Wallets: 120, CoinJoins: 80}
	var files [2][]byte
	for i, workers := range []int{1, 3} {
		dir := t.TempDir()
		o := opts
		o.Workers = workers
		sum, err := Generate(context.Background(), dir, o)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range append(append([]string(nil), sum.Files...), filepath.Join(dir, TruthFile)) {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			files[i] = append(files[i], b...)
		}
	}
	if !bytes.Equal(files[0], files[1]) {
		t.Fatal("output differs between 1 and 3 workers")
	}
	if !bytes.Contains(files[0], []byte(`"kind":"coinjoin"`)) {
		t.Fatal("no CoinJoin recorded")
	}
}

// TestWasabiDenominations checks the denomination set against a few known
// members and non-members.
func TestWasabiDenominations(t *testing.T) {
	d := wasabiDenominations()
	tests := []struct {
		name string
		v    int64
		want bool
	}{
		{name: "power of two", v: 1 << 20, want: true},
		{name: "power of three", v: 531_441, want: true},
		{name: "twice a power of three", v: 2 * 59_049, want: true},
		{name: "one-two-five", v: 5_000_000, want: true},
		{name: "below the minimum", v: 4_096, want: false},
		{name: "not standard", v: 7_000_000, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, ok := slices.BinarySearchFunc(d, tt.v, cmpDesc); ok != tt.want {
				t.Fatalf("%d standard = %v, want %v", tt.v, ok, tt.want)
			}
		})
	}
}
