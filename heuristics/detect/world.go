package detect

import (
	"context"
	"fmt"
	"sort"

	"github.com/spoorhq/spoor/storage"
	"github.com/spoorhq/spoor/trace"
)

// Flow is one input or output of a transaction: the address (0 when the
// script has none) and the value in satoshis.
type Flow struct {
	Addr  storage.AddrID
	Value uint64
}

// Tx is one indexed transaction as the detectors see it.
type Tx struct {
	Num      storage.TxNum
	Txid     [32]byte
	Height   uint32
	Time     int64 // block time, Unix seconds
	Coinbase bool
	Ins      []Flow
	Outs     []Flow
	// SpentBy holds, per output, the index in World.Txs of the spending
	// transaction, or -1 while unspent.
	SpentBy []int
}

// InSum returns the total value of the inputs.
func (t *Tx) InSum() uint64 {
	var s uint64
	for _, f := range t.Ins {
		s += f.Value
	}
	return s
}

// OutSum returns the total value of the outputs.
func (t *Tx) OutSum() uint64 {
	var s uint64
	for _, f := range t.Outs {
		s += f.Value
	}
	return s
}

// World is the indexed chain in memory, with the address postings, labels
// and clusters the detectors read. Batch detection loads it once; it is
// sized for the simulated and test chains (a few hundred thousand
// transactions), not for mainnet history, which would need the detectors
// to stream postings instead.
type World struct {
	Txs []Tx
	// Recv and Sent list, per address, the indexes into Txs of the
	// transactions paying it and spending from it, in chain order.
	Recv, Sent map[storage.AddrID][]int
	Labels     trace.MapLabels
	// Cluster maps an address to its cluster root when the index has an
	// active clustering; an address without an entry is its own cluster.
	Cluster map[storage.AddrID]storage.AddrID
	// Name turns an address number into its text for evidence.
	Name func(storage.AddrID) string

	byNum map[storage.TxNum]int
}

// Source is what loading a World reads. *storage.DB implements it.
type Source interface {
	trace.LabelStore
	State() (storage.ChainState, error)
	Block(h uint32) (storage.BlockRecord, error)
	Tx(n storage.TxNum) (storage.TxRecord, error)
	Inputs(n storage.TxNum) (storage.InputsRecord, error)
	Outputs(n storage.TxNum) (storage.OutputsRecord, error)
	ActiveGeneration() (uint32, bool, error)
	ClusterRows(gen uint32, fn func(a, c storage.AddrID) bool) error
	ClusterOf(gen uint32, a storage.AddrID) (storage.AddrID, error)
}

// Load reads every indexed transaction, the address labels and the active
// clustering. names turns address numbers into text. An empty chain is an
// error: there is nothing to detect on.
func Load(ctx context.Context, src Source, names func(storage.AddrID) (string, error)) (*World, error) {
	st, err := src.State()
	if err != nil {
		return nil, fmt.Errorf("detect: read chain state: %w", err)
	}
	if st.Blocks == 0 || st.Txs == 0 {
		return nil, fmt.Errorf("detect: the index holds no transactions: index a chain first")
	}
	return load(ctx, src, 0, uint32(st.Blocks-1), true, names)
}

// LoadWindow reads the transactions of the blocks at heights from..to
// only, with the labels and the clusters of the addresses they involve:
// the bounded world of incremental detection. Coins spent before from
// keep their address and value (inputs carry them) but not their origin.
func LoadWindow(ctx context.Context, src Source, from, to uint32, names func(storage.AddrID) (string, error)) (*World, error) {
	if to < from {
		return nil, fmt.Errorf("detect: window %d..%d is empty", from, to)
	}
	return load(ctx, src, from, to, false, names)
}

