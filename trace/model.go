package trace

import (
	"fmt"
	"math/bits"
	"sort"
	"strings"
)

// Model is a taint model: the rule that decides how much of a
// transaction's tainted input value each output carries.
type Model uint8

// The taint models. Their names are part of the API and the CLI.
const (
	// Poison taints every output in full when any input is tainted.
	Poison Model = iota + 1
	// Haircut gives every output the tainted share of the inputs in
	// proportion to its value, rounded down; the fee takes what is left up
	// to its value, and satoshi still left by rounding go one each to the
	// outputs with the largest remainders, so taint is conserved exactly.
	Haircut
	// FIFO lays the inputs end to end as a queue of tainted and clean
	// stretches and pays the outputs, in order, from the head; the fee takes
	// what is left.
	FIFO
	// LIFO is FIFO paying the outputs from the tail of the queue; the fee
	// still takes what is left, at the head.
	LIFO
	// TIHO ("taint in, highest out") assigns all tainted value to the
	// largest outputs first, then clean value.
	TIHO
)

var modelNames = [...]string{Poison: "poison", Haircut: "haircut", FIFO: "fifo", LIFO: "lifo", TIHO: "tiho"}

// String returns the model's name.
func (m Model) String() string {
	if int(m) < len(modelNames) && modelNames[m] != "" {
		return modelNames[m]
	}
	return fmt.Sprintf("model(%d)", uint8(m))
}

// ParseModel returns the model named s (case-insensitive).
func ParseModel(s string) (Model, error) {
	for m, name := range modelNames {
		if name != "" && strings.EqualFold(s, name) {
			return Model(m), nil
		}
	}
	return 0, fmt.Errorf("unknown taint model %q (want one of poison, haircut, fifo, lifo, tiho)", s)
}

// Segment is a stretch of a coin's value that is wholly tainted or wholly
// clean. FIFO and LIFO keep a coin as its ordered segments so that taint
// keeps its place in the queue from hop to hop.
type Segment struct {
	Value   uint64
	Tainted bool
}

// Coin is the value of one input or output and how much of it is tainted.
// Segs, kept only by FIFO and LIFO, lists the coin's stretches in queue
// order; when it is nil a coin is read as its tainted part followed by its
// clean part.
type Coin struct {
	Value   uint64
	Tainted uint64
	Segs    []Segment
}

// segments returns c as segments.
func (c Coin) segments() []Segment {
	if c.Segs != nil {
		return c.Segs
	}
	var s []Segment
	if c.Tainted > 0 {
		s = append(s, Segment{Value: c.Tainted, Tainted: true})
	}
	if c.Value > c.Tainted {
		s = append(s, Segment{Value: c.Value - c.Tainted})
	}
	return s
}

// Spread applies the model to one transaction: ins are its inputs in order,
// outs its output values in order; the fee is what the inputs hold beyond
// the outputs. It returns each output's coin and the fee's coin. It fails
// when the outputs are worth more than the inputs.
func (m Model) Spread(ins []Coin, outs []uint64) ([]Coin, Coin, error) {
	var totalIn, tainted, totalOut uint64
	for _, c := range ins {
		if c.Tainted > c.Value {
			return nil, Coin{}, fmt.Errorf("input tainted %d above its value %d", c.Tainted, c.Value)
		}
		totalIn += c.Value
		tainted += c.Tainted
	}
	for _, w := range outs {
		totalOut += w
	}
	if totalOut > totalIn {
		return nil, Coin{}, fmt.Errorf("outputs %d exceed inputs %d", totalOut, totalIn)
	}
	fee := totalIn - totalOut
	res := make([]Coin, len(outs))
	for j, w := range outs {
		res[j].Value = w
	}
	feeCoin := Coin{Value: fee}
	if tainted == 0 {
		return res, feeCoin, nil
	}
	switch m {
	case Poison:
		for j := range res {
			res[j].Tainted = res[j].Value
		}
		feeCoin.Tainted = fee
	case Haircut:
		var assigned uint64
		for j, w := range outs {
			x := min(mulDiv(w, tainted, totalIn), w, tainted-assigned)
			res[j].Tainted = x
			assigned += x
		}
		feeCoin.Tainted = min(tainted-assigned, fee)
		assigned += feeCoin.Tainted
		distributeResidue(res, outs, tainted, totalIn, tainted-assigned)
	case TIHO:
		order := make([]int, len(outs))
		for j := range order {
			order[j] = j
		}
		sort.SliceStable(order, func(a, b int) bool { return outs[order[a]] > outs[order[b]] })
		left := tainted
		for _, j := range order {
			x := min(outs[j], left)
			res[j].Tainted = x
			left -= x
		}
		feeCoin.Tainted = min(left, fee)
	case FIFO, LIFO:
		q := newQueue(ins)
		for j, w := range outs {
			if m == FIFO {
				res[j] = q.takeHead(w)
			} else {
				res[j] = q.takeTail(w)
			}
		}
		feeCoin = q.takeHead(fee)
	default:
		return nil, Coin{}, fmt.Errorf("unknown taint model %d", uint8(m))
	}
	return res, feeCoin, nil
}

