package sim

import (
	"fmt"
	"math/rand/v2"
)

// Shape of exchange traffic. The values are modelling choices, not
// measurements.
const (
	// customerShare is the share of wallets that are customers of an
	// exchange; each customer uses exactly one exchange.
	customerShare = 0.3
	// depositShare is the expected number of deposits to each exchange
	// per block, as a share of the block's transaction target, and
	// depositFloor its lower bound for small blocks.
	depositShare = 0.02
	depositFloor = 0.5
	// withdrawShare and withdrawFloor do the same for batched
	// withdrawals.
	withdrawShare = 0.002
	withdrawFloor = 0.2
	// minWithdrawOutputs and maxWithdrawOutputs bound the customers paid
	// by one withdrawal batch; change comes on top.
	minWithdrawOutputs = 5
	maxWithdrawOutputs = 50
	maxWithdrawInputs  = 50
	// maxChangeSplits is the most change outputs of one withdrawal. A
	// change of many times the batch amount is split over up to this many
	// fresh change addresses, so that the exchange holds several coins and
	// can pay several batches per block.
	maxChangeSplits = 4
	// maxSweepInputs waiting deposit coins, or sweepEvery blocks since
	// the last sweep, trigger a sweep of up to maxSweepInputs deposit
	// addresses.
	sweepEvery     = 6
	maxSweepInputs = 100
	// coldProb is the chance per block that an exchange moves coins
	// between its hot wallet and cold storage, coldMaxInputs the most
	// coins moved at once.
	coldProb      = 0.05
	coldMaxInputs = 20
)

// Roles of exchange addresses, as written to truth.jsonl.
const (
	roleDeposit = "deposit"
	roleHot     = "hot"
	roleCold    = "cold"
	roleChange  = "change"
)

// exchangeScripts are the script types exchanges receive on.
var exchangeScripts = [...]scriptType{p2wpkh, p2shP2wpkh, p2pkh, p2tr}

// exchange is the actor for one custodial exchange. It is made of four
// entities that share the exchange's name in the ground truth and differ in
// role:
//   - deposit: one address per customer, handed out on the customer's first
//     deposit and reused for every later one, so each deposit address only
//     ever receives from one customer;
//   - hot: a single reused address that receives sweeps and pays
//     withdrawals;
//   - change: fresh addresses for the change of withdrawals, used when the
//     exchange does not send change back to the hot address and whenever a
//     large change is split;
//   - cold: a single reused cold storage address.
//
// Each block the exchange sweeps waiting deposit coins (at most one coin per
// deposit address) into the hot wallet once maxSweepInputs coins wait or
// sweepEvery blocks have passed, pays batched withdrawals of 5–50 outputs to
// its customers from the hot and change coins (with change back to the hot
// address or to fresh change addresses, split in up to maxChangeSplits
// outputs when large), now and then moves part of its hot coins to cold
// storage (or cold coins back when the hot wallet ran dry), and has some of
// its customers deposit part of their coins. Sweeps are exactly the
// many-input, one-output consolidations that multi-input clustering merges
// into one entity.
type exchange struct {
	name                       string
	deposit, hot, cold, change *entity
	customers                  []*entity
	// depositAddr maps a customer's entity id to its deposit address.
	depositAddr map[int32]uint32
	// freshChange sends withdrawal change to a new change address rather
	// than back to the hot address.
	freshChange bool
	lastSweep   int32
	// batches records withdrawal batches as exchange_batch decoys while
	// it has instances left; nil when the decoy is off.
	batches *batchRecorder
}

// batchRecorder records the first withdrawal batches of at least min
// customers of every exchange as exchange_batch decoys.
type batchRecorder struct {
	log  *scenarioLog
	kind *scenarioKind
	left int
	min  int
}

