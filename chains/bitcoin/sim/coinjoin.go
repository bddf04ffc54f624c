package sim

import (
	"math/rand/v2"
	"slices"
)

// Shape of CoinJoin traffic. Pool sizes, pool fees, the Wasabi fee rate and
// the denomination set follow the protocols as described in the project's
// heuristics reference; the shares are modelling choices.
const (
	// defaultCoinJoins is the default of Options.CoinJoins, in CoinJoin
	// transactions per 1,000 transactions.
	defaultCoinJoins = 10
	// cjUserShare is the share of SegWit wallets that use CoinJoins.
	cjUserShare = 0.15
	// Protocol names as written to truth.jsonl.
	protoTx0        = "whirlpool-tx0"
	protoMix        = "whirlpool-mix"
	protoWasabi     = "wasabi2"
	protoWasabi1    = "wasabi1"
	protoJoinMarket = "joinmarket"
	// tx0PayloadLen is the length of the Tx0 OP_RETURN payload.
	tx0PayloadLen = 46
	// mixSize is the Whirlpool anonymity set: inputs and outputs per mix.
	mixSize = 5
	// maxPremix bounds the premix outputs of one Tx0.
	maxPremix = 10
	// remixShare is the chance that a postmix output is remixed rather
	// than handed back to its wallet.
	remixShare = 0.5
	// Wasabi 2 rounds: participants, coins per participant, the smallest
	// output, the coordinator fee rate and the input value from which it
	// applies, and the most outputs per participant.
	wasabiMinWallets   = 12
	wasabiMaxWallets   = 40
	wasabiMaxCoins     = 4
	wasabiMinOutput    = 5_000
	wasabiFeeRate      = 0.003
	wasabiFeeThreshold = 1_000_000
	wasabiMaxOuts      = 8
	wasabiMaxFeeRate   = 20
	// Wasabi 1 rounds: participants, the base denomination and its
	// per-round jitter, the coordinator fee per participant and
	// anonymity-set member, and the most coins per participant.
	wasabi1MinWallets = 10
	wasabi1MaxWallets = 30
	wasabi1Denom      = 10_000_000
	wasabi1Jitter     = 50_000
	wasabi1FeeRate    = 0.00003
	wasabi1MaxCoins   = 4
	// JoinMarket: makers per join, the most coins per participant and
	// the maker fee rate.
	jmMinMakers = 2
	jmMaxMakers = 8
	jmMaxCoins  = 5
	jmMakerFee  = 0.0002
)

// whirlpoolPool is one Whirlpool pool: its denomination and the coordinator
// fee a Tx0 pays to enter it.
type whirlpoolPool struct {
	denom, fee int64
}

// whirlpoolPools are the four mainnet pools.
var whirlpoolPools = [...]whirlpoolPool{
	{100_000, 5_000},
	{1_000_000, 50_000},
	{5_000_000, 175_000},
	{50_000_000, 1_750_000},
}

// poolCoin is a coin waiting in a Whirlpool pool: a premix output of a Tx0
// or a postmix output to be remixed.
type poolCoin struct {
	owner *entity
	coin  utxo
}

// pendingOut is an output of a transaction committed in an earlier block that
// enters a pool once the block has made it a coin.
type pendingOut struct {
	plan  *txPlan
	index int
	pool  int
	remix bool
}

