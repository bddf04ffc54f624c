package coinjoin

import (
	"github.com/spoorhq/spoor/chains/bitcoin"
	"github.com/spoorhq/spoor/heuristics"
	"github.com/spoorhq/spoor/storage"
)

// IsBlockSci is BlockSci's isCoinjoin: at least 2 inputs and 3 outputs;
// with p = (outputs+1)/2 participants (one equal output and one change
// each), p is at most the inputs and the distinct input addresses, and the
// most frequent output value (lowest on a tie) occurs exactly p times and
// is not dust. Deviation: BlockSci excludes the dust limits 546 and 2,730
// sat exactly; this version excludes every value up to 2,730 sat, as
// GraphSense's JoinMarket rule does, because equal dust outputs (dusting,
// anchors) are not CoinJoin denominations.
func IsBlockSci(tx *heuristics.Tx) bool {
	nIn, nOut := len(tx.Ins), len(tx.Outs)
	if nIn < 2 || nOut < 3 {
		return false
	}
	p := (nOut + 1) / 2
	if p > nIn || p > tx.DistinctInputAddrs() {
		return false
	}
	v, c := tx.MostFrequentValue(nil)
	return c == p && v > 2730
}

// WhirlpoolPools are the Whirlpool pool denominations with the coordinator
// fee a Tx0 pays to enter each, in satoshi.
var WhirlpoolPools = [...]struct{ Denom, Fee uint64 }{
	{100_000, 5_000},
	{1_000_000, 50_000},
	{5_000_000, 175_000},
	{50_000_000, 1_750_000},
}

// whirlpoolMaxOverpay is how far above the denomination a mix input may
// be: the miner fee allowance of a new entrant (0.0011 BTC).
const whirlpoolMaxOverpay = 110_000

// IsWhirlpoolMix is the Dumplings rule for a Whirlpool mix: 5 to 10
// inputs and as many outputs, every input and output P2WPKH, every output
// exactly one pool denomination d paid to distinct addresses, every input
// in [d, d + 0.0011 BTC] from distinct previous transactions. Deviation:
// Dumplings requires at least one remixed input (value d); a pool's first
// mixes have none, so this version requires instead at least one input
// above d, which pays the miner fee.
func IsWhirlpoolMix(tx *heuristics.Tx) bool {
	n := len(tx.Ins)
	if n < 5 || n > 10 || len(tx.Outs) != n {
		return false
	}
	d := tx.Outs[0].Value
	pool := false
	for _, p := range WhirlpoolPools {
		pool = pool || p.Denom == d
	}
	if !pool {
		return false
	}
	for _, o := range tx.Outs {
		if o.Value != d || o.Class != bitcoin.ClassP2WPKH {
			return false
		}
	}
	if !tx.DistinctOutputAddrs() {
		return false
	}
	payer := false
	prev := make(map[storage.TxNum]struct{}, n)
	for _, in := range tx.Ins {
		if in.Class != bitcoin.ClassP2WPKH || in.Value < d || in.Value > d+whirlpoolMaxOverpay {
			return false
		}
		if _, dup := prev[in.PrevTx]; dup {
			return false
		}
		prev[in.PrevTx] = struct{}{}
		payer = payer || in.Value > d
	}
	return payer
}

// IsWhirlpoolTx0 is GraphSense's Tx0 rule: for some pool d, the premix
// value (the most frequent output value in [d+100, d+0.0011 BTC]) occurs
// 1 to 70 times, every spendable output is P2WPKH (Samourai pays premix,
// fee and change to bech32 addresses), at most 2 other spendable outputs (the
// coordinator fee and change) remain, an output lies in [0.5, 3] times the
// pool's fee, and there is at most one OP_RETURN. Deviation:
// GraphSense requires exactly one OP_RETURN (the masked fee payload); this
// version accepts none, as simulated Tx0s carry none, but then asks for at
// least 2 premix outputs, since one output near a pool size next to one
// near its fee is common in ordinary payments. GraphSense asks for exactly
// one output in the fee range; change often lands there too, so this
// version asks for at least one.
func IsWhirlpoolTx0(tx *heuristics.Tx) bool {
	if tx.Coinbase || len(tx.Ins) == 0 {
		return false
	}
	nullData, spendable := 0, 0
	for _, o := range tx.Outs {
		switch {
		case o.Class == bitcoin.ClassNullData:
			nullData++
		case o.Spendable():
			spendable++
		}
	}
	if nullData > 1 || spendable < 2 {
		return false
	}
	for _, p := range WhirlpoolPools {
		lo, hi := p.Denom+100, p.Denom+whirlpoolMaxOverpay
		v, c := tx.MostFrequentValue(func(o heuristics.Output) bool {
			return o.Spendable() && o.Value >= lo && o.Value <= hi
		})
		if c < 1 || c > 70 || spendable-c > 2 || (c < 2 && nullData == 0) {
			continue
		}
		feeOuts, ok := 0, true
		for _, o := range tx.Outs {
			if o.Spendable() && o.Class != bitcoin.ClassP2WPKH {
				ok = false
			}
			if o.Spendable() && o.Value != v && 2*o.Value >= p.Fee && o.Value <= 3*p.Fee {
				feeOuts++
			}
		}
		if ok && feeOuts >= 1 {
			return true
		}
	}
	return false
}