// record records p, a withdrawal of x, if it qualifies.
func (r *batchRecorder) record(x *exchange, p *txPlan) {
	if r == nil || r.left == 0 {
		return
	}
	customers := 0
	for _, o := range p.outs {
		if o.owner.kind == kindWallet {
			customers++
		}
	}
	if customers < r.min {
		return
	}
	r.left--
	in := r.log.start(r.kind, map[string]any{"exchange": x.name, "customers": customers})
	in.tx(p)
	for _, i := range p.ins {
		in.addr(i.owner, i.coin.addr, i.owner.role)
	}
	for _, o := range p.outs {
		role := "customer"
		if o.owner.kind == kindExchange {
			role = o.owner.role
		}
		in.addr(o.owner, o.addr, role)
	}
	r.log.finish(in)
}

// newExchanges creates n exchanges with behaviour drawn from rng and makes
// about customerShare of the wallets their customers. It draws nothing when
// n is zero.
func newExchanges(l *ledger, rng *rand.Rand, n int) []*exchange {
	if n <= 0 {
		return nil
	}
	xs := make([]*exchange, n)
	for i := range xs {
		fam := family{
			script:     exchangeScripts[rng.IntN(len(exchangeScripts))],
			reuseRecv:  true,
			changeLast: true,
			style:      stylePlain,
		}
		if rng.IntN(2) == 0 {
			fam.style = styleCore
		}
		name := fmt.Sprintf("x%d", i)
		add := func(role string, reuse bool) *entity {
			f := fam
			f.reuseRecv = reuse
			e := l.addEntity(name, kindExchange, f)
			e.role = role
			return e
		}
		xs[i] = &exchange{
			name:        name,
			deposit:     add(roleDeposit, false),
			hot:         add(roleHot, true),
			cold:        add(roleCold, true),
			change:      add(roleChange, false),
			depositAddr: make(map[int32]uint32),
			freshChange: rng.IntN(2) == 0,
		}
	}
	for _, w := range l.wallets {
		if rng.Float64() < customerShare {
			x := xs[rng.IntN(n)]
			x.customers = append(x.customers, w)
		}
	}
	return xs
}

// drawCount draws a count whose expectation is max(floor, mean).
func drawCount(rng *rand.Rand, mean, floor float64) int {
	mean = max(mean, floor)
	n := int(mean)
	if rng.Float64() < mean-float64(n) {
		n++
	}
	return n
}

// planBlock implements actor.
func (x *exchange) planBlock(b *blockBuilder) error {
	if len(x.customers) == 0 {
		return nil
	}
	rng := b.rng
	if p := x.planSweep(b); p != nil {
		if !x.commit(b, p, nil) {
			return nil
		}
		x.lastSweep = b.height
	}
	if rng.Float64() < coldProb && !b.full() {
		if p := x.planCold(b); p != nil && !x.commit(b, p, nil) {
			return nil
		}
	}
	for range drawCount(rng, withdrawShare*float64(b.maxTxs), withdrawFloor) {
		if b.full() {
			return nil
		}
		if p := x.planWithdrawal(b); p != nil {
			if !x.commit(b, p, nil) {
				return nil
			}
			x.batches.record(x, p)
		}
	}
	for range drawCount(rng, depositShare*float64(b.maxTxs), depositFloor) {
		if b.full() {
			return nil
		}
		c := x.customers[rng.IntN(len(x.customers))]
		if p := x.planDeposit(b, c); p != nil && !x.commit(b, p, c) {
			return nil
		}
	}
	return nil
}

// commit adds p to the block and gives its outputs addresses; a payment to
// the deposit entity goes to depositor's deposit address. When the block
// cannot take p, commit returns p's coins and reports false.
func (x *exchange) commit(b *blockBuilder, p *txPlan, depositor *entity) bool {
	l := b.ledger
	if !b.add(p) {
		returnPlanCoins(l, p)
		return false
	}
	for i := range p.outs {
		o := &p.outs[i]
		switch {
		case o.owner == x.deposit:
			o.addr = x.depositAddress(l, depositor)
		case o.change:
			o.addr = l.changeAddress(o.owner, p.ins[0].coin.addr)
		default:
			o.addr = l.receiveAddress(o.owner)
		}
	}
	return true
}