// coinJoins is the actor for CoinJoin coordinators and their users. A share
// of the SegWit wallets use CoinJoins. Each block it plans about
// rate/1,000 of the block's transactions as:
//   - Whirlpool Tx0 (25%): one P2WPKH wallet's coins pay the pool's
//     coordinator fee, an OP_RETURN of 46 bytes (the masked fee payload),
//     1–10 premix outputs of the denomination plus a miner
//     fee allowance of 300–1,500 sat, and change, all to fresh addresses;
//     premix coins then wait in the pool;
//   - Whirlpool mix (35%): 5 inputs from 5 wallets with distinct previous
//     transactions (2–4 premix, 1–3 remixes once there are postmix coins)
//     and 5 outputs of exactly the denomination to fresh addresses of the
//     same wallets; the premix allowances pay the miner fee; half of the
//     postmix coins are remixed later, the rest return to their wallets;
//   - Wasabi 2 (10%): 12–40 wallets with 1–4 coins each; every wallet gets
//     its amount, less the 0.3% coordinator fee on inputs of at least 0.01
//     BTC and its share of the miner fee, back in up to 8 standard
//     denominations (greedy), a rest below 5,000 sat going to the miner
//     (or back as change while the round would pay over 20 sat/vB); one
//     coordinator fee output; inputs and outputs sorted by value,
//     descending;
//   - Wasabi 1 (10%): 10–30 P2WPKH wallets, one output each of a round
//     denomination just under 0.1 BTC plus change, and one coordinator
//     fee output (see planWasabi1);
//   - JoinMarket (20%): a taker and 2–8 makers each get one output of the
//     same amount plus change; the taker pays the miner fee and a small
//     fee to each maker; outputs are shuffled.
//
// Every CoinJoin output of a wallet goes to a fresh address of
// that wallet, so the ground truth keeps it with its owner.
type coinJoins struct {
	rate    float64
	users   []*entity // SegWit wallets that use CoinJoins
	p2wpkh  []*entity // the P2WPKH ones, who may use Whirlpool
	whirl   *entity   // Whirlpool coordinator
	wasabi  *entity   // Wasabi 2 coordinator
	wasabi1 *entity   // Wasabi 1 coordinator
	premix  [len(whirlpoolPools)][]poolCoin
	remix   [len(whirlpoolPools)][]poolCoin
	pending []pendingOut
	denoms  []int64 // Wasabi standard denominations, descending
	inRound map[int32]bool
}

// newCoinJoins creates the CoinJoin actor, or returns nil (drawing nothing)
// when perMille is not positive.
func newCoinJoins(l *ledger, rng *rand.Rand, perMille int) *coinJoins {
	if perMille <= 0 {
		return nil
	}
	coord := family{script: p2wpkh, reuseRecv: true, changeLast: true, style: stylePlain}
	c := &coinJoins{
		rate:    float64(perMille) / 1000,
		whirl:   l.addEntity("c0", kindCoordinator, coord),
		wasabi:  l.addEntity("c1", kindCoordinator, coord),
		wasabi1: l.addEntity("c2", kindCoordinator, coord),
		denoms:  wasabiDenominations(),
		inRound: make(map[int32]bool),
	}
	for _, w := range l.wallets {
		if w.fam.script != p2wpkh && w.fam.script != p2tr {
			continue
		}
		if rng.Float64() < cjUserShare {
			c.users = append(c.users, w)
			if w.fam.script == p2wpkh {
				c.p2wpkh = append(c.p2wpkh, w)
			}
		}
	}
	return c
}

