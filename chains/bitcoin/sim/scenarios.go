package sim

import (
	"maps"
	"math/rand/v2"
)

// Planted scenarios: each type below is one instance of a laundering
// typology of the heuristics reference §4, built from ordinary transactions
// and recorded with its transactions and role-labelled addresses. Amounts
// and timings are modelling choices that put each instance clearly past the
// thresholds docs/truth.md states.

// fund plans and commits one payment of about want (at least least) from
// a random wallet to a fresh address of to and returns the amount, or 0
// when no wallet could pay or the block is full.
func fund(b *blockBuilder, to *entity, want, least int64) (int64, *txPlan) {
	payer := findPayer(b, want+want/10, nil)
	amount := want
	if payer == nil {
		payer = findPayer(b, least+least/10, nil)
		if payer == nil {
			return 0, nil
		}
		amount = max(least, min(want, payer.balance()*8/10))
	}
	p := payFrom(b, payer, []plannedOutput{{owner: to, value: amount, fresh: true}})
	if p == nil || !commitPlan(b, p) {
		return 0, nil
	}
	return amount, p
}

// illicitFamily draws the family of a scenario entity that takes a fresh
// address for every receipt and for change.
func illicitFamily(rng *rand.Rand) family {
	f := drawFamily(rng)
	f.reuseRecv, f.freshChange = false, true
	return f
}

// reusingFamily draws the family of an entity that receives on one reused
// address and sends change back to it.
func reusingFamily(rng *rand.Rand) family {
	f := drawFamily(rng)
	f.reuseRecv, f.freshChange = true, false
	return f
}

// collection gathers payments from distinct wallets to one entity: the
// first stage of recruitment, fan-in and hawala.
type collection struct {
	payers map[int32]bool
	count  int
}

// collect plans up to n payments of amount(rng) from distinct funded wallets
// to to, each recorded in in with the payer's addresses in payerRole and
// the receiving address in toRole.
func (c *collection) collect(b *blockBuilder, in *instance, to *entity, n int, fresh bool,
	amount func(*rand.Rand) int64, payerRole, toRole string) {
	if c.payers == nil {
		c.payers = make(map[int32]bool)
	}
	for range n {
		v := amount(b.rng)
		w := findPayer(b, 2*v, c.payers)
		if w == nil {
			continue
		}
		p := payFrom(b, w, []plannedOutput{{owner: to, value: v, fresh: fresh}})
		if p == nil || !commitPlan(b, p) {
			continue
		}
		c.payers[w.id] = true
		c.count++
		in.tx(p)
		in.inputs(p, payerRole)
		in.outputs(p, to, toRole)
	}
}

// recruitment: many small payments of one round fee (0.01, 0.02 or 0.05
// BTC) from distinct wallets,
// each to a fresh address of one collector, then swept in one transaction
// to the collector's exchange deposit address. Size is the number of
// payments.
type recruitment struct {
	in        *instance
	collector *entity
	fee       int64
	size      int
	c         collection
}

func newRecruitment(e *env, rng *rand.Rand, k *scenarioKind, size int) scenario {
	// Multiples of 0.01 BTC: round by the power-of-ten test.
	fee := [...]int64{1_000_000, 2_000_000, 5_000_000}[rng.IntN(3)]
	return &recruitment{
		in:        e.log.start(k, map[string]any{"payments": size, "fee_sat": fee}),
		collector: e.newEntity(kindIllicit, illicitFamily(rng)),
		fee:       fee,
		size:      size,
	}
}

func (s *recruitment) step(b *blockBuilder, e *env) bool {
	if s.c.count < s.size {
		s.c.collect(b, s.in, s.collector, min(2+b.rng.IntN(5), s.size-s.c.count), true,
			func(*rand.Rand) int64 { return s.fee }, "payer", "collection")
		return false
	}
	coins := b.ledger.takeAll(s.collector, maxScenarioSize+10, b.height)
	p := spendAll(b, s.collector, coins, []plannedOutput{e.exitOut(b, s.collector, 1)})
	if p == nil || !commitPlan(b, p) {
		return false
	}
	s.in.tx(p)
	s.in.addr(p.outs[0].owner, p.outs[0].addr, "exit")
	e.log.finish(s.in)
	return true
}