// IsWasabi1 is GraphSense's Wasabi 1.0 rule: at least 10 inputs, no input
// address holding more than 10% of them; d, the most frequent output value
// within 0.1 BTC ± 0.005 BTC, occurs n ≥ 3 times with n ≥ (outputs−1)/2 and
// n ≤ distinct input addresses ≤ 7n; outputs go to distinct addresses; and
// below 20 inputs, a total output within 0.01% of a whole multiple of d (a
// split payout) is rejected.
func IsWasabi1(tx *heuristics.Tx) bool {
	nIn := len(tx.Ins)
	if nIn < 10 || topInputShare(tx)*10 > nIn {
		return false
	}
	d, n := tx.MostFrequentValue(func(o heuristics.Output) bool {
		return o.Value >= 9_500_000 && o.Value <= 10_500_000
	})
	if n < 3 || 2*n < len(tx.Outs)-1 {
		return false
	}
	if da := tx.DistinctInputAddrs(); da < n || da > 7*n {
		return false
	}
	if !tx.DistinctOutputAddrs() {
		return false
	}
	if nIn < 20 {
		var total uint64
		for _, o := range tx.Outs {
			total += o.Value
		}
		rest := total % d
		if rest*10_000 <= total || (d-rest)*10_000 <= total {
			return false
		}
	}
	return true
}

// topInputShare returns how many inputs the most used input address has.
func topInputShare(tx *heuristics.Tx) int {
	counts := make(map[storage.AddrID]int, len(tx.Ins))
	top := 0
	for _, in := range tx.Ins {
		counts[in.Addr]++
		top = max(top, counts[in.Addr])
	}
	return top
}

// IsWasabi2 follows Dumplings' rule for a WabiSabi round: at least 10
// inputs, all P2WPKH or P2TR; inputs and outputs each ordered by value,
// largest first (the coordinator's ordering), with at least 3 distinct
// input values so that the order says something; at least 5 outputs, more than
// 80% of them standard denominations. Deviation: Dumplings asks for 50
// inputs (GraphSense for 20, and for 3 values occurring twice); rounds are
// smaller on test networks and in the simulator, where a small round may
// repeat no value at all, so this version asks for 10 inputs and relies
// on the ordering, which ten unordered inputs match by chance once in
// 3.6 million, and the denominations.
func IsWasabi2(tx *heuristics.Tx) bool {
	if len(tx.Ins) < 10 || len(tx.Outs) < 5 {
		return false
	}
	for i, in := range tx.Ins {
		if in.Class != bitcoin.ClassP2WPKH && in.Class != bitcoin.ClassP2TR {
			return false
		}
		if i > 0 && in.Value > tx.Ins[i-1].Value {
			return false
		}
	}
	distinct := 1
	for i := 1; i < len(tx.Ins); i++ {
		if tx.Ins[i].Value != tx.Ins[i-1].Value {
			distinct++
		}
	}
	if distinct < 3 {
		return false
	}
	std := 0
	for i, o := range tx.Outs {
		if i > 0 && o.Value > tx.Outs[i-1].Value {
			return false
		}
		if IsWasabiDenomination(o.Value) {
			std++
		}
	}
	return std*5 > len(tx.Outs)*4
}

// IsWasabiDenomination reports whether v is a Wasabi 2 standard
// denomination: a power of 2 or 3, twice a power of 3, or 1, 2 or 5 times a
// power of 10, between 5,000 and 134,375,000,000 sat.
func IsWasabiDenomination(v uint64) bool {
	if v < 5_000 || v > 134_375_000_000 {
		return false
	}
	if v&(v-1) == 0 {
		return true
	}
	for _, base := range []uint64{1, 2} {
		if x := v / base; v%base == 0 && isPowerOf(x, 3) {
			return true
		}
	}
	for _, base := range []uint64{1, 2, 5} {
		if x := v / base; v%base == 0 && isPowerOf(x, 10) {
			return true
		}
	}
	return false
}

func isPowerOf(x, b uint64) bool {
	if x == 0 {
		return false
	}
	for x%b == 0 {
		x /= b
	}
	return x == 1
}

// IsJoinMarket is GraphSense's JoinMarket rule: ignoring outputs of 2,730
// sat or less, the most frequent value d occurs n times with n at least
// half the outputs and 3 ≤ n ≤ distinct input addresses; outputs go to
// distinct addresses and at least one differs from d; with 50 inputs or
// more, inputs/n ≤ 20 and outputs/n ≥ 1.7 (which excludes exchange batch
// payouts).
func IsJoinMarket(tx *heuristics.Tx) bool {
	keep := func(o heuristics.Output) bool { return o.Value > 2730 }
	nOut := 0
	for _, o := range tx.Outs {
		if keep(o) {
			nOut++
		}
	}
	d, n := tx.MostFrequentValue(keep)
	if n < 3 || 2*n < nOut || n > tx.DistinctInputAddrs() || !tx.DistinctOutputAddrs() {
		return false
	}
	other := false
	for _, o := range tx.Outs {
		other = other || (keep(o) && o.Value != d)
	}
	if !other {
		return false
	}
	if nIn := len(tx.Ins); nIn >= 50 && (nIn > 20*n || 10*nOut < 17*n) {
		return false
	}
	return true
}
