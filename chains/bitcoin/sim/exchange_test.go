package sim

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/btcsuite/btcd/txscript/v2"
	"github.com/btcsuite/btcd/wire/v2"
)

// exchangeOpts returns the options of the chain the exchange tests share:
// two exchanges, a few hundred blocks.
func exchangeOpts() Options {
	if raceEnabled {
		return Options{Seed: 3, Txs: 1200, TxsPerBlock: 10, Wallets: 80, Exchanges: 2}
	}
	return Options{Seed: 3, Txs: 6000, TxsPerBlock: 40, Wallets: 300, Exchanges: 2}
}

// TestExchangeConsensusValid runs the full btcd validation of
// TestConsensusValid over a chain with exchanges.
func TestExchangeConsensusValid(t *testing.T) {
	checkConsensus(t, exchangeOpts(), 0, 0)
}

// exchangeTx is a transaction with the ground truth of the addresses it
// spends from and pays to.
type exchangeTx struct {
	height    int
	tx        *wire.MsgTx
	ins, outs []TruthRecord
}

// labelTxs returns every non-coinbase transaction of c with the truth
// records of its input and output addresses, read from the block files and
// truth.jsonl only.
func labelTxs(t *testing.T, c *testChain) ([]exchangeTx, map[string]TruthRecord) {
	t.Helper()
	owner := make(map[string]TruthRecord)
	for _, r := range readTruth(t, c.sum.Truth) {
		if r.Address != "" {
			owner[r.Address] = r
		}
	}
	record := func(height int, script []byte) TruthRecord {
		if txscript.GetScriptClass(script) == txscript.NullDataTy {
			return TruthRecord{Kind: "op_return"}
		}
		_, addrs, _, err := txscript.ExtractPkScriptAddrs(script, &chaincfg.RegressionNetParams)
		if err != nil || len(addrs) != 1 {
			t.Fatalf("block %d: output script %x: %v", height, script, err)
		}
		r, ok := owner[addrs[0].EncodeAddress()]
		if !ok {
			t.Fatalf("block %d: address %s missing from the truth file", height, addrs[0].EncodeAddress())
		}
		return r
	}
	outs := indexOutputs(c.blocks)
	var txs []exchangeTx
	for h, blk := range c.blocks[1:] {
		for _, tx := range blk.Transactions[1:] {
			et := exchangeTx{height: h + 1, tx: tx}
			for _, in := range tx.TxIn {
				et.ins = append(et.ins, record(h+1, outs[in.PreviousOutPoint].PkScript))
			}
			for _, o := range tx.TxOut {
				et.outs = append(et.outs, record(h+1, o.PkScript))
			}
			txs = append(txs, et)
		}
	}
	return txs, owner
}

// allRole reports whether every record belongs to entity and has one of the
// roles.
func allRole(recs []TruthRecord, entity string, roles ...string) bool {
	for _, r := range recs {
		if r.Entity != entity || r.Kind != "exchange" {
			return false
		}
		ok := false
		for _, role := range roles {
			ok = ok || r.Role == role
		}
		if !ok {
			return false
		}
	}
	return len(recs) > 0
}

// hasRole reports whether some record has role.
func hasRole(recs []TruthRecord, role string) bool {
	for _, r := range recs {
		if r.Role == role {
			return true
		}
	}
	return false
}

