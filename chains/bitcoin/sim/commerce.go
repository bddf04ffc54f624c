package sim

import (
	"fmt"
	"math/rand/v2"
)

// Shape of merchant and payment processor traffic. The values are
// modelling choices, not measurements.
const (
	// saleShare is the expected number of sales per block, as a share of
	// the block's transaction target, and saleFloor its lower bound.
	saleShare = 0.03
	saleFloor = 0.5
	// minSale and maxSale bound the log-uniform sale amounts.
	minSale = 20_000
	maxSale = 3_000_000
	// processorShare is the share of merchants paid through a processor.
	processorShare = 0.5
	// invoiceSweepEvery and payoutEvery are the blocks between a
	// processor's sweeps of invoice addresses and its batched payouts.
	invoiceSweepEvery = 3
	payoutEvery       = 6
	// processorFeePerMille is what a processor keeps of each sale.
	processorFeePerMille = 10
	// consolidateEvery is the blocks between a self-hosted merchant's
	// consolidations of its sale addresses.
	consolidateEvery = 12
	// merchantSpendProb is the chance per block that a merchant pays 2–8
	// suppliers 30–60% of its treasury.
	merchantSpendProb = 0.15
)

// Roles of merchant and processor addresses, as written to truth.jsonl.
const (
	roleSale       = "sale"
	roleTreasury   = "treasury"
	roleInvoice    = "invoice"
	roleSettlement = "settlement"
)

// merchant is a shop. A self-hosted merchant gives every sale a fresh sale
// address and consolidates them into its reused treasury address every
// consolidateEvery blocks; a merchant using a processor is paid into its
// treasury by the processor's batched payouts. Merchants pay suppliers
// (random wallets) from the treasury.
type merchant struct {
	idx            int
	sale, treasury *entity
	proc           *processor
	lastConsol     int32
}

// processor is a payment processor: each invoice gets a fresh invoice
// address; every invoiceSweepEvery blocks the invoice coins are swept into
// the reused settlement address, and every payoutEvery blocks the
// settlement wallet pays every merchant what its swept invoices came to,
// less the fee, in one batch, change back to the settlement address.
type processor struct {
	invoices, settlement *entity
	// invoiceOf maps an invoice address to the merchant it was made
	// for; owed is what the swept invoices of each merchant (by index)
	// add up to since its last payout.
	invoiceOf  map[uint32]int
	owed       []int64
	lastSweep  int32
	lastPayout int32
	// sweeps since the last payout, for the processor_pass_through decoy.
	sweeps []*txPlan
}

// commerce is the actor for merchants, processors and their customers, and
// records the merchant_aggregation and processor_pass_through decoys.
type commerce struct {
	merchants  []*merchant
	processors []*processor
	log        *scenarioLog
	agg, pass  *scenarioKind
	aggLeft    int
	passLeft   int
	aggMin     int
	passMin    int
}

// newCommerce creates the merchants and processors of w, or returns nil
// when there are no merchants.
func newCommerce(l *ledger, rng *rand.Rand, w World, log *scenarioLog) *commerce {
	if w.Merchants == 0 {
		return nil
	}
	c := &commerce{log: log}
	for i := range w.Processors {
		fam := family{script: exchangeScripts[rng.IntN(len(exchangeScripts))], changeLast: true, style: styleCore}
		name := fmt.Sprintf("p%d", i)
		p := &processor{owed: make([]int64, w.Merchants), invoiceOf: make(map[uint32]int)}
		p.invoices = l.addEntity(name, kindProcessor, fam)
		p.invoices.role = roleInvoice
		fam.reuseRecv = true
		p.settlement = l.addEntity(name, kindProcessor, fam)
		p.settlement.role = roleSettlement
		c.processors = append(c.processors, p)
	}
	for i := range w.Merchants {
		fam := drawFamily(rng)
		fam.reuseRecv, fam.freshChange = false, false
		name := fmt.Sprintf("r%d", i)
		m := &merchant{idx: i}
		m.sale = l.addEntity(name, kindMerchant, fam)
		m.sale.role = roleSale
		fam.reuseRecv = true
		m.treasury = l.addEntity(name, kindMerchant, fam)
		m.treasury.role = roleTreasury
		if len(c.processors) > 0 && rng.Float64() < processorShare {
			m.proc = c.processors[rng.IntN(len(c.processors))]
		}
		c.merchants = append(c.merchants, m)
	}
	for i := range scenarioKinds {
		k := &scenarioKinds[i]
		sc := k.cfg(&w.Scenarios)
		switch k.name {
		case "merchant_aggregation":
			c.agg, c.aggMin = k, sc.Size
			if *sc.Enabled {
				c.aggLeft = sc.Instances
			}
		case "processor_pass_through":
			c.pass, c.passMin = k, sc.Size
			if *sc.Enabled {
				c.passLeft = sc.Instances
			}
		}
	}
	return c
}

