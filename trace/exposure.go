package trace

import (
	"context"
	"fmt"
	"sort"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/spoorhq/spoor/storage"
)

// Direction says which flows of an address exposure measures.
type Direction uint8

// Directions.
const (
	// Receiving measures where the address's incoming funds came from.
	Receiving Direction = iota + 1
	// Sending measures where its outgoing funds went.
	Sending
)

// String returns "receiving" or "sending".
func (d Direction) String() string {
	switch d {
	case Receiving:
		return "receiving"
	case Sending:
		return "sending"
	}
	return fmt.Sprintf("direction(%d)", uint8(d))
}

// ExposureLimits bound an exposure computation. Zero fields take defaults.
type ExposureLimits struct {
	// MaxHops is how far indirect exposure looks (default 4).
	MaxHops int
	// Epsilon drops a flow once it is below this share of the transfer it
	// came from (default 1e-4); its value counts as unattributed. The cut
	// keeps walks short; the precomputed exposure index has none.
	Epsilon float64
	// Exact walks without the epsilon cut: the figures are then those of
	// the precomputed exposure index (walks may still stop at MaxSteps).
	Exact bool
	// MaxFanout treats an unlabelled address with more transactions than
	// this in the walked direction as a dead end (default 1000): such
	// addresses are usually unlabelled services.
	MaxFanout int
	// MaxTransfers bounds how many of the screened address's own
	// transfers are read, newest last (default 10,000).
	MaxTransfers int
	// MaxSteps bounds the flows expanded; past it the result is partial
	// (default 20,000).
	MaxSteps int
	// Paths is how many evidence paths are kept per category (default 3).
	Paths int
	// Evidence asks for the evidence behind the figures: the entities and
	// paths of each category. Without it, a screening may be answered
	// from a fresh precomputed exposure index, which holds the figures
	// but not their evidence.
	Evidence bool
	// EvidenceOnly, with Evidence, finds the evidence of this side only
	// (0: both): a screening answered from the exposure index then walks
	// one way instead of two. The other side keeps its figures, without
	// entities or paths.
	EvidenceOnly Direction
}

// WithDefaults returns the limits with zero fields set to their defaults,
// or an error naming the limits out of range.
func (l ExposureLimits) WithDefaults() (ExposureLimits, error) { return l.withDefaults() }

func (l ExposureLimits) withDefaults() (ExposureLimits, error) {
	if l.Exact {
		l.Epsilon = 0
	} else if l.Epsilon == 0 {
		l.Epsilon = 1e-4
	}
	if l.MaxHops == 0 {
		l.MaxHops = 4
	}
	if l.MaxFanout == 0 {
		l.MaxFanout = 1000
	}
	if l.MaxTransfers == 0 {
		l.MaxTransfers = 10_000
	}
	if l.MaxSteps == 0 {
		l.MaxSteps = 20_000
	}
	if l.Paths == 0 {
		l.Paths = 3
	}
	if l.MaxHops < 1 || l.MaxHops > 10 || l.Epsilon < 0 || l.Epsilon >= 1 || l.MaxFanout < 1 || l.MaxTransfers < 1 || l.MaxSteps < 1 || l.Paths < 0 {
		return l, fmt.Errorf("trace: exposure limits out of range: %+v (hops 1..10, epsilon in [0,1))", l)
	}
	return l, nil
}

// Exposure is how much of an address's value, in one direction, came from
// (or went to) each category of labelled counterparty: directly, or
// through unlabelled addresses in between.
type Exposure struct {
	Direction string `json:"direction"`
	// Total is the value of the address's transfers with others in the
	// direction, in satoshi (change to itself is not counted).
	Total uint64 `json:"total"`
	// Direct and Indirect hold the exposure per category.
	Direct   map[string]*CategoryExposure `json:"direct"`
	Indirect map[string]*CategoryExposure `json:"indirect"`
	// Unattributed is the value that reached no label: at the hop limit,
	// below epsilon, at unspent or unfunded addresses, or at high-degree
	// unlabelled addresses.
	Unattributed uint64 `json:"unattributed"`
	// Transfers is how many of the address's transfers were read.
	Transfers int `json:"transfers"`
	// Partial is set when a bound cut the computation short; Limit names it.
	Partial bool   `json:"partial"`
	Limit   string `json:"limit,omitempty"`
}