// fanIn: payments of varied small amounts from distinct wallets to one
// reused aggregator address, then everything forwarded in one transaction
// to 1–3 beneficiaries. Size is the number of sources.
type fanIn struct {
	in            *instance
	agg           *entity
	beneficiaries []*entity
	size          int
	c             collection
}

func newFanIn(e *env, rng *rand.Rand, k *scenarioKind, size int) scenario {
	s := &fanIn{agg: e.newEntity(kindIllicit, reusingFamily(rng)), size: size}
	for range 1 + rng.IntN(3) {
		s.beneficiaries = append(s.beneficiaries, e.newEntity(kindIllicit, reusingFamily(rng)))
	}
	s.in = e.log.start(k, map[string]any{"sources": size, "beneficiaries": len(s.beneficiaries)})
	return s
}

func (s *fanIn) step(b *blockBuilder, e *env) bool {
	if s.c.count < s.size {
		s.c.collect(b, s.in, s.agg, min(2+b.rng.IntN(5), s.size-s.c.count), false,
			func(rng *rand.Rand) int64 { return logUniform(rng, 100_000, 3_000_000) }, "source", "aggregator")
		return false
	}
	coins := b.ledger.takeAll(s.agg, maxScenarioSize+10, b.height)
	var outs []plannedOutput
	for _, x := range s.beneficiaries {
		outs = append(outs, plannedOutput{owner: x, value: 1 + b.rng.Int64N(100)})
	}
	p := spendAll(b, s.agg, coins, outs)
	if p == nil || !commitPlan(b, p) {
		return false
	}
	s.in.tx(p)
	for _, x := range s.beneficiaries {
		s.in.outputs(p, x, "beneficiary")
	}
	e.log.finish(s.in)
	return true
}

// hawala: a broker with one reused address collects small payments
// (0.002–0.02 BTC, 6–10 per block) from distinct wallets and, every
// hawalaPeriod blocks, settles its whole
// balance in one transaction to the same 2–3 counterparties, leaving
// nothing. Size is the number of settlement cycles.
type hawala struct {
	in             *instance
	broker         *entity
	counterparties []*entity
	shares         []int64
	cycles, size   int
	next           int32
	c              collection
}

// hawalaPeriod is the number of blocks between settlements.
const hawalaPeriod = 3

func newHawala(e *env, rng *rand.Rand, k *scenarioKind, size int) scenario {
	s := &hawala{broker: e.newEntity(kindBroker, reusingFamily(rng)), size: size}
	for range 2 + rng.IntN(2) {
		s.counterparties = append(s.counterparties, e.newEntity(kindBroker, reusingFamily(rng)))
		s.shares = append(s.shares, 20+rng.Int64N(80))
	}
	s.in = e.log.start(k, map[string]any{"cycles": size, "period_blocks": hawalaPeriod, "counterparties": len(s.counterparties)})
	return s
}

func (s *hawala) step(b *blockBuilder, e *env) bool {
	if s.next == 0 {
		s.next = b.height + hawalaPeriod
	}
	if b.height < s.next {
		s.c.collect(b, s.in, s.broker, 6+b.rng.IntN(5), false,
			func(rng *rand.Rand) int64 { return logUniform(rng, 200_000, 2_000_000) }, "sender", "broker")
		return false
	}
	coins := b.ledger.takeAll(s.broker, maxScenarioSize+10, b.height)
	var outs []plannedOutput
	for i, x := range s.counterparties {
		outs = append(outs, plannedOutput{owner: x, value: s.shares[i]})
	}
	if len(coins) == 0 {
		return false
	}
	p := spendAll(b, s.broker, coins, outs)
	if p == nil || !commitPlan(b, p) {
		return false
	}
	s.in.tx(p)
	for _, x := range s.counterparties {
		s.in.outputs(p, x, "counterparty")
	}
	s.next = b.height + hawalaPeriod
	if s.cycles++; s.cycles == s.size {
		e.log.finish(s.in)
		return true
	}
	return false
}

