package storage

import (
	"bytes"
	"fmt"
	"math/big"
	"testing"
)

func TestEthRecordsRoundTrip(t *testing.T) {
	max256 := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))
	tests := []struct {
		name   string
		encode func() []byte
		decode func([]byte) (any, error)
		want   any
	}{
		{"block", func() []byte {
			r := EthBlockRecord{Hash: [32]byte{1}, Parent: [32]byte{2}, Time: 1700000000, FirstTxNum: 9, NumTx: 3, FirstAddrID: 4, Miner: 5, GasUsed: 21000, BaseFee: big.NewInt(7), Traced: 1, System: true}
			return r.Encode(nil)
		}, func(b []byte) (any, error) { return DecodeEthBlockRecord(b) },
			EthBlockRecord{Hash: [32]byte{1}, Parent: [32]byte{2}, Time: 1700000000, FirstTxNum: 9, NumTx: 3, FirstAddrID: 4, Miner: 5, GasUsed: 21000, BaseFee: big.NewInt(7), Traced: 1, System: true}},
		{"tx", func() []byte {
			r := EthTxRecord{Hash: [32]byte{3}, Height: 8, Index: 2, Flags: EthTxFailed | EthTxCreate, From: 1, To: 2, Value: max256, GasUsed: 50000, Fee: big.NewInt(123), Transfers: 2}
			return r.Encode(nil)
		}, func(b []byte) (any, error) { return DecodeEthTxRecord(b) },
			EthTxRecord{Hash: [32]byte{3}, Height: 8, Index: 2, Flags: EthTxFailed | EthTxCreate, From: 1, To: 2, Value: max256, GasUsed: 50000, Fee: big.NewInt(123), Transfers: 2}},
		{"transfer with token id", func() []byte {
			r := EthTransferRecord{Kind: 6, From: 1, To: 2, Asset: 3, Amount: big.NewInt(1), TokenID: big.NewInt(0), Log: 0}
			return r.Encode(nil)
		}, func(b []byte) (any, error) { return DecodeEthTransferRecord(b) },
			EthTransferRecord{Kind: 6, From: 1, To: 2, Asset: 3, Amount: big.NewInt(0).SetInt64(1), TokenID: big.NewInt(0), Log: 0}},
		{"mint without log", func() []byte {
			r := EthTransferRecord{Kind: 12, Mint: true, To: 2, Amount: big.NewInt(1e9), Log: -1}
			return r.Encode(nil)
		}, func(b []byte) (any, error) { return DecodeEthTransferRecord(b) },
			EthTransferRecord{Kind: 12, Mint: true, To: 2, Amount: big.NewInt(1e9), Log: -1}},
		{"token", func() []byte {
			r := EthTokenRecord{Symbol: "USDC", Name: "USD Coin", Decimals: 6, HasDecimals: true}
			return r.Encode(nil)
		}, func(b []byte) (any, error) { return DecodeEthTokenRecord(b) },
			EthTokenRecord{Symbol: "USDC", Name: "USD Coin", Decimals: 6, HasDecimals: true}},
		{"undo", func() []byte {
			r := EthUndoRecord{Before: EthState{NextTxNum: 5, NextAddrID: 9, Blocks: 2, Transfers: 7}, Tokens: []AddrID{3, 4}}
			return r.Encode(nil)
		}, func(b []byte) (any, error) { return DecodeEthUndoRecord(b) },
			EthUndoRecord{Before: EthState{NextTxNum: 5, NextAddrID: 9, Blocks: 2, Transfers: 7}, Tokens: []AddrID{3, 4}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc := tt.encode()
			got, err := tt.decode(enc)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", tt.want) {
				t.Errorf("decoded %+v, want %+v", got, tt.want)
			}
			for i := range enc {
				if _, err := tt.decode(enc[:i]); err == nil {
					t.Errorf("truncated to %d of %d bytes: no error", i, len(enc))
				}
			}
		})
	}
}

