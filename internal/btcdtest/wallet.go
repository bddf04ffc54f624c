package btcdtest

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"strconv"
	"testing"

	"github.com/btcsuite/btcd/address/v2"
	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/btcsuite/btcd/txscript/v2"
	"github.com/btcsuite/btcd/wire/v2"
)

// DefaultSeed is the seed of the wallet whose key 0 P2PKH address receives
// the block rewards of nodes started without Options.MiningAddr.
const DefaultSeed = "spoor-btcdtest"

// Kind names an output script type the wallet can pay to and spend from.
type Kind string

// The output kinds a Wallet supports. Multisig kinds (KindP2WSH and
// KindMultisig) use keys keyIndex and keyIndex+1 and need one signature.
const (
	// KindP2PK pays to a compressed public key: <pubkey> OP_CHECKSIG.
	KindP2PK Kind = "p2pk"
	// KindP2PKH pays to the hash of a compressed public key.
	KindP2PKH Kind = "p2pkh"
	// KindP2SHP2WPKH is a P2WPKH program wrapped in P2SH (BIP 141).
	KindP2SHP2WPKH Kind = "p2sh-p2wpkh"
	// KindP2WPKH is a native segwit v0 key hash output.
	KindP2WPKH Kind = "p2wpkh"
	// KindP2WSH is a native segwit v0 script hash output whose witness
	// script is a 1-of-2 multisig.
	KindP2WSH Kind = "p2wsh"
	// KindP2TR is a segwit v1 output spent through the key path; the
	// output key commits to no script tree (BIP 86).
	KindP2TR Kind = "p2tr"
	// KindMultisig is a bare 1-of-2 OP_CHECKMULTISIG output.
	KindMultisig Kind = "multisig"
)

// Kinds returns every kind the wallet can pay to and spend, in a fixed
// order.
func Kinds() []Kind {
	return []Kind{KindP2PK, KindP2PKH, KindP2SHP2WPKH, KindP2WPKH, KindP2WSH, KindP2TR, KindMultisig}
}

// Wallet is a deterministic test wallet: key i is derived from the seed
// alone, so the same seed always yields the same keys, scripts and
// addresses. A Wallet holds no mutable state and is safe for concurrent use.
type Wallet struct {
	seed   string
	params *chaincfg.Params
}

// NewWallet returns the wallet for seed whose addresses are encoded for
// params.
func NewWallet(seed string, params *chaincfg.Params) *Wallet {
	return &Wallet{seed: seed, params: params}
}

// Params returns the network the wallet encodes addresses for.
func (w *Wallet) Params() *chaincfg.Params {
	return w.params
}

// Key returns private key i, derived as sha256(seed + "|" + decimal i).
func (w *Wallet) Key(i int) *btcec.PrivateKey {
	sum := sha256.Sum256([]byte(w.seed + "|" + strconv.Itoa(i)))
	key, _ := btcec.PrivKeyFromBytes(sum[:])
	return key
}

// pubKey returns the compressed public key of key i.
func (w *Wallet) pubKey(i int) []byte {
	return w.Key(i).PubKey().SerializeCompressed()
}

// multisigScript returns the 1-of-2 OP_CHECKMULTISIG script over keys i
// and i+1. It is the bare multisig output script and the P2WSH witness
// script.
func (w *Wallet) multisigScript(i int) ([]byte, error) {
	return txscript.NewScriptBuilder().
		AddOp(txscript.OP_1).
		AddData(w.pubKey(i)).
		AddData(w.pubKey(i + 1)).
		AddOp(txscript.OP_2).
		AddOp(txscript.OP_CHECKMULTISIG).
		Script()
}

// witnessKeyHashScript returns the segwit v0 key hash program of key i,
// OP_0 <hash160(pubkey)>, which is both the P2WPKH output script and the
// P2SH-P2WPKH redeem script.
func (w *Wallet) witnessKeyHashScript(i int) ([]byte, error) {
	return txscript.NewScriptBuilder().
		AddOp(txscript.OP_0).
		AddData(address.Hash160(w.pubKey(i))).
		Script()
}