// funded is the funding stage shared by scenarios that start from one
// source of money: a payment from a random wallet to a fresh address of
// the source.
type funded struct {
	source *entity
	amount int64
	done   bool
	coin   coinRef // the funding coin
}

// coinRef names a coin by the plan that creates it, before the plan is
// signed.
type coinRef struct {
	plan  *txPlan
	owner *entity
	addr  uint32
}

// take removes the coin from its owner; it fails until the block holding
// the plan has been written, or when the coin is gone.
func (r coinRef) take(b *blockBuilder) (utxo, bool) {
	if r.plan == nil || r.plan.msg == nil {
		return utxo{}, false
	}
	return b.ledger.takeCoinAt(r.owner, r.plan.txid, r.addr, b.height)
}

// fund plans the funding once and reports whether it has been done in an
// earlier block, so that the coin can be spent.
func (f *funded) fund(b *blockBuilder, in *instance, want, least int64) bool {
	if f.done {
		return true
	}
	if f.amount == 0 {
		if v, p := fund(b, f.source, want, least); v > 0 {
			f.amount = v
			in.outputs(p, f.source, "source")
			f.coin = coinRef{plan: p, owner: f.source, addr: p.outs[0].addr}
		}
		return false
	}
	f.done = true
	return true
}

// structuring: a source sends Size transfers of amounts just below the
// threshold (1–5 half-percent steps under it) to its exchange deposit
// address, one or two per block, with change back to itself.
type structuring struct {
	in        *instance
	f         funded
	threshold int64
	size, n   int
}

func newStructuring(e *env, rng *rand.Rand, k *scenarioKind, size int, threshold int64) scenario {
	return &structuring{
		in:        e.log.start(k, map[string]any{"transfers": size, "threshold_sat": threshold}),
		f:         funded{source: e.newEntity(kindIllicit, illicitFamily(rng))},
		threshold: threshold,
		size:      size,
	}
}

func (s *structuring) step(b *blockBuilder, e *env) bool {
	need := int64(s.size) * s.threshold * 11 / 10
	if !s.f.fund(b, s.in, need, need) {
		return false
	}
	for range 1 + b.rng.IntN(2) {
		v := s.threshold - s.threshold*int64(1+b.rng.IntN(5))/200
		p := payFrom(b, s.f.source, []plannedOutput{e.exitOut(b, s.f.source, v)})
		if p == nil || !commitPlan(b, p) {
			return false
		}
		s.in.tx(p)
		s.in.inputs(p, "structurer")
		s.in.addr(p.outs[0].owner, p.outs[0].addr, "exit")
		if s.n++; s.n == s.size {
			e.log.finish(s.in)
			return true
		}
	}
	return false
}

// peelChain: a source coin is peeled Size times, one hop per block: each
// hop spends the previous hop's continuation coin into a small peel (2–8%)
// and a continuation to a fresh address of the source's owner; peels go
// to random wallets and, every third hop, to the owner's exchange deposit
// address. A last transaction pays the remainder to that deposit address.
type peelChain struct {
	in      *instance
	f       funded
	size, n int
	chain   coinRef
}

func newPeelChain(e *env, rng *rand.Rand, k *scenarioKind, size int) scenario {
	return &peelChain{
		in:   e.log.start(k, map[string]any{"hops": size}),
		f:    funded{source: e.newEntity(kindIllicit, illicitFamily(rng))},
		size: size,
	}
}

