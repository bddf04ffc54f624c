package storage

import (
	"bytes"
	"math/big"
	"reflect"
	"testing"
)

func TestEthLinkDetailRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		d    EthLinkDetail
	}{
		{"deposit", EthLinkDetail{Rule: 16, Tx: 10, Via: 12, Hub: 3, In: big.NewInt(1e18), Out: big.NewInt(999e15), Gap: 2}},
		{"airdrop", EthLinkDetail{Rule: 17, Tx: 1 << 40, Via: 5, Hub: 9, Asset: 4, In: big.NewInt(100), Out: big.NewInt(100), Gap: 0}},
		{"zero amounts", EthLinkDetail{Rule: 16, In: new(big.Int), Out: new(big.Int)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc := tt.d.Encode(nil)
			got, err := DecodeEthLinkDetail(enc)
			if err != nil || !reflect.DeepEqual(got, tt.d) {
				t.Fatalf("decode = %+v %v, want %+v", got, err, tt.d)
			}
			for i := range len(enc) {
				if _, err := DecodeEthLinkDetail(enc[:i]); err == nil {
					t.Fatalf("a record truncated to %d of %d bytes decoded", i, len(enc))
				}
			}
			if _, err := DecodeEthLinkDetail(append(enc, 0)); err == nil {
				t.Fatal("a record with a trailing byte decoded")
			}
		})
	}
	k := MakeEthLinkDetailKey(7, 1, 2)
	if got, err := DecodeEthLinkDetailKey(k.Encode(nil)); err != nil || got != k {
		t.Fatalf("key = %+v %v, want %+v", got, err, k)
	}
	if _, err := DecodeEthLinkDetailKey(MakeClusterLinkKey(7, 1, 2).Encode(nil)); err == nil {
		t.Fatal("a cluster link key decoded as a link detail key")
	}
}

func FuzzDecodeEthLinkDetail(f *testing.F) {
	d := EthLinkDetail{Rule: 16, Tx: 10, Via: 12, Hub: 3, In: big.NewInt(1e18), Out: big.NewInt(999e15), Gap: 2}
	f.Add(d.Encode(nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := DecodeEthLinkDetail(b)
		if err != nil {
			return
		}
		if again := got.Encode(nil); !bytes.Equal(again, b) {
			t.Fatalf("decoded %x to %+v, which encodes to %x", b, got, again)
		}
	})
}
