package trace

import (
	"container/heap"
	"context"
	"fmt"
	"sort"

	"github.com/spoorhq/spoor/storage"
)

// Backward follows the value of the seed outputs back to where it came
// from, under model m: at each transaction the traced part of its outputs
// is attributed to its inputs by the model's flow rule, and followed to the
// outputs those inputs spent, until coinbases (newly mined coins), services
// or a limit. Poison attributes every input of a traced transaction in
// full; haircut in proportion to value; FIFO and LIFO by where each
// output's stretch of the input queue lies. TIHO decides by taint, which
// a backward walk does not have, so it traces forward only.
func (e *Engine) Backward(ctx context.Context, seeds []Outpoint, m Model, lim Limits) (*Result, error) {
	switch m {
	case Poison, Haircut, FIFO, LIFO:
	case TIHO:
		return nil, fmt.Errorf("trace: the tiho model traces forward only; use haircut, fifo, lifo or poison backward")
	default:
		return nil, fmt.Errorf("trace: unknown taint model %d", uint8(m))
	}
	if len(seeds) == 0 {
		return nil, fmt.Errorf("trace: no seed outputs")
	}
	w, err := e.newWalk(ctx, "backward", m, lim)
	if err != nil {
		return nil, err
	}
	b := &backward{walk: w, model: m, pending: map[storage.TxNum]map[uint32]pendingCoin{}, txs: txHeap{desc: true}}
	seedTime := int64(-1)
	for _, op := range seeds {
		outs, err := w.r.outputs(op.TxNum)
		if err != nil {
			return nil, err
		}
		if int(op.Vout) >= len(outs) {
			return nil, fmt.Errorf("trace: seed %d:%d: transaction has %d outputs", op.TxNum, op.Vout, len(outs))
		}
		o := outs[op.Vout]
		node, err := w.outputNode(op, o.AddrID, 0)
		if err != nil {
			return nil, err
		}
		node.Seed = true
		w.g.res.SeedValue += o.Value
		b.want(op, o.Value, 0)
		t, err := w.r.txTime(op.TxNum)
		if err != nil {
			return nil, err
		}
		seedTime = max(seedTime, t)
	}
	if w.lim.Window > 0 {
		b.since = seedTime - int64(w.lim.Window.Seconds())
	}
	for b.txs.Len() > 0 {
		if w.over() {
			break
		}
		n := heap.Pop(&b.txs).(storage.TxNum)
		if err := b.fund(n); err != nil {
			return nil, err
		}
	}
	for _, outs := range b.pending {
		for _, p := range outs {
			w.g.res.Ends[EndBudget] += p.coin.Tainted
		}
	}
	return w.finish()
}

type backward struct {
	*walk
	model   Model
	since   int64 // earliest block time to follow, 0 for no window
	pending map[storage.TxNum]map[uint32]pendingCoin
	txs     txHeap // desc: latest funding transaction first
}

// want asks for the origin of amount of output op.
func (b *backward) want(op Outpoint, amount uint64, hop int) {
	outs := b.pending[op.TxNum]
	if outs == nil {
		outs = map[uint32]pendingCoin{}
		b.pending[op.TxNum] = outs
		heap.Push(&b.txs, op.TxNum)
	}
	p, ok := outs[op.Vout]
	if ok {
		p.hop = min(p.hop, hop)
	} else {
		p.hop = hop
	}
	p.coin.Tainted += amount
	outs[op.Vout] = p
}