// CategoryExposure is the exposure to one category.
type CategoryExposure struct {
	Amount uint64  `json:"amount"`
	Share  float64 `json:"share"`
	// MinHop is the fewest transactions between the address and a
	// counterparty of the category (1 for direct exposure).
	MinHop int `json:"min_hop"`
	// Entities names the labelled entities reached.
	Entities []string `json:"entities"`
	// Paths are the largest flows behind the figure: the chain of
	// transactions and addresses from the screened address to the
	// labelled counterparty.
	Paths []ExposurePath `json:"paths"`
}

// ExposurePath is one flow behind an exposure figure.
type ExposurePath struct {
	Amount uint64 `json:"amount"`
	// Steps run from the screened address outwards.
	Steps []PathStep `json:"steps"`
	Tag   Tag        `json:"tag"`
}

// PathStep is one transaction on a path and the address it reaches.
type PathStep struct {
	Txid    string `json:"txid"`
	Height  uint32 `json:"height"`
	Time    int64  `json:"time"`
	Address string `json:"address"`
}

// flow is a share of value at an address, bounded in time by the
// transaction it came through.
type flow struct {
	addr   storage.AddrID
	weight float64
	bound  storage.TxNum // receiving: only inflows before it; sending: only outflows after it
	hop    int
	origin float64 // value of the screened address's transfer it came from
	path   []pathLink
}

type pathLink struct {
	tx   storage.TxNum
	addr storage.AddrID
}

type exposureRun struct {
	e      *Engine
	r      *reader
	lim    ExposureLimits
	dir    Direction
	self   storage.AddrID
	res    *Exposure
	steps  int
	direct map[string]float64
	indir  map[string]float64
	unattr float64
	paths  map[string][]scoredPath
	posts  map[storage.AddrID][]storage.Posting
}

type scoredPath struct {
	weight float64
	links  []pathLink
	tag    Tag
	direct bool
}

// Exposure measures the screened address's exposure to labelled
// categories in direction dir. A receiving flow is followed backwards only
// through inflows that came before it, and a sending flow forwards only
// through outflows after it; value splits in proportion to amounts
// (haircut) at every step, and stops at the first labelled address.
func (e *Engine) Exposure(ctx context.Context, id storage.AddrID, dir Direction, lim ExposureLimits) (*Exposure, error) {
	lim, err := lim.withDefaults()
	if err != nil {
		return nil, err
	}
	if dir != Receiving && dir != Sending {
		return nil, fmt.Errorf("trace: unknown direction %d", uint8(dir))
	}
	x := &exposureRun{
		e: e, r: newReader(e.chain, e.names), lim: lim, dir: dir, self: id,
		res:    &Exposure{Direction: dir.String(), Direct: map[string]*CategoryExposure{}, Indirect: map[string]*CategoryExposure{}},
		direct: map[string]float64{}, indir: map[string]float64{}, paths: map[string][]scoredPath{},
		posts: map[storage.AddrID][]storage.Posting{},
	}
	var frontier []flow
	var total float64
	role := storage.RoleReceive
	if dir == Sending {
		role = storage.RoleSpend
	}
	var own []storage.Posting
	if err := e.chain.Postings(id, nil, func(p storage.Posting) bool {
		if p.Role == role {
			own = append(own, p)
		}
		return true
	}); err != nil {
		return nil, fmt.Errorf("trace: postings of address %d: %w", id, err)
	}
	if len(own) > lim.MaxTransfers {
		own = own[len(own)-lim.MaxTransfers:]
		x.res.Partial, x.res.Limit = true, "transfers"
	}
	x.res.Transfers = len(own)
	for _, p := range own {
		parts, err := x.counterparties(id, p.TxNum, float64(p.Amount))
		if err != nil {
			return nil, err
		}
		for _, c := range parts {
			total += c.weight
			c.origin = c.weight
			c.hop = 1
			c.path = []pathLink{{tx: p.TxNum, addr: c.addr}}
			frontier = append(frontier, c)
		}
	}
	x.res.Total = uint64(total + 0.5)
	for len(frontier) > 0 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		// Flows are merged as they come, so the next frontier never
		// holds the same address and bound twice.
		next := flowMerger{at: make(map[flowKey]int, len(frontier))}
		for _, f := range frontier {
			if x.steps >= lim.MaxSteps {
				x.res.Partial, x.res.Limit = true, "steps"
				x.unattr += f.weight
				continue
			}
			x.steps++
			more, err := x.expand(f)
			if err != nil {
				return nil, err
			}
			for _, m := range more {
				next.add(m)
			}
		}
		frontier = next.out
	}
	x.finish(total)
	return x.res, nil
}

