package btcdtest

import (
	"bytes"
	"crypto/sha256"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/address/v2"
	"github.com/btcsuite/btcd/btcjson"
	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/rpcclient"
	"github.com/btcsuite/btcd/txscript/v2"
	"github.com/btcsuite/btcd/wire/v2"
)

func TestWalletKeys(t *testing.T) {
	t.Parallel()
	regtest := &chaincfg.RegressionNetParams
	tests := []struct {
		name       string
		seedA      string
		indexA     int
		seedB      string
		indexB     int
		wantSameKB bool
	}{
		{name: "same seed and index", seedA: "s", indexA: 4, seedB: "s", indexB: 4, wantSameKB: true},
		{name: "other index", seedA: "s", indexA: 4, seedB: "s", indexB: 5},
		{name: "other seed", seedA: "s", indexA: 4, seedB: "t", indexB: 4},
		{name: "seed|index boundary is not ambiguous", seedA: "s|1", indexA: 2, seedB: "s", indexB: 12},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := NewWallet(tc.seedA, regtest).Key(tc.indexA).Serialize()
			b := NewWallet(tc.seedB, regtest).Key(tc.indexB).Serialize()
			if bytes.Equal(a, b) != tc.wantSameKB {
				t.Fatalf("keys equal = %v, want %v", bytes.Equal(a, b), tc.wantSameKB)
			}
		})
	}
	// The key is the documented digest itself.
	want := sha256.Sum256([]byte("spoor|7"))
	if got := NewWallet("spoor", regtest).Key(7).Serialize(); !bytes.Equal(got, want[:]) {
		t.Fatalf("Key(7) = %x, want sha256(\"spoor|7\") = %x", got, want)
	}
}

func TestPkScriptAndAddress(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind       Kind
		params     *chaincfg.Params
		class      txscript.ScriptClass
		addrPrefix string // "" when the kind has no address
		scriptLen  int
	}{
		{KindP2PK, &chaincfg.RegressionNetParams, txscript.PubKeyTy, "", 35},
		{KindP2PKH, &chaincfg.RegressionNetParams, txscript.PubKeyHashTy, "", 25},
		{KindP2SHP2WPKH, &chaincfg.RegressionNetParams, txscript.ScriptHashTy, "2", 23},
		{KindP2WPKH, &chaincfg.RegressionNetParams, txscript.WitnessV0PubKeyHashTy, "bcrt1q", 22},
		{KindP2WSH, &chaincfg.RegressionNetParams, txscript.WitnessV0ScriptHashTy, "bcrt1q", 34},
		{KindP2TR, &chaincfg.RegressionNetParams, txscript.WitnessV1TaprootTy, "bcrt1p", 34},
		{KindMultisig, &chaincfg.RegressionNetParams, txscript.MultiSigTy, "", 71},
		{KindP2PKH, &chaincfg.MainNetParams, txscript.PubKeyHashTy, "1", 25},
		{KindP2SHP2WPKH, &chaincfg.MainNetParams, txscript.ScriptHashTy, "3", 23},
		{KindP2WPKH, &chaincfg.MainNetParams, txscript.WitnessV0PubKeyHashTy, "bc1q", 22},
		{KindP2TR, &chaincfg.MainNetParams, txscript.WitnessV1TaprootTy, "bc1p", 34},
	}
	for _, tc := range tests {
		t.Run(string(tc.kind)+"/"+tc.params.Name, func(t *testing.T) {
			w := NewWallet("addr", tc.params)
			script := w.PkScript(tc.kind, 1)
			if got := txscript.GetScriptClass(script); got != tc.class {
				t.Fatalf("script %x has class %s, want %s", script, got, tc.class)
			}
			if len(script) != tc.scriptLen {
				t.Fatalf("script %x is %d bytes, want %d", script, len(script), tc.scriptLen)
			}
			if bytes.Equal(script, w.PkScript(tc.kind, 2)) {
				t.Fatalf("keys 1 and 2 share the %s script %x", tc.kind, script)
			}
			addr := w.Address(tc.kind, 1)
			hasAddr := tc.kind != KindP2PK && tc.kind != KindMultisig
			if (addr != "") != hasAddr {
				t.Fatalf("Address = %q, want an address: %v", addr, hasAddr)
			}
			if !hasAddr {
				return
			}
			if tc.addrPrefix != "" && !strings.HasPrefix(addr, tc.addrPrefix) {
				t.Fatalf("address %q lacks prefix %q", addr, tc.addrPrefix)
			}
			decoded, err := address.DecodeAddress(addr, tc.params)
			if err != nil {
				t.Fatalf("decode %q: %v", addr, err)
			}
			fromAddr, err := txscript.PayToAddrScript(decoded)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(fromAddr, script) {
				t.Fatalf("address %q pays to %x, PkScript is %x", addr, fromAddr, script)
			}
		})
	}
}

