package storage

import (
	"bytes"
	"math/big"
	"reflect"
	"testing"
)

func TestEthRuleKeyRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		k    EthRuleKey
	}{
		{"miner", MakeEthRuleKey(1, EthRuleMiner, 7, 0, 0, nil)},
		{"active", MakeEthRuleKey(1, EthRuleActive, 1<<40, 0, 0, nil)},
		{"payment", MakeEthRuleKey(2, EthRulePayment, 3, 0, 0, big.NewInt(10))},
		{"payment of zero tenths", MakeEthRuleKey(2, EthRulePayment, 3, 0, 0, new(big.Int))},
		{"token payment", MakeEthRuleKey(3, EthRuleTokenPayment, 3, 4, 0, big.NewInt(250))},
		{"airdrop", MakeEthRuleKey(3, EthRuleAirdrop, 4, 5, 0, big.NewInt(1e18))},
		{"claim", MakeEthRuleKey(3, EthRuleClaim, 6, 4, 0, big.NewInt(100))},
		{"collect", MakeEthRuleKey(1<<31, EthRuleCollect, 4, 5, 6, big.NewInt(100))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc := tt.k.Encode(nil)
			got, err := DecodeEthRuleKey(enc)
			if err != nil || !reflect.DeepEqual(got, tt.k) {
				t.Fatalf("decode = %+v %v, want %+v", got, err, tt.k)
			}
			want := 6 + 8*tt.k.Kind.addrs() + len(tt.k.Amount)
			if len(enc) != want {
				t.Fatalf("key is %d bytes, want %d", len(enc), want)
			}
			for i := range 6 + 8*tt.k.Kind.addrs() {
				if _, err := DecodeEthRuleKey(enc[:i]); err == nil {
					t.Fatalf("a key truncated to %d of %d bytes decoded", i, len(enc))
				}
			}
		})
	}
	bad := [][]byte{
		MakeEthLinkDetailKey(1, 2, 3).Encode(nil),                                                // another table
		append(MakeEthRuleKey(1, EthRulePayment, 3, 0, 0, nil).Encode(nil), 0, 1),                // a leading zero in the amount
		append(appendGen(nil, tagEthRule, 1), 'z', 0, 0, 0, 0, 0, 0, 0, 1),                       // an unknown kind
		append(MakeEthRuleKey(1, EthRulePayment, 3, 0, 0, nil).Encode(nil), make([]byte, 33)...), // too long an amount
	}
	for _, b := range bad {
		if k, err := DecodeEthRuleKey(b); err == nil {
			t.Errorf("%x decoded as %+v", b, k)
		}
	}
	u := MakeEthRuleUndoKey(3, 99)
	if got, err := DecodeEthRuleUndoKey(u.Encode(nil)); err != nil || got != u {
		t.Fatalf("undo key = %+v %v, want %+v", got, err, u)
	}
	if _, err := DecodeEthRuleUndoKey(MakeClusterUndoKey(3, 99).Encode(nil)); err == nil {
		t.Fatal("a cluster undo key decoded as a rule undo key")
	}
}

func sampleEthRuleUndo() EthRuleUndo {
	return EthRuleUndo{Rows: []EthRuleUndoRow{
		{Key: MakeEthRuleKey(1, EthRuleActive, 5, 0, 0, nil)},
		{Key: MakeEthRuleKey(1, EthRulePayment, 5, 0, 0, big.NewInt(10)), Had: true,
			Row: EthRuleRow{Flows: []EthFlow{{Tx: 9, Height: 3, From: 4, To: 5, Amount: big.NewInt(1e18)}}}},
		{Key: MakeEthRuleKey(1, EthRuleAirdrop, 5, 6, 0, big.NewInt(100)), Had: true, Row: EthRuleRow{N: []uint64{3, 12, 1, 2}}},
	}}
}