// depositAddress returns the deposit address of customer c, creating it on
// first use.
func (x *exchange) depositAddress(l *ledger, c *entity) uint32 {
	if a, ok := x.depositAddr[c.id]; ok {
		return a
	}
	a := l.newAddress(x.deposit)
	for uint32(len(x.deposit.depositor)) <= a {
		x.deposit.depositor = append(x.deposit.depositor, nil)
	}
	x.deposit.depositor[a] = c
	x.depositAddr[c.id] = a
	return a
}

// planDeposit plans a deposit by customer c of part or all of one or two of
// its coins, or returns nil (with c's coins untouched) when c cannot afford
// one.
func (x *exchange) planDeposit(b *blockBuilder, c *entity) *txPlan {
	l, rng := b.ledger, b.rng
	if len(c.utxos) == 0 {
		return nil
	}
	p := &txPlan{}
	setStyle(p, c.fam.style, b.height, rng)
	nIn := 1
	if rng.Float64() < 0.3 {
		nIn = 2
	}
	var sum int64
	for range min(nIn, len(c.utxos)) {
		coin := l.takeCoin(c, rng, b.height)
		sum += coin.value
		p.ins = append(p.ins, plannedInput{owner: c, coin: coin})
	}
	p.outs = []plannedOutput{{owner: x.deposit}}
	rate := drawFeeRate(rng)
	feeNoChange := int64(p.shape().vsize()) * rate
	feeChange := feeWithChange(p, c, rate)
	p.outs[0].value = sum - feeNoChange // everything, unless change fits
	if rng.Float64() >= 0.2 {
		amount := int64(float64(sum-feeChange-dustLimit) * (0.3 + 0.65*rng.Float64()))
		if amount > 0 && rng.Float64() < 0.3 {
			amount = roundAmount(amount)
		}
		if change := sum - amount - feeChange; amount >= minScaledOutput && change >= dustLimit {
			p.outs[0].value = amount
			co := plannedOutput{owner: c, value: change, change: true}
			if c.fam.changeLast || p.bip69 || rng.IntN(2) == 0 {
				p.outs = append(p.outs, co)
			} else {
				p.outs = append([]plannedOutput{co}, p.outs...)
			}
		}
	}
	// The deposit is the first output unless change was put before it.
	if dep := p.outs[0]; dep.owner == x.deposit && dep.value < minScaledOutput {
		returnPlanCoins(l, p)
		return nil
	}
	return p
}

// planSweep plans the consolidation of waiting deposit coins, at most one
// per deposit address, into the hot wallet, or returns nil when it is not
// yet time.
func (x *exchange) planSweep(b *blockBuilder) *txPlan {
	l, rng := b.ledger, b.rng
	d := x.deposit
	if len(d.utxos) < 2 || len(d.utxos) < maxSweepInputs && b.height-x.lastSweep < sweepEvery {
		return nil
	}
	p := &txPlan{}
	setStyle(p, d.fam.style, b.height, rng)
	seen := make(map[uint32]bool)
	kept := d.utxos[:0]
	for _, c := range d.utxos {
		if len(p.ins) < maxSweepInputs && !seen[c.addr] {
			seen[c.addr] = true
			p.ins = append(p.ins, plannedInput{owner: d, coin: c})
		} else {
			kept = append(kept, c)
		}
	}
	d.utxos = kept
	l.touch(d, b.height)
	if len(p.ins) < 2 {
		returnPlanCoins(l, p)
		return nil
	}
	return consolidate(l, p, x.hot, 1+rng.Int64N(3))
}

// consolidate completes p, whose inputs are chosen, with a single output to
// to that pays everything but the fee at rate, or returns p's coins and nil
// when that would be dust.
func consolidate(l *ledger, p *txPlan, to *entity, rate int64) *txPlan {
	var sum int64
	for _, in := range p.ins {
		sum += in.coin.value
	}
	p.outs = []plannedOutput{{owner: to}}
	v := sum - int64(p.shape().vsize())*rate
	if v < minScaledOutput {
		returnPlanCoins(l, p)
		return nil
	}
	p.outs[0].value = v
	return p
}

