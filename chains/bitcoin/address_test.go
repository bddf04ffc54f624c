package bitcoin

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/address/v2"
)

// mustNetwork looks up a network of a test table.
func mustNetwork(t testing.TB, name string) Network {
	t.Helper()
	n, err := LookupNetwork(name)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// addressCases are published addresses with the output scripts they stand
// for: the BIP-173 and BIP-350 test vectors, the genesis and block 9
// addresses, the P2SH example address of the Bitcoin wiki, and vectors of
// btcd's own address tests.
func addressCases() []struct {
	name    string
	net     string
	script  string // hex
	address string
	encoded string // what EncodeAddress renders, if not address itself
} {
	return []struct {
		name    string
		net     string
		script  string
		address string
		encoded string
	}{
		{name: "p2pkh block 9", net: "mainnet", script: "76a914" + "11b366edfc0a8b66feebae5c2e25a7b6a5d1cf31" + "88ac", address: "12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S"},
		{name: "p2pkh genesis", net: "mainnet", script: "76a91462e907b15cbf27d5425399ebf6f0fb50ebb88f1888ac", address: "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"},
		{name: "p2pkh testnet", net: "testnet3", script: "76a91478b316a08647d5b77283e512d3603f1f1c8de68f88ac", address: "mrX9vMRYLfVy1BnZbc5gZjuyaqH3ZW2ZHz"},
		{name: "p2pkh regtest shares testnet prefix", net: "regtest", script: "76a91478b316a08647d5b77283e512d3603f1f1c8de68f88ac", address: "mrX9vMRYLfVy1BnZbc5gZjuyaqH3ZW2ZHz"},
		{name: "p2sh wiki example", net: "mainnet", script: "a914b472a266d0bd89c13706a4132ccfb16f7c3b9fcb87", address: "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"},
		{name: "p2wpkh bip173 upper case", net: "mainnet", script: "0014751e76e8199196d454941c45d1b3a323f1433bd6", address: "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", encoded: "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"},
		{name: "p2wpkh bip173 testnet", net: "testnet3", script: "0014751e76e8199196d454941c45d1b3a323f1433bd6", address: "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx"},
		{name: "p2wpkh signet", net: "signet", script: "0014751e76e8199196d454941c45d1b3a323f1433bd6", address: "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx"},
		{name: "p2wpkh testnet4", net: "testnet4", script: "0014751e76e8199196d454941c45d1b3a323f1433bd6", address: "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx"},
		{name: "p2wsh bip173 mainnet", net: "mainnet", script: "00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262", address: "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3"},
		{name: "p2wsh bip173 testnet", net: "testnet3", script: "00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262", address: "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7"},
		{name: "p2wsh bip173 leading zeros", net: "testnet3", script: "0020000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433", address: "tb1qqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesrxh6hy"},
		{name: "p2tr bip350 mainnet", net: "mainnet", script: "512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", address: "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"},
		{name: "p2tr bip350 testnet", net: "testnet3", script: "5120000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433", address: "tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c"},
		{name: "witness v1 40 bytes bip350", net: "mainnet", script: "5128751e76e8199196d454941c45d1b3a323f1433bd6751e76e8199196d454941c45d1b3a323f1433bd6", address: "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y"},
		{name: "witness v16 bip350 upper case", net: "mainnet", script: "6002751e", address: "BC1SW50QGDZ25J", encoded: "bc1sw50qgdz25j"},
		{name: "witness v2 bip350", net: "mainnet", script: "5210751e76e8199196d454941c45d1b3a323", address: "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs"},
		{name: "p2pk block 9", net: "mainnet", script: "41" + block9PubKey + "ac", address: block9PubKey},
		{name: "p2pk upper-case hex", net: "testnet4", script: "41" + block9PubKey + "ac", address: strings.ToUpper(block9PubKey), encoded: block9PubKey},
		{name: "p2pk compressed", net: "simnet", script: "21" + keyGCompressed + "ac", address: keyGCompressed},
		{name: "multisig 1-of-2", net: "mainnet", script: "51" + "21" + keyGCompressed + "21" + key2GCompressed + "52ae", address: "multisig:1-of-2:51" + "21" + keyGCompressed + "21" + key2GCompressed + "52ae"},
		{name: "multisig 0-of-0", net: "regtest", script: "0000ae", address: "multisig:0-of-0:0000ae"},
	}
}

func TestAddressKnownVectors(t *testing.T) {
	for _, tc := range addressCases() {
		t.Run(tc.name, func(t *testing.T) {
			net := mustNetwork(t, tc.net)
			class, payload := ClassifyScript(mustHex(t, tc.script))
			if !class.HasAddress() {
				t.Fatalf("script %s is %v", tc.script, class)
			}
			want := tc.encoded
			if want == "" {
				want = tc.address
			}
			got, err := EncodeAddress(net, class, payload)
			if err != nil || got != want {
				t.Fatalf("EncodeAddress(%s, %v, %x) = %q, %v; want %q", tc.net, class, payload, got, err, want)
			}
			gotClass, gotPayload, err := ParseAddress(net, tc.address)
			if err != nil {
				t.Fatalf("ParseAddress(%s, %q): %v", tc.net, tc.address, err)
			}
			if gotClass != class || !bytes.Equal(gotPayload, payload) {
				t.Fatalf("ParseAddress(%s, %q) = %v %x, want %v %x", tc.net, tc.address, gotClass, gotPayload, class, payload)
			}
		})
	}
}

// btcdAddress renders the same output with address/v2's own types, for the
// classes it knows, as an independent check of EncodeAddress.
func btcdAddress(t *testing.T, net Network, class ScriptClass, payload []byte) (string, bool) {
	t.Helper()
	var a interface{ EncodeAddress() string }
	var err error
	switch class {
	case ClassP2PKH:
		a, err = address.NewAddressPubKeyHash(payload, net.Params)
	case ClassP2SH:
		a, err = address.NewAddressScriptHashFromHash(payload, net.Params)
	case ClassP2WPKH:
		a, err = address.NewAddressWitnessPubKeyHash(payload, net.Params)
	case ClassP2WSH:
		a, err = address.NewAddressWitnessScriptHash(payload, net.Params)
	case ClassP2TR:
		a, err = address.NewAddressTaproot(payload, net.Params)
	default:
		return "", false
	}
	if err != nil {
		t.Fatalf("address/v2 rejects %v %x: %v", class, payload, err)
	}
	return a.EncodeAddress(), true
}

func TestAddressRoundTripEveryClassEveryNetwork(t *testing.T) {
	// One script of every class that has an address, and the prefix its
	// address has on each network.
	samples := map[ScriptClass]string{}
	for _, tc := range scriptCases() {
		if tc.class.HasAddress() {
			if _, ok := samples[tc.class]; !ok {
				samples[tc.class] = tc.script
			}
		}
	}
	prefixes := map[string]map[ScriptClass]string{
		"mainnet":  {ClassP2PKH: "1", ClassP2SH: "3", ClassP2WPKH: "bc1q", ClassP2WSH: "bc1q", ClassP2TR: "bc1p"},
		"testnet3": {ClassP2PKH: "m", ClassP2SH: "2", ClassP2WPKH: "tb1q", ClassP2WSH: "tb1q", ClassP2TR: "tb1p"},
		"testnet4": {ClassP2PKH: "m", ClassP2SH: "2", ClassP2WPKH: "tb1q", ClassP2WSH: "tb1q", ClassP2TR: "tb1p"},
		"signet":   {ClassP2PKH: "m", ClassP2SH: "2", ClassP2WPKH: "tb1q", ClassP2WSH: "tb1q", ClassP2TR: "tb1p"},
		"regtest":  {ClassP2PKH: "m", ClassP2SH: "2", ClassP2WPKH: "bcrt1q", ClassP2WSH: "bcrt1q", ClassP2TR: "bcrt1p"},
		"simnet":   {ClassP2PKH: "S", ClassP2SH: "r", ClassP2WPKH: "sb1q", ClassP2WSH: "sb1q", ClassP2TR: "sb1p"},
	}
	if len(prefixes) != len(NetworkNames()) {
		t.Fatalf("test covers %d networks, package has %d", len(prefixes), len(NetworkNames()))
	}
	for c := ScriptClass(0); c < numScriptClasses; c++ {
		if _, ok := samples[c]; c.HasAddress() != ok {
			t.Fatalf("no sample script for %v", c)
		}
	}
	for _, name := range NetworkNames() {
		net := mustNetwork(t, name)
		for class, script := range samples {
			t.Run(name+"/"+class.String(), func(t *testing.T) {
				c, payload := ClassifyScript(mustHex(t, script))
				if c != class {
					t.Fatalf("sample %s is %v", script, c)
				}
				s, err := EncodeAddress(net, class, payload)
				if err != nil {
					t.Fatal(err)
				}
				if want, ok := btcdAddress(t, net, class, payload); ok && s != want {
					t.Fatalf("EncodeAddress = %q, address/v2 renders %q", s, want)
				}
				if p, ok := prefixes[name][class]; ok && !strings.HasPrefix(s, p) {
					t.Fatalf("EncodeAddress = %q, want prefix %q", s, p)
				}
				gotClass, gotPayload, err := ParseAddress(net, s)
				if err != nil || gotClass != class || !bytes.Equal(gotPayload, payload) {
					t.Fatalf("ParseAddress(%q) = %v %x %v, want %v %x", s, gotClass, gotPayload, err, class, payload)
				}
			})
		}
		for _, class := range []ScriptClass{ClassNonStandard, ClassNullData, ClassP2A} {
			if s, err := EncodeAddress(net, class, nil); !errors.Is(err, ErrNoAddress) {
				t.Errorf("EncodeAddress(%s, %v) = %q, %v; want ErrNoAddress", name, class, s, err)
			}
		}
	}
}

func TestEncodeAddressRejectsBadPayloads(t *testing.T) {
	tests := []struct {
		name    string
		class   ScriptClass
		payload string
	}{
		{name: "p2pkh 19 bytes", class: ClassP2PKH, payload: strings.Repeat("00", 19)},
		{name: "p2sh 21 bytes", class: ClassP2SH, payload: strings.Repeat("00", 21)},
		{name: "p2wpkh 32 bytes", class: ClassP2WPKH, payload: strings.Repeat("00", 32)},
		{name: "p2wsh 20 bytes", class: ClassP2WSH, payload: strings.Repeat("00", 20)},
		{name: "p2tr 33 bytes", class: ClassP2TR, payload: strings.Repeat("00", 33)},
		{name: "p2pk bad prefix", class: ClassP2PK, payload: "05" + keyGCompressed[2:]},
		{name: "p2pk empty", class: ClassP2PK},
		{name: "multisig not a script", class: ClassMultisig, payload: "51ae"},
		{name: "witness unknown program only", class: ClassWitnessUnknown, payload: "751e"},
		{name: "witness unknown is p2tr", class: ClassWitnessUnknown, payload: "512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"},
		{name: "undefined class", class: ScriptClass(99), payload: "00"},
	}
	net := mustNetwork(t, "mainnet")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if s, err := EncodeAddress(net, tt.class, mustHex(t, tt.payload)); err == nil {
				t.Fatalf("EncodeAddress(%v, %s) = %q, want error", tt.class, tt.payload, s)
			}
		})
	}
	if s, err := EncodeAddress(Network{Name: "empty"}, ClassP2PKH, make([]byte, 20)); err == nil {
		t.Fatalf("EncodeAddress on a network without parameters = %q", s)
	}
}