// counterparties splits weight, the value the address moved in tx n, over
// the transaction's other side: the inputs' addresses when receiving, the
// outputs' when sending. The address's own share (change) is left out.
// A coinbase has the pseudo-address 0.
func (x *exposureRun) counterparties(at storage.AddrID, n storage.TxNum, weight float64) ([]flow, error) {
	var parts []flow
	if x.dir == Receiving {
		ins, err := x.r.inputs(n)
		if err != nil {
			return nil, err
		}
		if len(ins) == 0 {
			return []flow{{addr: 0, weight: weight, bound: n}}, nil
		}
		var others float64
		for _, in := range ins {
			if in.AddrID != at {
				others += float64(in.Value)
			}
		}
		if others == 0 {
			return nil, nil
		}
		// Only what others put in reached the address from outside; the
		// weight is what the address received, of which that share came
		// from others.
		var all float64
		for _, in := range ins {
			all += float64(in.Value)
		}
		fromOthers := weight * others / all
		for _, in := range ins {
			if in.AddrID != at {
				parts = addPart(parts, flow{addr: in.AddrID, weight: fromOthers * float64(in.Value) / others, bound: n})
			}
		}
		return parts, nil
	}
	outs, err := x.r.outputs(n)
	if err != nil {
		return nil, err
	}
	ins, err := x.r.inputs(n)
	if err != nil {
		return nil, err
	}
	var all, others float64
	for _, in := range ins {
		all += float64(in.Value)
	}
	for _, o := range outs {
		if o.AddrID != at {
			others += float64(o.Value)
		}
	}
	if all == 0 || others == 0 {
		return nil, nil
	}
	// The address paid weight of the inputs; the outputs to others carry
	// its share of them.
	toOthers := weight * others / all
	for _, o := range outs {
		if o.AddrID != at {
			parts = addPart(parts, flow{addr: o.AddrID, weight: toOthers * float64(o.Value) / others, bound: n})
		}
	}
	return parts, nil
}

// addPart adds f to parts, merging it with a part at the same address.
func addPart(parts []flow, f flow) []flow {
	for i := range parts {
		if parts[i].addr == f.addr {
			parts[i].weight += f.weight
			return parts
		}
	}
	return append(parts, f)
}

// expand settles flow f at a labelled address, or pushes it one hop on.
func (x *exposureRun) expand(f flow) ([]flow, error) {
	if f.addr == 0 {
		if x.dir == Receiving {
			x.settle(f, Tag{Category: "coinbase", Entity: "newly mined coins"}, f.hop == 1)
		} else {
			x.unattr += f.weight
		}
		return nil, nil
	}
	if tag, ok := bestTag(x.e.labels.Tags(f.addr)); ok {
		x.settle(f, tag, f.hop == 1)
		return nil, nil
	}
	// A flow back at the screened address goes on like any other: the
	// time bound only ever moves away from the screened transfer, so it
	// ends, and the precomputed index, which cannot know the screened
	// address, treats it the same way.
	if f.hop >= x.lim.MaxHops || f.weight < x.lim.Epsilon*f.origin {
		x.unattr += f.weight
		return nil, nil
	}
	posts, err := x.postings(f.addr)
	if err != nil {
		return nil, err
	}
	if len(posts) > x.lim.MaxFanout {
		x.unattr += f.weight
		return nil, nil
	}
	role := storage.RoleReceive
	if x.dir == Sending {
		role = storage.RoleSpend
	}
	var sum float64
	var use []storage.Posting
	for _, p := range posts {
		if p.Role != role {
			continue
		}
		if (x.dir == Receiving && p.TxNum < f.bound) || (x.dir == Sending && p.TxNum > f.bound) {
			use = append(use, p)
			sum += float64(p.Amount)
		}
	}
	if sum == 0 {
		x.unattr += f.weight
		return nil, nil
	}
	var next []flow
	for _, p := range use {
		share := f.weight * float64(p.Amount) / sum
		parts, err := x.counterparties(f.addr, p.TxNum, float64(p.Amount))
		if err != nil {
			return nil, err
		}
		var partSum float64
		for _, c := range parts {
			partSum += c.weight
		}
		if partSum == 0 {
			x.unattr += share
			continue
		}
		for _, c := range parts {
			path := make([]pathLink, len(f.path), len(f.path)+1)
			copy(path, f.path)
			next = append(next, flow{
				addr: c.addr, weight: share * c.weight / partSum, bound: p.TxNum, hop: f.hop + 1,
				origin: f.origin, path: append(path, pathLink{tx: p.TxNum, addr: c.addr}),
			})
		}
	}
	return next, nil
}