func (s *peelChain) step(b *blockBuilder, e *env) bool {
	l := b.ledger
	if !s.f.fund(b, s.in, 150_000_000, 20_000_000) {
		return false
	}
	owner := s.f.source
	if s.chain.plan == nil {
		s.chain = s.f.coin
	}
	c, ok := s.chain.take(b)
	if !ok {
		return false // the previous hop is not in a block yet
	}
	p := &txPlan{ins: []plannedInput{{owner: owner, coin: c}}}
	setStyle(p, owner.fam.style, b.height, b.rng)
	p.bip69 = false
	fee := int64(0)
	if s.n == s.size {
		p.outs = []plannedOutput{e.exitOut(b, owner, 0)}
		fee = int64(p.shape().vsize()) * drawFeeRate(b.rng)
		p.outs[0].value = c.value - fee
	} else {
		var peel plannedOutput
		if s.n%3 == 2 {
			peel = e.exitOut(b, owner, 0)
		} else {
			peel = plannedOutput{owner: l.wallets[b.rng.IntN(len(l.wallets))], fresh: true}
		}
		cont := plannedOutput{owner: owner, fresh: true}
		p.outs = []plannedOutput{peel, cont}
		if b.rng.IntN(2) == 0 {
			p.outs[0], p.outs[1] = cont, peel
		}
		fee = int64(p.shape().vsize()) * drawFeeRate(b.rng)
		pv := c.value * (2 + b.rng.Int64N(7)) / 100
		for i := range p.outs {
			if p.outs[i].owner == owner && p.outs[i].addrFn == nil {
				p.outs[i].value = c.value - pv - fee
			} else {
				p.outs[i].value = pv
			}
		}
	}
	for _, o := range p.outs {
		if o.value < minScaledOutput {
			returnPlanCoins(l, p)
			return true // too small to go on; the instance is dropped
		}
	}
	if !commitPlan(b, p) {
		return false
	}
	s.in.tx(p)
	if s.n == s.size {
		s.in.addr(p.outs[0].owner, p.outs[0].addr, "exit")
		e.log.finish(s.in)
		return true
	}
	for _, o := range p.outs {
		if o.owner == owner && o.addrFn == nil {
			s.in.addr(owner, o.addr, "hop")
			s.chain = coinRef{plan: p, owner: owner, addr: o.addr}
		} else {
			s.in.addr(o.owner, o.addr, "peel")
		}
	}
	s.n++
	return false
}

// passThrough: a source pays a mule's reused address an amount, and within
// 1–2 blocks the mule forwards all of it, less the fee and with no change,
// to its exchange deposit address; Size such cycles, 1–3 blocks apart.
type passThrough struct {
	in                *instance
	f                 funded
	mule              *entity
	size, n           int
	amount            int64
	inflow            coinRef
	forwardAt, nextAt int32
}

func newPassThrough(e *env, rng *rand.Rand, k *scenarioKind, size int) scenario {
	s := &passThrough{
		f:      funded{source: e.newEntity(kindIllicit, illicitFamily(rng))},
		mule:   e.newEntity(kindIllicit, reusingFamily(rng)),
		size:   size,
		amount: logUniform(rng, 2_000_000, 15_000_000),
	}
	s.in = e.log.start(k, map[string]any{"cycles": size, "amount_sat": s.amount})
	return s
}

func (s *passThrough) step(b *blockBuilder, e *env) bool {
	need := int64(s.size) * s.amount * 11 / 10
	if !s.f.fund(b, s.in, need, need) {
		return false
	}
	if s.inflow.plan != nil {
		if b.height < s.forwardAt {
			return false
		}
		c, ok := s.inflow.take(b)
		if !ok {
			return false
		}
		p := spendAll(b, s.mule, []utxo{c}, []plannedOutput{e.exitOut(b, s.mule, 1)})
		if p == nil || !commitPlan(b, p) {
			return false
		}
		s.in.tx(p)
		s.in.addr(p.outs[0].owner, p.outs[0].addr, "destination")
		s.inflow = coinRef{}
		if s.n++; s.n == s.size {
			e.log.finish(s.in)
			return true
		}
		s.nextAt = b.height + 1 + int32(b.rng.IntN(3))
		return false
	}
	if b.height < s.nextAt {
		return false
	}
	v := s.amount * (95 + b.rng.Int64N(11)) / 100
	p := payFrom(b, s.f.source, []plannedOutput{{owner: s.mule, value: v}})
	if p == nil || !commitPlan(b, p) {
		return false
	}
	s.in.tx(p)
	s.in.inputs(p, "source")
	s.in.outputs(p, s.mule, "mule")
	s.inflow = coinRef{plan: p, owner: s.mule, addr: p.outs[0].addr}
	s.forwardAt = b.height + 1 + int32(b.rng.IntN(2))
	return false
}

