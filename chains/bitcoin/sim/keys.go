package sim

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/btcsuite/btcd/address/v2"
	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/btcsuite/btcd/txscript/v2"
)

// scriptType is the kind of output script a wallet receives coins on.
type scriptType uint8

const (
	// p2pkh is legacy pay-to-pubkey-hash.
	p2pkh scriptType = iota
	// p2shP2wpkh is pay-to-witness-pubkey-hash nested in pay-to-script-hash.
	p2shP2wpkh
	// p2wpkh is native segwit v0 pay-to-witness-pubkey-hash.
	p2wpkh
	// p2tr is taproot (segwit v1), spent by the BIP 86 key path.
	p2tr
)

// String returns the conventional name of t.
func (t scriptType) String() string {
	switch t {
	case p2pkh:
		return "p2pkh"
	case p2shP2wpkh:
		return "p2sh-p2wpkh"
	case p2wpkh:
		return "p2wpkh"
	case p2tr:
		return "p2tr"
	}
	return fmt.Sprintf("scriptType(%d)", uint8(t))
}

// keyMaterial is what the ledger keeps per address: the compressed public key
// for the ECDSA script types, or the 32-byte x-only taproot output key (in the
// first 32 bytes) for p2tr. Private keys are never stored; keyDeriver
// recomputes them from the seed when an input is signed.
type keyMaterial [33]byte

// keyDeriver derives private keys from a secret, an entity number and an
// address index. Derivation does not touch the simulation's PRNG, so keys can
// be derived on any goroutine in any order.
type keyDeriver struct {
	secret [32]byte
}

// newKeyDeriver returns the key deriver for a simulation seed.
func newKeyDeriver(seed uint64) keyDeriver {
	var b [8 + 16]byte
	copy(b[:16], "spoor/sim/keys/1")
	binary.LittleEndian.PutUint64(b[16:], seed)
	return keyDeriver{secret: sha256.Sum256(b[:])}
}

// privKey returns the private key of address index of entity ent.
func (d keyDeriver) privKey(ent int32, index uint32) *btcec.PrivateKey {
	var b [32 + 8 + 1]byte
	copy(b[:32], d.secret[:])
	binary.LittleEndian.PutUint32(b[32:], uint32(ent))
	binary.LittleEndian.PutUint32(b[36:], index)
	// The counter in the last byte retries in the negligible case that
	// the hash is zero or not below the curve order.
	for ; ; b[40]++ {
		h := sha256.Sum256(b[:])
		var k btcec.ModNScalar
		overflow := k.SetBytes(&h)
		if overflow == 0 && !k.IsZero() {
			return btcec.PrivKeyFromScalar(&k)
		}
	}
}

// material computes the key material of a private key for script type t.
func material(t scriptType, priv *btcec.PrivateKey) keyMaterial {
	var m keyMaterial
	pub := priv.PubKey()
	if t == p2tr {
		out := txscript.ComputeTaprootKeyNoScript(pub)
		copy(m[:32], schnorr.SerializePubKey(out))
		return m
	}
	copy(m[:], pub.SerializeCompressed())
	return m
}

// Output script lengths of the supported script types.
const (
	p2pkhScriptLen  = 25
	p2shScriptLen   = 23
	p2wpkhScriptLen = 22
	p2trScriptLen   = 34
	// p2wpkhRedeemLen is the length of the witness program a p2sh-p2wpkh
	// output commits to.
	p2wpkhRedeemLen = 22
	// witnessReservedSize is the length of the BIP 141 witness reserved
	// value in the coinbase witness.
	witnessReservedSize = 32
)

// Script opcodes used to build output scripts.
const (
	op0           = 0x00
	opData20      = 0x14
	opData32      = 0x20
	op1           = 0x51
	opReturn      = 0x6a
	opDup         = 0x76
	opEqual       = 0x87
	opEqualVerify = 0x88
	opHash160     = 0xa9
	opCheckSig    = 0xac
)

// scriptLen returns the length of t's output script.
func (t scriptType) scriptLen() int {
	switch t {
	case p2pkh:
		return p2pkhScriptLen
	case p2shP2wpkh:
		return p2shScriptLen
	case p2wpkh:
		return p2wpkhScriptLen
	default:
		return p2trScriptLen
	}
}

// redeemScript returns the P2WPKH witness program that a p2sh-p2wpkh output
// commits to, for the compressed public key in m.
func redeemScript(m *keyMaterial) []byte {
	s := make([]byte, 0, p2wpkhRedeemLen)
	s = append(s, op0, opData20)
	return append(s, address.Hash160(m[:])...)
}

// appendPkScript appends the output script of an address of type t with key
// material m to dst.
func appendPkScript(dst []byte, t scriptType, m *keyMaterial) []byte {
	switch t {
	case p2pkh:
		dst = append(dst, opDup, opHash160, opData20)
		dst = append(dst, address.Hash160(m[:])...)
		return append(dst, opEqualVerify, opCheckSig)
	case p2shP2wpkh:
		dst = append(dst, opHash160, opData20)
		dst = append(dst, address.Hash160(redeemScript(m))...)
		return append(dst, opEqual)
	case p2wpkh:
		dst = append(dst, op0, opData20)
		return append(dst, address.Hash160(m[:])...)
	default:
		dst = append(dst, op1, opData32)
		return append(dst, m[:32]...)
	}
}

// pkScript returns the output script of an address of type t.
func pkScript(t scriptType, m *keyMaterial) []byte {
	return appendPkScript(make([]byte, 0, t.scriptLen()), t, m)
}

// encodeAddress returns the address string of an address of type t on the
// network params.
func encodeAddress(t scriptType, m *keyMaterial, params *chaincfg.Params) (string, error) {
	var (
		a   address.Address
		err error
	)
	switch t {
	case p2pkh:
		a, err = address.NewAddressPubKeyHash(address.Hash160(m[:]), params)
	case p2shP2wpkh:
		a, err = address.NewAddressScriptHash(redeemScript(m), params)
	case p2wpkh:
		a, err = address.NewAddressWitnessPubKeyHash(address.Hash160(m[:]), params)
	default:
		a, err = address.NewAddressTaproot(m[:32], params)
	}
	if err != nil {
		return "", fmt.Errorf("encode %v address: %w", t, err)
	}
	return a.EncodeAddress(), nil
}