func TestParseAddressRejects(t *testing.T) {
	testnets := []string{"signet", "testnet3", "testnet4"}
	base58Testnets := []string{"regtest", "signet", "testnet3", "testnet4"}
	tests := []struct {
		name      string
		net       string
		in        string
		networks  []string // want a *WrongNetworkError naming these
		noAddress bool     // want ErrNoAddress
		msg       string   // the error text must contain this
	}{
		{name: "testnet bech32 on mainnet", net: "mainnet", in: "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx", networks: testnets,
			msg: "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx: a signet/testnet3/testnet4 address, not mainnet"},
		{name: "mainnet bech32 on testnet", net: "testnet3", in: "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", networks: []string{"mainnet"}, msg: "a mainnet address, not testnet3"},
		{name: "mainnet bech32m on signet", net: "signet", in: "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0", networks: []string{"mainnet"}},
		{name: "regtest bech32 on testnet4", net: "testnet4", in: "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080", networks: []string{"regtest"}, msg: "a regtest address, not testnet4"},
		{name: "simnet bech32 on mainnet", net: "mainnet", in: "sb1qw508d6qejxtdg4y5r3zarvary0c5xw7krxe8se", networks: []string{"simnet"}},
		{name: "testnet bech32 on regtest", net: "regtest", in: "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx", networks: testnets},
		{name: "mainnet p2pkh on regtest", net: "regtest", in: "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", networks: []string{"mainnet"}},
		{name: "mainnet p2sh on testnet4", net: "testnet4", in: "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", networks: []string{"mainnet"}},
		{name: "testnet p2pkh on mainnet", net: "mainnet", in: "mrX9vMRYLfVy1BnZbc5gZjuyaqH3ZW2ZHz", networks: base58Testnets,
			msg: "mrX9vMRYLfVy1BnZbc5gZjuyaqH3ZW2ZHz: a regtest/signet/testnet3/testnet4 address, not mainnet"},
		{name: "testnet p2sh on simnet", net: "simnet", in: "2N3vVYSK5XRgVSGWy21PnsRmBUywSQNdCsf", networks: base58Testnets},
		{name: "simnet p2pkh on mainnet", net: "mainnet", in: "SXyGazfm6S3xfcySmD6QNkZYmtfysC2jvc", networks: []string{"simnet"}},
		{name: "pay-to-anchor", net: "mainnet", in: "bc1pfeessrawgf", noAddress: true, msg: "pay-to-anchor"},
		{name: "empty", net: "mainnet", in: "", msg: "empty"},
		{name: "base58 bad checksum", net: "mainnet", in: "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", msg: "checksum"},
		{name: "base58 truncated", net: "mainnet", in: "1A1zP1eP5QGefi2DMPTfTL5SLmv7Divf", msg: "1A1zP1eP5QGefi2DMPTfTL5SLmv7Divf"},
		{name: "base58 one character", net: "mainnet", in: "1"},
		{name: "bech32 bad checksum", net: "mainnet", in: "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", msg: "checksum"},
		{name: "bech32 truncated", net: "mainnet", in: "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t", msg: "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t"},
		{name: "bech32 separator only", net: "mainnet", in: "bc1"},
		{name: "bech32 too long", net: "mainnet", in: "bc1" + strings.Repeat("q", 100)},
		{name: "bip350 v1 with bech32 checksum", net: "mainnet", in: "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd", msg: "bech32m"},
		{name: "bip350 v2 with bech32 checksum", net: "testnet3", in: "tb1z0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqglt7rf"},
		{name: "bip350 v16 with bech32 checksum", net: "mainnet", in: "BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL"},
		{name: "bip350 v0 with bech32m checksum", net: "mainnet", in: "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh"},
		{name: "bip350 v0 with bech32m checksum testnet", net: "testnet3", in: "tb1q0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq24jc47"},
		{name: "bip350 invalid character", net: "mainnet", in: "bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4"},
		{name: "bip350 version 17", net: "mainnet", in: "BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R"},
		{name: "bip350 program of 1 byte", net: "mainnet", in: "bc1pw5dgrnzv"},
		{name: "bip350 program of 41 bytes", net: "mainnet", in: "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253zgeav"},
		{name: "bip350 v0 program of 16 bytes", net: "mainnet", in: "BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P"},
		{name: "bip350 mixed case", net: "testnet3", in: "tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq47Zagq"},
		{name: "bip350 padding over 4 bits", net: "mainnet", in: "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf"},
		{name: "bip350 non-zero padding", net: "testnet3", in: "tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vpggkg4j"},
		{name: "bip350 empty data", net: "mainnet", in: "bc1gmk9yu"},
		{name: "bech32 of another coin", net: "mainnet", in: "a12uel5l", msg: "no witness version"},
		{name: "litecoin base58", net: "mainnet", in: "LM2WMpR1Rp6j3Sa59cMXMs1SPzj9eXpGc1", msg: "version byte 0x30"},
		{name: "pubkey bad prefix", net: "mainnet", in: "05" + keyGCompressed[2:], msg: "not a serialized public key"},
		{name: "pubkey truncated", net: "mainnet", in: block9PubKey[:128]},
		{name: "pubkey not hex", net: "mainnet", in: "0g" + block9PubKey[2:]},
		{name: "multisig no script", net: "mainnet", in: "multisig:"},
		{name: "multisig bad hex", net: "mainnet", in: "multisig:1-of-1:zz"},
		{name: "multisig wrong counts", net: "mainnet", in: "multisig:2-of-2:51" + "21" + keyGCompressed + "21" + key2GCompressed + "52ae", msg: "not 2-of-2"},
		{name: "multisig padded count", net: "mainnet", in: "multisig:01-of-2:51" + "21" + keyGCompressed + "21" + key2GCompressed + "52ae"},
		{name: "multisig not multisig", net: "mainnet", in: "multisig:1-of-1:76a91462e907b15cbf27d5425399ebf6f0fb50ebb88f1888ac"},
		{name: "leading space", net: "mainnet", in: " 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"},
		{name: "trailing newline", net: "mainnet", in: "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4\n"},
		{name: "garbage", net: "mainnet", in: "hello, world", msg: `"hello, world"`},
		{name: "hex prefix", net: "mainnet", in: "0x" + keyGCompressed},
		{name: "long garbage is shortened", net: "mainnet", in: strings.Repeat("z", 10000), msg: strings.Repeat("z", maxQuotedInput) + "..."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			net := mustNetwork(t, tt.net)
			class, payload, err := ParseAddress(net, tt.in)
			if err == nil {
				t.Fatalf("ParseAddress(%s, %q) = %v %x, want error", tt.net, tt.in, class, payload)
			}
			if class != ClassNonStandard || payload != nil {
				t.Fatalf("ParseAddress(%s, %q) failed but returned %v %x", tt.net, tt.in, class, payload)
			}
			var wrong *WrongNetworkError
			switch {
			case tt.networks != nil:
				if !errors.As(err, &wrong) {
					t.Fatalf("ParseAddress(%s, %q) = %v, want a WrongNetworkError", tt.net, tt.in, err)
				}
				if !reflect.DeepEqual(wrong.Networks, tt.networks) || wrong.Want != tt.net {
					t.Fatalf("error %v names %v (want %s), expected %v", err, wrong.Networks, wrong.Want, tt.networks)
				}
				// The address must really be valid on the networks named.
				for _, other := range wrong.Networks {
					if _, _, err := ParseAddress(mustNetwork(t, other), tt.in); err != nil {
						t.Fatalf("error names %s, but parsing for %s fails: %v", other, other, err)
					}
				}
			case tt.noAddress:
				if !errors.Is(err, ErrNoAddress) {
					t.Fatalf("ParseAddress(%q) = %v, want ErrNoAddress", tt.in, err)
				}
			default:
				if !errors.Is(err, ErrInvalidAddress) {
					t.Fatalf("ParseAddress(%q) = %v, want ErrInvalidAddress", tt.in, err)
				}
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("error %q does not mention %q", err, tt.msg)
			}
			if len(err.Error()) > 400 {
				t.Fatalf("error message is %d bytes long", len(err.Error()))
			}
		})
	}
	if _, _, err := ParseAddress(Network{Name: "empty"}, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"); err == nil {
		t.Fatal("ParseAddress on a network without parameters succeeded")
	}
}

