package cluster

import (
	"slices"

	"github.com/spoorhq/spoor/storage"
)

// StatsEntry is a cluster's stats as an Overlay knows them; an absent
// cluster (merged away, or not yet created) has Exists false.
type StatsEntry struct {
	Exists bool
	S      storage.ClusterStats
}

// Overlay is the union-find of one generation kept in storage, as the
// per-block indexes of both chains maintain it. Reads go to the committed
// database; one batch may hold many blocks, so every row the overlay
// writes is also kept in memory, read before the database, until the batch
// is committed (Committed) or dropped (Reset). Every change of a block is
// recorded in Undo, written with the block's stats by End.
type Overlay struct {
	DB  *storage.DB
	Gen uint32
	B   *storage.Batch // the batch of the current block

	of    map[storage.AddrID]storage.AddrID // cluster of an address
	stats map[storage.AddrID]*StatsEntry
	added map[storage.AddrID][]storage.AddrID // members added to a cluster

	// Undo is the current block's undo record; touched the clusters whose
	// stats it holds.
	Undo    storage.ClusterUndo
	touched map[storage.AddrID]bool
}

// NewOverlay returns an empty overlay of generation gen of db.
func NewOverlay(db *storage.DB, gen uint32) *Overlay {
	o := &Overlay{DB: db, Gen: gen}
	o.Reset()
	return o
}

// Len is the number of rows the overlay holds in memory.
func (o *Overlay) Len() int { return len(o.of) + len(o.stats) }

// Committed is called once the batch holding the overlay's rows is
// committed: the rows it read or wrote are now the database's, so they
// stay as a cache, except the members added to clusters, which a scan of
// the database now returns too.
func (o *Overlay) Committed() { o.added = map[storage.AddrID][]storage.AddrID{} }

// Reset forgets every row, for a dropped batch or a cache grown too big.
func (o *Overlay) Reset() {
	o.of = map[storage.AddrID]storage.AddrID{}
	o.stats = map[storage.AddrID]*StatsEntry{}
	o.added = map[storage.AddrID][]storage.AddrID{}
}

// Begin starts a block written into b.
func (o *Overlay) Begin(b *storage.Batch) {
	o.B = b
	o.Undo = storage.ClusterUndo{}
	o.touched = map[storage.AddrID]bool{}
}

// End writes the stats the block changed and its undo record.
func (o *Overlay) End(height uint32) {
	for i := range o.Undo.Stats {
		c := o.Undo.Stats[i].Cluster
		if e := o.stats[c]; e.Exists {
			o.B.PutClusterStats(o.Gen, c, &e.S)
		} else {
			o.B.DeleteClusterStats(o.Gen, c)
		}
	}
	o.B.PutClusterUndo(o.Gen, height, &o.Undo)
}

// Cluster returns the cluster of address a.
func (o *Overlay) Cluster(a storage.AddrID) (storage.AddrID, error) {
	if c, ok := o.of[a]; ok {
		return c, nil
	}
	c, err := o.DB.ClusterOf(o.Gen, a)
	if err != nil {
		return 0, err
	}
	o.of[a] = c
	return c, nil
}

// Entry returns the stats of cluster c, for reading.
func (o *Overlay) Entry(c storage.AddrID) (*StatsEntry, error) {
	if e, ok := o.stats[c]; ok {
		return e, nil
	}
	st, ok, err := o.DB.ClusterStats(o.Gen, c)
	if err != nil {
		return nil, err
	}
	e := &StatsEntry{Exists: ok, S: st}
	o.stats[c] = e
	return e, nil
}

// Touch returns the stats of c for changing, saving them for the undo
// record the first time in a block.
func (o *Overlay) Touch(c storage.AddrID) (*StatsEntry, error) {
	e, err := o.Entry(c)
	if err != nil || o.touched[c] {
		return e, err
	}
	o.touched[c] = true
	o.Undo.Stats = append(o.Undo.Stats, storage.StatsUndo{Cluster: c, Had: e.Exists, Stats: e.S})
	return e, nil
}

