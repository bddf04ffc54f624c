package trace

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sort"
	"sync"

	"github.com/spoorhq/spoor/storage"
)

// IndexSource is what building the exposure index reads and writes.
// *storage.DB implements it.
type IndexSource interface {
	State() (storage.ChainState, error)
	ScanPostings(fn func(storage.Posting) error) error
	ScanInputs(fn func(storage.TxNum, storage.InputsRecord) error) error
	ScanOutputs(fn func(storage.TxNum, storage.OutputsRecord) error) error
	ClearExposure() error
	NewBatch() *storage.Batch
}

// BuildStats says what building the exposure index did.
type BuildStats struct {
	Addresses  int
	Postings   int
	Txs        int
	Categories []string
}

// BuildExposureIndex computes the exposure of every address of the index,
// receiving and sending, under lim, with the labels of labels, and writes
// it with stamp (whose label, clustering and tip fields the caller fills
// in; the limits and categories are filled in here). The stamp is written
// last, after the old index is removed and every entry committed, so an
// interrupted build leaves no index rather than a wrong one.
//
// Instead of one walk per address, it runs the walk's recursion once for
// all of them, hop level by hop level from the farthest in: the exposure
// of a flow arriving at an unlabelled address depends only on the address,
// its time bound (which of the address's transactions are before, or
// after, it) and the hop, and the value of every such state is a
// value-weighted prefix (receiving) or suffix (sending) average over the
// address's transactions. The figures equal those of Engine.Exposure with
// the same limits and Exact set (no epsilon cut), except that the index is
// never cut short by MaxSteps; lim's Epsilon and MaxSteps are not used.
func BuildExposureIndex(ctx context.Context, src IndexSource, labels Labeler, lim ExposureLimits, stamp storage.ExposureMeta) (BuildStats, error) {
	lim, err := lim.withDefaults()
	if err != nil {
		return BuildStats{}, err
	}
	g, err := loadGraph(ctx, src, labels, lim)
	if err != nil {
		return BuildStats{}, err
	}
	stats := BuildStats{Addresses: g.nAddr - 1, Postings: len(g.roles[0].tx) + len(g.roles[1].tx), Txs: g.nTx, Categories: g.cats}
	var sides [2]*dirLevels
	for d, dir := range []Direction{Receiving, Sending} {
		if sides[d], err = g.levels(ctx, dir); err != nil {
			return stats, err
		}
	}
	if err := src.ClearExposure(); err != nil {
		return stats, err
	}
	b := src.NewBatch()
	defer func() { b.Close() }()
	for a := 1; a < g.nAddr; a++ {
		if a%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return stats, err
			}
		}
		if g.roles[0].count(a)+g.roles[1].count(a) == 0 {
			continue
		}
		var e storage.ExposureEntry
		e.Receiving = g.top(sides[0], a)
		e.Sending = g.top(sides[1], a)
		b.PutExposure(storage.AddrID(a), &e)
		if b.Len() > 4<<20 {
			if err := b.Commit(false); err != nil {
				return stats, err
			}
			b.Close()
			b = src.NewBatch()
		}
	}
	stamp.MaxHops = uint8(lim.MaxHops)
	stamp.MaxFanout = uint32(lim.MaxFanout)
	stamp.MaxTransfers = uint32(lim.MaxTransfers)
	stamp.Categories = g.cats
	stamp.Addresses = uint64(stats.Addresses)
	b.PutExposureMeta(&stamp)
	if err := b.Commit(true); err != nil {
		return stats, err
	}
	return stats, nil
}

// rolePostings holds every posting of one role, grouped by address in
// transaction order: those of address a are [start[a], start[a+1]).
type rolePostings struct {
	start []uint32
	tx    []uint32
	amt   []uint64
}

func (r *rolePostings) count(a int) int { return int(r.start[a+1] - r.start[a]) }

// txSides holds the inputs or the outputs of every transaction: those of
// transaction n are [start[n], start[n+1]).
type txSides struct {
	start []uint32
	addr  []uint32
	val   []uint64
}

