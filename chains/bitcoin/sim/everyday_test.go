package sim

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil/v2"
	"github.com/btcsuite/btcd/wire/v2"
)

func TestRoundAmount(t *testing.T) {
	tests := []struct {
		name    string
		v, want int64
	}{
		{"two digits", 47, 47},
		{"three digits", 123, 120},
		{"sats", 1_234_567, 1_200_000},
		{"already round", 5_000_000, 5_000_000},
		{"just below a power", 99_999, 99_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := roundAmount(tt.v); got != tt.want {
				t.Errorf("roundAmount(%d) = %d, want %d", tt.v, got, tt.want)
			}
		})
	}
}

func TestScaleDown(t *testing.T) {
	tests := []struct {
		name  string
		vals  []int64
		avail int64
		f     float64
		ok    bool
	}{
		{"single", []int64{1_000_000}, 100_000, 0.5, true},
		{"batch with small shares", []int64{10_000_000, 20_000, 30_000}, 200_000, 0.5, true},
		{"too poor for a batch", []int64{10_000_000, 20_000, 30_000}, 3_000, 0.5, false},
		{"too poor for one", []int64{1_000_000}, 1_000, 0.9, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			outs := make([]plannedOutput, len(tt.vals))
			for i, v := range tt.vals {
				outs[i].value = v
			}
			if got := scaleDown(outs, tt.avail, tt.f); got != tt.ok {
				t.Fatalf("scaleDown = %v, want %v", got, tt.ok)
			}
			if !tt.ok {
				return
			}
			var sum int64
			for _, o := range outs {
				if o.value < minScaledOutput {
					t.Errorf("output of %d below %d", o.value, minScaledOutput)
				}
				sum += o.value
			}
			if want := int64(tt.f * float64(tt.avail)); sum > want+int64(len(outs)) || sum < want-int64(len(outs)) {
				t.Errorf("outputs add up to %d, want about %d", sum, want)
			}
		})
	}
}

func TestDrawInputCount(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 200_000
	var sum, ones int
	for range n {
		k := drawInputCount(rng)
		if k < 1 || k > maxInputs {
			t.Fatalf("drew %d inputs", k)
		}
		sum += k
		if k == 1 {
			ones++
		}
	}
	// Expected: .54*1 + .18*2 + .08*3 + .08*5 + .12*13.5 = 3.16.
	if mean := float64(sum) / n; mean < 3.11 || mean > 3.21 {
		t.Errorf("mean input count %.3f, want 3.16", mean)
	}
	if share := float64(ones) / n; share < 0.53 || share > 0.55 {
		t.Errorf("single-input share %.3f, want 0.54", share)
	}
}

// TestTrafficShape generates a medium chain with mainnet-sized blocks and
// checks the traffic figures the package documents: average inputs and
// outputs per transaction, fee rates, wallet fingerprints and BIP 69 order.
func TestTrafficShape(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("medium-sized chain")
	}
	c := generate(t, Options{Seed: 5, Txs: 30_000})
	outs := indexOutputs(c.blocks)
	var ins, nouts, single, sorted, v1, rbf, txs int
	for h, blk := range c.blocks[1:] {
		height := uint32(h + 1)
		for _, tx := range blk.Transactions[1:] {
			txs++
			ins += len(tx.TxIn)
			nouts += len(tx.TxOut)
			if len(tx.TxIn) == 1 {
				single++
			}
			var fee int64
			for _, in := range tx.TxIn {
				fee += outs[in.PreviousOutPoint].Value
			}
			for _, o := range tx.TxOut {
				fee -= o.Value
				// OP_RETURN data outputs (Whirlpool Tx0s) carry no value.
				if o.Value < dustLimit && !(len(o.PkScript) > 0 && o.PkScript[0] == 0x6a) {
					t.Fatalf("block %d tx %s: output of %d sat", height, tx.TxHash(), o.Value)
				}
			}
			w := blockchain.GetTransactionWeight(btcutil.NewTx(tx))
			vsize := (w + 3) / 4
			if rate := float64(fee) / float64(vsize); rate < 1 || rate > 30 {
				t.Fatalf("block %d tx %s: fee rate %.2f sat/vB", height, tx.TxHash(), rate)
			}
			if tx.LockTime >= height {
				t.Fatalf("block %d tx %s: lock time %d", height, tx.TxHash(), tx.LockTime)
			}
			if tx.Version == 1 {
				v1++
			}
			if tx.TxIn[0].Sequence == seqRBF {
				rbf++
			}
			if len(tx.TxIn) > 1 && len(tx.TxOut) > 2 && isBIP69(tx) {
				sorted++
			}
		}
	}
	avgIn, avgOut := float64(ins)/float64(txs), float64(nouts)/float64(txs)
	t.Logf("%d txs: %.2f inputs, %.2f outputs per tx, %.0f%% single input, %d v1, %d RBF, %d BIP 69 sorted",
		txs, avgIn, avgOut, 100*float64(single)/float64(txs), v1, rbf, sorted)
	if avgIn < 2.0 || avgIn > 2.4 {
		t.Errorf("%.2f inputs per transaction, want about 2.2", avgIn)
	}
	if avgOut < 2.45 || avgOut > 2.85 {
		t.Errorf("%.2f outputs per transaction, want about 2.6", avgOut)
	}
	if s := float64(single) / float64(txs); s < 0.45 {
		t.Errorf("%.2f of transactions have one input, want most", s)
	}
	if v1 == 0 || rbf == 0 || sorted == 0 {
		t.Errorf("missing wallet styles: %d version 1, %d RBF, %d BIP 69 sorted", v1, rbf, sorted)
	}
}

// isBIP69 reports whether tx's inputs and outputs are in BIP 69 order.
func isBIP69(tx *wire.MsgTx) bool {
	insSorted := slices.IsSortedFunc(tx.TxIn, func(a, b *wire.TxIn) int {
		ah, bh := a.PreviousOutPoint.Hash, b.PreviousOutPoint.Hash
		slices.Reverse(ah[:])
		slices.Reverse(bh[:])
		if c := bytes.Compare(ah[:], bh[:]); c != 0 {
			return c
		}
		return int(a.PreviousOutPoint.Index) - int(b.PreviousOutPoint.Index)
	})
	outsSorted := slices.IsSortedFunc(tx.TxOut, func(a, b *wire.TxOut) int {
		if a.Value != b.Value {
			if a.Value < b.Value {
				return -1
			}
			return 1
		}
		return bytes.Compare(a.PkScript, b.PkScript)
	})
	return insSorted && outsSorted
}
