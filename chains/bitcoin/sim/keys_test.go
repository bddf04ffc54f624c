package sim

import (
	"bytes"
	"testing"

	"github.com/btcsuite/btcd/address/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/btcsuite/btcd/txscript/v2"
)

// TestPkScriptMatchesAddress checks the hand-built output scripts against
// txscript's scripts for the encoded addresses, and the address prefixes
// against regtest's.
func TestPkScriptMatchesAddress(t *testing.T) {
	params := &chaincfg.RegressionNetParams
	d := newKeyDeriver(42)
	tests := []struct {
		name   string
		t      scriptType
		prefix string
		class  txscript.ScriptClass
	}{
		{"p2pkh", p2pkh, "", txscript.PubKeyHashTy},
		{"p2sh-p2wpkh", p2shP2wpkh, "2", txscript.ScriptHashTy},
		{"p2wpkh", p2wpkh, "bcrt1q", txscript.WitnessV0PubKeyHashTy},
		{"p2tr", p2tr, "bcrt1p", txscript.WitnessV1TaprootTy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i := range uint32(20) {
				priv := d.privKey(3, i)
				m := material(tt.t, priv)
				got := pkScript(tt.t, &m)
				if len(got) != tt.t.scriptLen() {
					t.Fatalf("script length %d, want %d", len(got), tt.t.scriptLen())
				}
				if c := txscript.GetScriptClass(got); c != tt.class {
					t.Fatalf("script class %v, want %v", c, tt.class)
				}
				s, err := encodeAddress(tt.t, &m, params)
				if err != nil {
					t.Fatal(err)
				}
				if tt.prefix != "" && !bytes.HasPrefix([]byte(s), []byte(tt.prefix)) {
					t.Errorf("address %s lacks prefix %s", s, tt.prefix)
				}
				if tt.t == p2pkh && s[0] != 'm' && s[0] != 'n' {
					t.Errorf("p2pkh address %s does not start with m or n", s)
				}
				a, err := address.DecodeAddress(s, params)
				if err != nil {
					t.Fatalf("decode %s: %v", s, err)
				}
				want, err := txscript.PayToAddrScript(a)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("address %s: script %x, txscript says %x", s, got, want)
				}
				if tt.t == p2tr {
					out := txscript.ComputeTaprootKeyNoScript(priv.PubKey())
					if !bytes.Equal(m[:32], schnorr.SerializePubKey(out)) {
						t.Fatal("taproot key material is not the BIP 86 output key")
					}
				}
			}
		})
	}
}

func TestKeyDeriver(t *testing.T) {
	a, b := newKeyDeriver(1), newKeyDeriver(2)
	tests := []struct {
		name string
		x, y func() []byte
		same bool
	}{
		{"same input", func() []byte { return a.privKey(5, 9).Serialize() },
			func() []byte { return newKeyDeriver(1).privKey(5, 9).Serialize() }, true},
		{"other index", func() []byte { return a.privKey(5, 9).Serialize() },
			func() []byte { return a.privKey(5, 10).Serialize() }, false},
		{"other entity", func() []byte { return a.privKey(5, 9).Serialize() },
			func() []byte { return a.privKey(6, 9).Serialize() }, false},
		{"other seed", func() []byte { return a.privKey(5, 9).Serialize() },
			func() []byte { return b.privKey(5, 9).Serialize() }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := bytes.Equal(tt.x(), tt.y()); got != tt.same {
				t.Errorf("keys equal: %v, want %v", got, tt.same)
			}
		})
	}
}

func TestScriptTypeString(t *testing.T) {
	tests := []struct {
		t    scriptType
		want string
	}{
		{p2pkh, "p2pkh"},
		{p2shP2wpkh, "p2sh-p2wpkh"},
		{p2wpkh, "p2wpkh"},
		{p2tr, "p2tr"},
		{scriptType(9), "scriptType(9)"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.t.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}
