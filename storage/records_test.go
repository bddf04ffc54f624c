package storage

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

func TestRecordRoundTrip(t *testing.T) {
	blk := BlockRecord{Hash: [32]byte{1}, Prev: [32]byte{2}, Time: 1231006505, FirstTxNum: 1 << 33, NumTx: 3,
		Size: 285, Weight: 1140, FirstAddrID: 1 << 35, Fees: 2_14000000}
	if b := blk.Encode(nil); len(b) != blockRecordLen {
		t.Fatalf("block record is %d bytes, the format says %d", len(b), blockRecordLen)
	}
	tx := TxRecord{Txid: [32]byte{3}, Height: 170, Index: 1, Flags: TxWitness, Size: 275, VSize: 275, Fee: 1000, NumIn: 1, NumOut: 2}
	outs := OutputsRecord{{Value: 10e8, Class: 1, AddrID: 7}, {Value: 0, Class: 8, Script: []byte{0x6a, 0x01, 0x02}}, {Value: 5, Class: 0, Script: []byte{}}}
	ins := InputsRecord{{PrevTxNum: 9, PrevVout: 0, AddrID: 7, Value: 50e8}, {PrevTxNum: 1 << 40, PrevVout: 70000, AddrID: 0, Value: 1}}
	st := ChainState{NextTxNum: 14247, NextAddrID: 28384, Blocks: 14132, Txs: 14247, Fees: 214000000, Minted: 1 << 50}
	tests := []struct {
		name string
		in   any
		out  func([]byte) (any, error)
		enc  []byte
	}{
		{"block", blk, func(b []byte) (any, error) { return DecodeBlockRecord(b) }, blk.Encode(nil)},
		{"tx", tx, func(b []byte) (any, error) { return DecodeTxRecord(b) }, tx.Encode(nil)},
		{"outputs", outs, func(b []byte) (any, error) { return DecodeOutputsRecord(b) }, outs.Encode(nil)},
		{"inputs", ins, func(b []byte) (any, error) { return DecodeInputsRecord(b) }, ins.Encode(nil)},
		{"spender", Spender{TxNum: 4, Vin: 2}, func(b []byte) (any, error) { return DecodeSpender(b) }, Spender{TxNum: 4, Vin: 2}.Encode(nil)},
		{"posting", PostingValue{Amount: 7, Count: 2}, func(b []byte) (any, error) { return DecodePostingValue(b) }, PostingValue{Amount: 7, Count: 2}.Encode(nil)},
		{"state", st, func(b []byte) (any, error) { return DecodeChainState(b) }, st.Encode(nil)},
		{"tip", Tip{Height: 5, Hash: [32]byte{9}}, func(b []byte) (any, error) { return DecodeTip(b) }, Tip{Height: 5, Hash: [32]byte{9}}.Encode(nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.out(tt.enc)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.in) {
				t.Fatalf("round trip = %+v, want %+v", got, tt.in)
			}
			// Every strict prefix and one extra byte must be rejected.
			for n := 0; n < len(tt.enc); n++ {
				if _, err := tt.out(tt.enc[:n]); !errors.Is(err, ErrCorruption) {
					t.Fatalf("%d of %d bytes decoded without a corruption error: %v", n, len(tt.enc), err)
				}
			}
			if _, err := tt.out(append(bytes.Clone(tt.enc), 0)); !errors.Is(err, ErrCorruption) {
				t.Fatalf("a trailing byte was accepted: %v", err)
			}
		})
	}
}

// FuzzRecordDecoders feeds arbitrary bytes to every value decoder: none may
// panic or allocate without bound, and whatever decodes re-encodes to the
// same bytes.
func FuzzRecordDecoders(f *testing.F) {
	f.Add(OutputsRecord{{Value: 1, Class: 2, AddrID: 3}, {Value: 0, Class: 8, Script: []byte{0x6a}}}.Encode(nil))
	f.Add(InputsRecord{{PrevTxNum: 9, AddrID: 7, Value: 50e8}}.Encode(nil))
	f.Add((&TxRecord{Fee: 300, NumIn: 2}).Encode(nil))
	f.Add((&ChainState{Blocks: 1}).Encode(nil))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, b []byte) {
		if r, err := DecodeOutputsRecord(b); err == nil && !bytes.Equal(r.Encode(nil), b) {
			t.Fatalf("outputs %x re-encode as %x", b, r.Encode(nil))
		}
		if r, err := DecodeInputsRecord(b); err == nil && !bytes.Equal(r.Encode(nil), b) {
			t.Fatalf("inputs %x re-encode as %x", b, r.Encode(nil))
		}
		if r, err := DecodeBlockRecord(b); err == nil && !bytes.Equal(r.Encode(nil), b) {
			t.Fatalf("block %x re-encodes as %x", b, r.Encode(nil))
		}
		_, _ = DecodeTxRecord(b)
		_, _ = DecodeChainState(b)
		_, _ = DecodeUndoRecord(b)
		_, _ = DecodePostingValue(b)
		_, _ = DecodeSpender(b)
		_, _ = DecodeTip(b)
		_, _ = DecodeAddrRecord(b)
	})
}
