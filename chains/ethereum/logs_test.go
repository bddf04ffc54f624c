package ethereum

import (
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
)

func word(v int64) []byte { return common.BigToHash(big.NewInt(v)).Bytes() }

func addrTopic(a common.Address) common.Hash { return common.BytesToHash(a.Bytes()) }

// batchData ABI-encodes the data of a TransferBatch log with go-ethereum's
// own encoder.
func batchData(t testing.TB, ids, vals []*big.Int) []byte {
	ty, err := abi.NewType("uint256[]", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	data, err := abi.Arguments{{Type: ty}, {Type: ty}}.Pack(ids, vals)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestDecodeLog(t *testing.T) {
	token := common.HexToAddress("0x1000000000000000000000000000000000000001")
	weth := common.HexToAddress("0x2000000000000000000000000000000000000002")
	a := common.HexToAddress("0xaaaa00000000000000000000000000000000aaaa")
	b := common.HexToAddress("0xbbbb00000000000000000000000000000000bbbb")
	op := common.HexToAddress("0xcccc00000000000000000000000000000000cccc")
	d := NewLogDecoder(weth)
	tests := []struct {
		name    string
		log     Log
		want    []Transfer
		wantErr string
	}{
		{name: "erc20", log: Log{Address: token, Topics: []common.Hash{TopicTransfer, addrTopic(a), addrTopic(b)}, Data: word(500)},
			want: []Transfer{{Kind: KindERC20, From: a, To: b, Asset: token, Amount: big.NewInt(500)}}},
		{name: "erc721", log: Log{Address: token, Topics: []common.Hash{TopicTransfer, addrTopic(a), addrTopic(b), common.BigToHash(big.NewInt(42))}},
			want: []Transfer{{Kind: KindERC721, From: a, To: b, Asset: token, TokenID: big.NewInt(42), Amount: big.NewInt(1)}}},
		{name: "transfer missing a topic", log: Log{Address: token, Topics: []common.Hash{TopicTransfer, addrTopic(a)}, Data: word(1)},
			wantErr: "2 topics"},
		{name: "erc20 short data", log: Log{Address: token, Topics: []common.Hash{TopicTransfer, addrTopic(a), addrTopic(b)}, Data: word(1)[:31]},
			wantErr: "31 data bytes"},
		{name: "non-indexed transfer (early tokens)", log: Log{Address: token, Topics: []common.Hash{TopicTransfer}, Data: append(append(word(1), word(2)...), word(3)...)},
			wantErr: "1 topics"},
		{name: "1155 single", log: Log{Address: token, Topics: []common.Hash{TopicTransferSingle, addrTopic(op), addrTopic(a), addrTopic(b)}, Data: append(word(9), word(70)...)},
			want: []Transfer{{Kind: KindERC1155, From: a, To: b, Asset: token, TokenID: big.NewInt(9), Amount: big.NewInt(70)}}},
		{name: "1155 single short", log: Log{Address: token, Topics: []common.Hash{TopicTransferSingle, addrTopic(op), addrTopic(a), addrTopic(b)}, Data: word(9)},
			wantErr: "32 data bytes"},
		{name: "1155 batch", log: Log{Address: token, Topics: []common.Hash{TopicTransferBatch, addrTopic(op), addrTopic(a), addrTopic(b)},
			Data: batchData(t, []*big.Int{big.NewInt(1), big.NewInt(2)}, []*big.Int{big.NewInt(10), big.NewInt(20)})},
			want: []Transfer{{Kind: KindERC1155, From: a, To: b, Asset: token, TokenID: big.NewInt(1), Amount: big.NewInt(10)},
				{Kind: KindERC1155, From: a, To: b, Asset: token, TokenID: big.NewInt(2), Amount: big.NewInt(20)}}},
		{name: "1155 batch lengths differ", log: Log{Address: token, Topics: []common.Hash{TopicTransferBatch, addrTopic(op), addrTopic(a), addrTopic(b)},
			Data: batchData(t, []*big.Int{big.NewInt(1), big.NewInt(2)}, []*big.Int{big.NewInt(10)})}, wantErr: "2 ids and 1 values"},
		{name: "1155 batch offset out of range", log: Log{Address: token, Topics: []common.Hash{TopicTransferBatch, addrTopic(op), addrTopic(a), addrTopic(b)},
			Data: append(word(1<<20), word(64)...)}, wantErr: "offset out of range"},
		{name: "weth deposit", log: Log{Address: weth, Topics: []common.Hash{TopicDeposit, addrTopic(a)}, Data: word(5)},
			want: []Transfer{{Kind: KindWETHDeposit, Mint: true, To: a, Asset: weth, Amount: big.NewInt(5)}}},
		{name: "weth withdrawal", log: Log{Address: weth, Topics: []common.Hash{TopicWithdrawal, addrTopic(a)}, Data: word(5)},
			want: []Transfer{{Kind: KindWETHWithdrawal, Sink: true, From: a, Asset: weth, Amount: big.NewInt(5)}}},
		{name: "deposit event of another contract", log: Log{Address: token, Topics: []common.Hash{TopicDeposit, addrTopic(a)}, Data: word(5)}},
		{name: "weth deposit without topic", log: Log{Address: weth, Topics: []common.Hash{TopicDeposit}, Data: word(5)}, wantErr: "1 topics"},
		{name: "unknown event", log: Log{Address: token, Topics: []common.Hash{common.HexToHash("0x01")}, Data: word(5)}},
		{name: "anonymous event", log: Log{Address: token, Data: word(5)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.log.Index = 3
			got, err := d.DecodeLog(&tt.log)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for i := range tt.want {
				tt.want[i].Log = 3
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d transfers %+v, want %+v", len(got), got, tt.want)
			}
			for i := range got {
				if !sameTransfer(got[i], tt.want[i]) {
					t.Errorf("transfer %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func sameTransfer(a, b Transfer) bool {
	eq := func(x, y *big.Int) bool { return (x == nil) == (y == nil) && (x == nil || x.Cmp(y) == 0) }
	return a.Kind == b.Kind && a.From == b.From && a.To == b.To && a.Mint == b.Mint && a.Sink == b.Sink &&
		a.Asset == b.Asset && eq(a.TokenID, b.TokenID) && eq(a.Amount, b.Amount) && a.Log == b.Log
}

// FuzzDecodeLog feeds arbitrary logs to the decoder: it must never panic,
// and whatever it returns must be within what the log can say.
func FuzzDecodeLog(f *testing.F) {
	a := common.HexToAddress("0xaaaa00000000000000000000000000000000aaaa")
	f.Add(uint8(0), uint8(3), word(7))
	f.Add(uint8(1), uint8(4), append(word(1), word(2)...))
	f.Add(uint8(2), uint8(4), batchData(f, []*big.Int{big.NewInt(1)}, []*big.Int{big.NewInt(5)}))
	f.Add(uint8(3), uint8(2), word(9))
	f.Add(uint8(2), uint8(4), append(word(64), word(1<<30)...))
	topics := []common.Hash{TopicTransfer, TopicTransferSingle, TopicTransferBatch, TopicDeposit, TopicWithdrawal}
	d := NewLogDecoder(a)
	f.Fuzz(func(t *testing.T, event, ntopics uint8, data []byte) {
		l := Log{Address: a, Data: data, Topics: []common.Hash{topics[int(event)%len(topics)]}}
		for i := 1; i < int(ntopics%6); i++ {
			l.Topics = append(l.Topics, addrTopic(a))
		}
		ts, err := d.DecodeLog(&l)
		if err != nil && len(ts) > 0 {
			t.Fatalf("error %v with %d transfers", err, len(ts))
		}
		if len(ts) > len(data)/32+1 {
			t.Fatalf("%d transfers from %d data bytes", len(ts), len(data))
		}
		for _, tr := range ts {
			if tr.Amount == nil || tr.Amount.Sign() < 0 || tr.Amount.BitLen() > 256 {
				t.Fatalf("amount %v", tr.Amount)
			}
			if tr.Asset != a {
				t.Fatalf("asset %s, the log's contract is %s", tr.Asset, a)
			}
		}
	})
}

func TestDecodeABIString(t *testing.T) {
	ty, _ := abi.NewType("string", "", nil)
	packed, err := abi.Arguments{{Type: ty}}.Pack("USDC")
	if err != nil {
		t.Fatal(err)
	}
	var b32 [32]byte
	copy(b32[:], "MKR")
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"abi string", packed, "USDC"},
		{"bytes32", b32[:], "MKR"},
		{"empty", nil, ""},
		{"control characters dropped", append(append([]byte{}, packed[:64]...), "U\x00\x01S"...), "US"},
		{"length past the end", append(append(word(32), word(1000)...), []byte("abc")...), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DecodeABIString(tt.in); got != tt.want {
				t.Errorf("DecodeABIString = %q, want %q", got, tt.want)
			}
		})
	}
}

// FuzzDecodeABIString checks that metadata decoding never panics and
// returns bounded, printable text.
func FuzzDecodeABIString(f *testing.F) {
	f.Add(word(32))
	f.Add(append(word(32), word(3)...))
	f.Fuzz(func(t *testing.T, b []byte) {
		s := DecodeABIString(b)
		if n := len([]rune(s)); n > maxMetaLen {
			t.Fatalf("%d runes", n)
		}
		for _, r := range s {
			if r < 0x20 || r == 0x7f {
				t.Fatalf("control character %q", r)
			}
		}
	})
}
