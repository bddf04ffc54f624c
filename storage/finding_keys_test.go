package storage

import (
	"bytes"
	"testing"
)

func TestFindingKeysRoundTrip(t *testing.T) {
	tests := []struct {
		name   string
		encode []byte
		decode func([]byte) (any, error)
		want   any
	}{
		{"finding", FindingKey{Seq: 7}.Encode(nil), func(b []byte) (any, error) { return DecodeFindingKey(b) }, FindingKey{Seq: 7}},
		{"finding by address", FindingAddrKey{Addr: 1 << 40, Seq: 3}.Encode(nil), func(b []byte) (any, error) { return DecodeFindingAddrKey(b) }, FindingAddrKey{Addr: 1 << 40, Seq: 3}},
		{"alert", AlertKey{ID: AlertID{1, 2, 3, 4, 5, 6, 7, 8}}.Encode(nil), func(b []byte) (any, error) { return DecodeAlertKey(b) }, AlertKey{ID: AlertID{1, 2, 3, 4, 5, 6, 7, 8}}},
		{"review", ReviewKey{Alert: AlertID{9}, UnixNano: 1 << 60}.Encode(nil), func(b []byte) (any, error) { return DecodeReviewKey(b) }, ReviewKey{Alert: AlertID{9}, UnixNano: 1 << 60}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.decode(tt.encode)
			if err != nil || got != tt.want {
				t.Fatalf("decode %x = %+v, %v; want %+v", tt.encode, got, err, tt.want)
			}
			if _, err := tt.decode(tt.encode[:len(tt.encode)-1]); err == nil {
				t.Fatalf("a truncated %s key decodes", tt.name)
			}
		})
	}
}

func TestFindingAddrKeysSortByAddress(t *testing.T) {
	a := FindingAddrKey{Addr: 1, Seq: 1 << 31}.Encode(nil)
	b := FindingAddrKey{Addr: 2, Seq: 0}.Encode(nil)
	if bytes.Compare(a, b) >= 0 || !bytes.HasPrefix(a, findingAddrPrefix(1)) || bytes.HasPrefix(b, findingAddrPrefix(1)) {
		t.Fatalf("keys %x and %x do not sort by address", a, b)
	}
}

func FuzzDecodeFindingKeys(f *testing.F) {
	f.Add(FindingKey{Seq: 1}.Encode(nil))
	f.Add(FindingAddrKey{Addr: 5, Seq: 1}.Encode(nil))
	f.Add(AlertKey{}.Encode(nil))
	f.Add(ReviewKey{UnixNano: 3}.Encode(nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		if k, err := DecodeFindingKey(b); err == nil && !bytes.Equal(k.Encode(nil), b) {
			t.Fatalf("finding key %x re-encodes as %x", b, k.Encode(nil))
		}
		if k, err := DecodeFindingAddrKey(b); err == nil && !bytes.Equal(k.Encode(nil), b) {
			t.Fatalf("finding address key %x re-encodes as %x", b, k.Encode(nil))
		}
		if k, err := DecodeAlertKey(b); err == nil && !bytes.Equal(k.Encode(nil), b) {
			t.Fatalf("alert key %x re-encodes as %x", b, k.Encode(nil))
		}
		if k, err := DecodeReviewKey(b); err == nil && !bytes.Equal(k.Encode(nil), b) {
			t.Fatalf("review key %x re-encodes as %x", b, k.Encode(nil))
		}
	})
}