// planBlock implements actor.
func (c *commerce) planBlock(b *blockBuilder) error {
	for _, p := range c.processors {
		if !c.planProcessor(b, p) {
			return nil
		}
	}
	for _, m := range c.merchants {
		if !c.planMerchant(b, m) {
			return nil
		}
	}
	for range drawCount(b.rng, saleShare*float64(b.maxTxs), saleFloor) {
		if b.full() {
			return nil
		}
		m := c.merchants[b.rng.IntN(len(c.merchants))]
		v := logUniform(b.rng, minSale, maxSale)
		w := findPayer(b, 2*v, nil)
		if w == nil {
			continue
		}
		to := m.sale
		if m.proc != nil {
			to = m.proc.invoices
		}
		p := payFrom(b, w, []plannedOutput{{owner: to, value: v, fresh: true}})
		if p == nil {
			continue
		}
		if !commitPlan(b, p) {
			return nil
		}
		if m.proc != nil {
			m.proc.invoiceOf[p.outs[0].addr] = m.idx
		}
	}
	return nil
}

// planProcessor plans p's sweep and payout when due; it reports false when
// the block is full.
func (c *commerce) planProcessor(b *blockBuilder, p *processor) bool {
	l := b.ledger
	if len(p.invoices.utxos) >= 2 && b.height-p.lastSweep >= invoiceSweepEvery {
		coins := l.takeAll(p.invoices, maxSweepInputs, b.height)
		tx := spendAll(b, p.invoices, coins, []plannedOutput{{owner: p.settlement, value: 1}})
		if tx != nil {
			if !commitPlan(b, tx) {
				return false
			}
			p.lastSweep = b.height
			p.sweeps = append(p.sweeps, tx)
			for _, in := range tx.ins {
				p.owed[p.invoiceOf[in.coin.addr]] += in.coin.value
				delete(p.invoiceOf, in.coin.addr)
			}
		}
	}
	if b.height-p.lastPayout < payoutEvery {
		return true
	}
	// Keep a margin for the fee; what does not fit waits for the next
	// payout.
	budget := p.settlement.balance() - 20_000
	var outs []plannedOutput
	var paid []int
	for i, m := range c.merchants {
		v := p.owed[i] * (1000 - processorFeePerMille) / 1000
		if v < minScaledOutput || v > budget {
			continue
		}
		budget -= v
		outs = append(outs, plannedOutput{owner: m.treasury, value: v})
		paid = append(paid, i)
	}
	if len(outs) == 0 {
		return true
	}
	tx := payFrom(b, p.settlement, outs)
	if tx == nil {
		return true
	}
	if !commitPlan(b, tx) {
		return false
	}
	for _, i := range paid {
		p.owed[i] = 0
	}
	p.lastPayout = b.height
	if c.passLeft > 0 && len(p.sweeps) > 0 && len(paid) >= c.passMin {
		c.passLeft--
		in := c.log.start(c.pass, map[string]any{"processor": p.settlement.name, "sweeps": len(p.sweeps), "merchants": len(paid)})
		for _, s := range p.sweeps {
			in.tx(s)
			in.inputs(s, roleInvoice)
			in.outputs(s, p.settlement, roleSettlement)
		}
		in.tx(tx)
		for _, o := range tx.outs {
			if !o.change {
				in.addr(o.owner, o.addr, "merchant")
			}
		}
		c.log.finish(in)
	}
	p.sweeps = p.sweeps[:0]
	return true
}

// planMerchant plans m's consolidation and supplier payments when due; it
// reports false when the block is full.
func (c *commerce) planMerchant(b *blockBuilder, m *merchant) bool {
	l, rng := b.ledger, b.rng
	if m.proc == nil && len(m.sale.utxos) >= 3 && b.height-m.lastConsol >= consolidateEvery {
		coins := l.takeAll(m.sale, maxSweepInputs, b.height)
		tx := spendAll(b, m.sale, coins, []plannedOutput{{owner: m.treasury, value: 1}})
		if tx != nil {
			if !commitPlan(b, tx) {
				return false
			}
			m.lastConsol = b.height
			if c.aggLeft > 0 && len(tx.ins) >= c.aggMin {
				c.aggLeft--
				in := c.log.start(c.agg, map[string]any{"merchant": m.sale.name, "sales": len(tx.ins)})
				for _, i := range tx.ins {
					in.known = append(in.known, i.coin.hash)
				}
				in.tx(tx)
				in.inputs(tx, roleSale)
				in.outputs(tx, m.treasury, roleTreasury)
				c.log.finish(in)
			}
		}
	}
	if rng.Float64() < merchantSpendProb && len(m.treasury.utxos) > 0 {
		n := 2 + rng.IntN(7)
		share := m.treasury.balance() * (30 + rng.Int64N(31)) / 100 / int64(n)
		if share < 10*dustLimit {
			return true
		}
		var outs []plannedOutput
		for range n {
			outs = append(outs, plannedOutput{owner: l.wallets[rng.IntN(len(l.wallets))], value: share * (50 + rng.Int64N(100)) / 100})
		}
		if tx := payFrom(b, m.treasury, outs); tx != nil && !commitPlan(b, tx) {
			return false
		}
	}
	return true
}
