package sim

import "math/rand/v2"

// Shape of the instant exchanger's traffic, modelling choices.
const (
	// serviceOrderShare is the expected number of orders by ordinary
	// wallets per block, as a share of the block's transaction target,
	// and serviceOrderFloor its lower bound.
	serviceOrderShare = 0.002
	serviceOrderFloor = 0.2
	// serviceSweepEvery is the number of blocks between sweeps of order
	// addresses into the hot wallet.
	serviceSweepEvery = 5
	// servicePayoutProb is the chance per block that the service pays out
	// swaps into bitcoin to 1–5 wallets.
	servicePayoutProb = 0.3
)

// instantExchanger is the actor for a swap service that needs no account:
// a customer sends coins to a fresh order address and receives another
// asset elsewhere (not simulated). It sweeps its order addresses into one
// reused hot address every few blocks and pays out swaps into bitcoin from
// it. Its entities are named i0 and have kind "service" and roles "deposit"
// (order addresses) and "hot". Ordinary wallets use it now and then; the
// chain-hop scenario uses it to leave the chain.
type instantExchanger struct {
	orders, hot *entity
	lastSweep   int32
}

// newInstantExchanger creates the service.
func newInstantExchanger(l *ledger, rng *rand.Rand) *instantExchanger {
	fam := family{script: p2wpkh, changeLast: true, style: styleCore}
	if rng.IntN(2) == 0 {
		fam.script = p2tr
	}
	s := &instantExchanger{}
	s.orders = l.addEntity("i0", kindService, fam)
	s.orders.role = roleDeposit
	fam.reuseRecv = true
	s.hot = l.addEntity("i0", kindService, fam)
	s.hot.role = roleHot
	return s
}

// planBlock implements actor.
func (s *instantExchanger) planBlock(b *blockBuilder) error {
	l, rng := b.ledger, b.rng
	if len(s.orders.utxos) >= 2 && b.height-s.lastSweep >= serviceSweepEvery {
		coins := l.takeAll(s.orders, maxSweepInputs, b.height)
		p := spendAll(b, s.orders, coins, []plannedOutput{{owner: s.hot, value: 1}})
		if p != nil {
			if !commitPlan(b, p) {
				return nil
			}
			s.lastSweep = b.height
		}
	}
	if rng.Float64() < servicePayoutProb && s.hot.balance() > 0 && !b.full() {
		var outs []plannedOutput
		budget := s.hot.balance() / 3
		for range 1 + rng.IntN(5) {
			v := min(drawAmount(rng), budget/5)
			if v < minScaledOutput {
				break
			}
			outs = append(outs, plannedOutput{owner: l.wallets[rng.IntN(len(l.wallets))], value: v})
		}
		if len(outs) > 0 {
			if p := payFrom(b, s.hot, outs); p != nil && !commitPlan(b, p) {
				return nil
			}
		}
	}
	for range drawCount(rng, serviceOrderShare*float64(b.maxTxs), serviceOrderFloor) {
		if b.full() {
			return nil
		}
		v := drawAmount(rng)
		w := findPayer(b, 2*v, nil)
		if w == nil {
			continue
		}
		if p := payFrom(b, w, []plannedOutput{{owner: s.orders, value: v, fresh: true}}); p != nil && !commitPlan(b, p) {
			return nil
		}
	}
	return nil
}