func TestPkScriptUnknownKindPanics(t *testing.T) {
	t.Parallel()
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "p2xx") {
			t.Fatalf("recovered %v, want a panic naming the kind", r)
		}
	}()
	NewWallet("x", &chaincfg.RegressionNetParams).PkScript("p2xx", 0)
}

// fakeCoin returns a coin of kind for key i whose outpoint is made up.
func fakeCoin(w *Wallet, kind Kind, i int, value int64) Coin {
	return Coin{
		OutPoint: wire.OutPoint{Hash: chainhash.Hash(sha256.Sum256([]byte(kind))), Index: uint32(i)},
		Value:    value,
		PkScript: w.PkScript(kind, i),
		Kind:     kind,
		KeyIndex: i,
	}
}

func TestSpendEveryKindOffline(t *testing.T) {
	t.Parallel()
	w := NewWallet("offline", &chaincfg.RegressionNetParams)
	tests := []struct {
		kind Kind
		// segwit inputs carry their signature in the witness and commit
		// to the spent amount.
		segwit bool
	}{
		{KindP2PK, false},
		{KindP2PKH, false},
		{KindP2SHP2WPKH, true},
		{KindP2WPKH, true},
		{KindP2WSH, true},
		{KindP2TR, true},
		{KindMultisig, false},
	}
	if len(tests) != len(Kinds()) {
		t.Fatalf("test covers %d kinds, wallet has %d", len(tests), len(Kinds()))
	}
	for _, tc := range tests {
		t.Run(string(tc.kind), func(t *testing.T) {
			coin := fakeCoin(w, tc.kind, 3, 100_000)
			tx, err := w.Spend([]Coin{coin}, []*wire.TxOut{wire.NewTxOut(90_000, w.PkScript(KindP2WPKH, 9))})
			if err != nil {
				t.Fatalf("Spend: %v", err)
			}
			in := tx.TxIn[0]
			if (len(in.Witness) > 0) != tc.segwit {
				t.Fatalf("witness %x, want segwit %v", in.Witness, tc.segwit)
			}
			if err := VerifyTx(tx, []Coin{coin}); err != nil {
				t.Fatalf("VerifyTx: %v", err)
			}

			// A different amount only breaks segwit signatures.
			wrongValue := coin
			wrongValue.Value++
			if err := VerifyTx(tx, []Coin{wrongValue}); (err != nil) != tc.segwit {
				t.Fatalf("VerifyTx with amount+1: %v, want failure %v", err, tc.segwit)
			}

			// Changing an output invalidates every signature.
			bad := tx.Copy()
			bad.TxOut[0].Value--
			if err := VerifyTx(bad, []Coin{coin}); err == nil {
				t.Fatal("VerifyTx accepted a transaction whose output changed after signing")
			}

			// So does spending the coin with another key's script.
			other := coin
			other.PkScript = w.PkScript(tc.kind, 4)
			if err := VerifyTx(tx, []Coin{other}); err == nil {
				t.Fatal("VerifyTx accepted the signature against another key's script")
			}
		})
	}
}

func TestSpendErrors(t *testing.T) {
	t.Parallel()
	w := NewWallet("errors", &chaincfg.RegressionNetParams)
	good := fakeCoin(w, KindP2WPKH, 1, 1000)
	wrongScript := good
	wrongScript.Kind = KindP2PKH
	unknown := good
	unknown.Kind = "p2xx"
	out := []*wire.TxOut{wire.NewTxOut(500, w.PkScript(KindP2PKH, 2))}
	tests := []struct {
		name    string
		coins   []Coin
		outs    []*wire.TxOut
		wantErr string
	}{
		{name: "no coins", outs: out, wantErr: "no coins"},
		{name: "script not of the kind", coins: []Coin{wrongScript}, outs: out, wantErr: "is not the p2pkh script of key 1"},
		{name: "unknown kind", coins: []Coin{unknown}, outs: out, wantErr: `unknown output kind "p2xx"`},
		{name: "same outpoint twice", coins: []Coin{good, good}, outs: out, wantErr: "listed twice"},
		{name: "outputs exceed inputs", coins: []Coin{good}, outs: []*wire.TxOut{wire.NewTxOut(1001, nil)}, wantErr: "more than the 1000 sat"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tx, err := w.Spend(tc.coins, tc.outs)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Spend = %v, %v; want error containing %q", tx, err, tc.wantErr)
			}
		})
	}
}

