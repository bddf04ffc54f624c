package sim

import (
	"math"
	"math/rand/v2"
)

// Economic constants of ordinary payments.
const (
	// dustLimit is the smallest output value created (Bitcoin Core's dust
	// threshold for P2PKH at the default relay fee).
	dustLimit = 546
	// minPayment and maxPayment bound the log-uniform payment amounts.
	minPayment = 20_000     // 0.0002 BTC
	maxPayment = 50_000_000 // 0.5 BTC
	maxInputs  = 20
	// maxSendRounds bounds how many transactions one wallet sends in a
	// block.
	maxSendRounds = 4
	// minScaledOutput is the smallest payment left after scaling amounts
	// down to what a wallet can afford.
	minScaledOutput = 2 * dustLimit
	seqFinal        = 0xffffffff
	seqRBF          = 0xfffffffd
)

// everyday is the actor for ordinary wallets. Each block, random funded
// wallets make one payment each until the block's target is reached.
//
// Shape of the traffic (modelling choices, tuned toward mainnet's averages
// of about 2.2 inputs and 2.6 outputs per transaction):
//   - wanted inputs: 1 (54%), 2 (18%), 3 (8%), 4–6 (8%), 7–20 (12%), limited
//     by the coins the wallet owns and topped up when the chosen coins could
//     not even pay small amounts;
//   - 90% pay one recipient plus change, 10% are batch payouts to 3–20
//     recipients (skewed toward few) plus change, and 12% of single
//     payments sweep the chosen coins without change;
//   - amounts are log-uniform between 0.0002 and 0.5 BTC, 30% rounded to two
//     significant digits, scaled down when the wallet cannot afford them;
//   - fee rates are 1–5 sat/vB (90%) or 6–25 sat/vB.
//
// Measured on a 1,000,000-transaction run with default options (seed 0,
// 50,000 wallets, 605 blocks): 2.15 inputs and 2.58 outputs per
// transaction, 2.11 million addresses, 411 bytes per transaction (block
// files of 411 MB in four files) and about 100 s on two cores.
type everyday struct{}

// planBlock implements actor. Wallets are drawn in rounds: within a round
// each funded wallet sends at most once; further rounds (at most
// maxSendRounds) let wallets with coins left send again when there are fewer
// funded wallets than the block wants transactions.
func (everyday) planBlock(b *blockBuilder) error {
	l := b.ledger
	for range maxSendRounds {
		sent := 0
		for !b.full() {
			w := l.pickSender(b.rng)
			if w == nil {
				break
			}
			p := planPayment(b, w)
			if p == nil {
				continue
			}
			if !b.add(p) {
				returnPlanCoins(l, p)
				return nil
			}
			assignAddresses(l, p)
			sent++
		}
		if sent == 0 || b.full() {
			return nil
		}
		l.newRound()
	}
	return nil
}

// returnPlanCoins gives the coins of a plan that was not used back to their
// owners.
func returnPlanCoins(l *ledger, p *txPlan) {
	for _, in := range p.ins {
		l.returnCoin(in.owner, in.coin)
	}
}

// drawInputCount draws how many coins a payment wants to spend.
func drawInputCount(rng *rand.Rand) int {
	switch u := rng.Float64(); {
	case u < 0.54:
		return 1
	case u < 0.72:
		return 2
	case u < 0.80:
		return 3
	case u < 0.88:
		return 4 + rng.IntN(3)
	default:
		return 7 + rng.IntN(maxInputs-6)
	}
}

// drawRecipientCount draws the number of recipients: mostly one, sometimes a
// batch of 3 to 20 skewed toward small batches.
func drawRecipientCount(rng *rand.Rand) int {
	if rng.Float64() >= 0.10 {
		return 1
	}
	u := rng.Float64()
	return 3 + int(18*u*u)
}

// drawAmount draws a payment amount in satoshis.
func drawAmount(rng *rand.Rand) int64 {
	lo, hi := math.Log(minPayment), math.Log(maxPayment)
	v := int64(math.Exp(lo + rng.Float64()*(hi-lo)))
	if rng.Float64() < 0.3 {
		v = roundAmount(v)
	}
	return v
}

// roundAmount keeps the two most significant decimal digits of v.
func roundAmount(v int64) int64 {
	p := int64(1)
	for v/p >= 100 {
		p *= 10
	}
	return v / p * p
}

// drawFeeRate draws a fee rate in sat/vB.
func drawFeeRate(rng *rand.Rand) int64 {
	if rng.Float64() < 0.9 {
		return 1 + rng.Int64N(5)
	}
	return 6 + rng.Int64N(20)
}

// setStyle sets version, lock time and sequence of p from style.
func setStyle(p *txPlan, style txStyle, height int32, rng *rand.Rand) {
	tip := uint32(height - 1)
	switch style {
	case styleCore:
		p.version, p.sequence, p.lockTime = 2, seqRBF, tip
		// Anti-fee-sniping: one time in ten, up to 100 blocks back.
		if rng.IntN(10) == 0 {
			back := uint32(rng.IntN(100))
			if back > tip {
				back = tip
			}
			p.lockTime = tip - back
		}
	case styleBIP69:
		p.version, p.sequence, p.lockTime, p.bip69 = 2, seqRBF, tip, true
	default:
		p.version, p.sequence, p.lockTime = 1, seqFinal, 0
	}
}