func TestEthRuleRecordsRoundTrip(t *testing.T) {
	rows := []EthRuleRow{
		{},
		{N: []uint64{1}},
		{N: []uint64{4, 100, 1, 3}, Flows: []EthFlow{{Tx: 1 << 40, Height: 7, From: 1, To: 2, Amount: big.NewInt(100)},
			{Tx: 2, Height: 8, From: 2, To: 3, Amount: new(big.Int)}}},
	}
	for _, row := range rows {
		enc := row.Encode(nil)
		got, err := DecodeEthRuleRow(enc)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Encode(nil), enc) || len(got.N) != len(row.N) || len(got.Flows) != len(row.Flows) {
			t.Fatalf("decode = %+v, want %+v", got, row)
		}
		for i := range len(enc) {
			if _, err := DecodeEthRuleRow(enc[:i]); err == nil {
				t.Fatalf("a row truncated to %d of %d bytes decoded", i, len(enc))
			}
		}
		if _, err := DecodeEthRuleRow(append(enc, 0)); err == nil {
			t.Fatal("a row with a trailing byte decoded")
		}
	}
	u := sampleEthRuleUndo()
	enc := u.Encode(nil)
	got, err := DecodeEthRuleUndo(enc)
	if err != nil || !bytes.Equal(got.Encode(nil), enc) || len(got.Rows) != 3 || got.Rows[0].Had || !got.Rows[2].Had ||
		!reflect.DeepEqual(got.Rows[1].Key, u.Rows[1].Key) {
		t.Fatalf("decode = %+v %v, want %+v", got, err, u)
	}
	for i := range len(enc) {
		if _, err := DecodeEthRuleUndo(enc[:i]); err == nil {
			t.Fatalf("an undo record truncated to %d of %d bytes decoded", i, len(enc))
		}
	}
}

func TestEthRuleReadWrite(t *testing.T) {
	db, err := Open(t.TempDir(), "ethereum", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	k := MakeEthRuleKey(1, EthRuleMiner, 5, 0, 0, nil)
	if _, ok, err := db.EthRule(k); err != nil || ok {
		t.Fatalf("empty index: row %v %v", ok, err)
	}
	b := db.NewBatch()
	b.PutEthRule(k, &EthRuleRow{N: []uint64{3}})
	u := sampleEthRuleUndo()
	b.PutEthRuleUndo(1, 3, &u)
	if err := b.Commit(true); err != nil {
		t.Fatal(err)
	}
	b.Close()
	if row, ok, err := db.EthRule(k); err != nil || !ok || row.N[0] != 3 {
		t.Fatalf("row %+v %v %v", row, ok, err)
	}
	if got, err := db.EthRuleUndo(1, 3); err != nil || len(got.Rows) != 3 {
		t.Fatalf("undo %+v %v", got, err)
	}
	b = db.NewBatch()
	if err := b.DeleteEthRules(1); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(true); err != nil {
		t.Fatal(err)
	}
	b.Close()
	if _, ok, err := db.EthRule(k); err != nil || ok {
		t.Fatalf("after delete: row %v %v", ok, err)
	}
	if _, err := db.EthRuleUndo(1, 3); err == nil {
		t.Fatal("the undo record survived the delete")
	}
}

func FuzzDecodeEthRuleKey(f *testing.F) {
	f.Add(MakeEthRuleKey(1, EthRuleCollect, 4, 5, 6, big.NewInt(100)).Encode(nil))
	f.Add(MakeEthRuleKey(1, EthRuleMiner, 4, 0, 0, nil).Encode(nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := DecodeEthRuleKey(b)
		if err != nil {
			return
		}
		if again := got.Encode(nil); !bytes.Equal(again, b) {
			t.Fatalf("decoded %x to %+v, which encodes to %x", b, got, again)
		}
	})
}

func FuzzDecodeEthRuleUndo(f *testing.F) {
	u := sampleEthRuleUndo()
	f.Add(u.Encode(nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := DecodeEthRuleUndo(b)
		if err != nil {
			return
		}
		if again := got.Encode(nil); !bytes.Equal(again, b) {
			t.Fatalf("decoded %x to %+v, which encodes to %x", b, got, again)
		}
	})
}
