package storage

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"
)

// TestKeyEncodings pins the byte layout of every key: these bytes are the
// file format.
func TestKeyEncodings(t *testing.T) {
	var txid [32]byte
	for i := range txid {
		txid[i] = byte(i)
	}
	tests := []struct {
		name string
		key  []byte
		want string
	}{
		{"block", MakeBlockKey(0x01020304).Encode(nil), "4201020304"},
		{"block hash", MakeBlockHashKey(txid).Encode(nil), "62" + hex.EncodeToString(txid[:])},
		{"tx", MakeTxKey(0x0102).Encode(nil), "540000000000000102"},
		{"txid", MakeTxidKey(txid, 7).Encode(nil), "7400010203040506070000000000000007"},
		{"outputs", MakeOutputsKey(1).Encode(nil), "4f0000000000000001"},
		{"inputs", MakeInputsKey(1).Encode(nil), "490000000000000001"},
		{"spend", MakeSpendKey(2, 3).Encode(nil), "53000000000000000200000003"},
		{"address", MakeAddrKey(2, []byte{0xaa, 0xbb}).Encode(nil), "4102aabb"},
		{"address id", MakeAddrIDKey(9).Encode(nil), "610000000000000009"},
		{"address link", MakeAddrLinkKey(1, 2).Encode(nil), "4c00000000000000010000000000000002"},
		{"posting", MakePostingKey(5, 6, RoleSpend).Encode(nil), "580000000000000005000000000000000601"},
		{"undo", MakeUndoKey(7).Encode(nil), "5500000007"},
		{"meta", MakeMetaKey("state").Encode(nil), "6d7374617465"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := hex.EncodeToString(tt.key); got != tt.want {
				t.Fatalf("encoded %s, want %s", got, tt.want)
			}
		})
	}
}

// TestKeyRoundTrip decodes what was encoded, and checks that byte order
// follows numeric order.
func TestKeyRoundTrip(t *testing.T) {
	var h [32]byte
	h[0] = 0xfe
	checks := []struct {
		name string
		fn   func() error
	}{
		{"block", func() error { return same(DecodeBlockKey(MakeBlockKey(77).Encode(nil))) }},
		{"block hash", func() error { return same(DecodeBlockHashKey(MakeBlockHashKey(h).Encode(nil))) }},
		{"tx", func() error { return same(DecodeTxKey(MakeTxKey(1 << 40).Encode(nil))) }},
		{"txid", func() error { return same(DecodeTxidKey(MakeTxidKey(h, 12).Encode(nil))) }},
		{"outputs", func() error { return same(DecodeOutputsKey(MakeOutputsKey(3).Encode(nil))) }},
		{"inputs", func() error { return same(DecodeInputsKey(MakeInputsKey(3).Encode(nil))) }},
		{"spend", func() error { return same(DecodeSpendKey(MakeSpendKey(3, 4).Encode(nil))) }},
		{"address id", func() error { return same(DecodeAddrIDKey(MakeAddrIDKey(3).Encode(nil))) }},
		{"address link", func() error { return same(DecodeAddrLinkKey(MakeAddrLinkKey(3, 4).Encode(nil))) }},
		{"posting", func() error { return same(DecodePostingKey(MakePostingKey(3, 4, RoleReceive).Encode(nil))) }},
		{"undo", func() error { return same(DecodeUndoKey(MakeUndoKey(3).Encode(nil))) }},
	}
	for _, c := range checks {
		if err := c.fn(); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	ak, err := DecodeAddrKey(MakeAddrKey(6, h[:]).Encode(nil))
	if err != nil || ak.Class != 6 || !bytes.Equal(ak.Payload, h[:]) {
		t.Fatalf("address key round trip = %+v %v", ak, err)
	}
	// Numeric order is byte order.
	for _, pair := range [][2][]byte{
		{MakeTxKey(255).Encode(nil), MakeTxKey(256).Encode(nil)},
		{MakeBlockKey(1).Encode(nil), MakeBlockKey(1 << 24).Encode(nil)},
		{MakePostingKey(1, 1<<33, RoleSpend).Encode(nil), MakePostingKey(2, 0, RoleReceive).Encode(nil)},
		{MakeSpendKey(1, 1<<31).Encode(nil), MakeSpendKey(2, 0).Encode(nil)},
	} {
		if bytes.Compare(pair[0], pair[1]) >= 0 {
			t.Errorf("%x does not sort before %x", pair[0], pair[1])
		}
	}
}

// same turns a decode result into an error, for table use.
func same[K any](_ K, err error) error { return err }

func TestKeyDecodeRejects(t *testing.T) {
	for _, b := range [][]byte{nil, {tagTx}, MakeTxKey(1).Encode(nil)[:8], append(MakeTxKey(1).Encode(nil), 0), MakeBlockKey(1).Encode(nil)} {
		if _, err := DecodeTxKey(b); !errors.Is(err, ErrCorruption) {
			t.Errorf("DecodeTxKey(%x) = %v, want a corruption error", b, err)
		}
	}
}

func TestPrefixUpperBound(t *testing.T) {
	tests := []struct{ in, want string }{
		{"58", "59"}, {"58ff", "59"}, {"ffff", ""}, {"0100ff", "0101"},
	}
	for _, tt := range tests {
		in, _ := hex.DecodeString(tt.in)
		if got := hex.EncodeToString(prefixUpperBound(in)); got != tt.want {
			t.Errorf("prefixUpperBound(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// FuzzKeyDecoders feeds arbitrary bytes to every key decoder: none may
// panic, and whatever decodes must encode back to the same bytes.
func FuzzKeyDecoders(f *testing.F) {
	f.Add(MakePostingKey(5, 6, RoleSpend).Encode(nil))
	f.Add(MakeSpendKey(2, 3).Encode(nil))
	f.Add(MakeAddrKey(1, bytes.Repeat([]byte{2}, 33)).Encode(nil))
	f.Add(MakeTxidKey([32]byte{1}, 9).Encode(nil))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		type enc interface{ Encode([]byte) []byte }
		check := func(k enc, err error) {
			if err == nil && !bytes.Equal(k.Encode(nil), b) {
				t.Fatalf("%T %x re-encodes as %x", k, b, k.Encode(nil))
			}
		}
		check(DecodeBlockKey(b))
		check(DecodeBlockHashKey(b))
		check(DecodeTxKey(b))
		check(DecodeTxidKey(b))
		check(DecodeOutputsKey(b))
		check(DecodeInputsKey(b))
		check(DecodeSpendKey(b))
		check(DecodeAddrKey(b))
		check(DecodeAddrIDKey(b))
		check(DecodeAddrLinkKey(b))
		check(DecodePostingKey(b))
		check(DecodeUndoKey(b))
		check(DecodeMetaKey(b))
	})
}
