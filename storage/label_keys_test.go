package storage

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

func TestLabelKeyRoundTrip(t *testing.T) {
	id := MakeLabelID("Binance", "exchange", "https://example.org/binance")
	payload := bytes.Repeat([]byte{0xab}, 20)
	tests := []struct {
		name string
		key  LabelKey
		len  int
	}{
		{"p2pkh address", MakeAddressLabelKey(2, payload, id), 1 + 1 + 1 + 2 + 20 + LabelIDLen},
		{"empty payload", MakeAddressLabelKey(9, []byte{}, id), 1 + 1 + 1 + 2 + LabelIDLen},
		{"longest payload", MakeAddressLabelKey(7, bytes.Repeat([]byte{1}, MaxAddrPayload), id), 1 + 1 + 1 + 2 + MaxAddrPayload + LabelIDLen},
		{"tx", MakeTxLabelKey([32]byte{1, 2, 3}, id), 1 + 1 + 32 + LabelIDLen},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc := tt.key.Encode(nil)
			if len(enc) != tt.len {
				t.Fatalf("key is %d bytes, the format says %d", len(enc), tt.len)
			}
			got, err := DecodeLabelKey(enc)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.key) {
				t.Fatalf("round trip = %+v, want %+v", got, tt.key)
			}
			for n := 0; n < len(enc); n++ {
				if _, err := DecodeLabelKey(enc[:n]); !errors.Is(err, ErrCorruption) {
					t.Fatalf("%d of %d bytes decoded: %v", n, len(enc), err)
				}
			}
			if _, err := DecodeLabelKey(append(bytes.Clone(enc), 0)); !errors.Is(err, ErrCorruption) {
				t.Fatalf("a trailing byte was accepted: %v", err)
			}
			pk := MakeLabelPackKey("OFAC SDN", tt.key)
			gotPK, err := DecodeLabelPackKey(pk.Encode(nil))
			if err != nil || !reflect.DeepEqual(gotPK, pk) {
				t.Fatalf("pack key round trip = %+v, %v; want %+v", gotPK, err, pk)
			}
		})
	}
}

// TestLabelKeyPrefixes checks that the scan prefix of one address covers
// its own labels and none of an address whose payload extends its payload.
func TestLabelKeyPrefixes(t *testing.T) {
	id := MakeLabelID("a", "b", "c")
	short := MakeAddressLabelKey(2, []byte{1, 2}, id).Encode(nil)
	long := MakeAddressLabelKey(2, []byte{1, 2, 3}, id).Encode(nil)
	if !bytes.HasPrefix(short, addressLabelPrefix(2, []byte{1, 2})) {
		t.Fatal("a label key lacks its address's prefix")
	}
	if bytes.HasPrefix(long, addressLabelPrefix(2, []byte{1, 2})) {
		t.Fatal("a longer payload's label falls under a shorter payload's prefix")
	}
	if !bytes.HasPrefix(MakeTxLabelKey([32]byte{7}, id).Encode(nil), txLabelPrefix([32]byte{7})) {
		t.Fatal("a tx label key lacks its txid's prefix")
	}
}

func TestMakeLabelIDSeparatesFields(t *testing.T) {
	if MakeLabelID("ab", "c", "s") == MakeLabelID("a", "bc", "s") {
		t.Fatal("moving a byte between fields kept the id")
	}
	if MakeLabelID("a", "b", "c") != MakeLabelID("a", "b", "c") {
		t.Fatal("the id is not a function of its fields")
	}
}