// TestExchangeTruth checks the exchange records of truth.jsonl: every
// exchange address has a known role, only deposit addresses name a
// customer, each exchange uses one hot and at most one cold address, and
// disabling exchanges removes them.
func TestExchangeTruth(t *testing.T) {
	tests := []struct {
		name      string
		opts      Options
		exchanges int
	}{
		{name: "two exchanges", opts: exchangeOpts(), exchanges: 2},
		{name: "no exchanges", opts: Options{Seed: 3, Txs: 300, TxsPerBlock: 20, Wallets: 60, Exchanges: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := generate(t, tt.opts)
			roles := make(map[string]map[string]int) // entity, role, addresses
			for _, r := range readTruth(t, c.sum.Truth) {
				if r.Address == "" {
					continue
				}
				if r.Kind != "exchange" {
					if r.Customer != "" || r.Role != "" && r.Kind != "processor" && r.Kind != "merchant" && r.Kind != "service" {
						t.Fatalf("%s of %s (%s) has role %q, customer %q", r.Address, r.Entity, r.Kind, r.Role, r.Customer)
					}
					continue
				}
				if !strings.HasPrefix(r.Entity, "x") {
					t.Fatalf("exchange address %s belongs to %q", r.Address, r.Entity)
				}
				switch r.Role {
				case roleDeposit:
					if !strings.HasPrefix(r.Customer, "w") && !strings.HasPrefix(r.Customer, "s") {
						t.Fatalf("deposit address %s of %s has customer %q", r.Address, r.Entity, r.Customer)
					}
				case roleHot, roleCold, roleChange:
					if r.Customer != "" {
						t.Fatalf("%s address %s of %s has customer %q", r.Role, r.Address, r.Entity, r.Customer)
					}
				default:
					t.Fatalf("exchange address %s has role %q", r.Address, r.Role)
				}
				if roles[r.Entity] == nil {
					roles[r.Entity] = make(map[string]int)
				}
				roles[r.Entity][r.Role]++
			}
			if len(roles) != tt.exchanges {
				t.Fatalf("%d exchanges in the truth file, want %d: %v", len(roles), tt.exchanges, roles)
			}
			for x, n := range roles {
				if n[roleHot] != 1 || n[roleCold] > 1 || n[roleDeposit] < 5 {
					t.Errorf("%s has addresses by role %v, want one hot, at most one cold, at least 5 deposit", x, n)
				}
			}
		})
	}
}

// TestExchangePatterns checks, from the block files and truth.jsonl only,
// the transaction patterns of exchanges: sweeps spend distinct deposit
// addresses of one exchange into its hot wallet, withdrawals pay 5–50
// customers from the hot wallet with change back to the exchange, cold
// transfers split hot coins between cold storage and the hot wallet, and
// every deposit address receives from its one customer.
func TestExchangePatterns(t *testing.T) {
	c := generate(t, exchangeOpts())
	txs, _ := labelTxs(t, c)
	sweeps := make(map[string]int)
	largestSweep := 0
	withdrawals := make(map[string]int)
	colds := 0
	senders := make(map[string]map[string]bool) // deposit address, sending wallets
	for _, et := range txs {
		x := et.ins[0].Entity
		switch {
		case allRole(et.ins, x, roleDeposit):
			// A sweep: distinct deposit addresses, one output to the
			// same exchange's hot wallet.
			seen := make(map[string]bool)
			for _, r := range et.ins {
				if seen[r.Address] {
					t.Errorf("block %d: sweep %s spends deposit address %s twice", et.height, et.tx.TxHash(), r.Address)
				}
				seen[r.Address] = true
			}
			if len(et.ins) < 2 || !allRole(et.outs, x, roleHot) || len(et.outs) != 1 {
				t.Errorf("block %d: sweep %s of %s: %d inputs, outputs %+v", et.height, et.tx.TxHash(), x, len(et.ins), et.outs)
			}
			sweeps[x]++
			largestSweep = max(largestSweep, len(et.ins))
		case allRole(et.ins, x, roleHot, roleChange) && hasRole(et.outs, roleCold):
			// A transfer to cold storage, the rest back to the hot
			// wallet.
			if len(et.outs) != 2 || !allRole(et.outs[:1], x, roleCold) || !allRole(et.outs[1:], x, roleHot) {
				t.Errorf("block %d: cold transfer %s of %s pays %+v", et.height, et.tx.TxHash(), x, et.outs)
			}
			colds++
		case allRole(et.ins, x, roleHot, roleChange):
			// A withdrawal batch: customers plus one to
			// maxChangeSplits change outputs.
			var paid, change int
			for _, r := range et.outs {
				switch {
				case r.Kind == "wallet":
					paid++
				case r.Entity == x && (r.Role == roleHot || r.Role == roleChange):
					change++
				default:
					t.Errorf("block %d: withdrawal %s of %s pays %+v", et.height, et.tx.TxHash(), x, r)
				}
			}
			if paid < minWithdrawOutputs || paid > maxWithdrawOutputs || change < 1 || change > maxChangeSplits {
				t.Errorf("block %d: withdrawal %s of %s pays %d customers and %d change outputs",
					et.height, et.tx.TxHash(), x, paid, change)
			}
			withdrawals[x]++
		}
		for _, r := range et.outs {
			if r.Role != roleDeposit {
				continue
			}
			// A deposit: spent by the customer the address was given to.
			for _, in := range et.ins {
				if in.Entity != r.Customer {
					t.Errorf("block %d: %s pays deposit address %s of %s (customer %s) from %s",
						et.height, et.tx.TxHash(), r.Address, r.Entity, r.Customer, in.Entity)
				}
			}
			if senders[r.Address] == nil {
				senders[r.Address] = make(map[string]bool)
			}
			senders[r.Address][et.ins[0].Entity] = true
		}
	}
	for addr, from := range senders {
		if len(from) != 1 {
			t.Errorf("deposit address %s received from %d wallets", addr, len(from))
		}
	}
	for _, x := range []string{"x0", "x1"} {
		if sweeps[x] == 0 || withdrawals[x] == 0 {
			t.Errorf("%s: %d sweeps, %d withdrawals", x, sweeps[x], withdrawals[x])
		}
	}
	if largestSweep < 4 {
		t.Errorf("largest sweep has %d inputs, want at least 4", largestSweep)
	}
	if colds == 0 {
		t.Error("no transfer to cold storage")
	}
	if len(senders) < 10 {
		t.Errorf("only %d deposit addresses received deposits", len(senders))
	}
	t.Logf("%d txs; sweeps %v (largest %d inputs); withdrawals %v; %d cold transfers; %d deposit addresses",
		len(txs), sweeps, largestSweep, withdrawals, colds, len(senders))
}

