package sim

import "math/rand/v2"

// Shape of the payroll decoy.
const (
	// payrollPeriod is the number of blocks between pay days.
	payrollPeriod = 4
	// payrollCycles is the number of pay days of one employer.
	payrollCycles = 3
)

// payroll is a legitimate employer that looks like fan-out: it is paid by
// customers (random wallets) and then, every payrollPeriod blocks, pays the
// same Size employees similar salaries (±15% around one base, two
// significant digits) in one transaction, change back to itself. Employees
// are ordinary wallets paid at their usual receive addresses and spend as
// they always do.
type payroll struct {
	in        *instance
	employer  *entity
	employees []*entity
	salaries  []int64
	c         collection
	cycles    int
	next      int32
}

func newPayroll(e *env, rng *rand.Rand, k *scenarioKind, size int) scenario {
	s := &payroll{employer: e.newEntity(kindBusiness, reusingFamily(rng))}
	base := logUniform(rng, 500_000, 3_000_000)
	seen := make(map[int32]bool)
	for len(s.employees) < size && len(seen) < len(e.ledger.wallets) {
		w := e.ledger.wallets[rng.IntN(len(e.ledger.wallets))]
		if seen[w.id] {
			continue
		}
		seen[w.id] = true
		s.employees = append(s.employees, w)
		s.salaries = append(s.salaries, roundAmount(base*(85+rng.Int64N(31))/100))
	}
	s.in = e.log.start(k, map[string]any{"employees": len(s.employees), "pay_days": payrollCycles, "period_blocks": payrollPeriod})
	return s
}

func (s *payroll) step(b *blockBuilder, e *env) bool {
	var total int64
	for _, v := range s.salaries {
		total += v
	}
	if s.next == 0 {
		s.next = b.height + payrollPeriod
	}
	if b.height < s.next || s.employer.balance() < total*11/10 {
		// Revenue: a few customers pay the employer.
		if s.employer.balance() < total*int64(payrollCycles-s.cycles)*11/10 {
			s.c.collect(b, s.in, s.employer, 1+b.rng.IntN(3), false,
				func(rng *rand.Rand) int64 { return total * int64(payrollCycles) / 5 }, "customer", "employer")
		}
		return false
	}
	var outs []plannedOutput
	for i, w := range s.employees {
		outs = append(outs, plannedOutput{owner: w, value: s.salaries[i]})
	}
	p := payFrom(b, s.employer, outs)
	if p == nil || !commitPlan(b, p) {
		return false
	}
	s.in.tx(p)
	s.in.inputs(p, "employer")
	for _, o := range p.outs {
		if !o.change {
			s.in.addr(o.owner, o.addr, "employee")
		}
	}
	s.next = b.height + payrollPeriod
	if s.cycles++; s.cycles == payrollCycles {
		e.log.finish(s.in)
		return true
	}
	return false
}