func FuzzParseAddress(f *testing.F) {
	for _, tc := range addressCases() {
		f.Add(tc.address)
	}
	for _, s := range []string{
		"", "bc1pfeessrawgf", "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx", "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080",
		"sb1qw508d6qejxtdg4y5r3zarvary0c5xw7krxe8se", "2N3vVYSK5XRgVSGWy21PnsRmBUywSQNdCsf", "SXyGazfm6S3xfcySmD6QNkZYmtfysC2jvc",
		"bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd", "bc1gmk9yu", "a12uel5l", "multisig:0-of-0:0000ae",
		"LM2WMpR1Rp6j3Sa59cMXMs1SPzj9eXpGc1", "multisig:1-of-1:51" + "41" + keyGUncompressed + "51ae",
	} {
		f.Add(s)
	}
	nets := make([]Network, 0, len(NetworkNames()))
	for _, name := range NetworkNames() {
		nets = append(nets, mustNetwork(f, name))
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, net := range nets {
			class, payload, err := ParseAddress(net, s)
			var wrong *WrongNetworkError
			if errors.As(err, &wrong) {
				if len(wrong.Networks) == 0 || wrong.Want != net.Name {
					t.Fatalf("ParseAddress(%s, %q): bad error %v", net.Name, s, err)
				}
				for _, other := range wrong.Networks {
					if other == net.Name {
						t.Fatalf("ParseAddress(%s, %q): error names the network asked for: %v", net.Name, s, err)
					}
					if _, _, err := ParseAddress(mustNetwork(t, other), s); err != nil {
						t.Fatalf("ParseAddress(%s, %q) says it is a %s address, but that fails: %v", net.Name, s, other, err)
					}
				}
			}
			if err != nil {
				if class != ClassNonStandard || payload != nil {
					t.Fatalf("ParseAddress(%s, %q) failed (%v) but returned %v %x", net.Name, s, err, class, payload)
				}
				continue
			}
			if !class.HasAddress() {
				t.Fatalf("ParseAddress(%s, %q) = %v, a class without address", net.Name, s, class)
			}
			again, err := EncodeAddress(net, class, payload)
			if err != nil {
				t.Fatalf("ParseAddress(%s, %q) = %v %x, which does not encode: %v", net.Name, s, class, payload, err)
			}
			if again != s && again != strings.ToLower(s) {
				t.Fatalf("ParseAddress(%s, %q) = %v %x, which encodes as %q", net.Name, s, class, payload, again)
			}
			class2, payload2, err := ParseAddress(net, again)
			if err != nil || class2 != class || !bytes.Equal(payload2, payload) {
				t.Fatalf("re-parsing %q gives %v %x %v, want %v %x", again, class2, payload2, err, class, payload)
			}
		}
	})
}