// address returns the address of kind for key i, or nil for the kinds that
// have no address encoding (P2PK and bare multisig).
func (w *Wallet) address(kind Kind, i int) (address.Address, error) {
	switch kind {
	case KindP2PK, KindMultisig:
		return nil, nil
	case KindP2PKH:
		return address.NewAddressPubKeyHash(address.Hash160(w.pubKey(i)), w.params)
	case KindP2SHP2WPKH:
		redeem, err := w.witnessKeyHashScript(i)
		if err != nil {
			return nil, err
		}
		return address.NewAddressScriptHash(redeem, w.params)
	case KindP2WPKH:
		return address.NewAddressWitnessPubKeyHash(address.Hash160(w.pubKey(i)), w.params)
	case KindP2WSH:
		ws, err := w.multisigScript(i)
		if err != nil {
			return nil, err
		}
		h := sha256.Sum256(ws)
		return address.NewAddressWitnessScriptHash(h[:], w.params)
	case KindP2TR:
		outKey := txscript.ComputeTaprootKeyNoScript(w.Key(i).PubKey())
		return address.NewAddressTaproot(schnorr.SerializePubKey(outKey), w.params)
	default:
		return nil, fmt.Errorf("unknown output kind %q", kind)
	}
}

// script returns the output script of kind for key i.
func (w *Wallet) script(kind Kind, i int) ([]byte, error) {
	switch kind {
	case KindP2PK:
		return txscript.NewScriptBuilder().AddData(w.pubKey(i)).AddOp(txscript.OP_CHECKSIG).Script()
	case KindMultisig:
		return w.multisigScript(i)
	}
	addr, err := w.address(kind, i)
	if err != nil {
		return nil, err
	}
	return txscript.PayToAddrScript(addr)
}

// PkScript returns the output script of the given kind for key keyIndex.
// It panics when kind is not one of Kinds(), which is a programming error.
func (w *Wallet) PkScript(kind Kind, keyIndex int) []byte {
	s, err := w.script(kind, keyIndex)
	if err != nil {
		panic(fmt.Sprintf("btcdtest: %s script for key %d: %v", kind, keyIndex, err))
	}
	return s
}

// Address returns the encoded address of the given kind for key keyIndex,
// or "" for P2PK and bare multisig, which have no address. It panics when
// kind is not one of Kinds().
func (w *Wallet) Address(kind Kind, keyIndex int) string {
	addr, err := w.address(kind, keyIndex)
	if err != nil {
		panic(fmt.Sprintf("btcdtest: %s address for key %d: %v", kind, keyIndex, err))
	}
	if addr == nil {
		return ""
	}
	return addr.EncodeAddress()
}

// Coin is a spendable output owned by the wallet.
type Coin struct {
	// OutPoint identifies the output.
	OutPoint wire.OutPoint
	// Value is the output's amount in satoshis.
	Value int64
	// PkScript is the output script; it must equal
	// PkScript(Kind, KeyIndex).
	PkScript []byte
	// Kind is the output's script type.
	Kind Kind
	// KeyIndex is the wallet key (the first of two for multisig kinds)
	// that controls the output.
	KeyIndex int
}

// CoinFromTx returns output vout of tx as a coin of the given kind and key,
// checking that the output really pays to that script.
func (w *Wallet) CoinFromTx(tx *wire.MsgTx, vout uint32, kind Kind, keyIndex int) (Coin, error) {
	txid := tx.TxHash()
	if int(vout) >= len(tx.TxOut) {
		return Coin{}, fmt.Errorf("tx %s has %d outputs, no output %d", txid, len(tx.TxOut), vout)
	}
	want, err := w.script(kind, keyIndex)
	if err != nil {
		return Coin{}, fmt.Errorf("tx %s output %d: %w", txid, vout, err)
	}
	out := tx.TxOut[vout]
	if !bytes.Equal(out.PkScript, want) {
		return Coin{}, fmt.Errorf("tx %s output %d: script %x is not the %s script of key %d", txid, vout, out.PkScript, kind, keyIndex)
	}
	return Coin{
		OutPoint: wire.OutPoint{Hash: txid, Index: vout},
		Value:    out.Value,
		PkScript: out.PkScript,
		Kind:     kind,
		KeyIndex: keyIndex,
	}, nil
}

// NullDataOutput returns a zero-value OP_RETURN output carrying data, which
// may be at most 80 bytes to stay standard.
func NullDataOutput(data []byte) (*wire.TxOut, error) {
	s, err := txscript.NullDataScript(data)
	if err != nil {
		return nil, fmt.Errorf("op_return with %d bytes of data: %w", len(data), err)
	}
	return wire.NewTxOut(0, s), nil
}

