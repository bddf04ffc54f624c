package storage

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

func sampleLabels() []Label {
	return []Label{
		{Subject: SubjectAddress, AddrClass: 2, AddrPayload: bytes.Repeat([]byte{0x62}, 20), Entity: "Lazarus Group",
			Category: "sanction", Concepts: []string{"hacking", "money_laundering"}, Source: "OFAC SDN 2024-09-27",
			Confidence: 60, ConfidenceName: "authority_data", LastMod: 1727395200, Pack: "OFAC SDN", ImportedAt: 1763900000,
			Actor: "lazarus", TagLabel: "lazarus wallet", Jurisdictions: []string{"KP"}},
		{Subject: SubjectTx, Txid: [32]byte{0xf4, 0x18}, Entity: "Satoshi", Source: "s", Confidence: 100, ClusterDefiner: true,
			LastMod: -86400},
		{Subject: SubjectAddress, AddrClass: 1, AddrPayload: []byte{}, Entity: "", Category: "", Source: "x"},
	}
}

func TestLabelRecordRoundTrip(t *testing.T) {
	for _, l := range sampleLabels() {
		t.Run(l.Entity+"/"+l.Subject.String(), func(t *testing.T) {
			key, val := l.Key().Encode(nil), l.EncodeValue(nil)
			got, err := DecodeLabel(key, val)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, l) {
				t.Fatalf("round trip = %+v, want %+v", got, l)
			}
			for n := 0; n < len(val); n++ {
				if _, err := DecodeLabel(key, val[:n]); !errors.Is(err, ErrCorruption) {
					t.Fatalf("%d of %d bytes decoded: %v", n, len(val), err)
				}
			}
			if _, err := DecodeLabel(key, append(bytes.Clone(val), 0)); !errors.Is(err, ErrCorruption) {
				t.Fatalf("a trailing byte was accepted: %v", err)
			}
		})
	}
}

func TestLabelRecordRejects(t *testing.T) {
	l := sampleLabels()[0]
	key, val := l.Key().Encode(nil), l.EncodeValue(nil)
	otherKey := MakeAddressLabelKey(l.AddrClass, l.AddrPayload, MakeLabelID("someone else", "sanction", l.Source)).Encode(nil)
	noSource := l
	noSource.Source = ""
	tests := []struct {
		name     string
		key, val []byte
	}{
		{"version", key, append([]byte{2}, val[1:]...)},
		{"flags", key, append([]byte{1, 2}, val[2:]...)},
		{"confidence", key, append([]byte{1, 0, 101}, val[3:]...)},
		{"id mismatch", otherKey, val},
		{"no source", noSource.Key().Encode(nil), noSource.EncodeValue(nil)},
		{"bad utf-8", MakeTxLabelKey([32]byte{}, MakeLabelID("\xff", "", "s")).Encode(nil),
			(&Label{Subject: SubjectTx, Entity: "\xff", Source: "s"}).EncodeValue(nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := DecodeLabel(tt.key, tt.val); !errors.Is(err, ErrCorruption) {
				t.Fatalf("decoded without a corruption error: %v", err)
			}
		})
	}
}

// FuzzLabelDecode feeds arbitrary keys and values to the label decoders:
// none may panic, and whatever decodes re-encodes to the same bytes.
func FuzzLabelDecode(f *testing.F) {
	for _, l := range sampleLabels() {
		f.Add(l.Key().Encode(nil), l.EncodeValue(nil))
	}
	f.Add([]byte{'N', 0, 2, 0xff, 0xff}, []byte{1, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, key, val []byte) {
		if k, err := DecodeLabelKey(key); err == nil && !bytes.Equal(k.Encode(nil), key) {
			t.Fatalf("key %x re-encodes as %x", key, k.Encode(nil))
		}
		if k, err := DecodeLabelPackKey(key); err == nil && !bytes.Equal(k.Encode(nil), key) {
			t.Fatalf("pack key %x re-encodes as %x", key, k.Encode(nil))
		}
		l, err := DecodeLabel(key, val)
		if err != nil {
			return
		}
		if err := l.Validate(); err != nil {
			t.Fatalf("decoded label does not validate: %v", err)
		}
		if !bytes.Equal(l.Key().Encode(nil), key) || !bytes.Equal(l.EncodeValue(nil), val) {
			t.Fatalf("label %x=%x re-encodes as %x=%x", key, val, l.Key().Encode(nil), l.EncodeValue(nil))
		}
	})
}

func TestLabelValidate(t *testing.T) {
	good := sampleLabels()
	for i := range good {
		if err := good[i].Validate(); err != nil {
			t.Fatalf("sample %d: %v", i, err)
		}
	}
	tests := []struct {
		name string
		edit func(*Label)
		want string
	}{
		{"no source", func(l *Label) { l.Source = "" }, `storage: label "E" has no source`},
		{"confidence", func(l *Label) { l.Confidence = 101 }, `storage: label "E" has confidence 101, above 100`},
		{"subject", func(l *Label) { l.Subject = 2 }, `storage: label "E" has unknown subject 2`},
		{"long payload", func(l *Label) { l.AddrPayload = make([]byte, MaxAddrPayload+1) }, `storage: label "E": address payload of 521 bytes is longer than 520`},
		{"txid on address", func(l *Label) { l.Txid[0] = 1 }, `storage: label "E" on an address has a txid`},
		{"address on tx", func(l *Label) { l.Subject = SubjectTx }, `storage: label "E" on a transaction has an address`},
		{"utf-8", func(l *Label) { l.Concepts = []string{"\xff"} }, `storage: label "E" has a string that is not UTF-8: "\xff"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := Label{Subject: SubjectAddress, AddrClass: 2, AddrPayload: []byte{1}, Entity: "E", Source: "S"}
			tt.edit(&l)
			if err := l.Validate(); err == nil || err.Error() != tt.want {
				t.Fatalf("Validate = %v, want %q", err, tt.want)
			}
		})
	}
}