// flowKey is what merges two flows: the address and the time bound.
type flowKey struct {
	addr  storage.AddrID
	bound storage.TxNum
}

// flowMerger collects flows, joining each with an earlier one at the same
// address and bound; out keeps the order in which keys first came.
type flowMerger struct {
	at  map[flowKey]int
	out []flow
}

// add joins f to the flows collected: with the same key, the weights add
// up, the larger origin stays, and the path is f's if f outweighs all the
// flows joined so far.
func (m *flowMerger) add(f flow) {
	k := flowKey{f.addr, f.bound}
	if i, ok := m.at[k]; ok {
		if f.weight > m.out[i].weight {
			m.out[i].path = f.path
		}
		m.out[i].weight += f.weight
		m.out[i].origin = max(m.out[i].origin, f.origin)
		return
	}
	m.at[k] = len(m.out)
	m.out = append(m.out, f)
}

func (x *exposureRun) postings(id storage.AddrID) ([]storage.Posting, error) {
	if p, ok := x.posts[id]; ok {
		return p, nil
	}
	var ps []storage.Posting
	err := x.e.chain.Postings(id, nil, func(p storage.Posting) bool {
		ps = append(ps, p)
		return len(ps) <= x.lim.MaxFanout
	})
	if err != nil {
		return nil, fmt.Errorf("trace: postings of address %d: %w", id, err)
	}
	x.posts[id] = ps
	return ps, nil
}

// bestTag returns the most confident of tags; among equally confident
// ones the first by category, entity, source and via, so the choice does
// not depend on the order tags were loaded in.
func bestTag(tags []Tag) (Tag, bool) {
	if len(tags) == 0 {
		return Tag{}, false
	}
	best := tags[0]
	for _, t := range tags[1:] {
		if t.Confidence > best.Confidence || (t.Confidence == best.Confidence && tagLess(t, best)) {
			best = t
		}
	}
	return best, true
}

func tagLess(a, b Tag) bool {
	if a.Category != b.Category {
		return a.Category < b.Category
	}
	if a.Entity != b.Entity {
		return a.Entity < b.Entity
	}
	if a.Source != b.Source {
		return a.Source < b.Source
	}
	return a.Via < b.Via
}

func (x *exposureRun) settle(f flow, tag Tag, direct bool) {
	m := x.indir
	if direct {
		m = x.direct
	}
	m[tag.Category] += f.weight
	key := tag.Category
	if direct {
		key = "direct:" + key
	}
	x.paths[key] = append(x.paths[key], scoredPath{weight: f.weight, links: f.path, tag: tag, direct: direct})
	cat := x.category(direct, tag.Category)
	if cat.MinHop == 0 || f.hop < cat.MinHop {
		cat.MinHop = f.hop
	}
	if tag.Entity != "" && !contains(cat.Entities, tag.Entity) {
		cat.Entities = append(cat.Entities, tag.Entity)
	}
}

func (x *exposureRun) category(direct bool, c string) *CategoryExposure {
	m := x.res.Indirect
	if direct {
		m = x.res.Direct
	}
	ce := m[c]
	if ce == nil {
		ce = &CategoryExposure{}
		m[c] = ce
	}
	return ce
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// finish turns the accumulated weights into amounts, shares and paths.
func (x *exposureRun) finish(total float64) {
	fill := func(m map[string]float64, direct bool) {
		for c, w := range m {
			ce := x.category(direct, c)
			ce.Amount = uint64(w + 0.5)
			if total > 0 {
				ce.Share = w / total
			}
			key := c
			if direct {
				key = "direct:" + c
			}
			ps := x.paths[key]
			sort.Slice(ps, func(i, j int) bool { return ps[i].weight > ps[j].weight })
			for _, p := range ps[:min(len(ps), x.lim.Paths)] {
				ce.Paths = append(ce.Paths, x.path(p))
			}
			sort.Strings(ce.Entities)
		}
	}
	fill(x.direct, true)
	fill(x.indir, false)
	x.res.Unattributed = uint64(x.unattr + 0.5)
}

func (x *exposureRun) path(p scoredPath) ExposurePath {
	ep := ExposurePath{Amount: uint64(p.weight + 0.5), Tag: p.tag}
	for _, l := range p.links {
		st := PathStep{}
		if rec, err := x.r.tx(l.tx); err == nil {
			st.Txid = chainhash.Hash(rec.Txid).String()
			st.Height = rec.Height
			st.Time, _ = x.r.blockTime(rec.Height)
		}
		st.Address, _ = x.r.name(l.addr)
		ep.Steps = append(ep.Steps, st)
	}
	return ep
}
