package labels

import (
	"errors"
	"strings"
	"testing"
)

// The mixed-case vectors of EIP-55.
var eip55Vectors = []string{
	"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
	"0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
	"0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
	"0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
}

func TestEIP55(t *testing.T) {
	for _, v := range eip55Vectors {
		a, err := ParseEthereumAddress(strings.ToLower(v))
		if err != nil {
			t.Fatal(err)
		}
		if got := EIP55(a); got != v {
			t.Errorf("EIP55(%s) = %s", strings.ToLower(v), got)
		}
		if _, err := ParseEthereumAddress(v); err != nil {
			t.Errorf("checksummed %s rejected: %v", v, err)
		}
		// Flipping the case of one letter breaks the checksum.
		i := strings.IndexAny(v[2:], "abcdefABCDEF") + 2
		flipped := v[:i] + string(v[i]^0x20) + v[i+1:]
		if _, err := ParseEthereumAddress(flipped); err == nil || !strings.Contains(err.Error(), "bad EIP-55 checksum") {
			t.Errorf("%s with one letter's case flipped: %v", flipped, err)
		}
	}
}

func TestParseAddress(t *testing.T) {
	tests := []struct {
		name, chain, network, addr string
		class                      uint8
		payloadLen                 int
		err                        string
	}{
		{"p2pkh", "bitcoin", "mainnet", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", 2, 20, ""},
		{"regtest bech32", "bitcoin", "regtest", "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080", 4, 20, ""},
		{"mainnet into regtest", "bitcoin", "regtest", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", 0, 0,
			"address bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4 is a mainnet address, not regtest"},
		{"ethereum upper", "ethereum", "mainnet", "0x52908400098527886E0F7030069857D2E4169EE7", EthereumAddrClass, 20, ""},
		{"ethereum no 0x", "ethereum", "mainnet", "52908400098527886E0F7030069857D2E4169EE7", 0, 0,
			`ethereum address "52908400098527886E0F7030069857D2E4169EE7" is not 0x and 40 hex digits`},
		{"ethereum not hex", "ethereum", "mainnet", "0x52908400098527886E0F7030069857D2E4169EEG", 0, 0,
			`ethereum address "0x52908400098527886E0F7030069857D2E4169EEG" is not 0x and 40 hex digits`},
		{"unknown chain", "litecoin", "mainnet", "x", 0, 0, `unknown chain "litecoin"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sub, err := ParseAddress(tt.chain, tt.network, tt.addr)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err || !errors.Is(err, ErrInvalid) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || sub.Class != tt.class || len(sub.Payload) != tt.payloadLen || sub.IsTx {
				t.Fatalf("= %+v, %v", sub, err)
			}
		})
	}
}

func TestParseTxHash(t *testing.T) {
	sub, err := ParseTxHash("bitcoin", "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16")
	if err != nil || !sub.IsTx || sub.Txid[0] != 0x16 || sub.Txid[31] != 0xf4 {
		t.Fatalf("bitcoin txid = %x, %v (want internal, reversed order)", sub.Txid, err)
	}
	sub, err = ParseTxHash("ethereum", "0x"+strings.Repeat("ab", 31)+"cd")
	if err != nil || sub.Txid[0] != 0xab || sub.Txid[31] != 0xcd {
		t.Fatalf("ethereum tx hash = %x, %v (want as written)", sub.Txid, err)
	}
	if _, err := ParseTxHash("ethereum", strings.Repeat("ab", 32)); err == nil || !strings.Contains(err.Error(), "does not start with 0x") {
		t.Fatalf("ethereum hash without 0x: %v", err)
	}
}

func TestParseChain(t *testing.T) {
	tests := []struct{ in, chain, network string }{
		{"bitcoin", "bitcoin", "mainnet"},
		{"Bitcoin-Testnet3", "bitcoin", "testnet3"},
		{"bitcoin-testnet", "bitcoin", "testnet3"},
		{"bitcoin-regtest", "bitcoin", "regtest"},
		{"ethereum", "ethereum", "mainnet"},
	}
	for _, tt := range tests {
		c, n, err := ParseChain(tt.in)
		if err != nil || c != tt.chain || n != tt.network {
			t.Errorf("ParseChain(%q) = %s %s %v", tt.in, c, n, err)
		}
	}
}
