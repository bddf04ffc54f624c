package ethereum

import (
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

func TestDecodeTx(t *testing.T) {
	a := common.HexToAddress("0xa")
	b := common.HexToAddress("0xb")
	c := common.HexToAddress("0xc")
	miner := common.HexToAddress("0xfee")
	gwei := func(n int64) *big.Int { return big.NewInt(n * 1e9) }
	london := &Block{Number: 20_000_000, Miner: miner, BaseFee: gwei(10)}
	legacy := &Block{Number: 1_000_000, Miner: miner}
	tests := []struct {
		name    string
		blk     *Block
		tx      Tx
		want    []string
		wantErr string
	}{
		{name: "success: value, tip to the miner, base fee burnt", blk: london,
			tx:   Tx{From: a, To: &b, Value: big.NewInt(7), Receipt: Receipt{Status: 1, GasUsed: 21000, EffectiveGasPrice: gwei(12)}},
			want: []string{"native 0xa->0xb 7", "fee 0xa->0xfee 42000000000000", "burn 0xa->sink 210000000000000"}},
		{name: "failed: fees only, even with a value and a trace", blk: london,
			tx: Tx{From: a, To: &b, Value: big.NewInt(7), Trace: &CallFrame{Type: "CALL", Error: "execution reverted",
				Calls: []CallFrame{{Type: "CALL", From: b, To: c, Value: big.NewInt(1)}}},
				Receipt: Receipt{Status: 0, GasUsed: 30000, EffectiveGasPrice: gwei(10)}},
			want: []string{"burn 0xa->sink 300000000000000"}},
		{name: "before London the whole fee goes to the miner", blk: legacy,
			tx:   Tx{From: a, To: &b, GasPrice: gwei(20), Receipt: Receipt{Status: 1, GasUsed: 21000}},
			want: []string{"fee 0xa->0xfee 420000000000000"}},
		{name: "blob gas is burnt too", blk: london,
			tx: Tx{From: a, To: &b, Receipt: Receipt{Status: 1, GasUsed: 21000, EffectiveGasPrice: gwei(10),
				BlobGasUsed: 131072, BlobGasPrice: big.NewInt(3)}},
			want: []string{"burn 0xa->sink 210000000393216"}},
		{name: "contract creation endowment", blk: london,
			tx:   Tx{From: a, Value: big.NewInt(5), Receipt: Receipt{Status: 1, ContractAddress: c, GasUsed: 1, EffectiveGasPrice: gwei(10)}},
			want: []string{"create 0xa->0xc 5", "burn 0xa->sink 10000000000"}},
		{name: "internal calls: reverted subtree, delegatecall and staticcall move nothing", blk: london,
			tx: Tx{From: a, To: &b, Receipt: Receipt{Status: 1, GasUsed: 1, EffectiveGasPrice: gwei(10)},
				Trace: &CallFrame{Type: "CALL", From: a, To: b, Calls: []CallFrame{
					{Type: "CALL", From: b, To: c, Value: big.NewInt(1), Calls: []CallFrame{
						{Type: "CALL", From: c, To: a, Value: big.NewInt(2)},
					}},
					{Type: "CALL", From: b, To: c, Value: big.NewInt(3), Error: "execution reverted", Calls: []CallFrame{
						{Type: "CALL", From: c, To: a, Value: big.NewInt(4)},
					}},
					{Type: "DELEGATECALL", From: b, To: c, Value: big.NewInt(5)},
					{Type: "STATICCALL", From: b, To: c},
					{Type: "CREATE2", From: b, To: c, Value: big.NewInt(6)},
					{Type: "SELFDESTRUCT", From: c, To: a, Value: big.NewInt(6)},
				}}},
			want: []string{"internal 0xb->0xc 1", "internal 0xc->0xa 2", "create 0xb->0xc 6", "selfdestruct 0xc->0xa 6", "burn 0xa->sink 10000000000"}},
		{name: "success with a failed top frame is inconsistent", blk: london,
			tx:      Tx{From: a, To: &b, Trace: &CallFrame{Error: "out of gas"}, Receipt: Receipt{Status: 1, GasUsed: 1, EffectiveGasPrice: gwei(10)}},
			wantErr: "top frame failed"},
		{name: "price below the base fee", blk: london,
			tx:      Tx{From: a, To: &b, Receipt: Receipt{Status: 1, GasUsed: 1, EffectiveGasPrice: gwei(9)}},
			wantErr: "below the base fee"},
		{name: "no price at all", blk: london, tx: Tx{From: a, To: &b, Receipt: Receipt{Status: 1, GasUsed: 1}},
			wantErr: "no effective gas price"},
	}
	short := func(x common.Address) string { return "0x" + strings.TrimLeft(strings.ToLower(x.Hex()[2:]), "0") }
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			edges, _, err := NewLogDecoder().DecodeTx(tt.blk, &tt.tx)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range edges {
				to := short(e.To)
				if e.Sink {
					to = "sink"
				}
				got = append(got, fmt.Sprintf("%s %s->%s %s", e.Kind, short(e.From), to, e.Amount))
			}
			if strings.Join(got, "; ") != strings.Join(tt.want, "; ") {
				t.Errorf("edges\n got  %v\n want %v", got, tt.want)
			}
		})
	}
}

func TestDecodeBlockMints(t *testing.T) {
	a := common.HexToAddress("0xa")
	blk := &Block{Number: 5, Withdrawals: []Withdrawal{{Address: a, Gwei: 32_000_000_000}, {Address: a, Gwei: 0}},
		Rewards: []Reward{{Author: a, Value: big.NewInt(2e18)}}}
	d, err := NewLogDecoder().DecodeBlock(blk)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Block) != 2 || d.Block[0].Kind != KindWithdrawal || d.Block[0].Amount.String() != "32000000000000000000" || !d.Block[0].Mint ||
		d.Block[1].Kind != KindReward || d.Edges() != 2 {
		t.Errorf("block edges %+v: want a 32 ether withdrawal and a 2 ether reward, both mints (a zero withdrawal moves nothing)", d.Block)
	}
}