// Spend builds a version 2 transaction that spends coins, in order, to outs
// and signs every input (SIGHASH_ALL, or SIGHASH_DEFAULT for taproot). The
// fee is whatever the inputs hold beyond the outputs. Every input is checked
// with the script engine under standard verification flags before the
// transaction is returned.
func (w *Wallet) Spend(coins []Coin, outs []*wire.TxOut) (*wire.MsgTx, error) {
	if len(coins) == 0 {
		return nil, errors.New("spend: no coins")
	}
	tx := wire.NewMsgTx(2)
	fetcher := txscript.NewMultiPrevOutFetcher(nil)
	seen := make(map[wire.OutPoint]bool, len(coins))
	var in, out int64
	for i, c := range coins {
		want, err := w.script(c.Kind, c.KeyIndex)
		if err != nil {
			return nil, fmt.Errorf("spend coin %d (%s): %w", i, c.OutPoint, err)
		}
		if !bytes.Equal(c.PkScript, want) {
			return nil, fmt.Errorf("spend coin %d (%s): script %x is not the %s script of key %d", i, c.OutPoint, c.PkScript, c.Kind, c.KeyIndex)
		}
		if seen[c.OutPoint] {
			return nil, fmt.Errorf("spend coin %d: outpoint %s listed twice", i, c.OutPoint)
		}
		seen[c.OutPoint] = true
		in += c.Value
		op := c.OutPoint
		tx.AddTxIn(wire.NewTxIn(&op, nil, nil))
		fetcher.AddPrevOut(op, wire.NewTxOut(c.Value, c.PkScript))
	}
	for _, o := range outs {
		out += o.Value
		tx.AddTxOut(o)
	}
	if out > in {
		return nil, fmt.Errorf("spend: outputs total %d sat, more than the %d sat of %d coins", out, in, len(coins))
	}
	sigHashes := txscript.NewTxSigHashes(tx, fetcher)
	for i, c := range coins {
		if err := w.signInput(tx, i, c, sigHashes); err != nil {
			return nil, fmt.Errorf("sign input %d (%s, %s key %d): %w", i, c.OutPoint, c.Kind, c.KeyIndex, err)
		}
	}
	if err := VerifyTx(tx, coins); err != nil {
		return nil, err
	}
	return tx, nil
}

// signInput fills in the signature script and witness of input i, which
// spends coin c.
func (w *Wallet) signInput(tx *wire.MsgTx, i int, c Coin, sigHashes *txscript.TxSigHashes) error {
	key := w.Key(c.KeyIndex)
	txIn := tx.TxIn[i]
	var err error
	switch c.Kind {
	case KindP2PK:
		var sig []byte
		sig, err = txscript.RawTxInSignature(tx, i, c.PkScript, txscript.SigHashAll, key)
		if err != nil {
			return err
		}
		txIn.SignatureScript, err = txscript.NewScriptBuilder().AddData(sig).Script()
	case KindP2PKH:
		txIn.SignatureScript, err = txscript.SignatureScript(tx, i, c.PkScript, txscript.SigHashAll, key, true)
	case KindP2SHP2WPKH:
		var redeem []byte
		redeem, err = w.witnessKeyHashScript(c.KeyIndex)
		if err != nil {
			return err
		}
		txIn.Witness, err = txscript.WitnessSignature(tx, sigHashes, i, c.Value, redeem, txscript.SigHashAll, key, true)
		if err != nil {
			return err
		}
		txIn.SignatureScript, err = txscript.NewScriptBuilder().AddData(redeem).Script()
	case KindP2WPKH:
		txIn.Witness, err = txscript.WitnessSignature(tx, sigHashes, i, c.Value, c.PkScript, txscript.SigHashAll, key, true)
	case KindP2WSH:
		var ws, sig []byte
		ws, err = w.multisigScript(c.KeyIndex)
		if err != nil {
			return err
		}
		sig, err = txscript.RawTxInWitnessSignature(tx, sigHashes, i, c.Value, ws, txscript.SigHashAll, key)
		// The empty first item feeds OP_CHECKMULTISIG's extra pop.
		txIn.Witness = wire.TxWitness{{}, sig, ws}
	case KindP2TR:
		txIn.Witness, err = txscript.TaprootWitnessSignature(tx, sigHashes, i, c.Value, c.PkScript, txscript.SigHashDefault, key)
	case KindMultisig:
		var sig []byte
		sig, err = txscript.RawTxInSignature(tx, i, c.PkScript, txscript.SigHashAll, key)
		if err != nil {
			return err
		}
		txIn.SignatureScript, err = txscript.NewScriptBuilder().AddOp(txscript.OP_0).AddData(sig).Script()
	default:
		err = fmt.Errorf("unknown output kind %q", c.Kind)
	}
	return err
}

