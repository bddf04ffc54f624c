package storage

import (
	"bytes"
	"reflect"
	"testing"
)

func TestSpendPlanKeysRoundTrip(t *testing.T) {
	tests := []struct {
		name   string
		enc    []byte
		decode func([]byte) (any, error)
		want   any
	}{
		{"plan", MakeSpendPlanKey(3, 1<<40+7).Encode(nil), func(b []byte) (any, error) { return DecodeSpendPlanKey(b) }, MakeSpendPlanKey(3, 1<<40+7)},
		{"plan undo", MakeSpendPlanUndoKey(3, 812, 99).Encode(nil), func(b []byte) (any, error) { return DecodeSpendPlanUndoKey(b) }, MakeSpendPlanUndoKey(3, 812, 99)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.decode(tt.enc)
			if err != nil || got != tt.want {
				t.Fatalf("decode = %+v %v, want %+v", got, err, tt.want)
			}
			if _, err := tt.decode(tt.enc[:len(tt.enc)-1]); err == nil {
				t.Fatal("a truncated key decoded")
			}
			bad := append([]byte(nil), tt.enc...)
			bad[0] = 'Z'
			if _, err := tt.decode(bad); err == nil {
				t.Fatal("a key of another table decoded")
			}
		})
	}
	// The undo rows of one height sort together, in transaction order.
	a, b := MakeSpendPlanUndoKey(1, 5, 300).Encode(nil), MakeSpendPlanUndoKey(1, 6, 2).Encode(nil)
	if bytes.Compare(a, b) >= 0 || !bytes.HasPrefix(a, spendPlanUndoPrefix(1, 5)) {
		t.Fatalf("undo keys %x and %x are out of height order", a, b)
	}
}

func TestSpendPlanRoundTrip(t *testing.T) {
	tests := []SpendPlan{
		{Fingerprint: 2<<2 | 3, Input: 12, Outs: []SpendPlanOutput{{Addr: 40, State: SpendUnspent}, {Addr: 41, State: SpendSame, Fresh: true}, {State: SpendIgnored}}},
		{Fingerprint: 0, Input: 1, Outs: []SpendPlanOutput{{Addr: 1 << 33, State: SpendDiffer}}},
		{Input: 5},
	}
	for _, p := range tests {
		enc := p.Encode(nil)
		got, err := DecodeSpendPlan(enc)
		if err != nil || !reflect.DeepEqual(got, p) {
			t.Fatalf("decode = %+v %v, want %+v", got, err, p)
		}
		for i := 0; i < len(enc); i++ {
			if _, err := DecodeSpendPlan(enc[:i]); err == nil {
				t.Fatalf("a plan truncated to %d of %d bytes decoded", i, len(enc))
			}
		}
		if _, err := DecodeSpendPlan(append(enc, 0)); err == nil {
			t.Fatal("a plan with a trailing byte decoded")
		}
	}
	if _, err := DecodeSpendPlan([]byte{0, 1, 1, 4, 0, 9}); err == nil {
		t.Fatal("a plan with an unknown spend state decoded")
	}
	if _, err := DecodeSpendPlan([]byte{0, 1, 1, 1, 2, 9}); err == nil {
		t.Fatal("a plan with a fresh flag of 2 decoded")
	}
}

func TestEvidenceSpender(t *testing.T) {
	e := Evidence{TxNum: 77, Rule: 5, Confidence: 80, Spender: 1 << 20}
	got, err := DecodeEvidence(e.Encode(nil))
	if err != nil || got != e {
		t.Fatalf("decode = %+v %v, want %+v", got, err, e)
	}
	if _, err := DecodeEvidence(append(Evidence{TxNum: 1}.Encode(nil), 0)); err == nil {
		t.Fatal("evidence with a spender 0 decoded: 0 has no form")
	}
}

// FuzzDecodeSpendPlan checks that every plan that decodes encodes back to
// the same bytes, and that the decoders never panic.
func FuzzDecodeSpendPlan(f *testing.F) {
	f.Add((&SpendPlan{Fingerprint: 9, Input: 3, Outs: []SpendPlanOutput{{Addr: 4, State: SpendSame}}}).Encode(nil))
	f.Add([]byte{0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = DecodeSpendPlanKey(b)
		_, _ = DecodeSpendPlanUndoKey(b)
		if e, err := DecodeEvidence(b); err == nil && !bytes.Equal(e.Encode(nil), b) {
			t.Fatalf("%x decoded to evidence %+v, which encodes to %x", b, e, e.Encode(nil))
		}
		p, err := DecodeSpendPlan(b)
		if err != nil {
			return
		}
		if enc := p.Encode(nil); !bytes.Equal(enc, b) {
			t.Fatalf("%x decoded to %+v, which encodes to %x", b, p, enc)
		}
	})
}
