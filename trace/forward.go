package trace

import (
	"container/heap"
	"context"
	"fmt"

	"github.com/spoorhq/spoor/storage"
)

// pendingCoin is a traced output waiting for the transaction that spends
// it.
type pendingCoin struct {
	coin Coin
	hop  int
}

// Forward follows the value of the seed outputs to where it went, under
// model m. Transactions are processed in chain order, so when a
// transaction is reached every traced coin it spends is known and the
// model sees all its tainted inputs at once.
func (e *Engine) Forward(ctx context.Context, seeds []Outpoint, m Model, lim Limits) (*Result, error) {
	if _, err := ParseModel(m.String()); err != nil {
		return nil, err
	}
	w, err := e.newWalk(ctx, "forward", m, lim)
	if err != nil {
		return nil, err
	}
	if len(seeds) == 0 {
		return nil, fmt.Errorf("trace: no seed outputs")
	}
	f := &forward{walk: w, model: m, pending: map[Outpoint]pendingCoin{}, queued: map[storage.TxNum]bool{}}
	seedTime := int64(-1)
	for _, op := range seeds {
		t, err := w.r.txTime(op.TxNum)
		if err != nil {
			return nil, err
		}
		if seedTime < 0 || t < seedTime {
			seedTime = t
		}
	}
	if w.lim.Window > 0 {
		f.until = seedTime + int64(w.lim.Window.Seconds())
	}
	for _, op := range seeds {
		outs, err := w.r.outputs(op.TxNum)
		if err != nil {
			return nil, err
		}
		if int(op.Vout) >= len(outs) {
			return nil, fmt.Errorf("trace: seed %d:%d: transaction has %d outputs", op.TxNum, op.Vout, len(outs))
		}
		o := outs[op.Vout]
		tx, _, err := w.txNode(op.TxNum, 0)
		if err != nil {
			return nil, err
		}
		tx.Seed = true
		w.g.res.SeedValue += o.Value
		if err := f.output(op, o, Coin{Value: o.Value, Tainted: o.Value}, 0); err != nil {
			return nil, err
		}
	}
	for f.txs.Len() > 0 {
		if w.over() {
			break
		}
		n := heap.Pop(&f.txs).(storage.TxNum)
		if err := f.spend(n); err != nil {
			return nil, err
		}
	}
	// Coins still waiting when a budget ended the walk.
	for _, p := range f.pending {
		w.g.res.Ends[EndBudget] += p.coin.Tainted
	}
	return w.finish()
}

type forward struct {
	*walk
	model   Model
	until   int64 // latest block time to follow, 0 for no window
	pending map[Outpoint]pendingCoin
	queued  map[storage.TxNum]bool
	txs     txHeap
}

// output records a traced output of a processed transaction and decides
// whether the walk follows it.
func (f *forward) output(op Outpoint, o storage.Output, c Coin, hop int) error {
	tx, _, err := f.txNode(op.TxNum, hop)
	if err != nil {
		return err
	}
	dst, err := f.outputNode(op, o.AddrID, hop)
	if err != nil {
		return err
	}
	dst.Value += o.Value
	dst.Taint += c.Tainted
	e := Edge{From: tx.ID, To: dst.ID, Txid: tx.Txid, Index: op.Vout, Amount: o.Value, Taint: c.Tainted,
		Hop: hop, Height: tx.Height, Time: tx.Time}
	defer func() { f.g.edge(e) }()
	if o.AddrID == 0 {
		f.g.end(&e, EndNoAddr, nil, c.Tainted)
		return nil
	}
	if tag, ok := f.lim.stopAt(dst.Tags); ok {
		f.g.end(&e, EndService, &tag, c.Tainted)
		return nil
	}
	if c.Tainted < f.lim.MinValue {
		f.g.end(&e, EndMinValue, nil, c.Tainted)
		return nil
	}
	s, spent, err := f.r.spender(op)
	if err != nil {
		return err
	}
	if !spent {
		f.g.end(&e, EndUnspent, nil, c.Tainted)
		return nil
	}
	if hop+1 > f.lim.MaxHops {
		f.g.end(&e, EndHops, nil, c.Tainted)
		return nil
	}
	if f.until > 0 {
		t, err := f.r.txTime(s.TxNum)
		if err != nil {
			return err
		}
		if t > f.until {
			f.g.end(&e, EndWindow, nil, c.Tainted)
			return nil
		}
	}
	f.pending[op] = pendingCoin{coin: c, hop: hop}
	if !f.queued[s.TxNum] {
		f.queued[s.TxNum] = true
		heap.Push(&f.txs, s.TxNum)
	}
	return nil
}

