package cluster

import (
	"context"
	"fmt"
	"math"

	"github.com/spoorhq/spoor/heuristics"
	"github.com/spoorhq/spoor/indexer"
	"github.com/spoorhq/spoor/storage"
)

// BuildSummary describes a clustering built by Build.
type BuildSummary struct {
	Height    int32  // last block clustered in memory
	Txs       uint64 // transactions read
	Links     uint64 // links the rules produced (unions attempted)
	Merges    uint64 // unions that joined two clusters
	Addresses uint64 // addresses clustered
	Clusters  uint64 // clusters, singletons included
	Guards    uint64 // merges the super-cluster guard reported
}

// Build clusters the committed blocks 0..to of db with set in memory and
// writes the result as generation gen, with gen's tip at to. It writes no
// undo records: blocks above to, which a reorganization may still
// disconnect, are for Index (see indexer.CatchUp). The generation is not
// made active. Address numbers must fit in 32 bits.
func Build(ctx context.Context, db *storage.DB, gen uint32, set *Set, to int32, batchBytes int) (BuildSummary, error) {
	return BuildFrom(ctx, db, gen, set, to, batchBytes, nil)
}

// BuildFrom is Build with the chain source src the index was built from,
// which a set with key-equivalence/1 needs to read input scripts; nil
// for other sets.
func BuildFrom(ctx context.Context, db *storage.DB, gen uint32, set *Set, to int32, batchBytes int, src BlockReader) (BuildSummary, error) {
	sum := BuildSummary{Height: to}
	var keys *keyFinder
	if set.NeedsBlocks() && src == nil {
		return sum, errNoBlocks
	}
	if set.Has(KeyEquivalence) {
		keys = &keyFinder{src: src, db: db}
	}
	if batchBytes <= 0 {
		batchBytes = 32 << 20
	}
	var nAddr storage.AddrID = 1
	if to >= 0 {
		if next, err := db.Block(uint32(to) + 1); err == nil {
			nAddr = next.FirstAddrID
		} else {
			st, err := db.State()
			if err != nil {
				return sum, err
			}
			tip, _, err := db.Tip(indexer.ChainIndexName)
			if err != nil {
				return sum, err
			}
			if int32(tip.Height) != to {
				return sum, fmt.Errorf("build clusters to height %d: the chain tables end at height %d", to, tip.Height)
			}
			nAddr = st.NextAddrID
		}
	}
	if uint64(nAddr) > math.MaxUint32 {
		return sum, fmt.Errorf("the chain has %d addresses; the in-memory clustering holds at most 2^32", nAddr)
	}
	m := newMemState(int(nAddr))
	eng := engine{set: set, st: m}
	type txRes struct {
		n storage.TxNum
		r storage.TxHeuristics
	}
	var results []txRes
	classOf := func(a storage.AddrID) (bitcoinClass, error) {
		if err := m.check(a); err != nil {
			return 0, err
		}
		return bitcoinClass(m.totals[a].class), nil
	}
	var tip storage.Tip
	for h := int32(0); h <= to; h++ {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		cb, err := indexer.LoadConnectedBlock(db, uint32(h))
		if err != nil {
			return sum, err
		}
		tip = cb.Tip()
		var keyLinks [][]link
		if keys != nil {
			if keyLinks, err = keys.links(ctx, cb); err != nil {
				return sum, err
			}
		}
		var fps []uint64
		if set.Has(ChangeSpend) {
			if fps, err = blockFingerprints(ctx, src, cb); err != nil {
				return sum, err
			}
		}
		err = forEachTx(cb, classOf, func(tx *heuristics.Tx, eq []storage.AddrID) error {
			before := len(m.edges)
			var kl []link
			if keyLinks != nil {
				kl = keyLinks[tx.Num-cb.Block.FirstTxNum]
			}
			var fp uint64
			if fps != nil {
				fp = fps[tx.Num-cb.Block.FirstTxNum]
			}
			r, err := eng.applyTx(tx, eq, kl, fp)
			if err != nil {
				return fmt.Errorf("height %d: %w", h, err)
			}
			sum.Txs++
			sum.Links += uint64(len(eng.links))
			sum.Merges += uint64(len(m.edges) - before)
			sum.Guards += uint64(len(r.Guards))
			if !r.Empty() {
				results = append(results, txRes{tx.Num, r})
			}
			return nil
		})
		if err != nil {
			return sum, err
		}
	}

	// Write the generation out.
	b := db.NewBatch()
	flush := func(force bool) error {
		if !force && b.Len() < batchBytes {
			return nil
		}
		err := b.Commit(false)
		_ = b.Close()
		b = db.NewBatch()
		return err
	}
	defer func() { _ = b.Close() }()
	stats := m.stats()
	for a := 1; a < len(m.nodes); a++ {
		if !m.totals[a].seen {
			continue
		}
		sum.Addresses++
		r := m.root(uint32(a))
		c := storage.AddrID(r)
		if r == uint32(a) {
			sum.Clusters++
			b.PutClusterStats(gen, c, &stats[a])
		} else {
			b.PutClusterOf(gen, storage.AddrID(a), c)
		}
		if m.nodes[r].size > 1 {
			b.PutClusterMember(gen, c, storage.AddrID(a))
		}
		if err := flush(false); err != nil {
			return sum, err
		}
	}
	for _, e := range m.edges {
		b.PutClusterLink(gen, storage.AddrID(e.a), storage.AddrID(e.b), e.ev)
		if err := flush(false); err != nil {
			return sum, err
		}
	}
	for i := range results {
		b.PutClusterTx(gen, results[i].n, &results[i].r)
		if err := flush(false); err != nil {
			return sum, err
		}
	}
	// The plans still waiting for spends go on in the index.
	for n, p := range m.pending {
		b.PutSpendPlan(gen, n, &p)
		if err := flush(false); err != nil {
			return sum, err
		}
	}
	if to >= 0 {
		b.PutTip(IndexName(gen), tip)
	}
	b.PutGeneration(gen, storage.GenerationRecord{Spec: set.Spec()})
	if err := b.Commit(true); err != nil {
		return sum, err
	}
	return sum, nil
}