// Find returns the cluster of a and its size; an address without stats
// is a cluster of one.
func (o *Overlay) Find(a storage.AddrID) (storage.AddrID, uint64, error) {
	c, err := o.Cluster(a)
	if err != nil {
		return 0, 0, err
	}
	e, err := o.Entry(c)
	if err != nil {
		return 0, 0, err
	}
	return c, max(e.S.Size, 1), nil
}

// members returns every member of cluster c in address order, whether the
// rows are committed or not.
func (o *Overlay) members(c storage.AddrID, size uint64) ([]storage.AddrID, error) {
	if size <= 1 {
		return []storage.AddrID{c}, nil
	}
	var out []storage.AddrID
	if err := o.DB.ClusterMembers(o.Gen, c, 0, func(a storage.AddrID) bool {
		out = append(out, a)
		return true
	}); err != nil {
		return nil, err
	}
	out = append(out, o.added[c]...)
	slices.Sort(out)
	return out, nil
}

// Merge joins cluster loser into cluster winner for the link a–b with
// evidence ev: every member of loser moves to winner, the stats add up,
// and the merge is recorded in the block's undo. A cluster without stats
// counts as one address.
func (o *Overlay) Merge(winner, loser, a, b storage.AddrID, ev storage.Evidence) error {
	we, err := o.Touch(winner)
	if err != nil {
		return err
	}
	le, err := o.Touch(loser)
	if err != nil {
		return err
	}
	lsize := max(le.S.Size, 1)
	lm, err := o.members(loser, lsize)
	if err != nil {
		return err
	}
	wsize := max(we.S.Size, 1)
	o.Undo.Merges = append(o.Undo.Merges, storage.MergeUndo{Winner: winner, Loser: loser, WinnerSizeBefore: wsize, A: a, B: b, LoserMembers: lm})
	if wsize == 1 {
		o.B.PutClusterMember(o.Gen, winner, winner)
		o.added[winner] = append(o.added[winner], winner)
	}
	for _, m := range lm {
		o.B.PutClusterOf(o.Gen, m, winner)
		o.of[m] = winner
		o.B.PutClusterMember(o.Gen, winner, m)
		if lsize > 1 {
			o.B.DeleteClusterMember(o.Gen, loser, m)
		}
	}
	o.added[winner] = append(o.added[winner], lm...)
	delete(o.added, loser)
	if !we.Exists {
		we.Exists, we.S = true, storage.ClusterStats{Size: 1}
	}
	if !le.Exists {
		le.S = storage.ClusterStats{Size: 1}
	}
	we.S.Merge(&le.S)
	le.Exists, le.S = false, storage.ClusterStats{}
	o.B.PutClusterLink(o.Gen, a, b, ev)
	return nil
}

// UndoBlock writes into b what reverses u, the undo record of one block of
// generation gen: its merges, newest first, with their link rows, then the
// stats it changed. unlink, when not nil, is called for each undone link,
// for the rows a caller keeps beside the link.
func UndoBlock(b *storage.Batch, gen uint32, u *storage.ClusterUndo, unlink func(a, b storage.AddrID)) {
	for i := len(u.Merges) - 1; i >= 0; i-- {
		m := &u.Merges[i]
		for _, a := range m.LoserMembers {
			b.PutClusterOf(gen, a, m.Loser)
			b.DeleteClusterMember(gen, m.Winner, a)
			if len(m.LoserMembers) > 1 {
				b.PutClusterMember(gen, m.Loser, a)
			}
		}
		if m.WinnerSizeBefore == 1 {
			b.DeleteClusterMember(gen, m.Winner, m.Winner)
		}
		b.DeleteClusterLink(gen, m.A, m.B)
		if unlink != nil {
			unlink(m.A, m.B)
		}
	}
	for i := range u.Stats {
		s := &u.Stats[i]
		if s.Had {
			b.PutClusterStats(gen, s.Cluster, &s.Stats)
		} else {
			b.DeleteClusterStats(gen, s.Cluster)
		}
	}
}
