package ethereum

import (
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

func micro(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), big.NewInt(1e12)) }

// TestMainnetRewards checks the schedule against the protocol's published
// figures: 5, 3 and 2 ether per block by era, 1/32 of it per included
// uncle, (uncle + 8 - block)/8 of it to the uncle's miner, nothing at
// genesis or after the merge.
func TestMainnetRewards(t *testing.T) {
	miner := common.HexToAddress("0x1111111111111111111111111111111111111111")
	um := common.HexToAddress("0x2222222222222222222222222222222222222222")
	tests := []struct {
		name   string
		n      uint64
		uncles []Uncle
		want   []Reward
	}{
		{name: "genesis", n: 0},
		{name: "frontier", n: 1, want: []Reward{{Author: miner, Value: micro(5_000_000)}}},
		{name: "last frontier block", n: 4_369_999, want: []Reward{{Author: miner, Value: micro(5_000_000)}}},
		{name: "byzantium with an uncle one deep", n: 4_370_000, uncles: []Uncle{{Number: 4_369_999, Miner: um}},
			want: []Reward{{Author: miner, Value: micro(3_093_750)}, {Author: um, Value: micro(2_625_000), Uncle: true}}},
		{name: "constantinople with two uncles", n: 7_280_010, uncles: []Uncle{{Number: 7_280_009, Miner: um}, {Number: 7_280_004, Miner: miner}},
			want: []Reward{{Author: miner, Value: micro(2_125_000)}, {Author: um, Value: micro(1_750_000), Uncle: true}, {Author: miner, Value: micro(500_000), Uncle: true}}},
		{name: "last proof-of-work block", n: 15_537_393, want: []Reward{{Author: miner, Value: micro(2_000_000)}}},
		{name: "first proof-of-stake block", n: 15_537_394},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := MainnetRewards.Rewards(tt.n, miner, tt.uncles)
			if len(got) != len(tt.want) {
				t.Fatalf("rewards %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i].Author != tt.want[i].Author || got[i].Value.Cmp(tt.want[i].Value) != 0 || got[i].Uncle != tt.want[i].Uncle {
					t.Errorf("reward %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}
