package sim

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/btcsuite/btcd/chainhash/v2"
)

func TestPickMinerShares(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	l := newLedger(&chaincfg.RegressionNetParams, 1, rng, 2, len(minerShares))
	const n = 100_000
	counts := make(map[*entity]int)
	for range n {
		counts[pickMiner(l, rng)]++
	}
	for i, share := range minerShares {
		m := l.miners[i]
		t.Run(m.name, func(t *testing.T) {
			if got := float64(counts[m]) / n; math.Abs(got-share) > 0.01 {
				t.Errorf("share %.3f, want %.2f", got, share)
			}
		})
	}
}

// TestPayouts checks how coinbase outputs are spent: only by pool payouts
// to 20–100 wallets plus change back to the pool address, never before 100
// confirmations.
func TestPayouts(t *testing.T) {
	c := generate(t, chainOpts())
	type cbOut struct {
		height int
		script []byte
	}
	coinbases := make(map[chainhash.Hash]cbOut)
	payouts := 0
	for h, blk := range c.blocks {
		for _, tx := range blk.Transactions[1:] {
			var from *cbOut
			for _, in := range tx.TxIn {
				if cb, ok := coinbases[in.PreviousOutPoint.Hash]; ok {
					if age := h - cb.height; age < 100 {
						t.Fatalf("block %d spends a coinbase of block %d", h, cb.height)
					}
					from = &cb
				}
			}
			if from == nil {
				continue
			}
			payouts++
			n := len(tx.TxOut)
			if n < minPayoutRecipients+1 || n > maxPayoutRecipients+1 {
				t.Errorf("block %d payout %s has %d outputs", h, tx.TxHash(), n)
			}
			if !bytes.Equal(tx.TxOut[n-1].PkScript, from.script) {
				t.Errorf("block %d payout %s: change does not return to the pool address", h, tx.TxHash())
			}
		}
		cb := blk.Transactions[0]
		coinbases[cb.TxHash()] = cbOut{height: h, script: cb.TxOut[0].PkScript}
	}
	if minPayouts := len(c.blocks) - 101; payouts < minPayouts {
		t.Errorf("%d payouts, want at least one per block after maturity (%d)", payouts, minPayouts)
	}
}
