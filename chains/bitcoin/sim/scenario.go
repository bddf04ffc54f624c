package sim

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/btcsuite/btcd/chainhash/v2"
)

// instance is one planted scenario instance or decoy being recorded for
// the ground truth.
type instance struct {
	name   string
	kind   *scenarioKind
	known  []chainhash.Hash // txids of transactions of earlier blocks
	plans  []*txPlan        // transactions planned by the scenario
	addrs  []roleRef
	params map[string]any
}

// roleRef is an address with its role in an instance.
type roleRef struct {
	ref  addrRef
	role string
}

// tx records p as a transaction of the instance.
func (in *instance) tx(p *txPlan) { in.plans = append(in.plans, p) }

// addr records address idx of e in role.
func (in *instance) addr(e *entity, idx uint32, role string) {
	in.addrs = append(in.addrs, roleRef{addrRef{e, idx}, role})
}

// inputs records the addresses p spends from in role.
func (in *instance) inputs(p *txPlan, role string) {
	for _, i := range p.ins {
		in.addr(i.owner, i.coin.addr, role)
	}
}

// outputs records the addresses of p's outputs owned by e, other than
// change, in role.
func (in *instance) outputs(p *txPlan, e *entity, role string) {
	for _, o := range p.outs {
		if o.owner == e && !o.change {
			in.addr(o.owner, o.addr, role)
		}
	}
}

// scenarioLog names instances and holds the finished ones until the
// generator writes them at the end of the block.
type scenarioLog struct {
	counts   map[string]int
	finished []*instance
	written  int
}

func newScenarioLog() *scenarioLog {
	return &scenarioLog{counts: make(map[string]int)}
}

// start returns a new instance of kind k.
func (s *scenarioLog) start(k *scenarioKind, params map[string]any) *instance {
	s.counts[k.name]++
	return &instance{name: fmt.Sprintf("%s-%d", k.name, s.counts[k.name]), kind: k, params: params}
}

// finish queues in for writing.
func (s *scenarioLog) finish(in *instance) {
	s.finished = append(s.finished, in)
}

// flush writes the finished instances, whose transactions are signed by
// now, and forgets them.
func (s *scenarioLog) flush(tw *truthWriter, params *chaincfg.Params) error {
	for _, in := range s.finished {
		line := scenarioLine{
			Scenario:  in.name,
			Kind:      in.kind.name,
			Decoy:     in.kind.decoy,
			Detectors: in.kind.detectors,
			Params:    in.params,
		}
		seen := make(map[chainhash.Hash]bool)
		add := func(h chainhash.Hash) {
			if !seen[h] {
				seen[h] = true
				line.Txids = append(line.Txids, h.String())
			}
		}
		for _, h := range in.known {
			add(h)
		}
		for _, p := range in.plans {
			add(p.txid)
		}
		dup := make(map[roleRef]bool)
		for _, r := range in.addrs {
			if dup[r] {
				continue
			}
			dup[r] = true
			a, err := encodeAddress(r.ref.owner.fam.script, &r.ref.owner.keys[r.ref.index], params)
			if err != nil {
				return fmt.Errorf("scenario %s: %w", in.name, err)
			}
			line.Addresses = append(line.Addresses, RoleAddress{Address: a, Role: r.role})
		}
		if err := tw.writeScenario(line); err != nil {
			return err
		}
		s.written++
	}
	s.finished = s.finished[:0]
	return nil
}

// env is what scenarios see of the world.
type env struct {
	ledger    *ledger
	exchanges []*exchange
	service   *instantExchanger
	log       *scenarioLog
	nEntities int // scenario entities created, for their names
}

// newEntity creates an entity of a scenario named s<n>.
func (e *env) newEntity(kind entityKind, fam family) *entity {
	name := fmt.Sprintf("s%d", e.nEntities)
	e.nEntities++
	return e.ledger.addEntity(name, kind, fam)
}

// commitPlan adds p to the block and gives its outputs addresses, or
// returns its coins and reports false when the block cannot take it.
func commitPlan(b *blockBuilder, p *txPlan) bool {
	if !b.add(p) {
		returnPlanCoins(b.ledger, p)
		return false
	}
	assignAddresses(b.ledger, p)
	return true
}

// findPayer returns a random funded wallet, not in skip, that owns at least
// need, or nil after a few tries.
func findPayer(b *blockBuilder, need int64, skip map[int32]bool) *entity {
	l := b.ledger
	if len(l.funded) == 0 {
		return nil
	}
	for range 48 {
		w := l.funded[b.rng.IntN(len(l.funded))]
		if skip[w.id] || len(w.utxos) == 0 {
			continue
		}
		if w.balance() >= need {
			return w
		}
	}
	return nil
}

// payFrom plans a payment of outs by payer from random coins of its, with
// change back to payer, or returns nil (with payer's coins untouched) when
// it cannot afford it.
func payFrom(b *blockBuilder, payer *entity, outs []plannedOutput) *txPlan {
	l, rng := b.ledger, b.rng
	p := &txPlan{outs: outs}
	setStyle(p, payer.fam.style, b.height, rng)
	p.bip69 = false // scenarios keep their output order
	var want int64
	for _, o := range outs {
		want += o.value
	}
	rate := drawFeeRate(rng)
	var sum int64
	for len(payer.utxos) > 0 && len(p.ins) < maxInputs && sum < want+feeWithChange(p, payer, rate)+dustLimit {
		c := l.takeCoin(payer, rng, b.height)
		sum += c.value
		p.ins = append(p.ins, plannedInput{owner: payer, coin: c})
	}
	change := sum - want - feeWithChange(p, payer, rate)
	if change < dustLimit {
		returnPlanCoins(l, p)
		return nil
	}
	p.outs = append(p.outs, plannedOutput{owner: payer, value: change, change: true})
	return p
}