func TestCoinFromTx(t *testing.T) {
	t.Parallel()
	w := NewWallet("coin", &chaincfg.RegressionNetParams)
	tx := wire.NewMsgTx(2)
	tx.AddTxOut(wire.NewTxOut(7, w.PkScript(KindP2TR, 5)))
	tests := []struct {
		name    string
		vout    uint32
		kind    Kind
		key     int
		wantErr string
	}{
		{name: "match", vout: 0, kind: KindP2TR, key: 5},
		{name: "other key", vout: 0, kind: KindP2TR, key: 6, wantErr: "is not the p2tr script of key 6"},
		{name: "other kind", vout: 0, kind: KindP2WPKH, key: 5, wantErr: "is not the p2wpkh script"},
		{name: "no such output", vout: 1, kind: KindP2TR, key: 5, wantErr: "no output 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := w.CoinFromTx(tx, tc.vout, tc.kind, tc.key)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("CoinFromTx = %+v, %v; want error containing %q", c, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.OutPoint.Hash != tx.TxHash() || c.OutPoint.Index != 0 || c.Value != 7 || c.Kind != KindP2TR || c.KeyIndex != 5 {
				t.Fatalf("CoinFromTx = %+v", c)
			}
		})
	}
}

func TestNullDataOutput(t *testing.T) {
	t.Parallel()
	out, err := NullDataOutput([]byte("spoor"))
	if err != nil {
		t.Fatal(err)
	}
	if out.Value != 0 || txscript.GetScriptClass(out.PkScript) != txscript.NullDataTy {
		t.Fatalf("NullDataOutput = value %d script %x", out.Value, out.PkScript)
	}
	if _, err := NullDataOutput(make([]byte, 81)); err == nil {
		t.Fatal("NullDataOutput accepted 81 bytes of data")
	}
}