// distributeResidue hands out the satoshi that rounding down left
// unassigned, one each to the outputs with the largest remainders, so that
// haircut conserves tainted value exactly. There are fewer such satoshi
// than outputs, and the outputs always have room for them.
func distributeResidue(res []Coin, outs []uint64, tainted, totalIn, residue uint64) {
	if residue == 0 {
		return
	}
	order := make([]int, len(outs))
	rems := make([]uint64, len(outs))
	for j, w := range outs {
		order[j] = j
		hi, lo := bits.Mul64(w, tainted)
		_, rems[j] = bits.Div64(hi%totalIn, lo, totalIn)
	}
	sort.SliceStable(order, func(a, b int) bool { return rems[order[a]] > rems[order[b]] })
	for residue > 0 {
		progressed := false
		for _, j := range order {
			if residue == 0 {
				break
			}
			if res[j].Tainted < outs[j] {
				res[j].Tainted++
				residue--
				progressed = true
			}
		}
		if !progressed {
			return
		}
	}
}

// queue is the inputs' segments end to end, consumed from either end.
type queue struct {
	segs       []Segment
	head, tail int    // segs[head:tail] remain
	headUsed   uint64 // value already taken from segs[head]
	tailUsed   uint64 // value already taken from segs[tail-1]
}

func newQueue(ins []Coin) *queue {
	q := &queue{}
	for _, c := range ins {
		for _, s := range c.segments() {
			q.segs = appendSegment(q.segs, s)
		}
	}
	q.tail = len(q.segs)
	return q
}

// left returns what remains of segment i.
func (q *queue) left(i int) uint64 {
	v := q.segs[i].Value
	if i == q.head {
		v -= q.headUsed
	}
	if i == q.tail-1 {
		v -= q.tailUsed
	}
	return v
}

// takeHead removes w from the head of the queue and returns it as a coin.
func (q *queue) takeHead(w uint64) Coin {
	c := Coin{Value: w, Segs: []Segment{}}
	for w > 0 && q.head < q.tail {
		x := min(q.left(q.head), w)
		seg := Segment{Value: x, Tainted: q.segs[q.head].Tainted}
		c.Segs = appendSegment(c.Segs, seg)
		if seg.Tainted {
			c.Tainted += x
		}
		w -= x
		q.headUsed += x
		if q.left(q.head) == 0 {
			if q.head == q.tail-1 {
				q.tailUsed = 0
			}
			q.head++
			q.headUsed = 0
		}
	}
	return c
}

// takeTail removes w from the tail of the queue and returns it as a coin
// whose segments keep queue order.
func (q *queue) takeTail(w uint64) Coin {
	var rev []Segment
	c := Coin{Value: w}
	for w > 0 && q.head < q.tail {
		i := q.tail - 1
		x := min(q.left(i), w)
		seg := Segment{Value: x, Tainted: q.segs[i].Tainted}
		rev = append(rev, seg)
		if seg.Tainted {
			c.Tainted += x
		}
		w -= x
		q.tailUsed += x
		if q.left(i) == 0 {
			if i == q.head {
				q.headUsed = 0
			}
			q.tail--
			q.tailUsed = 0
		}
	}
	c.Segs = []Segment{}
	for i := len(rev) - 1; i >= 0; i-- {
		c.Segs = appendSegment(c.Segs, rev[i])
	}
	return c
}

// appendSegment appends s to segs, merging it into the last segment when
// both have the same taint, and dropping empty segments.
func appendSegment(segs []Segment, s Segment) []Segment {
	if s.Value == 0 {
		return segs
	}
	if n := len(segs); n > 0 && segs[n-1].Tainted == s.Tainted {
		segs[n-1].Value += s.Value
		return segs
	}
	return append(segs, s)
}

// mulDiv returns floor(a*b/c) without overflow. The quotient must fit in
// 64 bits, which holds whenever a <= c or b <= c.
func mulDiv(a, b, c uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	if hi >= c {
		return ^uint64(0)
	}
	q, _ := bits.Div64(hi, lo, c)
	return q
}