func TestExchangesDefault(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want int
	}{
		{name: "small chain", opts: Options{Txs: 9_999}, want: 1},
		{name: "large chain", opts: Options{Txs: 10_000}, want: 3},
		{name: "explicit", opts: Options{Txs: 100, Exchanges: 5}, want: 5},
		{name: "disabled", opts: Options{Txs: 100_000, Exchanges: -1}, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := tt.opts.withDefaults()
			if err != nil {
				t.Fatal(err)
			}
			if o.Exchanges != tt.want {
				t.Errorf("Exchanges = %d, want %d", o.Exchanges, tt.want)
			}
		})
	}
}

func TestDrawCount(t *testing.T) {
	tests := []struct {
		name        string
		mean, floor float64
		lo, hi      int     // bounds of every draw
		want        float64 // expected average
	}{
		{name: "below floor", mean: 0.1, floor: 0.5, lo: 0, hi: 1, want: 0.5},
		{name: "above floor", mean: 2.25, floor: 0.5, lo: 2, hi: 3, want: 2.25},
		{name: "integer", mean: 4, floor: 0, lo: 4, hi: 4, want: 4},
	}
	rng := rand.New(rand.NewPCG(9, 9))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const n = 20_000
			total := 0
			for range n {
				k := drawCount(rng, tt.mean, tt.floor)
				if k < tt.lo || k > tt.hi {
					t.Fatalf("drew %d, want %d..%d", k, tt.lo, tt.hi)
				}
				total += k
			}
			if avg := float64(total) / n; avg < tt.want-0.02 || avg > tt.want+0.02 {
				t.Errorf("average %.3f, want %.2f", avg, tt.want)
			}
		})
	}
}

// TestExchangesChangeChain checks that exchanges change the generated chain
// and that a chain with exchanges is still the same for the same options.
func TestExchangesChangeChain(t *testing.T) {
	base := Options{Seed: 4, Txs: 300, TxsPerBlock: 20, Wallets: 60, Exchanges: -1}
	run := func(o Options) map[string][32]byte {
		sum, err := Generate(context.Background(), t.TempDir(), o)
		if err != nil {
			t.Fatal(err)
		}
		return fileDigests(t, sum)
	}
	none := run(base)
	base.Exchanges = 2
	with, again := run(base), run(base)
	if with["blk00000.dat"] == none["blk00000.dat"] {
		t.Error("exchanges do not change the chain")
	}
	if with["blk00000.dat"] != again["blk00000.dat"] || with[TruthFile] != again[TruthFile] {
		t.Error("two runs with exchanges differ")
	}
}
