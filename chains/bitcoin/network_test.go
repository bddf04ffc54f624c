package bitcoin

import (
	"testing"

	"github.com/btcsuite/btcd/wire/v2"
)

func TestLookupNetwork(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string
		magic   wire.BitcoinNet
		wantErr bool
	}{
		{name: "mainnet", in: "mainnet", want: "mainnet", magic: 0xd9b4bef9},
		{name: "alias", in: "Testnet", want: "testnet3", magic: 0x0709110b},
		{name: "testnet4", in: "testnet4", want: "testnet4", magic: 0x283f161c},
		{name: "regtest", in: "regtest", want: "regtest", magic: 0xdab5bffa},
		{name: "simnet", in: "simnet", want: "simnet", magic: 0x12141c16},
		{name: "signet", in: "signet", want: "signet", magic: 0x40cf030a},
		{name: "unknown", in: "dogecoin", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := LookupNetwork(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("LookupNetwork(%q) succeeded, want error", tt.in)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if n.Name != tt.want || n.Magic() != tt.magic {
				t.Fatalf("LookupNetwork(%q) = %s magic %08x, want %s %08x", tt.in, n.Name, uint32(n.Magic()), tt.want, uint32(tt.magic))
			}
			back, ok := NetworkByMagic(n.Magic())
			if !ok || back.Name != tt.want {
				t.Fatalf("NetworkByMagic(%08x) = %v %v", uint32(n.Magic()), back.Name, ok)
			}
		})
	}
}