// spend processes transaction n, which spends at least one traced coin.
func (f *forward) spend(n storage.TxNum) error {
	ins, err := f.r.inputs(n)
	if err != nil {
		return err
	}
	outs, err := f.r.outputs(n)
	if err != nil {
		return err
	}
	coins := make([]Coin, len(ins))
	hop := -1
	var tainted []int
	for i, in := range ins {
		op := Outpoint{TxNum: in.PrevTxNum, Vout: in.PrevVout}
		p, ok := f.pending[op]
		if !ok {
			coins[i] = Coin{Value: in.Value}
			continue
		}
		delete(f.pending, op)
		coins[i] = p.coin
		coins[i].Value = in.Value
		tainted = append(tainted, i)
		if hop < 0 || p.hop+1 < hop {
			hop = p.hop + 1
		}
	}
	if len(tainted) == 0 {
		return nil
	}
	f.g.res.Txs++
	tx, _, err := f.txNode(n, hop)
	if err != nil {
		return err
	}
	for _, i := range tainted {
		in := ins[i]
		src, err := f.outputNode(Outpoint{TxNum: in.PrevTxNum, Vout: in.PrevVout}, in.AddrID, hop-1)
		if err != nil {
			return err
		}
		tx.Value += in.Value
		tx.Taint += coins[i].Tainted
		f.g.edge(Edge{From: src.ID, To: tx.ID, Txid: tx.Txid, Index: uint32(i), Input: true, Amount: in.Value,
			Taint: coins[i].Tainted, Hop: hop, Height: tx.Height, Time: tx.Time})
	}
	values := make([]uint64, len(outs))
	for j, o := range outs {
		values[j] = o.Value
	}
	res, fee, err := f.model.Spread(coins, values)
	if err != nil {
		return fmt.Errorf("trace: transaction %s: %w", tx.Txid, err)
	}
	f.g.res.Fees += fee.Tainted
	if len(outs) > f.lim.MaxFanout || f.lim.mixing(len(ins), len(outs)) {
		var sum uint64
		for _, c := range res {
			sum += c.Tainted
		}
		end := EndFanout
		if len(outs) <= f.lim.MaxFanout {
			end = EndMixing
			tx.End = end
		}
		f.g.res.Ends[end] += sum
		return nil
	}
	for j, c := range res {
		if c.Tainted == 0 {
			continue
		}
		if err := f.output(Outpoint{TxNum: n, Vout: uint32(j)}, outs[j], c, hop); err != nil {
			return err
		}
	}
	return nil
}

// txHeap orders transaction numbers, smallest first, or largest first
// when desc is set.
type txHeap struct {
	ns   []storage.TxNum
	desc bool
}

func (h *txHeap) Len() int { return len(h.ns) }
func (h *txHeap) Less(i, j int) bool {
	if h.desc {
		return h.ns[i] > h.ns[j]
	}
	return h.ns[i] < h.ns[j]
}
func (h *txHeap) Swap(i, j int) { h.ns[i], h.ns[j] = h.ns[j], h.ns[i] }
func (h *txHeap) Push(x any)    { h.ns = append(h.ns, x.(storage.TxNum)) }
func (h *txHeap) Pop() any {
	x := h.ns[len(h.ns)-1]
	h.ns = h.ns[:len(h.ns)-1]
	return x
}