// TestWalletOnNode pays to every output kind in one transaction, spends all
// of them in a second, and checks a real node accepts, mines and decodes
// both under its standardness rules.
func TestWalletOnNode(t *testing.T) {
	t.Parallel()
	w := NewWallet("wallet-on-node", &chaincfg.RegressionNetParams)
	n := Start(t, Options{MiningAddr: w.Address(KindP2PKH, 0), RejectNonStd: true})
	c := n.Client(t)
	n.Generate(t, 101)
	// At height 101 the coinbases of blocks 1 and 2 may go into block 102;
	// spending both below proves the node agrees.
	funding := n.MatureCoinbase(t, w, 2)
	for i, coin := range funding {
		if coin.Value != 50e8 {
			t.Fatalf("coinbase %s value %d, want 50 BTC", coin.OutPoint, coin.Value)
		}
		if i > 0 && coin.OutPoint == funding[0].OutPoint {
			t.Fatalf("MatureCoinbase returned %s twice", coin.OutPoint)
		}
	}
	rec := &recordTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		n.MatureCoinbase(rec, w, 3)
	}()
	<-done
	if !strings.Contains(rec.fatal, "2 mature unspent coinbase outputs") {
		t.Fatalf("MatureCoinbase(3) at height 101: fatal %q, want it to find only 2", rec.fatal)
	}

	// Transaction 1: one output of every kind, an OP_RETURN and change.
	const perOutput = 1e8
	const fee = 20_000
	type owned struct {
		kind Kind
		key  int
	}
	var outs []*wire.TxOut
	var mine []owned
	for i, kind := range Kinds() {
		key := 10 + 2*i // multisig kinds also use key+1
		outs = append(outs, wire.NewTxOut(perOutput, w.PkScript(kind, key)))
		mine = append(mine, owned{kind, key})
	}
	opReturn, err := NullDataOutput([]byte("spoor btcdtest"))
	if err != nil {
		t.Fatal(err)
	}
	outs = append(outs, opReturn)
	mine = append(mine, owned{}) // not spendable
	change := funding[0].Value + funding[1].Value - perOutput*int64(len(Kinds())) - fee
	outs = append(outs, wire.NewTxOut(change, w.PkScript(KindP2PKH, 1)))
	mine = append(mine, owned{KindP2PKH, 1})
	tx1, err := w.Spend(funding, outs)
	if err != nil {
		t.Fatal(err)
	}
	block1 := submitAndMine(t, n, c, tx1)

	// Transaction 2: spend every spendable output of transaction 1.
	var coins []Coin
	var total int64
	for vout, o := range mine {
		if o.kind == "" {
			continue
		}
		coin, err := w.CoinFromTx(tx1, uint32(vout), o.kind, o.key)
		if err != nil {
			t.Fatal(err)
		}
		coins = append(coins, coin)
		total += coin.Value
	}
	tx2, err := w.Spend(coins, []*wire.TxOut{
		wire.NewTxOut(total/2, w.PkScript(KindP2TR, 40)),
		wire.NewTxOut(total/2-fee, w.PkScript(KindP2WPKH, 41)),
	})
	if err != nil {
		t.Fatal(err)
	}
	block2 := submitAndMine(t, n, c, tx2)

	// The node decodes every output type of transaction 1.
	raw1 := confirmed(t, c, tx1, block1)
	wantTypes := []string{
		"pubkey", "pubkeyhash", "scripthash", "witness_v0_keyhash", "witness_v0_scripthash",
		"witness_v1_taproot", "multisig", "nulldata", "pubkeyhash",
	}
	if len(raw1.Vout) != len(wantTypes) {
		t.Fatalf("tx %s has %d outputs, want %d", tx1.TxHash(), len(raw1.Vout), len(wantTypes))
	}
	for i, vout := range raw1.Vout {
		if vout.ScriptPubKey.Type != wantTypes[i] {
			t.Errorf("tx %s output %d: type %q, want %q", tx1.TxHash(), i, vout.ScriptPubKey.Type, wantTypes[i])
		}
		if o := mine[i]; o.kind != "" {
			if addr := w.Address(o.kind, o.key); addr != "" && vout.ScriptPubKey.Address != addr {
				t.Errorf("tx %s output %d: address %q, want %q", tx1.TxHash(), i, vout.ScriptPubKey.Address, addr)
			}
		}
	}

	// Transaction 2's inputs carry witnesses exactly for the segwit kinds,
	// and every output of transaction 1 it spent is gone from the UTXO set.
	raw2 := confirmed(t, c, tx2, block2)
	for i, vin := range raw2.Vin {
		coin := coins[i]
		segwit := coin.Kind == KindP2SHP2WPKH || coin.Kind == KindP2WPKH || coin.Kind == KindP2WSH || coin.Kind == KindP2TR
		if (len(vin.Witness) > 0) != segwit {
			t.Errorf("tx %s input %d (%s): witness %v, want segwit %v", tx2.TxHash(), i, coin.Kind, vin.Witness, segwit)
		}
		if vin.Txid != tx1.TxHash().String() || vin.Vout != coin.OutPoint.Index {
			t.Errorf("tx %s input %d spends %s:%d, want %s", tx2.TxHash(), i, vin.Txid, vin.Vout, coin.OutPoint)
		}
		utxo, err := c.GetTxOut(&coin.OutPoint.Hash, coin.OutPoint.Index, true)
		if err != nil {
			t.Fatal(err)
		}
		if utxo != nil {
			t.Errorf("output %s (%s) still unspent after tx %s was mined", coin.OutPoint, coin.Kind, tx2.TxHash())
		}
	}
}

// submitAndMine sends tx to the node, mines one block and checks the block
// holds it. It returns the block's hash.
func submitAndMine(t *testing.T, n *Node, c *rpcclient.Client, tx *wire.MsgTx) *chainhash.Hash {
	t.Helper()
	txid, err := c.SendRawTransaction(tx, false)
	if err != nil {
		t.Fatalf("sendrawtransaction %s: %v", tx.TxHash(), err)
	}
	if want := tx.TxHash(); !txid.IsEqual(&want) {
		t.Fatalf("sendrawtransaction returned %s, want %s", txid, want)
	}
	hash := n.Generate(t, 1)[0]
	block, err := c.GetBlock(hash)
	if err != nil {
		t.Fatal(err)
	}
	for _, btx := range block.Transactions {
		if btx.TxHash() == *txid {
			return hash
		}
	}
	t.Fatalf("block %s does not contain tx %s", hash, txid)
	return nil
}

// confirmed fetches tx with getrawtransaction verbose and checks the node
// reports it in block with at least one confirmation.
func confirmed(t *testing.T, c *rpcclient.Client, tx *wire.MsgTx, block *chainhash.Hash) *btcjson.TxRawResult {
	t.Helper()
	txid := tx.TxHash()
	raw, err := c.GetRawTransactionVerbose(&txid)
	if err != nil {
		t.Fatalf("getrawtransaction %s: %v", txid, err)
	}
	if raw.Confirmations < 1 || raw.BlockHash != block.String() {
		t.Fatalf("tx %s: %d confirmations in block %q, want >= 1 in %s", txid, raw.Confirmations, raw.BlockHash, block)
	}
	return raw
}