// fund processes transaction n, some of whose outputs are traced back.
func (b *backward) fund(n storage.TxNum) error {
	wanted := b.pending[n]
	delete(b.pending, n)
	outs, err := b.r.outputs(n)
	if err != nil {
		return err
	}
	hop := -1
	for _, p := range wanted {
		if hop < 0 || p.hop < hop {
			hop = p.hop
		}
	}
	b.g.res.Txs++
	tx, _, err := b.txNode(n, hop)
	if err != nil {
		return err
	}
	attr := make([]uint64, len(outs))
	vouts := make([]uint32, 0, len(wanted))
	for v := range wanted {
		vouts = append(vouts, v)
	}
	sort.Slice(vouts, func(i, j int) bool { return vouts[i] < vouts[j] })
	for _, v := range vouts {
		if int(v) >= len(outs) {
			return fmt.Errorf("trace: transaction %s has no output %d", tx.Txid, v)
		}
		a := min(wanted[v].coin.Tainted, outs[v].Value)
		attr[v] = a
		o := outs[v]
		dst, err := b.outputNode(Outpoint{TxNum: n, Vout: v}, o.AddrID, wanted[v].hop)
		if err != nil {
			return err
		}
		if wanted[v].hop > 0 {
			dst.Value += o.Value
			dst.Taint += a
		}
		tx.Value += o.Value
		tx.Taint += a
		b.g.edge(Edge{From: tx.ID, To: dst.ID, Txid: tx.Txid, Index: v, Amount: o.Value, Taint: a,
			Hop: hop, Height: tx.Height, Time: tx.Time})
	}
	ins, err := b.r.inputs(n)
	if err != nil {
		return err
	}
	if len(ins) == 0 {
		var sum uint64
		for _, a := range attr {
			sum += a
		}
		b.g.res.Ends[EndCoinbase] += sum
		return nil
	}
	if len(ins) > b.lim.MaxFanout || b.lim.mixing(len(ins), len(outs)) {
		var sum uint64
		for _, a := range attr {
			sum += a
		}
		end := EndFanout
		if len(ins) <= b.lim.MaxFanout {
			end = EndMixing
			tx.End = end
		}
		b.g.res.Ends[end] += sum
		return nil
	}
	from, err := b.model.attribute(ins, outs, attr)
	if err != nil {
		return fmt.Errorf("trace: transaction %s: %w", tx.Txid, err)
	}
	for i, in := range ins {
		if from[i] == 0 {
			continue
		}
		op := Outpoint{TxNum: in.PrevTxNum, Vout: in.PrevVout}
		src, err := b.outputNode(op, in.AddrID, hop+1)
		if err != nil {
			return err
		}
		src.Value += in.Value
		src.Taint += from[i]
		e := Edge{From: src.ID, To: tx.ID, Txid: tx.Txid, Index: uint32(i), Input: true, Amount: in.Value,
			Taint: from[i], Hop: hop + 1, Height: tx.Height, Time: tx.Time}
		if err := b.follow(&e, op, src, from[i], hop+1); err != nil {
			return err
		}
		b.g.edge(e)
	}
	return nil
}

// follow decides whether the walk goes on to the output an input spent.
func (b *backward) follow(e *Edge, op Outpoint, src *Node, amount uint64, hop int) error {
	if src.AddrID != 0 {
		if tag, ok := b.lim.stopAt(src.Tags); ok {
			b.g.end(e, EndService, &tag, amount)
			return nil
		}
	}
	if amount < b.lim.MinValue {
		b.g.end(e, EndMinValue, nil, amount)
		return nil
	}
	if hop >= b.lim.MaxHops {
		b.g.end(e, EndHops, nil, amount)
		return nil
	}
	if b.since > 0 {
		t, err := b.r.txTime(op.TxNum)
		if err != nil {
			return err
		}
		if t < b.since {
			b.g.end(e, EndWindow, nil, amount)
			return nil
		}
	}
	b.want(op, amount, hop)
	return nil
}

// attribute splits the traced amounts attr of a transaction's outputs over
// its inputs, under the model's flow rule.
func (m Model) attribute(ins storage.InputsRecord, outs storage.OutputsRecord, attr []uint64) ([]uint64, error) {
	from := make([]uint64, len(ins))
	var totalIn, totalOut, traced uint64
	for _, in := range ins {
		totalIn += in.Value
	}
	for j, o := range outs {
		totalOut += o.Value
		traced += attr[j]
	}
	if totalOut > totalIn {
		return nil, fmt.Errorf("outputs %d exceed inputs %d", totalOut, totalIn)
	}
	if traced == 0 {
		return from, nil
	}
	switch m {
	case Poison:
		for i, in := range ins {
			from[i] = in.Value
		}
		return from, nil
	case Haircut:
		coins := make([]Coin, len(ins))
		values := make([]uint64, len(ins))
		var assigned uint64
		for i, in := range ins {
			values[i] = in.Value
			coins[i].Tainted = mulDiv(in.Value, traced, totalIn)
			assigned += coins[i].Tainted
		}
		distributeResidue(coins, values, traced, totalIn, traced-assigned)
		for i := range coins {
			from[i] = coins[i].Tainted
		}
		return from, nil
	case FIFO, LIFO:
		// Each output is a stretch of the input queue: from the head for
		// FIFO, from the tail for LIFO. An output's traced amount is spread
		// over the inputs its stretch overlaps, in proportion to the overlap.
		var pos uint64
		if m == LIFO {
			pos = totalIn
		}
		for j, o := range outs {
			var lo, hi uint64
			if m == FIFO {
				lo, hi = pos, pos+o.Value
				pos = hi
			} else {
				lo, hi = pos-o.Value, pos
				pos = lo
			}
			if attr[j] == 0 || o.Value == 0 {
				continue
			}
			var start, given uint64
			last := -1
			for i, in := range ins {
				a, z := max(lo, start), min(hi, start+in.Value)
				start += in.Value
				if a >= z {
					continue
				}
				x := mulDiv(z-a, attr[j], o.Value)
				from[i] += x
				given += x
				last = i
			}
			if last >= 0 {
				from[last] += attr[j] - given
			}
		}
		return from, nil
	}
	return nil, fmt.Errorf("model %s has no backward rule", m)
}
