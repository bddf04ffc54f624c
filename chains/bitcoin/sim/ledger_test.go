package sim

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/v2"
)

func TestDrawFamilyMix(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n = 200_000
	counts := make(map[scriptType]int)
	for range n {
		counts[drawFamily(rng).script]++
	}
	tests := []struct {
		name  string
		t     scriptType
		share float64
	}{
		{"p2pkh", p2pkh, 0.20},
		{"p2sh-p2wpkh", p2shP2wpkh, 0.15},
		{"p2wpkh", p2wpkh, 0.50},
		{"p2tr", p2tr, 0.15},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := float64(counts[tt.t]) / n; math.Abs(got-tt.share) > 0.01 {
				t.Errorf("share %.3f, want %.2f", got, tt.share)
			}
		})
	}
}

// TestLedgerInvariants runs the generator and checks the ledger's
// bookkeeping: the funded set lists exactly the wallets that own coins, and
// every coin refers to an address its owner has.
func TestLedgerInvariants(t *testing.T) {
	opts, err := Options{Seed: 9, Txs: 500, TxsPerBlock: 25, Wallets: 60, Workers: 2}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tw, err := newTruthWriter(filepath.Join(dir, TruthFile))
	if err != nil {
		t.Fatal(err)
	}
	bw := newBlockWriter(dir, chaincfg.RegressionNetParams.Net)
	g := newGenerator(opts, bw, tw)
	if err := g.run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := bw.close(); err != nil {
		t.Fatal(err)
	}
	if err := tw.close(); err != nil {
		t.Fatal(err)
	}
	l := g.ledger
	for i, e := range l.funded {
		if e.funded != int32(i) {
			t.Fatalf("%s at funded[%d] records position %d", e.name, i, e.funded)
		}
	}
	var coins, addrs int
	for _, e := range l.entities {
		if e.kind == kindWallet && (e.funded >= 0) != (len(e.utxos) > 0) {
			t.Errorf("%s: funded position %d with %d coins", e.name, e.funded, len(e.utxos))
		}
		for _, c := range e.utxos {
			if int(c.addr) >= len(e.keys) || e.keys[c.addr] == (keyMaterial{}) {
				t.Fatalf("%s: coin %s:%d at underived address %d", e.name, c.hash, c.index, c.addr)
			}
		}
		coins += len(e.utxos)
		addrs += len(e.keys)
	}
	if addrs != g.sum.Addresses {
		t.Errorf("entities hold %d addresses, summary says %d", addrs, g.sum.Addresses)
	}
	// Every output ever created is either spent or a coin: outputs plus
	// coinbases minus inputs.
	if want := g.sum.Outputs + int(g.sum.Height) - g.sum.Inputs; coins != want {
		t.Errorf("%d coins in the ledger, want %d", coins, want)
	}
}