// flowGraph is the whole chain in memory, as the exposure recursion reads
// it.
type flowGraph struct {
	nAddr, nTx int
	roles      [2]rolePostings // storage.RoleReceive, storage.RoleSpend
	ins, outs  txSides
	coinbase   []bool  // transaction has no inputs row
	cat        []int32 // category index of the address's best tag, -1 for none
	deadEnd    []bool  // more postings than MaxFanout
	cats       []string
	coinbaseC  int32
	lim        ExposureLimits
}

func loadGraph(ctx context.Context, src IndexSource, labels Labeler, lim ExposureLimits) (*flowGraph, error) {
	st, err := src.State()
	if err != nil {
		return nil, fmt.Errorf("trace: chain state: %w", err)
	}
	if uint64(st.NextTxNum) >= math.MaxUint32 || uint64(st.NextAddrID) >= math.MaxUint32 {
		return nil, fmt.Errorf("trace: %d transactions and %d addresses are more than the in-memory exposure build handles", st.NextTxNum, st.NextAddrID)
	}
	g := &flowGraph{nAddr: int(st.NextAddrID), nTx: int(st.NextTxNum), lim: lim}
	total := make([]uint32, g.nAddr)
	for r := range g.roles {
		g.roles[r].start = make([]uint32, g.nAddr+1)
	}
	// Postings come by address, then transaction: count first, then fill.
	err = src.ScanPostings(func(p storage.Posting) error {
		if int(p.AddrID) >= g.nAddr || int(p.TxNum) >= g.nTx || p.Role > storage.RoleSpend {
			return fmt.Errorf("trace: posting %+v outside the chain state %d txs, %d addresses", p.PostingKey, g.nTx, g.nAddr)
		}
		rp := &g.roles[p.Role]
		rp.start[p.AddrID+1]++
		rp.tx = append(rp.tx, uint32(p.TxNum))
		rp.amt = append(rp.amt, p.Amount)
		total[p.AddrID]++
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("trace: scan address index: %w", err)
	}
	for r := range g.roles {
		s := g.roles[r].start
		for a := 1; a <= g.nAddr; a++ {
			s[a] += s[a-1]
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	g.deadEnd = make([]bool, g.nAddr)
	for a, n := range total {
		g.deadEnd[a] = int(n) > lim.MaxFanout
	}
	g.coinbase = make([]bool, g.nTx)
	for i := range g.coinbase {
		g.coinbase[i] = true
	}
	if g.ins, err = loadSides(g.nTx, func(fn func(storage.TxNum, []uint32, []uint64)) error {
		var as []uint32
		var vs []uint64
		return src.ScanInputs(func(n storage.TxNum, in storage.InputsRecord) error {
			if int(n) >= g.nTx {
				return fmt.Errorf("trace: inputs of transaction %d outside the chain state", n)
			}
			g.coinbase[n] = false
			as, vs = as[:0], vs[:0]
			for _, i := range in {
				as, vs = append(as, uint32(i.AddrID)), append(vs, i.Value)
			}
			fn(n, as, vs)
			return nil
		})
	}); err != nil {
		return nil, err
	}
	if g.outs, err = loadSides(g.nTx, func(fn func(storage.TxNum, []uint32, []uint64)) error {
		var as []uint32
		var vs []uint64
		return src.ScanOutputs(func(n storage.TxNum, out storage.OutputsRecord) error {
			if int(n) >= g.nTx {
				return fmt.Errorf("trace: outputs of transaction %d outside the chain state", n)
			}
			as, vs = as[:0], vs[:0]
			for _, o := range out {
				as, vs = append(as, uint32(o.AddrID)), append(vs, o.Value)
			}
			fn(n, as, vs)
			return nil
		})
	}); err != nil {
		return nil, err
	}
	// Categories: the best tag of every address, as a walk would see it.
	g.cat = make([]int32, g.nAddr)
	best := make([]string, g.nAddr)
	labelled := make([]bool, g.nAddr)
	seen := map[string]bool{"coinbase": true}
	for a := 1; a < g.nAddr; a++ {
		if a%65536 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		if t, ok := bestTag(labels.Tags(storage.AddrID(a))); ok {
			best[a], labelled[a] = t.Category, true
			seen[t.Category] = true
		}
	}
	for c := range seen {
		g.cats = append(g.cats, c)
	}
	sort.Strings(g.cats)
	idx := map[string]int32{}
	for i, c := range g.cats {
		idx[c] = int32(i)
	}
	g.coinbaseC = idx["coinbase"]
	for a := range g.cat {
		g.cat[a] = -1
		if labelled[a] {
			g.cat[a] = idx[best[a]]
		}
	}
	return g, nil
}

// loadSides reads one side of every transaction into a txSides, from a
// scan in transaction order.
func loadSides(nTx int, scan func(fn func(storage.TxNum, []uint32, []uint64)) error) (txSides, error) {
	s := txSides{start: make([]uint32, nTx+1)}
	last := 0
	err := scan(func(n storage.TxNum, as []uint32, vs []uint64) {
		for i := last + 1; i <= int(n); i++ {
			s.start[i] = uint32(len(s.addr))
		}
		s.addr = append(s.addr, as...)
		s.val = append(s.val, vs...)
		last = int(n)
		s.start[n+1] = uint32(len(s.addr))
	})
	if err != nil {
		return s, fmt.Errorf("trace: scan transactions: %w", err)
	}
	for i := last + 1; i <= nTx; i++ {
		s.start[i] = uint32(len(s.addr))
	}
	return s, nil
}

// dirLevels is the value of hop-1 states in one direction: for every
// posting i of the direction's role, acc[i*K:(i+1)*K] is the running
// value-weighted sum of the per-transaction category vectors over the
// address's postings up to i (receiving: from its first; sending: from its
// last back to i), cum[i] the running sum of their amounts and hop the
// running minimum hop at which each category was reached (0: never).
type dirLevels struct {
	dir  Direction
	role *rolePostings
	acc  []float64
	cum  []float64
	hop  []uint8
}

// state finds, for a flow at address a bound by transaction bound, the
// posting whose running sums hold its value; ok is false when no
// transaction of a is usable.
func (g *flowGraph) state(rp *rolePostings, dir Direction, a uint32, bound uint32) (int, bool) {
	lo, hi := int(rp.start[a]), int(rp.start[a+1])
	txs := rp.tx[lo:hi]
	if dir == Receiving {
		k := sort.Search(len(txs), func(i int) bool { return txs[i] >= bound })
		return lo + k - 1, k > 0
	}
	k := sort.Search(len(txs), func(i int) bool { return txs[i] > bound })
	return lo + k, k < len(txs)
}

// levels runs the recursion in direction dir from hop MaxHops-1 down to
// hop 1 and returns the hop-1 values.
func (g *flowGraph) levels(ctx context.Context, dir Direction) (*dirLevels, error) {
	K := len(g.cats)
	role := &g.roles[storage.RoleReceive]
	if dir == Sending {
		role = &g.roles[storage.RoleSpend]
	}
	n := len(role.tx)
	var next *dirLevels
	for h := g.lim.MaxHops - 1; h >= 1; h-- {
		cur := &dirLevels{dir: dir, role: role, acc: make([]float64, n*K), cum: make([]float64, n), hop: make([]uint8, n*K)}
		err := parallel(ctx, g.nAddr, func(a int) {
			if a == 0 || g.cat[a] >= 0 || g.deadEnd[a] {
				return
			}
			g.expandAddress(cur, next, uint32(a), h)
		})
		if err != nil {
			return nil, err
		}
		next = cur
	}
	if next == nil {
		next = &dirLevels{dir: dir, role: role}
	}
	return next, nil
}

// expandAddress fills the running sums of address a at hop h from the
// values at hop h+1 (next, nil at the last hop).
func (g *flowGraph) expandAddress(cur, next *dirLevels, a uint32, h int) {
	K := len(g.cats)
	rp := cur.role
	lo, hi := int(rp.start[a]), int(rp.start[a+1])
	if lo == hi {
		return
	}
	vec := make([]float64, K)
	hops := make([]uint8, K)
	for i := lo; i < hi; i++ {
		amt := float64(rp.amt[i])
		if amt == 0 {
			// A walk splits nothing over a transfer of nothing, and
			// reaches nothing through it.
			continue
		}
		clear(vec)
		clear(hops)
		g.perTx(cur.dir, next, a, rp.tx[i], h+1, 1, vec, hops)
		acc := cur.acc[i*K : (i+1)*K]
		for c := range K {
			acc[c] = amt * vec[c]
		}
		copy(cur.hop[i*K:(i+1)*K], hops)
		cur.cum[i] = amt
	}
	// Running sums: forwards for receiving, backwards for sending.
	step, first, last := 1, lo, hi
	if cur.dir == Sending {
		step, first, last = -1, hi-1, lo-1
	}
	for i := first + step; i != last; i += step {
		p := i - step
		cur.cum[i] += cur.cum[p]
		for c := range K {
			cur.acc[i*K+c] += cur.acc[p*K+c]
			cur.hop[i*K+c] = minHop(cur.hop[i*K+c], cur.hop[p*K+c])
		}
	}
}

func minHop(a, b uint8) uint8 {
	if a == 0 || (b != 0 && b < a) {
		return b
	}
	return a
}

// perTx adds to vec, scaled by w, where the value address a moved in
// transaction tx goes next (the inputs' addresses when receiving, the
// outputs' when sending, in proportion to value), arriving at hop hop with
// the values of next. It records in hops the least hop each category is
// reached at.
func (g *flowGraph) perTx(dir Direction, next *dirLevels, a, tx uint32, hop int, w float64, vec []float64, hops []uint8) {
	side := &g.ins
	if dir == Sending {
		side = &g.outs
	}
	if dir == Receiving && g.coinbase[tx] {
		g.arrive(dir, next, 0, tx, hop, w, vec, hops)
		return
	}
	lo, hi := side.start[tx], side.start[tx+1]
	var others float64
	for i := lo; i < hi; i++ {
		if side.addr[i] != a {
			others += float64(side.val[i])
		}
	}
	if others == 0 {
		return
	}
	for i := lo; i < hi; i++ {
		if side.addr[i] != a {
			g.arrive(dir, next, side.addr[i], tx, hop, w*float64(side.val[i])/others, vec, hops)
		}
	}
}

// arrive adds to vec what a flow of weight w at address b, bound by
// transaction tx, at hop hop, settles to.
func (g *flowGraph) arrive(dir Direction, next *dirLevels, b, tx uint32, hop int, w float64, vec []float64, hops []uint8) {
	settle := func(c int32) {
		vec[c] += w
		hops[c] = minHop(hops[c], uint8(hop))
	}
	switch {
	case b == 0:
		if dir == Receiving {
			settle(g.coinbaseC)
		}
		return
	case g.cat[b] >= 0:
		settle(g.cat[b])
		return
	case hop >= g.lim.MaxHops || g.deadEnd[b] || next == nil:
		return
	}
	i, ok := g.state(next.role, dir, b, tx)
	if !ok || next.cum[i] == 0 {
		return
	}
	K := len(g.cats)
	f := w / next.cum[i]
	for c := range K {
		vec[c] += f * next.acc[i*K+c]
		hops[c] = minHop(hops[c], next.hop[i*K+c])
	}
}

// top computes the stored exposure of address a in one direction, the
// way Engine.Exposure starts: from the address's own transfers, with
// hop-1 counterparties settling as direct exposure.
func (g *flowGraph) top(l *dirLevels, a int) storage.ExposureSide {
	K := len(g.cats)
	rp := l.role
	lo, hi := int(rp.start[a]), int(rp.start[a+1])
	var side storage.ExposureSide
	if hi-lo > g.lim.MaxTransfers {
		lo = hi - g.lim.MaxTransfers
		side.Partial = true
	}
	side.Transfers = uint32(hi - lo)
	direct := make([]float64, K)
	dhop := make([]uint8, K)
	indir := make([]float64, K)
	ihop := make([]uint8, K)
	var next *dirLevels
	if g.lim.MaxHops > 1 {
		next = l
	}
	for i := lo; i < hi; i++ {
		tx := rp.tx[i]
		for _, p := range g.counterparties(l.dir, uint32(a), tx, float64(rp.amt[i])) {
			side.Total += p.w
			b := p.addr
			if b == 0 || g.cat[b] >= 0 {
				g.arrive(l.dir, nil, b, tx, 1, p.w, direct, dhop)
				continue
			}
			if g.deadEnd[b] || next == nil {
				continue
			}
			// The flow at b expands at hop 1 into hop-2 arrivals: its
			// value is the running sums of hop 1 at b's state.
			j, ok := g.state(rp, l.dir, b, tx)
			if !ok || next.cum == nil || next.cum[j] == 0 {
				continue
			}
			f := p.w / next.cum[j]
			for c := range K {
				indir[c] += f * next.acc[j*K+c]
				ihop[c] = minHop(ihop[c], next.hop[j*K+c])
			}
		}
	}
	var attributed float64
	for c := range K {
		if dhop[c] != 0 {
			side.Direct = append(side.Direct, storage.ExposureAmount{Category: uint32(c), Weight: direct[c], MinHop: dhop[c]})
			attributed += direct[c]
		}
		if ihop[c] != 0 {
			side.Indirect = append(side.Indirect, storage.ExposureAmount{Category: uint32(c), Weight: indir[c], MinHop: ihop[c]})
			attributed += indir[c]
		}
	}
	side.Unattributed = max(side.Total-attributed, 0)
	return side
}

type part struct {
	addr uint32
	w    float64
}

// counterparties mirrors exposureRun.counterparties: the other side of
// transaction tx, weighted by the share of weight that moved between a
// and others.
func (g *flowGraph) counterparties(dir Direction, a, tx uint32, weight float64) []part {
	if dir == Receiving {
		if g.coinbase[tx] {
			return []part{{addr: 0, w: weight}}
		}
		lo, hi := g.ins.start[tx], g.ins.start[tx+1]
		var others, all float64
		for i := lo; i < hi; i++ {
			all += float64(g.ins.val[i])
			if g.ins.addr[i] != a {
				others += float64(g.ins.val[i])
			}
		}
		if others == 0 {
			return nil
		}
		from := weight * others / all
		var ps []part
		for i := lo; i < hi; i++ {
			if g.ins.addr[i] != a {
				ps = append(ps, part{addr: g.ins.addr[i], w: from * float64(g.ins.val[i]) / others})
			}
		}
		return ps
	}
	var all, others float64
	for i := g.ins.start[tx]; i < g.ins.start[tx+1]; i++ {
		all += float64(g.ins.val[i])
	}
	lo, hi := g.outs.start[tx], g.outs.start[tx+1]
	for i := lo; i < hi; i++ {
		if g.outs.addr[i] != a {
			others += float64(g.outs.val[i])
		}
	}
	if all == 0 || others == 0 {
		return nil
	}
	to := weight * others / all
	var ps []part
	for i := lo; i < hi; i++ {
		if g.outs.addr[i] != a {
			ps = append(ps, part{addr: g.outs.addr[i], w: to * float64(g.outs.val[i]) / others})
		}
	}
	return ps
}

// parallel calls fn for 0..n-1 on every core, in chunks, checking ctx
// between chunks.
func parallel(ctx context.Context, n int, fn func(i int)) error {
	workers := runtime.GOMAXPROCS(0)
	const chunk = 4096
	var mu sync.Mutex
	nextStart := 0
	var wg sync.WaitGroup
	var err error
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				if err == nil {
					err = ctx.Err()
				}
				lo := nextStart
				nextStart += chunk
				stop := err != nil || lo >= n
				mu.Unlock()
				if stop {
					return
				}
				for i := lo; i < min(lo+chunk, n); i++ {
					fn(i)
				}
			}
		}()
	}
	wg.Wait()
	return err
}
