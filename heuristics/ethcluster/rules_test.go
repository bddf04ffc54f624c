package ethcluster

import (
	"math/big"
	"testing"

	"github.com/spoorhq/spoor/storage"
)

func wei(milli int64) *big.Int { return new(big.Int).Mul(big.NewInt(milli), big.NewInt(1e15)) }

// TestFindDepositsBounds checks the deposit rule at the edges of its
// window and tolerance: τ = 10 blocks, α = 0.01 ether. Address 1 is the
// exchange, 2 the deposit address, 3 the user, 9 a miner.
func TestFindDepositsBounds(t *testing.T) {
	ex, miners := map[storage.AddrID]bool{1: true}, map[storage.AddrID]bool{9: true}
	alpha := wei(10)
	pay := func(from storage.AddrID, h uint32, v *big.Int) flow {
		return flow{tx: storage.TxNum(h * 10), height: h, from: from, to: 2, amount: v}
	}
	fwd := func(h uint32, v *big.Int) flow {
		return flow{tx: storage.TxNum(h*10 + 1), height: h, from: 2, to: 1, amount: v}
	}
	tests := []struct {
		name  string
		moves []flow
		want  int
	}{
		{"gap equal to τ", []flow{pay(3, 100, wei(1000)), fwd(110, wei(995))}, 1},
		{"gap past τ", []flow{pay(3, 100, wei(1000)), fwd(111, wei(995))}, 0},
		{"difference equal to α", []flow{pay(3, 100, wei(1000)), fwd(101, wei(990))}, 1},
		{"difference past α", []flow{pay(3, 100, wei(1000)), fwd(101, new(big.Int).Sub(wei(990), big.NewInt(1)))}, 0},
		{"forwards more than received", []flow{pay(3, 100, wei(1000)), fwd(101, new(big.Int).Add(wei(1000), big.NewInt(1)))}, 0},
		{"other tenth of an ether", []flow{pay(3, 100, wei(1049)), fwd(101, wei(1051))}, 0},
		{"the latest payment of the tenth is matched", []flow{pay(3, 100, wei(1000)), pay(4, 102, wei(1030)), fwd(103, wei(1000))}, 0},
		{"a miner's payment is dropped", []flow{pay(9, 100, wei(1000)), fwd(101, wei(999))}, 0},
		{"the exchange paying its deposit address is no user", []flow{{tx: 1, height: 100, from: 1, to: 2, amount: wei(1000)}, fwd(101, wei(999))}, 0},
		{"a payment after the forward does not count", []flow{fwd(100, wei(999)), pay(3, 101, wei(1000))}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := findDeposits(tt.moves, ex, map[storage.AddrID]bool{}, miners, alpha, 10)
			if len(got) != tt.want {
				t.Fatalf("%d matches %+v, want %d", len(got), got, tt.want)
			}
			for _, m := range got {
				if m.User != 3 || m.Deposit != 2 || m.Exchange != 1 {
					t.Fatalf("match %+v, want user 3, deposit 2, exchange 1", m)
				}
			}
		})
	}
}

func TestDepositConfidence(t *testing.T) {
	tests := []struct {
		diff, gap uint64
		want      uint8
	}{
		{0, 0, 100},
		{10, 0, 50}, // the whole tolerance used
		{0, 10, 50}, // the whole window used
		{10, 10, 1}, // both: floored at 1
		{5, 2, 65},  // 1 - (0.25 + 0.1)
	}
	for _, tt := range tests {
		if got := depositConfidence(wei(int64(tt.diff)), wei(10), tt.gap, 10); got != tt.want {
			t.Errorf("confidence(diff %d/1000 ether, gap %d) = %d, want %d", tt.diff, tt.gap, got, tt.want)
		}
	}
}

