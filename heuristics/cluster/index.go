package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/spoorhq/spoor/heuristics"
	"github.com/spoorhq/spoor/indexer"
	"github.com/spoorhq/spoor/storage"
)

// IndexName returns the name under which generation gen keeps its tip.
func IndexName(gen uint32) string { return fmt.Sprintf("cluster/%d", gen) }

// Index maintains one cluster generation block by block. It is an
// indexer.Index: the indexer connects every block to it in the same batch
// as the block, and disconnects blocks in a reorganization, which restores
// exactly the clusters, links and stats from before the block.
type Index struct {
	gen uint32
	set *Set
	db  *storage.DB
	st  *dbState
	eng engine
	log *slog.Logger
	// undone is set when a disconnect wrote rows behind the state's back:
	// its cache must go once they are committed.
	undone bool
	// keys and ctx read the chain source for key-equivalence/1.
	keys *keyFinder
	src  BlockReader
	ctx  context.Context
}

// ReadBlocksFrom gives the index the chain source its blocks come from,
// which a set with key-equivalence/1 needs to read input scripts and one
// with change-spend/1 to read wallet fingerprints; ctx bounds the reads.
func (x *Index) ReadBlocksFrom(ctx context.Context, src BlockReader) {
	x.ctx, x.src = ctx, src
	x.keys = &keyFinder{src: src, db: x.db, recent: map[string]storage.AddrID{}}
}

var (
	_ indexer.Index         = (*Index)(nil)
	_ indexer.BatchObserver = (*Index)(nil)
)

// NewIndex returns the index of generation gen, built with set. log
// receives a warning for every merge the super-cluster guard reports; nil
// discards them.
func NewIndex(db *storage.DB, gen uint32, set *Set, log *slog.Logger) *Index {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	x := &Index{gen: gen, set: set, db: db, st: newDBState(db, gen), log: log}
	x.eng = engine{set: set, st: x.st}
	return x
}

// Name returns "cluster/<generation>".
func (x *Index) Name() string { return IndexName(x.gen) }

// Committed keeps the rows written since the last commit as a cache, or
// forgets them after a disconnect.
func (x *Index) Committed() {
	if x.undone {
		x.undone = false
		x.st.reset()
		x.forgetKeys()
		return
	}
	x.st.committed()
	x.forgetKeys()
}

func (x *Index) forgetKeys() {
	if x.keys != nil {
		x.keys.forget()
	}
}

// Discarded forgets the overlay: its rows were never committed.
func (x *Index) Discarded() {
	x.undone = false
	x.st.reset()
	x.forgetKeys()
}

// ConnectBlock applies the heuristic set to every transaction of blk.
func (x *Index) ConnectBlock(b *storage.Batch, blk *indexer.ConnectedBlock) error {
	var keyLinks [][]link
	if x.set.Has(KeyEquivalence) {
		if x.keys == nil {
			return errNoBlocks
		}
		var err error
		if keyLinks, err = x.keys.links(x.ctx, blk); err != nil {
			return err
		}
	}
	var fps []uint64
	if x.set.Has(ChangeSpend) {
		if x.src == nil {
			return errNoBlocks
		}
		var err error
		if fps, err = blockFingerprints(x.ctx, x.src, blk); err != nil {
			return err
		}
	}
	x.st.begin(b)
	err := forEachTx(blk, x.st.classOf, func(tx *heuristics.Tx, eq []storage.AddrID) error {
		var kl []link
		if keyLinks != nil {
			kl = keyLinks[tx.Num-blk.Block.FirstTxNum]
		}
		var fp uint64
		if fps != nil {
			fp = fps[tx.Num-blk.Block.FirstTxNum]
		}
		res, err := x.eng.applyTx(tx, eq, kl, fp)
		if err != nil {
			return err
		}
		if !res.Empty() {
			b.PutClusterTx(x.gen, tx.Num, &res)
		}
		for _, g := range res.Guards {
			x.log.Warn("super-cluster guard", "tx", tx.Num, "height", tx.Height, "rule", Rule(g.Rule).String(),
				"a", g.A, "b", g.B, "size_a", g.SizeA, "size_b", g.SizeB, "refused", g.Refused)
		}
		return nil
	})
	if err != nil {
		return err
	}
	x.st.end(blk.Height)
	return nil
}

// DisconnectBlock undoes blk's merges in reverse order and restores the
// stats of the clusters it touched.
func (x *Index) DisconnectBlock(b *storage.Batch, blk *indexer.ConnectedBlock) error {
	x.undone = true
	u, err := x.db.ClusterUndo(x.gen, blk.Height)
	if errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("cluster generation %d was built in memory up to height %d or above and cannot undo it; rebuild it with \"spoor cluster build\": %w", x.gen, blk.Height, err)
	}
	if err != nil {
		return err
	}
	UndoBlock(b, x.gen, &u, nil)
	b.DeleteClusterTxs(x.gen, blk.Block.FirstTxNum, blk.Block.FirstTxNum+storage.TxNum(blk.Block.NumTx))
	b.DeleteClusterUndo(x.gen, blk.Height)
	if x.set.Has(ChangeSpend) {
		err := x.db.SpendPlanUndos(x.gen, blk.Height, func(n storage.TxNum, before storage.SpendPlan, had bool) error {
			if had {
				b.PutSpendPlan(x.gen, n, &before)
			} else {
				b.DeleteSpendPlan(x.gen, n)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("cluster generation %d: undo the spend plans of height %d: %w", x.gen, blk.Height, err)
		}
		if err := b.DeleteSpendPlanUndos(x.gen, blk.Height); err != nil {
			return err
		}
	}
	return nil
}

// forEachTx calls fn with the heuristics' view of every transaction of blk
// in order, and the P2PK keys first numbered in it followed each by its
// P2PKH form. classOf gives the script class of a spent address.
func forEachTx(blk *indexer.ConnectedBlock, classOf func(storage.AddrID) (bitcoinClass, error), fn func(*heuristics.Tx, []storage.AddrID) error) error {
	fresh := blk.Block.FirstAddrID
	links := blk.Links
	var eq []storage.AddrID
	var tx heuristics.Tx
	for i := range blk.Txs {
		ct := &blk.Txs[i]
		tx = heuristics.Tx{Num: ct.TxNum, Height: blk.Height, Coinbase: ct.Tx.Flags&storage.TxCoinbase != 0, FreshFrom: fresh,
			Ins: slices.Grow(tx.Ins[:0], len(ct.Inputs)), Outs: slices.Grow(tx.Outs[:0], len(ct.Outputs))}
		for _, in := range ct.Inputs {
			v := heuristics.Input{Addr: in.AddrID, Value: in.Value, PrevTx: in.PrevTxNum, PrevVout: in.PrevVout}
			if in.AddrID != 0 {
				c, err := classOf(in.AddrID)
				if err != nil {
					return fmt.Errorf("tx %d: input address %d: %w", ct.TxNum, in.AddrID, err)
				}
				v.Class = c
			}
			tx.Ins = append(tx.Ins, v)
		}
		for _, o := range ct.Outputs {
			tx.Outs = append(tx.Outs, heuristics.Output{Addr: o.AddrID, Class: bitcoinClass(o.Class), Value: o.Value})
			fresh = max(fresh, o.AddrID+1)
		}
		eq = eq[:0]
		for len(links) > 0 && links[0].TxNum == ct.TxNum {
			eq = append(eq, links[0].P2PK, links[0].P2PKH)
			fresh = max(fresh, links[0].P2PKH+1)
			links = links[1:]
		}
		if err := fn(&tx, eq); err != nil {
			return err
		}
	}
	return nil
}
