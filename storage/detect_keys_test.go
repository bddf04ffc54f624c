package storage

import (
	"bytes"
	"reflect"
	"testing"
)

func TestDetectKeysRoundTrip(t *testing.T) {
	id := AlertID{1, 2, 3, 4, 5, 6, 7, 8}
	tests := []struct {
		name   string
		encode []byte
		decode func([]byte) (any, error)
		want   any
	}{
		{"incremental finding", IncFindingKey{Height: 1 << 20, Seq: 9}.Encode(nil), func(b []byte) (any, error) { return DecodeIncFindingKey(b) }, IncFindingKey{Height: 1 << 20, Seq: 9}},
		{"incremental finding address", IncFindingAddrKey{Addr: 1 << 40, Finding: IncFindingKey{Height: 7, Seq: 2}}.Encode(nil),
			func(b []byte) (any, error) { return DecodeIncFindingAddrKey(b) }, IncFindingAddrKey{Addr: 1 << 40, Finding: IncFindingKey{Height: 7, Seq: 2}}},
		{"alert version", IncAlertKey{ID: id, Height: 5}.Encode(nil), func(b []byte) (any, error) { return DecodeIncAlertKey(b) }, IncAlertKey{ID: id, Height: 5}},
		{"alert by height", IncAlertHeightKey{Height: 5, ID: id}.Encode(nil), func(b []byte) (any, error) { return DecodeIncAlertHeightKey(b) }, IncAlertHeightKey{Height: 5, ID: id}},
		{"outbox event", OutboxEventKey{Seq: 1 << 50}.Encode(nil), func(b []byte) (any, error) { return DecodeOutboxEventKey(b) }, OutboxEventKey{Seq: 1 << 50}},
		{"outbox state", OutboxStateKey{Seq: 3, Hook: 2}.Encode(nil), func(b []byte) (any, error) { return DecodeOutboxStateKey(b) }, OutboxStateKey{Seq: 3, Hook: 2}},
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

func TestDetectKeysSort(t *testing.T) {
	// Findings sort by height then sequence; an alert's versions by
	// height, so the last is the latest; the mark sorts apart from both.
	a, b := IncFindingKey{Height: 1, Seq: 1 << 31}.Encode(nil), IncFindingKey{Height: 2, Seq: 0}.Encode(nil)
	v1, v2 := IncAlertKey{ID: AlertID{1}, Height: 9}.Encode(nil), IncAlertKey{ID: AlertID{1}, Height: 10}.Encode(nil)
	if bytes.Compare(a, b) >= 0 || bytes.Compare(v1, v2) >= 0 || bytes.HasPrefix(DetectMarkKey{}.Encode(nil), []byte{tagIncAlert, incAlertVersion}) {
		t.Fatal("detection keys do not sort as documented")
	}
}

func TestDetectRecordsRoundTrip(t *testing.T) {
	f := StoredFinding{Value: []byte(`{"detector":"x"}`), Addrs: []AddrID{1, 1 << 40, 3}}
	got, err := DecodeIncFinding(EncodeIncFinding(nil, &f))
	if err != nil || !reflect.DeepEqual(got, f) {
		t.Fatalf("finding round trip: %+v, %v", got, err)
	}
	d := DeliveryRecord{Attempts: 3, NextAttempt: 1 << 60, Delivered: 0, LastError: "503 Service Unavailable"}
	gd, err := DecodeDeliveryRecord(d.Encode(nil))
	if err != nil || gd != d {
		t.Fatalf("delivery round trip: %+v, %v", gd, err)
	}
	enc := d.Encode(nil)
	for i := range len(enc) {
		if _, err := DecodeDeliveryRecord(enc[:i]); err == nil {
			t.Fatalf("a delivery record cut at byte %d decodes", i)
		}
	}
}

func FuzzDecodeDetectKeys(f *testing.F) {
	f.Add(IncFindingKey{Height: 1, Seq: 1}.Encode(nil))
	f.Add(IncFindingAddrKey{Addr: 5}.Encode(nil))
	f.Add(IncAlertKey{Height: 3}.Encode(nil))
	f.Add(IncAlertHeightKey{Height: 3}.Encode(nil))
	f.Add(OutboxEventKey{Seq: 1}.Encode(nil))
	f.Add(OutboxStateKey{Seq: 1, Hook: 1}.Encode(nil))
	f.Add((&DeliveryRecord{Attempts: 1, LastError: "x"}).Encode(nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		if k, err := DecodeIncFindingKey(b); err == nil && !bytes.Equal(k.Encode(nil), b) {
			t.Fatalf("finding key %x re-encodes as %x", b, k.Encode(nil))
		}
		if k, err := DecodeIncFindingAddrKey(b); err == nil && !bytes.Equal(k.Encode(nil), b) {
			t.Fatalf("finding address key %x re-encodes as %x", b, k.Encode(nil))
		}
		if k, err := DecodeIncAlertKey(b); err == nil && !bytes.Equal(k.Encode(nil), b) {
			t.Fatalf("alert key %x re-encodes as %x", b, k.Encode(nil))
		}
		if k, err := DecodeIncAlertHeightKey(b); err == nil && !bytes.Equal(k.Encode(nil), b) {
			t.Fatalf("alert height key %x re-encodes as %x", b, k.Encode(nil))
		}
		if k, err := DecodeOutboxEventKey(b); err == nil && !bytes.Equal(k.Encode(nil), b) {
			t.Fatalf("event key %x re-encodes as %x", b, k.Encode(nil))
		}
		if k, err := DecodeOutboxStateKey(b); err == nil && !bytes.Equal(k.Encode(nil), b) {
			t.Fatalf("state key %x re-encodes as %x", b, k.Encode(nil))
		}
		if r, err := DecodeDeliveryRecord(b); err == nil && !bytes.Equal(r.Encode(nil), b) {
			t.Fatalf("delivery record %x re-encodes as %x", b, r.Encode(nil))
		}
		if r, err := DecodeIncFinding(b); err == nil && !bytes.Equal(EncodeIncFinding(nil, &r), b) {
			t.Fatalf("finding record %x re-encodes as %x", b, EncodeIncFinding(nil, &r))
		}
	})
}