// VerifyTx runs the script engine, with standard verification flags, on
// every input of tx, where input i spends coins[i].
func VerifyTx(tx *wire.MsgTx, coins []Coin) error {
	txid := tx.TxHash()
	if len(coins) != len(tx.TxIn) {
		return fmt.Errorf("verify tx %s: %d inputs but %d coins", txid, len(tx.TxIn), len(coins))
	}
	fetcher := txscript.NewMultiPrevOutFetcher(nil)
	for i, c := range coins {
		if tx.TxIn[i].PreviousOutPoint != c.OutPoint {
			return fmt.Errorf("verify tx %s input %d: spends %s, coin is %s", txid, i, tx.TxIn[i].PreviousOutPoint, c.OutPoint)
		}
		fetcher.AddPrevOut(c.OutPoint, wire.NewTxOut(c.Value, c.PkScript))
	}
	sigHashes := txscript.NewTxSigHashes(tx, fetcher)
	for i, c := range coins {
		vm, err := txscript.NewEngine(c.PkScript, tx, i, txscript.StandardVerifyFlags, nil, sigHashes, c.Value, fetcher)
		if err != nil {
			return fmt.Errorf("verify tx %s input %d (%s): %w", txid, i, c.OutPoint, err)
		}
		if err := vm.Execute(); err != nil {
			return fmt.Errorf("verify tx %s input %d (%s): %w", txid, i, c.OutPoint, err)
		}
	}
	return nil
}

// MatureCoinbase returns count unspent coinbase outputs that pay to w's key
// 0 P2PKH script and may be spent in the node's next block, oldest first.
// Outputs already spent in the mempool are skipped. It fails the test when
// there are fewer than count.
func (n *Node) MatureCoinbase(t testing.TB, w *Wallet, count int) []Coin {
	t.Helper()
	script := w.PkScript(KindP2PKH, 0)
	_, tip, err := n.rpc.GetBestBlock()
	if err != nil {
		t.Fatalf("getbestblock on %s: %v", n.RPCAddr, err)
	}
	// A coinbase from height h may be spent in a block at height
	// h+CoinbaseMaturity or later; the next block is tip+1.
	last := int64(tip) + 1 - int64(w.params.CoinbaseMaturity)
	var coins []Coin
	for h := int64(1); h <= last && len(coins) < count; h++ {
		hash, err := n.rpc.GetBlockHash(h)
		if err != nil {
			t.Fatalf("getblockhash %d on %s: %v", h, n.RPCAddr, err)
		}
		block, err := n.rpc.GetBlock(hash)
		if err != nil {
			t.Fatalf("getblock %s (height %d) on %s: %v", hash, h, n.RPCAddr, err)
		}
		coinbase := block.Transactions[0]
		txid := coinbase.TxHash()
		for vout, out := range coinbase.TxOut {
			if !bytes.Equal(out.PkScript, script) || len(coins) == count {
				continue
			}
			utxo, err := n.rpc.GetTxOut(&txid, uint32(vout), true)
			if err != nil {
				t.Fatalf("gettxout %s:%d on %s: %v", txid, vout, n.RPCAddr, err)
			}
			if utxo == nil {
				continue // already spent
			}
			coins = append(coins, Coin{
				OutPoint: wire.OutPoint{Hash: txid, Index: uint32(vout)},
				Value:    out.Value,
				PkScript: out.PkScript,
				Kind:     KindP2PKH,
				KeyIndex: 0,
			})
		}
	}
	if len(coins) < count {
		t.Fatalf("node %s at height %d: %d mature unspent coinbase outputs pay %s, want %d",
			n.RPCAddr, tip, len(coins), w.Address(KindP2PKH, 0), count)
	}
	return coins
}