// planWithdrawal plans a batch of withdrawals to 5–50 customers paid from
// the change and hot coins, or returns nil (with the coins untouched) when
// the exchange cannot afford one.
func (x *exchange) planWithdrawal(b *blockBuilder) *txPlan {
	l, rng := b.ledger, b.rng
	var balance int64
	for _, e := range [...]*entity{x.hot, x.change} {
		for _, c := range e.utxos {
			balance += c.value
		}
	}
	if balance == 0 {
		return nil
	}
	p := &txPlan{}
	setStyle(p, x.hot.fam.style, b.height, rng)
	u := rng.Float64()
	n := minWithdrawOutputs + int(float64(maxWithdrawOutputs-minWithdrawOutputs+1)*u*u)
	var want int64
	for range n {
		v := drawAmount(rng)
		want += v
		p.outs = append(p.outs, plannedOutput{owner: x.customers[rng.IntN(len(x.customers))], value: v})
	}
	// Never pay out more than half of the balance at once.
	if budget := balance / 2; want > budget {
		if !scaleDown(p.outs, budget, 1) {
			return nil
		}
		want = 0
		for _, o := range p.outs {
			want += o.value
		}
	}
	rate := 2 + rng.Int64N(8)
	changeTo := x.hot
	if x.freshChange {
		changeTo = x.change
	}
	var sum int64
	for len(p.ins) < maxWithdrawInputs && sum < want+feeWithChange(p, changeTo, rate)+dustLimit {
		from := x.change
		if len(from.utxos) == 0 {
			from = x.hot
		}
		if len(from.utxos) == 0 {
			break
		}
		c := l.takeCoin(from, rng, b.height)
		sum += c.value
		p.ins = append(p.ins, plannedInput{owner: from, coin: c})
	}
	change := sum - want - feeWithChange(p, changeTo, rate)
	if change < dustLimit {
		returnPlanCoins(l, p)
		return nil
	}
	parts := int(min(maxChangeSplits, max(1, change/(2*want))))
	if parts > 1 {
		changeTo = x.change
	}
	n = len(p.outs)
	for range parts {
		p.outs = append(p.outs, plannedOutput{owner: changeTo})
	}
	change = sum - want - int64(p.shape().vsize())*rate
	if change < dustLimit*int64(parts) {
		returnPlanCoins(l, p)
		return nil
	}
	for i := range parts {
		v := change / int64(parts)
		if i == parts-1 {
			v = change - v*int64(parts-1)
		}
		p.outs[n+i].value = v
	}
	return p
}

// planCold plans a transfer of 30–70% of up to coldMaxInputs hot and
// change coins to cold storage, the rest returning to the hot wallet, or,
// when the hot wallet has run dry, of cold coins back to the hot wallet. It
// returns nil when there is nothing to move.
func (x *exchange) planCold(b *blockBuilder) *txPlan {
	l, rng := b.ledger, b.rng
	p := &txPlan{}
	setStyle(p, x.hot.fam.style, b.height, rng)
	rate := 1 + rng.Int64N(5)
	if len(x.hot.utxos)+len(x.change.utxos) == 0 {
		for range min(len(x.cold.utxos), coldMaxInputs) {
			p.ins = append(p.ins, plannedInput{owner: x.cold, coin: l.takeCoin(x.cold, rng, b.height)})
		}
		if len(p.ins) == 0 {
			return nil
		}
		return consolidate(l, p, x.hot, rate)
	}
	var sum int64
	for _, from := range [...]*entity{x.hot, x.change} {
		for len(from.utxos) > 0 && len(p.ins) < coldMaxInputs {
			c := l.takeCoin(from, rng, b.height)
			sum += c.value
			p.ins = append(p.ins, plannedInput{owner: from, coin: c})
		}
	}
	p.outs = []plannedOutput{{owner: x.cold}, {owner: x.hot}}
	avail := sum - int64(p.shape().vsize())*rate
	toCold := int64(float64(avail) * (0.3 + 0.4*rng.Float64()))
	if toCold < minScaledOutput || avail-toCold < minScaledOutput {
		returnPlanCoins(l, p)
		return nil
	}
	p.outs[0].value, p.outs[1].value = toCold, avail-toCold
	return p
}