// fanOut: a source pays Size fresh addresses of Size distinct smurfs about
// equal amounts (±10%) in one transaction; within 1–3 blocks every smurf
// forwards its whole coin to one collector's reused address.
type fanOut struct {
	in        *instance
	f         funded
	smurfs    []*entity
	collector *entity
	amount    int64
	coins     []coinRef
	forwardAt []int32
}

func newFanOut(e *env, rng *rand.Rand, k *scenarioKind, size int) scenario {
	s := &fanOut{
		f:         funded{source: e.newEntity(kindIllicit, illicitFamily(rng))},
		collector: e.newEntity(kindIllicit, reusingFamily(rng)),
		amount:    logUniform(rng, 500_000, 4_000_000),
	}
	for range size {
		s.smurfs = append(s.smurfs, e.newEntity(kindIllicit, illicitFamily(rng)))
	}
	s.in = e.log.start(k, map[string]any{"outputs": size, "amount_sat": s.amount})
	return s
}

func (s *fanOut) step(b *blockBuilder, e *env) bool {
	need := int64(len(s.smurfs)) * s.amount * 12 / 10
	if !s.f.fund(b, s.in, need, need) {
		return false
	}
	if s.coins == nil {
		var outs []plannedOutput
		for _, x := range s.smurfs {
			outs = append(outs, plannedOutput{owner: x, value: s.amount * (90 + b.rng.Int64N(21)) / 100, fresh: true})
		}
		p := payFrom(b, s.f.source, outs)
		if p == nil || !commitPlan(b, p) {
			return false
		}
		s.in.tx(p)
		for i, x := range s.smurfs {
			s.in.outputs(p, x, "smurf")
			s.coins = append(s.coins, coinRef{plan: p, owner: x, addr: p.outs[i].addr})
			s.forwardAt = append(s.forwardAt, b.height+1+int32(b.rng.IntN(3)))
		}
		return false
	}
	left := 0
	for i, r := range s.coins {
		if r.plan == nil {
			continue
		}
		if b.height < s.forwardAt[i] {
			left++
			continue
		}
		c, ok := r.take(b)
		if !ok {
			left++
			continue
		}
		p := spendAll(b, r.owner, []utxo{c}, []plannedOutput{{owner: s.collector, value: 1}})
		if p == nil || !commitPlan(b, p) {
			left++
			continue
		}
		s.in.tx(p)
		s.in.outputs(p, s.collector, "collector")
		s.coins[i].plan = nil
	}
	if left == 0 {
		e.log.finish(s.in)
		return true
	}
	return false
}

// chainHop: a source sends Size transfers, one per block, each to a fresh
// order address of the instant exchanger, with change back to itself.
type chainHop struct {
	in      *instance
	f       funded
	size, n int
	amount  int64
}

func newChainHop(e *env, rng *rand.Rand, k *scenarioKind, size int) scenario {
	s := &chainHop{
		f:      funded{source: e.newEntity(kindIllicit, illicitFamily(rng))},
		size:   size,
		amount: logUniform(rng, 5_000_000, 30_000_000),
	}
	s.in = e.log.start(k, map[string]any{"transfers": size, "amount_sat": s.amount, "service": e.service.hot.name})
	return s
}

