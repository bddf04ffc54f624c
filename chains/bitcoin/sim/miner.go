package sim

import "math/rand/v2"

// minerShares are the hash rate shares of the simulated miners, largest
// first.
var minerShares = [...]float64{0.40, 0.30, 0.20, 0.10}

// Pool payout shape.
const (
	minPayoutRecipients = 20
	maxPayoutRecipients = 100
	payoutFeeRate       = 2 // sat/vB
)

// mining is the actor for miners. Every coinbase pays one miner, chosen by
// hash rate share, at its reused pool address. Once a miner owns a coinbase
// output that has matured, it pays out everything it can spend (at most 20
// coins) to 20–100 random wallets in one batch transaction, keeping 0–5% as
// change at the pool address. These payouts are how coins enter the economy.
type mining struct {
	maturity int32
}

// pickMiner draws the miner of the next block.
func pickMiner(l *ledger, rng *rand.Rand) *entity {
	u := rng.Float64()
	for i, s := range minerShares {
		if u < s || i == len(l.miners)-1 {
			return l.miners[i]
		}
		u -= s
	}
	return l.miners[len(l.miners)-1]
}

// planBlock implements actor.
func (m mining) planBlock(b *blockBuilder) error {
	l := b.ledger
	for _, mn := range l.miners {
		if b.full() {
			return nil
		}
		if p := m.planPayout(b, mn); p != nil {
			if !b.add(p) {
				returnPlanCoins(l, p)
				return nil
			}
			assignAddresses(l, p)
		}
	}
	return nil
}

// spendable reports whether c can be spent in the block at height.
func (m mining) spendable(c utxo, height int32) bool {
	return !c.coinbase || height-c.height >= m.maturity
}

// planPayout plans a pool payout by mn, or returns nil when mn has no
// matured coinbase output.
func (m mining) planPayout(b *blockBuilder, mn *entity) *txPlan {
	l, rng := b.ledger, b.rng
	matured := false
	for _, c := range mn.utxos {
		if c.coinbase && m.spendable(c, b.height) {
			matured = true
			break
		}
	}
	if !matured {
		return nil
	}
	p := &txPlan{}
	setStyle(p, mn.fam.style, b.height, rng)
	var sum int64
	kept := mn.utxos[:0]
	for _, c := range mn.utxos {
		if len(p.ins) < maxInputs && m.spendable(c, b.height) {
			p.ins = append(p.ins, plannedInput{owner: mn, coin: c})
			sum += c.value
		} else {
			kept = append(kept, c)
		}
	}
	mn.utxos = kept
	l.touch(mn, b.height)

	n := minPayoutRecipients + rng.IntN(maxPayoutRecipients-minPayoutRecipients+1)
	// Late in a long regtest chain the subsidy is gone and coinbases
	// carry only fees: pay fewer wallets rather than dust.
	n = min(n, int(sum/(20*dustLimit)))
	if n == 0 {
		returnPlanCoins(l, p)
		return nil
	}
	weights := make([]float64, n)
	var total float64
	for i := range weights {
		weights[i] = rng.ExpFloat64()
		total += weights[i]
	}
	for range n {
		p.outs = append(p.outs, plannedOutput{owner: l.wallets[rng.IntN(len(l.wallets))]})
	}
	p.outs = append(p.outs, plannedOutput{owner: mn, change: true})
	shape := p.shape()
	fee := int64(shape.vsize()) * payoutFeeRate
	keep := int64(float64(sum) * 0.05 * rng.Float64())
	pay := sum - fee - keep - dustLimit
	var paid int64
	for i := range n {
		v := int64(float64(pay) * weights[i] / total)
		if v < dustLimit {
			v = dustLimit
		}
		p.outs[i].value = v
		paid += v
	}
	change := sum - fee - paid
	if change < dustLimit {
		// Only possible for a coinbase too small to pay everyone.
		returnPlanCoins(l, p)
		return nil
	}
	p.outs[n].value = change
	return p
}