// spendAll plans a transaction spending coins of from and paying
// everything but the fee to outs in the proportions of their values, or
// returns nil (with the coins given back) when an output would be dust.
func spendAll(b *blockBuilder, from *entity, coins []utxo, outs []plannedOutput) *txPlan {
	p := &txPlan{outs: outs}
	setStyle(p, from.fam.style, b.height, b.rng)
	p.bip69 = false
	var sum, weights int64
	for _, c := range coins {
		p.ins = append(p.ins, plannedInput{owner: from, coin: c})
		sum += c.value
	}
	for _, o := range outs {
		weights += o.value
	}
	avail := sum - int64(p.shape().vsize())*drawFeeRate(b.rng)
	left := avail
	for i := range p.outs {
		v := int64(float64(avail) * float64(p.outs[i].value) / float64(weights))
		if i == len(p.outs)-1 {
			v = left
		}
		if v < minScaledOutput {
			returnPlanCoins(b.ledger, p)
			return nil
		}
		p.outs[i].value = v
		left -= v
	}
	return p
}

// exitOut returns an output of value to customer's deposit address at an
// exchange (the same exchange for the same customer), or to a fresh address
// of a random wallet when there are no exchanges.
func (e *env) exitOut(b *blockBuilder, customer *entity, value int64) plannedOutput {
	if len(e.exchanges) == 0 {
		return plannedOutput{owner: e.ledger.wallets[b.rng.IntN(len(e.ledger.wallets))], value: value, fresh: true}
	}
	x := e.exchanges[int(customer.id)%len(e.exchanges)]
	return plannedOutput{owner: x.deposit, value: value, addrFn: func(l *ledger) uint32 { return x.depositAddress(l, customer) }}
}

// logUniform draws an amount log-uniformly in [lo, hi].
func logUniform(rng *rand.Rand, lo, hi int64) int64 {
	a, z := math.Log(float64(lo)), math.Log(float64(hi))
	return int64(math.Exp(a + rng.Float64()*(z-a)))
}

// scenario is one planted instance in progress. step is called once per
// block from its start on and reports whether the instance is over.
type scenario interface {
	step(b *blockBuilder, e *env) bool
}

// waitingScenario is a scenario that starts once the chain holds start
// transactions.
type waitingScenario struct {
	start int
	sc    scenario
}

// scenarios is the actor that runs the planted scenarios and the payroll
// decoy. It runs right after the miners, so that coins a scenario received
// in the previous block are still there.
type scenarios struct {
	env     *env
	waiting []waitingScenario
	active  []scenario
}

// newScenarios plans every enabled instance of w. Each starts at a random
// point between 5% and 60% of the chain's transactions, but early enough
// that the blocks its kind needs, with a margin, still come after it; in a
// chain too short for that it starts at 5%.
func newScenarios(e *env, rng *rand.Rand, w World, txs, txsPerBlock int) *scenarios {
	s := &scenarios{env: e}
	for i := range scenarioKinds {
		k := &scenarioKinds[i]
		sc := k.cfg(&w.Scenarios)
		if !*sc.Enabled {
			continue
		}
		for range sc.Instances {
			var inst scenario
			switch k.name {
			case "recruitment":
				inst = newRecruitment(e, rng, k, sc.Size)
			case "fan_in":
				inst = newFanIn(e, rng, k, sc.Size)
			case "hawala":
				inst = newHawala(e, rng, k, sc.Size)
			case "structuring":
				inst = newStructuring(e, rng, k, sc.Size, sc.ThresholdSat)
			case "peel_chain":
				inst = newPeelChain(e, rng, k, sc.Size)
			case "pass_through":
				inst = newPassThrough(e, rng, k, sc.Size)
			case "fan_out":
				inst = newFanOut(e, rng, k, sc.Size)
			case "chain_hop":
				if e.service == nil {
					continue
				}
				inst = newChainHop(e, rng, k, sc.Size)
			case "sanctioned":
				inst = newSanctioned(e, rng, k, sc.Size)
			case "payroll":
				inst = newPayroll(e, rng, k, sc.Size)
			default:
				continue // decoys recorded by the actors that make them
			}
			lo := txs / 20
			hi := min(txs*3/5, txs-(k.blocks(sc.Size)*13/10+3)*txsPerBlock)
			start := lo
			if hi > lo {
				start += rng.IntN(hi - lo)
			}
			s.waiting = append(s.waiting, waitingScenario{start: start, sc: inst})
		}
	}
	return s
}

// planBlock implements actor.
func (s *scenarios) planBlock(b *blockBuilder) error {
	kept := s.waiting[:0]
	for _, w := range s.waiting {
		if w.start <= b.progress {
			s.active = append(s.active, w.sc)
		} else {
			kept = append(kept, w)
		}
	}
	s.waiting = kept
	active := s.active[:0]
	for _, sc := range s.active {
		if b.full() || !sc.step(b, s.env) {
			active = append(active, sc)
		}
	}
	s.active = active
	return nil
}