// wasabiDenominations returns the Wasabi 2 standard denominations between
// wasabiMinOutput and 1,343.75 BTC (powers of 2 and 3, 2·3^k, 10^k, 2·10^k
// and 5·10^k sat), largest first.
func wasabiDenominations() []int64 {
	const hi = 134_375_000_000
	set := map[int64]bool{}
	for v := int64(1); v <= hi; v *= 2 {
		set[v] = true
	}
	for v := int64(1); v <= hi; v *= 3 {
		set[v] = true
		set[2*v] = true
	}
	for v := int64(1); v <= hi; v *= 10 {
		set[v], set[2*v], set[5*v] = true, true, true
	}
	var out []int64
	for v := range set {
		if v >= wasabiMinOutput && v <= hi {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	slices.Reverse(out)
	return out
}

// planBlock implements actor.
func (c *coinJoins) planBlock(b *blockBuilder) error {
	c.admit(b)
	for range drawCount(b.rng, c.rate*float64(b.maxTxs), c.rate) {
		if b.full() {
			return nil
		}
		var p *txPlan
		var pool int
		switch u := b.rng.Float64(); {
		case u < 0.25:
			p, pool = c.planTx0(b)
		case u < 0.6:
			p, pool = c.planMix(b)
		case u < 0.7:
			p = c.planWasabi(b)
		case u < 0.8:
			p = c.planWasabi1(b)
		default:
			p = c.planJoinMarket(b)
		}
		if p == nil {
			continue
		}
		if !c.commit(b, p, pool) {
			return nil
		}
	}
	return nil
}

// admit moves the pool outputs of the previous block's transactions from
// their owners' coins into the pools.
func (c *coinJoins) admit(b *blockBuilder) {
	for _, po := range c.pending {
		o := po.plan.outs[po.index]
		e := o.owner
		i := slices.IndexFunc(e.utxos, func(u utxo) bool {
			return u.hash == po.plan.txid && u.index == uint32(po.index)
		})
		if i < 0 {
			continue // cannot happen: the block made every output a coin
		}
		coin := e.utxos[i]
		last := len(e.utxos) - 1
		e.utxos[i] = e.utxos[last]
		e.utxos = e.utxos[:last]
		b.ledger.touch(e, b.height)
		pc := poolCoin{owner: e, coin: coin}
		if po.remix {
			c.remix[po.pool] = append(c.remix[po.pool], pc)
		} else {
			c.premix[po.pool] = append(c.premix[po.pool], pc)
		}
	}
	c.pending = c.pending[:0]
}

// commit adds p to the block and gives every output a fresh address of its
// owner (the coordinators' single fee address for fee outputs). Pool outputs
// are queued for the pools. When the block cannot take p, commit returns its
// coins: wallet coins to their owners, pool coins to their pools.
func (c *coinJoins) commit(b *blockBuilder, p *txPlan, pool int) bool {
	l := b.ledger
	if !b.add(p) {
		for _, in := range p.ins {
			switch {
			case p.protocol != protoMix:
				l.returnCoin(in.owner, in.coin)
			case in.coin.value == whirlpoolPools[pool].denom:
				c.remix[pool] = append(c.remix[pool], poolCoin{in.owner, in.coin})
			default:
				c.premix[pool] = append(c.premix[pool], poolCoin{in.owner, in.coin})
			}
		}
		return false
	}
	for i := range p.outs {
		o := &p.outs[i]
		if o.owner == nil {
			continue // the Tx0 OP_RETURN
		}
		if o.owner.kind == kindCoordinator {
			o.addr = l.receiveAddress(o.owner)
		} else {
			o.addr = l.newAddress(o.owner)
		}
		switch {
		case p.protocol == protoTx0 && o.owner.kind != kindCoordinator && !o.change:
			c.pending = append(c.pending, pendingOut{plan: p, index: i, pool: pool})
		case p.protocol == protoMix && b.rng.Float64() < remixShare:
			c.pending = append(c.pending, pendingOut{plan: p, index: i, pool: pool, remix: true})
		}
	}
	return true
}

// pickUser returns a random user from users that owns coins and is not yet
// in the current round, or nil after a few misses.
func (c *coinJoins) pickUser(rng *rand.Rand, users []*entity) *entity {
	if len(users) == 0 {
		return nil
	}
	for range 8 {
		w := users[rng.IntN(len(users))]
		if len(w.utxos) > 0 && !c.inRound[w.id] {
			c.inRound[w.id] = true
			return w
		}
	}
	return nil
}

// endRound forgets the participants of the current round.
func (c *coinJoins) endRound() { clear(c.inRound) }

// takeCoins takes up to n random coins of w as inputs of p, stopping once
// they add up to at least need, and returns their sum.
func takeCoins(b *blockBuilder, p *txPlan, w *entity, n int, need int64) int64 {
	var sum int64
	for range n {
		if len(w.utxos) == 0 || (need > 0 && sum >= need) {
			break
		}
		u := b.ledger.takeCoin(w, b.rng, b.height)
		sum += u.value
		p.ins = append(p.ins, plannedInput{owner: w, coin: u})
	}
	return sum
}

// newCoinJoinPlan returns an empty plan of a CoinJoin: version 1, lock time
// 0, final sequence numbers, as the coordinators' clients build them.
func newCoinJoinPlan(protocol string) *txPlan {
	return &txPlan{version: 1, sequence: seqFinal, protocol: protocol}
}

// planTx0 plans a Whirlpool Tx0 and returns it with its pool.
func (c *coinJoins) planTx0(b *blockBuilder) (*txPlan, int) {
	defer c.endRound()
	l, rng := b.ledger, b.rng
	w := c.pickUser(rng, c.p2wpkh)
	if w == nil {
		return nil, 0
	}
	p := newCoinJoinPlan(protoTx0)
	sum := takeCoins(b, p, w, 1+rng.IntN(5), 0)
	rate := drawFeeRate(rng)
	allowance := 300 + rng.Int64N(1200)
	// The largest pool the coins can enter, then maybe a smaller one.
	pool := -1
	for i, pl := range whirlpoolPools {
		if sum >= pl.fee+pl.denom+allowance+20_000 {
			pool = i
		}
	}
	if pool < 0 {
		returnPlanCoins(l, p)
		return nil, 0
	}
	pool -= rng.IntN(pool + 1)
	pl := whirlpoolPools[pool]
	p.outs = append(p.outs, plannedOutput{owner: c.whirl, value: pl.fee})
	// The client's OP_RETURN carries the fee payload, XOR-masked with a
	// secret shared with the coordinator: random bytes to an observer.
	payload := make([]byte, tx0PayloadLen)
	for i := range payload {
		payload[i] = byte(rng.Uint32())
	}
	p.outs = append(p.outs, plannedOutput{data: payload})
	n := 1 + rng.IntN(maxPremix)
	for range n {
		p.outs = append(p.outs, plannedOutput{owner: w, value: pl.denom + allowance})
	}
	fee := feeWithChange(p, w, rate)
	for n > 1 && sum < pl.fee+int64(n)*(pl.denom+allowance)+fee+dustLimit {
		p.outs = p.outs[:len(p.outs)-1]
		n--
		fee = feeWithChange(p, w, rate)
	}
	change := sum - pl.fee - int64(n)*(pl.denom+allowance) - fee
	if change < 0 {
		returnPlanCoins(l, p)
		return nil, 0
	}
	if change >= dustLimit {
		p.outs = append(p.outs, plannedOutput{owner: w, value: change, change: true})
	}
	return p, pool
}

// planMix plans a Whirlpool mix in a random pool that has enough coins and
// returns it with its pool.
func (c *coinJoins) planMix(b *blockBuilder) (*txPlan, int) {
	rng := b.rng
	start := rng.IntN(len(whirlpoolPools))
	for k := range whirlpoolPools {
		pool := (start + k) % len(whirlpoolPools)
		if p := c.tryMix(rng, pool); p != nil {
			return p, pool
		}
	}
	return nil, 0
}

// tryMix picks 5 pool coins of 5 different wallets with distinct previous
// transactions, 2–4 of them premix (all 5 while there is nothing to remix).
func (c *coinJoins) tryMix(rng *rand.Rand, pool int) *txPlan {
	defer c.endRound()
	nRemix := 0
	if len(c.remix[pool]) > 0 {
		nRemix = 1 + rng.IntN(3)
	}
	if len(c.premix[pool]) < mixSize-nRemix {
		return nil
	}
	var picked []poolCoin
	var from []*[]poolCoin
	pick := func(q *[]poolCoin, n int) bool {
		got := 0
		m := len(*q)
		if n == 0 {
			return true
		}
		off := rng.IntN(m)
		for j := 0; j < m && got < n; j++ {
			pc := (*q)[(off+j)%m]
			if c.inRound[pc.owner.id] || slices.ContainsFunc(picked, func(x poolCoin) bool { return x.coin.hash == pc.coin.hash }) {
				continue
			}
			c.inRound[pc.owner.id] = true
			picked = append(picked, pc)
			from = append(from, q)
			got++
		}
		return got == n
	}
	if !pick(&c.remix[pool], nRemix) || !pick(&c.premix[pool], mixSize-nRemix) {
		return nil
	}
	// Remove the picked coins from their queues.
	for i, pc := range picked {
		q := from[i]
		j := slices.IndexFunc(*q, func(x poolCoin) bool { return x.coin.hash == pc.coin.hash && x.coin.index == pc.coin.index })
		*q = slices.Delete(*q, j, j+1)
	}
	p := newCoinJoinPlan(protoMix)
	denom := whirlpoolPools[pool].denom
	for _, pc := range picked {
		p.ins = append(p.ins, plannedInput{owner: pc.owner, coin: pc.coin})
	}
	rng.Shuffle(len(p.ins), func(i, j int) { p.ins[i], p.ins[j] = p.ins[j], p.ins[i] })
	for _, pc := range picked {
		p.outs = append(p.outs, plannedOutput{owner: pc.owner, value: denom})
	}
	rng.Shuffle(len(p.outs), func(i, j int) { p.outs[i], p.outs[j] = p.outs[j], p.outs[i] })
	return p
}

// planWasabi plans a Wasabi 2 round.
func (c *coinJoins) planWasabi(b *blockBuilder) *txPlan {
	defer c.endRound()
	l, rng := b.ledger, b.rng
	p := newCoinJoinPlan(protoWasabi)
	rate := 1 + rng.Int64N(5)
	want := wasabiMinWallets + rng.IntN(wasabiMaxWallets-wasabiMinWallets+1)
	var coordFee int64
	var outs, rests []plannedOutput
	wallets := 0
	for range want * 2 {
		if wallets == want {
			break
		}
		w := c.pickUser(rng, c.users)
		if w == nil {
			continue
		}
		first := len(p.ins)
		sum := takeCoins(b, p, w, 1+rng.IntN(wasabiMaxCoins), 0)
		var s txShape
		var fee int64
		for _, in := range p.ins[first:] {
			s.addInput(w.fam.script)
			if in.coin.value >= wasabiFeeThreshold {
				fee += int64(float64(in.coin.value) * wasabiFeeRate)
			}
		}
		for range wasabiMaxOuts {
			s.addOutput(w.fam.script)
		}
		budget := sum - fee - int64(s.weight()+3)/4*rate
		if budget < wasabiMinOutput {
			for _, in := range p.ins[first:] {
				l.returnCoin(w, in.coin)
			}
			p.ins = p.ins[:first]
			continue
		}
		coordFee += fee
		wallets++
		rest := budget
		for _, d := range c.decompose(budget) {
			outs = append(outs, plannedOutput{owner: w, value: d})
			rest -= d
		}
		if rest >= dustLimit {
			rests = append(rests, plannedOutput{owner: w, value: rest, change: true})
		}
	}
	if len(p.ins) < 10 {
		returnPlanCoins(l, p)
		return nil
	}
	if coordFee >= dustLimit {
		outs = append(outs, plannedOutput{owner: c.wasabi, value: coordFee})
	}
	p.outs = outs
	// Rests below the smallest denomination go to the miner, except
	// that the largest come back as change while the round would pay
	// more than wasabiMaxFeeRate.
	slices.SortStableFunc(rests, func(x, y plannedOutput) int { return cmpDesc(x.value, y.value) })
	for _, r := range rests {
		if p.fee() <= wasabiMaxFeeRate*int64(p.shape().vsize()) {
			break
		}
		p.outs = append(p.outs, r)
	}
	slices.SortStableFunc(p.ins, func(x, y plannedInput) int { return cmpDesc(x.coin.value, y.coin.value) })
	slices.SortStableFunc(p.outs, func(x, y plannedOutput) int { return cmpDesc(x.value, y.value) })
	return p
}

// cmpDesc orders values from largest to smallest.
func cmpDesc(x, y int64) int {
	switch {
	case x > y:
		return -1
	case x < y:
		return 1
	}
	return 0
}

// decompose splits v greedily into at most wasabiMaxOuts standard
// denominations; a rest below wasabiMinOutput is left for the miner.
func (c *coinJoins) decompose(v int64) []int64 {
	var out []int64
	for _, d := range c.denoms {
		for v >= d && len(out) < wasabiMaxOuts {
			out = append(out, d)
			v -= d
		}
	}
	return out
}

// planJoinMarket plans a JoinMarket join of a taker and 2–8 makers.
func (c *coinJoins) planJoinMarket(b *blockBuilder) *txPlan {
	defer c.endRound()
	l, rng := b.ledger, b.rng
	taker := c.pickUser(rng, c.users)
	if taker == nil {
		return nil
	}
	p := newCoinJoinPlan(protoJoinMarket)
	p.version = 2
	rate := drawFeeRate(rng)
	amount := roundAmount(100_000 + rng.Int64N(20_000_000))
	makerFee := max(dustLimit, int64(float64(amount)*jmMakerFee))
	nMakers := jmMinMakers + rng.IntN(jmMaxMakers-jmMinMakers+1)
	var outs []plannedOutput
	for range nMakers * 2 {
		if len(outs) >= 2*nMakers {
			break
		}
		m := c.pickUser(rng, c.users)
		if m == nil {
			continue
		}
		first := len(p.ins)
		sum := takeCoins(b, p, m, jmMaxCoins, amount+dustLimit)
		if sum < amount+dustLimit {
			for _, in := range p.ins[first:] {
				l.returnCoin(m, in.coin)
			}
			p.ins = p.ins[:first]
			continue
		}
		outs = append(outs,
			plannedOutput{owner: m, value: amount},
			plannedOutput{owner: m, value: sum - amount + makerFee, change: true})
	}
	if len(outs) < 2*jmMinMakers {
		returnPlanCoins(l, p)
		return nil
	}
	paid := int64(len(outs)/2) * makerFee
	var s txShape
	for _, in := range p.ins {
		s.addInput(in.owner.fam.script)
	}
	for _, o := range outs {
		s.addOutput(o.owner.fam.script)
	}
	s.addOutput(taker.fam.script)
	s.addOutput(taker.fam.script)
	est := s
	for range 2 {
		est.addInput(taker.fam.script)
	}
	sum := takeCoins(b, p, taker, jmMaxCoins, amount+paid+int64(est.weight()+3)/4*rate+dustLimit)
	for _, in := range p.ins {
		if in.owner == taker {
			s.addInput(taker.fam.script)
		}
	}
	fee := int64(s.weight()+3) / 4 * rate
	change := sum - amount - paid - fee
	if change < dustLimit {
		returnPlanCoins(l, p)
		return nil
	}
	outs = append(outs,
		plannedOutput{owner: taker, value: amount},
		plannedOutput{owner: taker, value: change, change: true})
	rng.Shuffle(len(outs), func(i, j int) { outs[i], outs[j] = outs[j], outs[i] })
	rng.Shuffle(len(p.ins), func(i, j int) { p.ins[i], p.ins[j] = p.ins[j], p.ins[i] })
	p.outs = outs
	return p
}

// planWasabi1 plans a Wasabi 1 (ZeroLink) round: 10–30 P2WPKH wallets each
// register 1–4 coins and get back one output of the round's denomination
// (0.1 BTC less a per-round jitter of up to 0.0005 BTC, so never exactly
// 0.1) and a change output; every participant pays the coordinator
// 0.003% of the denomination per anonymity-set member and its share of the
// miner fee; one coordinator fee output goes to the coordinator's static
// address. Outputs are shuffled.
func (c *coinJoins) planWasabi1(b *blockBuilder) *txPlan {
	defer c.endRound()
	l, rng := b.ledger, b.rng
	p := newCoinJoinPlan(protoWasabi1)
	denom := int64(wasabi1Denom) - 1 - rng.Int64N(wasabi1Jitter)
	want := wasabi1MinWallets + rng.IntN(wasabi1MaxWallets-wasabi1MinWallets+1)
	fee := int64(float64(denom) * wasabi1FeeRate * float64(want))
	rate := 1 + rng.Int64N(8)
	var s txShape
	for range wasabi1MaxCoins {
		s.addInput(p2wpkh)
	}
	s.addOutput(p2wpkh)
	s.addOutput(p2wpkh)
	minerShare := int64(s.vsize()) * rate
	var outs []plannedOutput
	joined := 0
	for range want * 3 {
		if joined == want {
			break
		}
		w := c.pickUser(rng, c.p2wpkh)
		if w == nil {
			continue
		}
		need := denom + fee + minerShare + dustLimit
		first := len(p.ins)
		sum := takeCoins(b, p, w, wasabi1MaxCoins, need)
		if sum < need {
			for _, in := range p.ins[first:] {
				l.returnCoin(w, in.coin)
			}
			p.ins = p.ins[:first]
			continue
		}
		joined++
		outs = append(outs,
			plannedOutput{owner: w, value: denom},
			plannedOutput{owner: w, value: sum - denom - fee - minerShare, change: true})
	}
	if joined < wasabi1MinWallets {
		returnPlanCoins(l, p)
		return nil
	}
	outs = append(outs, plannedOutput{owner: c.wasabi1, value: fee * int64(joined)})
	rng.Shuffle(len(outs), func(i, j int) { outs[i], outs[j] = outs[j], outs[i] })
	rng.Shuffle(len(p.ins), func(i, j int) { p.ins[i], p.ins[j] = p.ins[j], p.ins[i] })
	p.outs = outs
	return p
}