func load(ctx context.Context, src Source, from, to uint32, allClusters bool, names func(storage.AddrID) (string, error)) (*World, error) {
	w := &World{Recv: map[storage.AddrID][]int{}, Sent: map[storage.AddrID][]int{}, Cluster: map[storage.AddrID]storage.AddrID{}, byNum: map[storage.TxNum]int{}}
	for h := from; h <= to; h++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		blk, err := src.Block(h)
		if err != nil {
			return nil, fmt.Errorf("detect: block %d: %w", h, err)
		}
		for i := range blk.NumTx {
			n := blk.FirstTxNum + storage.TxNum(i)
			rec, err := src.Tx(n)
			if err != nil {
				return nil, fmt.Errorf("detect: transaction %d at height %d: %w", n, h, err)
			}
			ins, err := src.Inputs(n)
			if err != nil {
				return nil, fmt.Errorf("detect: inputs of %x: %w", rec.Txid, err)
			}
			outs, err := src.Outputs(n)
			if err != nil {
				return nil, fmt.Errorf("detect: outputs of %x: %w", rec.Txid, err)
			}
			t := Tx{Num: n, Txid: rec.Txid, Height: h, Time: int64(blk.Time), Coinbase: rec.Flags&storage.TxCoinbase != 0}
			idx := len(w.Txs)
			if !t.Coinbase {
				for _, in := range ins {
					t.Ins = append(t.Ins, Flow{Addr: in.AddrID, Value: in.Value})
					if p, ok := w.byNum[in.PrevTxNum]; ok && int(in.PrevVout) < len(w.Txs[p].SpentBy) {
						w.Txs[p].SpentBy[in.PrevVout] = idx
					}
					if in.AddrID != 0 {
						w.addPosting(w.Sent, in.AddrID, idx)
					}
				}
			}
			for _, o := range outs {
				t.Outs = append(t.Outs, Flow{Addr: o.AddrID, Value: o.Value})
				t.SpentBy = append(t.SpentBy, -1)
				if o.AddrID != 0 {
					w.addPosting(w.Recv, o.AddrID, idx)
				}
			}
			w.byNum[n] = idx
			w.Txs = append(w.Txs, t)
		}
	}
	labels, _, err := trace.LoadLabels(src)
	if err != nil {
		return nil, fmt.Errorf("detect: load labels: %w", err)
	}
	w.Labels = labels
	if gen, ok, err := src.ActiveGeneration(); err != nil {
		return nil, fmt.Errorf("detect: active clustering: %w", err)
	} else if ok && allClusters {
		if err := src.ClusterRows(gen, func(a, c storage.AddrID) bool { w.Cluster[a] = c; return true }); err != nil {
			return nil, fmt.Errorf("detect: clustering generation %d: %w", gen, err)
		}
	} else if ok {
		if err := w.lookupClusters(gen, src); err != nil {
			return nil, err
		}
	}
	w.Name = func(a storage.AddrID) string {
		if names == nil {
			return fmt.Sprintf("#%d", a)
		}
		s, err := names(a)
		if err != nil {
			return fmt.Sprintf("#%d", a)
		}
		return s
	}
	return w, nil
}

// lookupClusters reads the cluster of every address the world involves,
// one lookup each. Labels need none: a label on a cluster sits on its
// root, which the address's own lookup names.
func (w *World) lookupClusters(gen uint32, src Source) error {
	seen := map[storage.AddrID]bool{}
	look := func(a storage.AddrID) error {
		if a == 0 || seen[a] {
			return nil
		}
		seen[a] = true
		c, err := src.ClusterOf(gen, a)
		if err != nil {
			return fmt.Errorf("detect: cluster of address %d in generation %d: %w", a, gen, err)
		}
		if c != a {
			w.Cluster[a] = c
		}
		return nil
	}
	for _, m := range []map[storage.AddrID][]int{w.Recv, w.Sent} {
		for a := range m {
			if err := look(a); err != nil {
				return err
			}
		}
	}
	return nil
}

// addPosting appends idx to m[a] unless it is already the last entry (an
// address paid twice by one transaction).
func (w *World) addPosting(m map[storage.AddrID][]int, a storage.AddrID, idx int) {
	l := m[a]
	if n := len(l); n > 0 && l[n-1] == idx {
		return
	}
	m[a] = append(l, idx)
}

// ClusterOf returns the cluster root of a (a itself without clustering).
func (w *World) ClusterOf(a storage.AddrID) storage.AddrID {
	if c, ok := w.Cluster[a]; ok {
		return c
	}
	return a
}

// Source returns the paying party of a transaction: the cluster of its
// first input address (every input of one transaction belongs to one
// owner by the multi-input rule), or 0 for a coinbase.
func (w *World) Source(t *Tx) storage.AddrID {
	for _, in := range t.Ins {
		if in.Addr != 0 {
			return w.ClusterOf(in.Addr)
		}
	}
	return 0
}

// ReceivedIn returns what address a receives in t.
func ReceivedIn(t *Tx, a storage.AddrID) uint64 {
	var s uint64
	for _, o := range t.Outs {
		if o.Addr == a {
			s += o.Value
		}
	}
	return s
}

// SpentIn returns what address a spends in t.
func SpentIn(t *Tx, a storage.AddrID) uint64 {
	var s uint64
	for _, in := range t.Ins {
		if in.Addr == a {
			s += in.Value
		}
	}
	return s
}

// FirstSeen reports whether t is the first transaction paying a.
func (w *World) FirstSeen(a storage.AddrID, idx int) bool {
	l := w.Recv[a]
	return len(l) > 0 && l[0] == idx
}

// TxidString returns a transaction id in the usual reversed hex order.
func TxidString(id [32]byte) string {
	var r [32]byte
	for i := range id {
		r[i] = id[31-i]
	}
	return fmt.Sprintf("%x", r[:])
}

// sortedAddrs returns the keys of set in ascending order.
func sortedAddrs(set map[storage.AddrID]bool) []storage.AddrID {
	out := make([]storage.AddrID, 0, len(set))
	for a := range set {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
