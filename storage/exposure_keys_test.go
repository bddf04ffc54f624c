package storage

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

func TestExposureCodecs(t *testing.T) {
	meta := ExposureMeta{MaxHops: 4, MaxFanout: 1000, MaxTransfers: 10_000, Clustered: true, Generation: 3,
		TipHeight: 605, BuiltAt: 1_700_000_000, Addresses: 2_175_953, Categories: []string{"coinbase", "exchange", "sanction"}}
	meta.LabelsHash[0], meta.TipHash[31] = 7, 9
	entries := []struct {
		name string
		e    ExposureEntry
	}{
		{"empty", ExposureEntry{}},
		{"direct and indirect", ExposureEntry{
			Receiving: ExposureSide{Total: 12345.5, Unattributed: 45.25, Transfers: 3,
				Direct:   []ExposureAmount{{Category: 1, Weight: 12000, MinHop: 1}},
				Indirect: []ExposureAmount{{Category: 2, Weight: 300.25, MinHop: 3}, {Category: 0, Weight: 0, MinHop: 4}}},
			Sending: ExposureSide{Total: 1e8, Unattributed: 1e8, Transfers: 10_000, Partial: true},
		}},
	}
	for _, tc := range entries {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.e.Encode(nil)
			got, err := DecodeExposureEntry(b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.e) {
				t.Fatalf("round trip: %+v, want %+v", got, tc.e)
			}
			if _, err := DecodeExposureEntry(b[:len(b)-1]); !errors.Is(err, ErrCorruption) {
				t.Fatalf("truncated entry: %v", err)
			}
			if _, err := DecodeExposureEntry(append(b, 0)); !errors.Is(err, ErrCorruption) {
				t.Fatalf("trailing byte: %v", err)
			}
		})
	}
	b := meta.Encode(nil)
	got, err := DecodeExposureMeta(b)
	if err != nil || !reflect.DeepEqual(got, meta) {
		t.Fatalf("meta round trip: %+v %v", got, err)
	}
	b[0] = 2
	if _, err := DecodeExposureMeta(b); !errors.Is(err, ErrCorruption) {
		t.Fatalf("version 2: %v", err)
	}
	k := MakeExposureKey(42).Encode(nil)
	if dk, err := DecodeExposureKey(k); err != nil || dk.AddrID != 42 || k[0] != 'E' {
		t.Fatalf("key %x: %+v %v", k, dk, err)
	}
	if _, err := DecodeExposureKey(k[:5]); err == nil {
		t.Fatal("short key decoded")
	}
	if mk := MakeExposureMetaKey().Encode(nil); !bytes.Equal(mk, []byte{'Z'}) {
		t.Fatalf("meta key %x", mk)
	}
}

func FuzzDecodeExposureEntry(f *testing.F) {
	e := ExposureEntry{Receiving: ExposureSide{Total: 5, Direct: []ExposureAmount{{Category: 1, Weight: 5, MinHop: 1}}}}
	f.Add(e.Encode(nil))
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := DecodeExposureEntry(b)
		if err != nil {
			return
		}
		// What decodes re-encodes to the same bytes: one form per value.
		if again := got.Encode(nil); !bytes.Equal(again, b) {
			t.Fatalf("%x decoded and re-encoded as %x", b, again)
		}
	})
}

func FuzzDecodeExposureMeta(f *testing.F) {
	m := ExposureMeta{MaxHops: 4, Categories: []string{"exchange"}}
	f.Add(m.Encode(nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := DecodeExposureMeta(b)
		if err != nil {
			return
		}
		if again := got.Encode(nil); !bytes.Equal(again, b) {
			t.Fatalf("%x decoded and re-encoded as %x", b, again)
		}
	})
}
