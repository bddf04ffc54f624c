package storage

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// ActiveGeneration returns the active cluster generation, and false if no
// clustering has been built.
func (db *DB) ActiveGeneration() (uint32, bool, error) {
	v, err := db.get(ActiveGenerationKey{}.Encode(nil))
	if errors.Is(err, ErrNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	if len(v) != 4 {
		return 0, false, fmt.Errorf("storage: active generation of %d bytes: %w", len(v), ErrCorruption)
	}
	return binary.BigEndian.Uint32(v), true, nil
}

// Generation returns the record of cluster generation gen.
func (db *DB) Generation(gen uint32) (GenerationRecord, error) {
	v, err := db.get(MakeGenerationKey(gen).Encode(nil))
	if err != nil {
		return GenerationRecord{}, fmt.Errorf("cluster generation %d: %w", gen, err)
	}
	return DecodeGenerationRecord(v)
}

// Generations returns the numbers of every cluster generation stored, in
// order.
func (db *DB) Generations() ([]uint32, error) {
	lo := []byte{tagClusterGen}
	it, err := db.pdb.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: prefixUpperBound(lo)})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []uint32
	for it.First(); it.Valid(); it.Next() {
		if len(it.Key()) == 1 {
			continue // the active generation
		}
		k, err := DecodeGenerationKey(it.Key())
		if err != nil {
			return nil, err
		}
		out = append(out, k.Gen)
	}
	return out, it.Error()
}

// ClusterOf returns the cluster of address a in generation gen.
func (db *DB) ClusterOf(gen uint32, a AddrID) (AddrID, error) {
	v, err := db.get(MakeClusterOfKey(gen, a).Encode(nil))
	if errors.Is(err, ErrNotFound) {
		return a, nil
	}
	if err != nil {
		return 0, err
	}
	return decodeAddrValue("cluster", v)
}

// ClusterStats returns the stats of cluster c, and false if there is no
// such cluster.
func (db *DB) ClusterStats(gen uint32, c AddrID) (ClusterStats, bool, error) {
	v, err := db.get(MakeClusterStatsKey(gen, c).Encode(nil))
	if errors.Is(err, ErrNotFound) {
		return ClusterStats{}, false, nil
	}
	if err != nil {
		return ClusterStats{}, false, err
	}
	s, err := DecodeClusterStats(v)
	if err != nil {
		return s, false, fmt.Errorf("stats of cluster %d: %w", c, err)
	}
	return s, true, nil
}

// ClusterMembers calls fn for the members of cluster c in address order,
// starting after address after (0 for the first), until fn returns false.
// A cluster of one address has no member rows and yields nothing.
func (db *DB) ClusterMembers(gen uint32, c, after AddrID, fn func(AddrID) bool) error {
	prefix := MakeClusterMemberKey(gen, c, 0).Encode(nil)[:13]
	lo := prefix
	if after != 0 {
		lo = MakeClusterMemberKey(gen, c, after+1).Encode(nil)
	}
	it, err := db.pdb.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: prefixUpperBound(prefix)})
	if err != nil {
		return err
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		k, err := DecodeClusterMemberKey(it.Key())
		if err != nil {
			return err
		}
		if !fn(k.Addr) {
			break
		}
	}
	return it.Error()
}

// ClusterLink is one merge seen from an address: the other address and the
// evidence.
type ClusterLink struct {
	To AddrID
	Evidence
}

// ClusterLinks returns the merges that involve address a.
func (db *DB) ClusterLinks(gen uint32, a AddrID) ([]ClusterLink, error) {
	prefix := MakeClusterLinkKey(gen, a, 0).Encode(nil)[:13]
	it, err := db.pdb.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixUpperBound(prefix)})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []ClusterLink
	for it.First(); it.Valid(); it.Next() {
		k, err := DecodeClusterLinkKey(it.Key())
		if err != nil {
			return nil, err
		}
		e, err := DecodeEvidence(it.Value())
		if err != nil {
			return nil, err
		}
		out = append(out, ClusterLink{To: k.To, Evidence: e})
	}
	return out, it.Error()
}

// ClusterUndo returns the cluster undo record of height h.
func (db *DB) ClusterUndo(gen, h uint32) (ClusterUndo, error) {
	v, err := db.get(MakeClusterUndoKey(gen, h).Encode(nil))
	if err != nil {
		return ClusterUndo{}, fmt.Errorf("cluster undo record of height %d: %w", h, err)
	}
	return DecodeClusterUndo(v)
}

// ClusterTx returns what the heuristics found in transaction n, and false
// if they found nothing.
func (db *DB) ClusterTx(gen uint32, n TxNum) (TxHeuristics, bool, error) {
	v, err := db.get(MakeClusterTxKey(gen, n).Encode(nil))
	if errors.Is(err, ErrNotFound) {
		return TxHeuristics{}, false, nil
	}
	if err != nil {
		return TxHeuristics{}, false, err
	}
	t, err := DecodeTxHeuristics(v)
	if err != nil {
		return t, false, fmt.Errorf("heuristics of tx %d: %w", n, err)
	}
	return t, true, nil
}

// ClusterTxs calls fn for every transaction with heuristic results in
// generation gen, in transaction order, until fn returns false.
func (db *DB) ClusterTxs(gen uint32, fn func(TxNum, TxHeuristics) bool) error {
	prefix := appendGen(nil, tagClusterTx, gen)
	it, err := db.pdb.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixUpperBound(prefix)})
	if err != nil {
		return err
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		k, err := DecodeClusterTxKey(it.Key())
		if err != nil {
			return err
		}
		t, err := DecodeTxHeuristics(it.Value())
		if err != nil {
			return fmt.Errorf("heuristics of tx %d: %w", k.TxNum, err)
		}
		if !fn(k.TxNum, t) {
			break
		}
	}
	return it.Error()
}

// ClusterRows calls fn for every address that is not the root of its
// cluster in generation gen, in address order, with its cluster, until fn
// returns false. Addresses without a row are their own cluster.
func (db *DB) ClusterRows(gen uint32, fn func(a, c AddrID) bool) error {
	prefix := appendGen(nil, tagClusterOf, gen)
	it, err := db.pdb.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixUpperBound(prefix)})
	if err != nil {
		return err
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		k, err := DecodeClusterOfKey(it.Key())
		if err != nil {
			return err
		}
		c, err := decodeAddrValue("cluster", it.Value())
		if err != nil {
			return err
		}
		if !fn(k.Addr, c) {
			break
		}
	}
	return it.Error()
}

// ClusterMemberPage returns up to limit members of cluster c of size size
// in generation gen, in address order after the member after (0 for the
// first page), and the member to pass as after for the next page (0 when
// this page is the last). A cluster of one has no member rows: its one
// member is c itself.
func (db *DB) ClusterMemberPage(gen uint32, c AddrID, size uint64, after AddrID, limit int) ([]AddrID, AddrID, error) {
	var ids []AddrID
	if size == 1 {
		if after == 0 {
			ids = append(ids, c)
		}
		return ids, 0, nil
	}
	err := db.ClusterMembers(gen, c, after, func(a AddrID) bool {
		ids = append(ids, a)
		return len(ids) <= limit
	})
	if err != nil || len(ids) <= limit {
		return ids, 0, err
	}
	ids = ids[:limit]
	return ids, ids[limit-1], nil
}
