package storage

import (
	"encoding/binary"
	"fmt"
)

// PutClusterOf records that address a belongs to cluster c in generation
// gen. A root (c == a) has no row, so this deletes the row then.
func (b *Batch) PutClusterOf(gen uint32, a, c AddrID) {
	b.key = MakeClusterOfKey(gen, a).Encode(b.key[:0])
	if a == c {
		b.del(b.key)
		return
	}
	b.val = binary.BigEndian.AppendUint64(b.val[:0], uint64(c))
	b.set(b.key, b.val)
}

// PutClusterMember lists a as a member of cluster c.
func (b *Batch) PutClusterMember(gen uint32, c, a AddrID) {
	b.key = MakeClusterMemberKey(gen, c, a).Encode(b.key[:0])
	b.set(b.key, nil)
}

// DeleteClusterMember removes a from the members of cluster c.
func (b *Batch) DeleteClusterMember(gen uint32, c, a AddrID) {
	b.key = MakeClusterMemberKey(gen, c, a).Encode(b.key[:0])
	b.del(b.key)
}

// PutClusterStats writes the stats of cluster c.
func (b *Batch) PutClusterStats(gen uint32, c AddrID, s *ClusterStats) {
	b.key = MakeClusterStatsKey(gen, c).Encode(b.key[:0])
	b.val = s.Encode(b.val[:0])
	b.set(b.key, b.val)
}

// DeleteClusterStats removes the stats of cluster c.
func (b *Batch) DeleteClusterStats(gen uint32, c AddrID) {
	b.key = MakeClusterStatsKey(gen, c).Encode(b.key[:0])
	b.del(b.key)
}

// PutClusterLink records, in both directions, the merge of the clusters of
// a and c with its evidence.
func (b *Batch) PutClusterLink(gen uint32, a, c AddrID, e Evidence) {
	b.val = e.Encode(b.val[:0])
	b.key = MakeClusterLinkKey(gen, a, c).Encode(b.key[:0])
	b.set(b.key, b.val)
	b.key = MakeClusterLinkKey(gen, c, a).Encode(b.key[:0])
	b.set(b.key, b.val)
}

// DeleteClusterLink removes both directions of the link between a and c.
func (b *Batch) DeleteClusterLink(gen uint32, a, c AddrID) {
	b.key = MakeClusterLinkKey(gen, a, c).Encode(b.key[:0])
	b.del(b.key)
	b.key = MakeClusterLinkKey(gen, c, a).Encode(b.key[:0])
	b.del(b.key)
}

// PutClusterUndo writes the cluster undo record of height h.
func (b *Batch) PutClusterUndo(gen, h uint32, u *ClusterUndo) {
	b.key = MakeClusterUndoKey(gen, h).Encode(b.key[:0])
	b.val = u.Encode(b.val[:0])
	b.set(b.key, b.val)
}

// DeleteClusterUndo removes the cluster undo record of height h.
func (b *Batch) DeleteClusterUndo(gen, h uint32) {
	b.key = MakeClusterUndoKey(gen, h).Encode(b.key[:0])
	b.del(b.key)
}

// PutClusterTx writes what the heuristics found in transaction n.
func (b *Batch) PutClusterTx(gen uint32, n TxNum, t *TxHeuristics) {
	b.key = MakeClusterTxKey(gen, n).Encode(b.key[:0])
	b.val = t.Encode(b.val[:0])
	b.set(b.key, b.val)
}

// DeleteClusterTxs removes the heuristic results of transactions
// [from, to).
func (b *Batch) DeleteClusterTxs(gen uint32, from, to TxNum) {
	_ = b.deleteRange(MakeClusterTxKey(gen, from).Encode(nil), MakeClusterTxKey(gen, to).Encode(nil))
}

// PutGeneration writes the record of cluster generation gen.
func (b *Batch) PutGeneration(gen uint32, g GenerationRecord) {
	b.key = MakeGenerationKey(gen).Encode(b.key[:0])
	b.val = g.Encode(b.val[:0])
	b.set(b.key, b.val)
}

// PutActiveGeneration makes gen the active cluster generation.
func (b *Batch) PutActiveGeneration(gen uint32) {
	b.key = ActiveGenerationKey{}.Encode(b.key[:0])
	b.val = binary.BigEndian.AppendUint32(b.val[:0], gen)
	b.set(b.key, b.val)
}

// DeleteGeneration removes every row of cluster generation gen, its record
// and the tip of the index named tipName.
func (b *Batch) DeleteGeneration(gen uint32, tipName string) error {
	for _, tag := range clusterTags {
		lo := appendGen(nil, tag, gen)
		if err := b.deleteRange(lo, prefixUpperBound(lo)); err != nil {
			return fmt.Errorf("storage: delete cluster generation %d: %w", gen, err)
		}
	}
	b.del(MakeGenerationKey(gen).Encode(nil))
	b.DeleteTip(tipName)
	return nil
}