// TestFindAirdropsRules runs the airdrop rule on token transfers: token
// 50, distributor 1 sending 100 units to 11..15 in consecutive blocks.
func TestFindAirdropsRules(t *testing.T) {
	var h uint32
	tr := func(from, to storage.AddrID, v int64) flow {
		h++
		return flow{tx: storage.TxNum(h), height: h, from: from, to: to, asset: 50, amount: big.NewInt(v)}
	}
	drop := func() []flow {
		h = 0
		var out []flow
		for r := storage.AddrID(11); r <= 15; r++ {
			out = append(out, tr(1, r, 100))
		}
		return out
	}
	active := map[storage.AddrID]bool{}
	for a := storage.AddrID(1); a < 40; a++ {
		active[a] = a != 31
	}
	tests := []struct {
		name  string
		extra func() []flow
		want  int
	}{
		{"two claimers to one collector", func() []flow { return []flow{tr(11, 30, 100), tr(12, 30, 100)} }, 2},
		{"one claimer", func() []flow { return []flow{tr(11, 30, 100)} }, 0},
		{"another amount", func() []flow { return []flow{tr(11, 30, 100), tr(12, 30, 99)} }, 0},
		{"an inactive collector", func() []flow { return []flow{tr(11, 31, 100), tr(12, 31, 100)} }, 0},
		{"back to the distributor", func() []flow { return []flow{tr(11, 1, 100), tr(12, 1, 100)} }, 0},
		{"a non-claimer", func() []flow { return []flow{tr(11, 30, 100), tr(20, 30, 100)} }, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			moves := append(drop(), tt.extra()...)
			got := findAirdrops(moves, active, 5, 2, 2)
			if len(got) != tt.want {
				t.Fatalf("%d links %+v, want %d", len(got), got, tt.want)
			}
		})
	}
	// Too few recipients, or too slow, is no airdrop.
	moves := append(drop(), tr(11, 30, 100), tr(12, 30, 100))
	if got := findAirdrops(moves, active, 6, 2, 2); len(got) != 0 {
		t.Errorf("5 recipients with a minimum of 6: %d links", len(got))
	}
	slow := drop()
	for i := range slow {
		slow[i].height = uint32(i * 3)
	}
	if got := findAirdrops(append(slow, tr(11, 30, 100), tr(12, 30, 100)), active, 5, 2, 2); len(got) != 0 {
		t.Errorf("transfers 3 blocks apart with a median gap of at most 2: %d links", len(got))
	}
}

// TestFindTokenDeposits checks the token variant: exactly the same amount
// of the same token, within τ = 10 blocks, from an active address.
func TestFindTokenDeposits(t *testing.T) {
	ex := map[storage.AddrID]bool{1: true}
	active := map[storage.AddrID]bool{3: true}
	tr := func(from, to storage.AddrID, h uint32, token storage.AddrID, v int64) flow {
		return flow{tx: storage.TxNum(h), height: h, from: from, to: to, asset: token, amount: big.NewInt(v)}
	}
	tests := []struct {
		name  string
		moves []flow
		want  int
	}{
		{"same amount", []flow{tr(3, 2, 100, 50, 250), tr(2, 1, 110, 50, 250)}, 1},
		{"past τ", []flow{tr(3, 2, 100, 50, 250), tr(2, 1, 111, 50, 250)}, 0},
		{"one unit less", []flow{tr(3, 2, 100, 50, 250), tr(2, 1, 101, 50, 249)}, 0},
		{"another token", []flow{tr(3, 2, 100, 50, 250), tr(2, 1, 101, 51, 250)}, 0},
		{"an inactive sender", []flow{tr(4, 2, 100, 50, 250), tr(2, 1, 101, 50, 250)}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := findTokenDeposits(tt.moves, ex, map[storage.AddrID]bool{}, map[storage.AddrID]bool{}, active, 10)
			if len(got) != tt.want {
				t.Fatalf("%d matches %+v, want %d", len(got), got, tt.want)
			}
			if len(got) == 1 && (got[0].User != 3 || got[0].Deposit != 2 || got[0].Confidence != 50) {
				t.Fatalf("match %+v, want user 3, deposit 2, confidence 50 (the whole window used)", got[0])
			}
		})
	}
}