func (s *chainHop) step(b *blockBuilder, e *env) bool {
	need := int64(s.size) * s.amount * 12 / 10
	if !s.f.fund(b, s.in, need, need) {
		return false
	}
	v := s.amount * (90 + b.rng.Int64N(21)) / 100
	p := payFrom(b, s.f.source, []plannedOutput{{owner: e.service.orders, value: v, fresh: true}})
	if p == nil || !commitPlan(b, p) {
		return false
	}
	s.in.tx(p)
	s.in.inputs(p, "source")
	s.in.outputs(p, e.service.orders, "service_deposit")
	if s.n++; s.n == s.size {
		e.log.finish(s.in)
		return true
	}
	return false
}

// sanctioned: a designated entity with one reused address receives
// payments from Size/2 distinct wallets (direct counterparties), then pays
// the other Size/2 wallets in one batch (direct counterparties, with
// change back to its address); in the next block each paid wallet passes
// 50–90% of what it got on to a fresh address of another random wallet
// (indirect counterparties, two hops from the entity).
type sanctioned struct {
	in         *instance
	z          *entity
	size       int
	c          collection
	payout     *txPlan
	recipients []coinRef
}

func newSanctioned(e *env, rng *rand.Rand, k *scenarioKind, size int) scenario {
	s := &sanctioned{z: e.newEntity(kindSanctioned, reusingFamily(rng)), size: size}
	s.in = e.log.start(k, map[string]any{"direct": size, "entity": s.z.name})
	return s
}

func (s *sanctioned) step(b *blockBuilder, e *env) bool {
	l := b.ledger
	senders := s.size / 2
	switch {
	case s.c.count < senders:
		s.c.collect(b, s.in, s.z, senders-s.c.count, false,
			func(rng *rand.Rand) int64 { return logUniform(rng, 1_000_000, 20_000_000) }, "direct", "sanctioned")
		return false
	case s.payout == nil:
		n := s.size - senders
		bal := s.z.balance()
		var outs []plannedOutput
		skip := maps.Clone(s.c.payers)
		for len(outs) < n {
			w := l.wallets[b.rng.IntN(len(l.wallets))]
			if skip[w.id] {
				continue
			}
			skip[w.id] = true
			outs = append(outs, plannedOutput{owner: w, value: bal * (5 + b.rng.Int64N(6)) / 100, fresh: true})
		}
		p := payFrom(b, s.z, outs)
		if p == nil || !commitPlan(b, p) {
			return false
		}
		s.in.tx(p)
		s.in.inputs(p, "sanctioned")
		for _, o := range p.outs {
			if o.change {
				continue
			}
			s.in.addr(o.owner, o.addr, "direct")
			s.recipients = append(s.recipients, coinRef{plan: p, owner: o.owner, addr: o.addr})
		}
		s.payout = p
		return false
	}
	left := 0
	for i, r := range s.recipients {
		if r.plan == nil {
			continue
		}
		c, ok := r.take(b)
		if !ok {
			left++
			continue
		}
		var to *entity
		for to == nil || to == r.owner {
			to = l.wallets[b.rng.IntN(len(l.wallets))]
		}
		p := &txPlan{ins: []plannedInput{{owner: r.owner, coin: c}}}
		setStyle(p, r.owner.fam.style, b.height, b.rng)
		p.bip69 = false
		p.outs = []plannedOutput{{owner: to, fresh: true}}
		rate := drawFeeRate(b.rng)
		fee := feeWithChange(p, r.owner, rate)
		v := (c.value - fee) * (50 + b.rng.Int64N(41)) / 100
		p.outs[0].value = v
		if ch := c.value - v - fee; ch >= dustLimit {
			p.outs = append(p.outs, plannedOutput{owner: r.owner, value: ch, change: true})
		} else {
			p.outs[0].value = c.value - int64(p.shape().vsize())*rate
		}
		if p.outs[0].value < minScaledOutput {
			l.returnCoin(r.owner, c)
			s.recipients[i].plan = nil // too small to pass on
			continue
		}
		if !commitPlan(b, p) {
			left++
			continue
		}
		s.in.tx(p)
		s.in.addr(to, p.outs[0].addr, "indirect")
		s.recipients[i].plan = nil
	}
	if left == 0 {
		e.log.finish(s.in)
		return true
	}
	return false
}