// planPayment plans one payment by w, or returns nil (with w's coins
// untouched) when w cannot afford a sensible one.
func planPayment(b *blockBuilder, w *entity) *txPlan {
	l, rng := b.ledger, b.rng
	if len(w.utxos) == 0 {
		return nil // spent everything in an earlier round
	}
	p := &txPlan{}
	setStyle(p, w.fam.style, b.height, rng)

	// Recipients and the amounts they are owed.
	nRecip := drawRecipientCount(rng)
	sweep := nRecip == 1 && rng.Float64() < 0.12
	var want int64
	for range nRecip {
		r := l.wallets[rng.IntN(len(l.wallets))]
		if r == w {
			continue
		}
		v := drawAmount(rng)
		want += v
		p.outs = append(p.outs, plannedOutput{owner: r, value: v})
	}
	if len(p.outs) == 0 {
		return nil
	}
	rate := drawFeeRate(rng)

	// Coin selection: a random number of random coins, topped up with
	// further random coins while they could not even pay small amounts.
	// Amounts the coins cannot cover are scaled down below.
	var sum int64
	take := func() {
		c := l.takeCoin(w, rng, b.height)
		sum += c.value
		p.ins = append(p.ins, plannedInput{owner: w, coin: c})
	}
	for range min(drawInputCount(rng), len(w.utxos)) {
		take()
	}
	for !sweep && len(p.ins) < maxInputs && len(w.utxos) > 0 &&
		sum < feeWithChange(p, w, rate)+dustLimit+4*minScaledOutput*int64(len(p.outs)) {
		take()
	}

	feeNoChange := int64(p.shape().vsize()) * rate
	feeChange := feeWithChange(p, w, rate)

	switch {
	case sweep:
		p.outs[0].value = sum - feeNoChange
	default:
		// Leave at least a modest change when the wallet cannot afford
		// the wanted amounts: pay 30–95% of what it has.
		avail := sum - feeChange - dustLimit
		if want > avail {
			if !scaleDown(p.outs, avail, 0.3+0.65*rng.Float64()) {
				returnPlanCoins(l, p)
				return nil
			}
			want = 0
			for _, o := range p.outs {
				want += o.value
			}
		}
	}
	for _, o := range p.outs {
		if o.value < dustLimit {
			returnPlanCoins(l, p)
			return nil
		}
	}
	if sweep {
		return p
	}

	change := sum - want - feeChange
	if change < dustLimit {
		// Too small to keep: it goes to the miner as extra fee.
		if sum-want < feeNoChange {
			returnPlanCoins(l, p)
			return nil
		}
		return p
	}
	co := plannedOutput{owner: w, value: change, change: true}
	if w.fam.changeLast || p.bip69 {
		p.outs = append(p.outs, co)
	} else {
		i := rng.IntN(len(p.outs) + 1)
		p.outs = append(p.outs, plannedOutput{})
		copy(p.outs[i+1:], p.outs[i:])
		p.outs[i] = co
	}
	return p
}

// scaleDown scales the values of outs so that they add up to about f*avail.
// Outputs that would fall below minScaledOutput are raised to it at the
// expense of the largest output. It reports false when that is impossible.
func scaleDown(outs []plannedOutput, avail int64, f float64) bool {
	var want int64
	for _, o := range outs {
		want += o.value
	}
	scale := f * float64(avail) / float64(want)
	var deficit int64
	largest := 0
	for i := range outs {
		v := int64(float64(outs[i].value) * scale)
		if v < minScaledOutput {
			deficit += minScaledOutput - v
			v = minScaledOutput
		}
		outs[i].value = v
		if v > outs[largest].value {
			largest = i
		}
	}
	outs[largest].value -= deficit
	return outs[largest].value >= minScaledOutput
}

// feeWithChange returns the fee of p at rate once a change output to w is
// added.
func feeWithChange(p *txPlan, w *entity, rate int64) int64 {
	shape := p.shape()
	shape.addOutput(w.fam.script)
	return int64(shape.vsize()) * rate
}

// assignAddresses gives every output of p an address of its owner, in output
// order: a receive address for payments and a change address for change.
// Actors call it only once the block has accepted p, so that every address
// created is used.
func assignAddresses(l *ledger, p *txPlan) {
	for i := range p.outs {
		o := &p.outs[i]
		switch {
		case o.owner == nil:
		case o.addrFn != nil:
			o.addr = o.addrFn(l)
		case o.change:
			o.addr = l.changeAddress(o.owner, p.ins[0].coin.addr)
		case o.fresh:
			o.addr = l.newAddress(o.owner)
		default:
			o.addr = l.receiveAddress(o.owner)
		}
	}
}