func TestEthKeysRoundTrip(t *testing.T) {
	pk := EthPostingKey{AddrID: 7, TxNum: 9, Seq: 3, Role: RoleSpend}
	if got, err := DecodeEthPostingKey(pk.Encode(nil)); err != nil || got != pk {
		t.Errorf("posting key %+v, %v", got, err)
	}
	tk := EthTransferKey{TxNum: 1 << 40, Seq: 2}
	if got, err := DecodeEthTransferKey(tk.Encode(nil)); err != nil || got != tk {
		t.Errorf("transfer key %+v, %v", got, err)
	}
	ak := EthAddrKey{Addr: [20]byte{1, 2, 3}}
	if got, err := DecodeEthAddrKey(ak.Encode(nil)); err != nil || got != ak {
		t.Errorf("address key %+v, %v", got, err)
	}
	if _, err := DecodeEthPostingKey(tk.Encode(nil)); err == nil {
		t.Error("a transfer key decoded as a posting key")
	}
	// Transfers of one transaction sort by sequence, and transactions by
	// number, so a prefix scan reads them in order.
	if bytes.Compare(EthTransferKey{TxNum: 1, Seq: 300}.Encode(nil), EthTransferKey{TxNum: 2}.Encode(nil)) >= 0 {
		t.Error("transfer keys are not in transaction order")
	}
}

// FuzzDecodeEthTransferRecord checks that a transfer row decodes only in
// its one canonical form: whatever decodes re-encodes to the same bytes.
func FuzzDecodeEthTransferRecord(f *testing.F) {
	r := EthTransferRecord{Kind: 5, From: 1, To: 2, Asset: 3, Amount: big.NewInt(1000), Log: 4}
	f.Add(r.Encode(nil))
	r2 := EthTransferRecord{Kind: 7, Sink: true, From: 1, Asset: 3, Amount: big.NewInt(1), TokenID: big.NewInt(99), Log: -1}
	f.Add(r2.Encode(nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := DecodeEthTransferRecord(b)
		if err != nil {
			return
		}
		if enc := v.Encode(nil); !bytes.Equal(enc, b) {
			t.Fatalf("%x decodes to %+v, which encodes to %x", b, v, enc)
		}
	})
}

func TestEthTotalsRoundTrip(t *testing.T) {
	for _, k := range []EthTotalsKey{MakeEthTotalsKey(3, 0, nil), MakeEthTotalsKey(3, 9, big.NewInt(1<<40))} {
		got, err := DecodeEthTotalsKey(k.Encode(nil))
		if err != nil || got != k {
			t.Errorf("totals key %+v decoded as %+v, %v", k, got, err)
		}
		if enc := k.Encode(nil); len(enc) > 18 {
			if _, err := DecodeEthTotalsKey(enc[:len(enc)-1]); err == nil {
				t.Errorf("truncated totals key %x decoded", enc[:len(enc)-1])
			}
		}
	}
	r := EthTotalsRecord{Received: big.NewInt(10), Sent: big.NewInt(3), Edges: 4}
	got, err := DecodeEthTotalsRecord(r.Encode(nil))
	if err != nil || got.Received.Cmp(r.Received) != 0 || got.Sent.Cmp(r.Sent) != 0 || got.Edges != 4 {
		t.Errorf("totals record %+v, %v", got, err)
	}
	// An edge and its removal cancel out; removing more than was added is
	// corruption.
	d := EthTotalsDelta{}
	e := EthTransferRecord{Kind: 1, From: 1, To: 2, Amount: big.NewInt(5)}
	self := EthTransferRecord{Kind: 2, From: 2, To: 2, Amount: big.NewInt(7)}
	d.ApplyEthEdge(&e, +1)
	d.ApplyEthEdge(&self, +1)
	zero := EthTotalsRecord{Received: new(big.Int), Sent: new(big.Int)}
	b2, err := d[MakeEthTotalsKey(2, 0, nil)].Add(zero)
	if err != nil || b2.Received.Int64() != 12 || b2.Sent.Int64() != 7 || b2.Edges != 2 {
		t.Errorf("address 2 totals %+v, %v: want received 12, sent 7 in 2 edges", b2, err)
	}
	undo := EthTotalsDelta{}
	undo.ApplyEthEdge(&e, -1)
	undo.ApplyEthEdge(&self, -1)
	back, err := undo[MakeEthTotalsKey(2, 0, nil)].Add(b2)
	if err != nil || back.Received.Sign() != 0 || back.Sent.Sign() != 0 || back.Edges != 0 {
		t.Errorf("undone totals %+v, %v: want zero", back, err)
	}
	if _, err := undo[MakeEthTotalsKey(1, 0, nil)].Add(zero); err == nil {
		t.Error("removing an edge from empty totals is not an error")
	}
}
