package ethereum

import (
	"math/big"

	"github.com/ethereum/go-ethereum/common"
)

// RewardSchedule is a proof-of-work chain's block reward by height. After
// the merge there are no block rewards (validators are paid through
// withdrawals, which blocks record).
type RewardSchedule struct {
	// Eras lists from which height each reward applies, in order.
	Eras []RewardEra
	// Merge is the first proof-of-stake block: from it on, no rewards.
	Merge uint64
}

// RewardEra is a block reward that applies from a height on.
type RewardEra struct {
	From   uint64
	Reward *big.Int
}

// MainnetRewards is Ethereum mainnet's schedule: 5 ether from Frontier,
// 3 from Byzantium (EIP-649), 2 from Constantinople (EIP-1234), none from
// the merge (Paris).
var MainnetRewards = RewardSchedule{
	Eras: []RewardEra{
		{From: 0, Reward: new(big.Int).Mul(big.NewInt(5), big.NewInt(1e18))},
		{From: 4_370_000, Reward: new(big.Int).Mul(big.NewInt(3), big.NewInt(1e18))},
		{From: 7_280_000, Reward: new(big.Int).Mul(big.NewInt(2), big.NewInt(1e18))},
	},
	Merge: 15_537_394,
}

// Uncle is the part of an uncle header the rewards depend on.
type Uncle struct {
	Number uint64
	Miner  common.Address
}

// BlockReward returns the base reward of a block at height n, or nil when
// the block earns none.
func (s RewardSchedule) BlockReward(n uint64) *big.Int {
	if n == 0 || n >= s.Merge {
		return nil // the genesis block and proof-of-stake blocks earn nothing
	}
	var r *big.Int
	for _, e := range s.Eras {
		if n >= e.From {
			r = e.Reward
		}
	}
	return r
}

// Rewards returns the rewards of block n mined by miner with the given
// uncles: the miner earns the base reward plus 1/32 of it per uncle, and
// each uncle's miner earns (uncle + 8 - n)/8 of it.
func (s RewardSchedule) Rewards(n uint64, miner common.Address, uncles []Uncle) []Reward {
	base := s.BlockReward(n)
	if base == nil {
		return nil
	}
	total := new(big.Int).Set(base)
	perUncle := new(big.Int).Div(base, big.NewInt(32))
	out := []Reward{{}}
	for _, u := range uncles {
		total.Add(total, perUncle)
		if u.Number+8 <= n || u.Number >= n {
			continue // not a valid uncle depth; consensus rejects it
		}
		r := new(big.Int).Mul(base, new(big.Int).SetUint64(u.Number+8-n))
		out = append(out, Reward{Author: u.Miner, Value: r.Div(r, big.NewInt(8)), Uncle: true})
	}
	out[0] = Reward{Author: miner, Value: total}
	return out
}
