package cluster

import (
	"slices"

	"github.com/spoorhq/spoor/chains/bitcoin"
	"github.com/spoorhq/spoor/storage"
)

// statsEntry is a cluster's stats as the overlay knows them; absent
// clusters (merged away, or not yet created) have exists false.
type statsEntry struct {
	exists bool
	s      storage.ClusterStats
}

// dbState is the union-find kept in storage. Reads go to the committed
// database; in bulk mode a batch holds many blocks, so every row this
// state writes is also kept in an overlay, read before the database, until
// the batch is committed (or dropped, which drops the overlay too).
type dbState struct {
	db  *storage.DB
	gen uint32
	b   *storage.Batch // the batch of the current block

	// Overlay, kept until the batch is committed.
	of      map[storage.AddrID]storage.AddrID // cluster of an address
	stats   map[storage.AddrID]*statsEntry
	added   map[storage.AddrID][]storage.AddrID // members added to a cluster
	classes map[storage.AddrID]bitcoin.ScriptClass
	plans   map[storage.TxNum]*planEntry // change-spend/1 plans, absent ones too

	// The current block.
	undo    storage.ClusterUndo
	touched map[storage.AddrID]bool // clusters whose stats are in undo
	// planUndo are the plans the block changed, as they were before it.
	planUndo map[storage.TxNum]planEntry
}

// planEntry is a change-spend/1 plan as the overlay knows it; exists is
// false for a transaction without one.
type planEntry struct {
	exists bool
	p      storage.SpendPlan
}

func newDBState(db *storage.DB, gen uint32) *dbState {
	s := &dbState{db: db, gen: gen}
	s.reset()
	return s
}

// maxCached bounds the rows the state keeps in memory once they are
// committed.
const maxCached = 4 << 20

// committed is called once the batch holding the overlay's rows is
// committed: the rows it read or wrote are now the database's, so they stay
// as a cache, except the members added to clusters, which a scan of the
// database now returns too. A cache grown past maxCached is dropped.
func (s *dbState) committed() {
	if len(s.of)+len(s.stats)+len(s.classes)+len(s.plans) > maxCached {
		s.reset()
		return
	}
	s.added = map[storage.AddrID][]storage.AddrID{}
}

// reset forgets the overlay.
func (s *dbState) reset() {
	s.of = map[storage.AddrID]storage.AddrID{}
	s.stats = map[storage.AddrID]*statsEntry{}
	s.added = map[storage.AddrID][]storage.AddrID{}
	s.classes = map[storage.AddrID]bitcoin.ScriptClass{}
	s.plans = map[storage.TxNum]*planEntry{}
}

// begin starts a block written into b.
func (s *dbState) begin(b *storage.Batch) {
	s.b = b
	s.undo = storage.ClusterUndo{}
	s.touched = map[storage.AddrID]bool{}
	s.planUndo = map[storage.TxNum]planEntry{}
}

// end writes the stats the block changed and its undo record.
func (s *dbState) end(height uint32) {
	for i := range s.undo.Stats {
		c := s.undo.Stats[i].Cluster
		e := s.stats[c]
		if e.exists {
			s.b.PutClusterStats(s.gen, c, &e.s)
		} else {
			s.b.DeleteClusterStats(s.gen, c)
		}
	}
	s.b.PutClusterUndo(s.gen, height, &s.undo)
	for n, before := range s.planUndo {
		if e := s.plans[n]; e.exists {
			s.b.PutSpendPlan(s.gen, n, &e.p)
		} else {
			s.b.DeleteSpendPlan(s.gen, n)
		}
		if before.exists {
			s.b.PutSpendPlanUndo(s.gen, height, n, &before.p)
		} else {
			s.b.PutSpendPlanUndo(s.gen, height, n, nil)
		}
	}
	s.b = nil
}

func (s *dbState) cluster(a storage.AddrID) (storage.AddrID, error) {
	if c, ok := s.of[a]; ok {
		return c, nil
	}
	c, err := s.db.ClusterOf(s.gen, a)
	if err != nil {
		return 0, err
	}
	s.of[a] = c
	return c, nil
}

func (s *dbState) entry(c storage.AddrID) (*statsEntry, error) {
	if e, ok := s.stats[c]; ok {
		return e, nil
	}
	st, ok, err := s.db.ClusterStats(s.gen, c)
	if err != nil {
		return nil, err
	}
	e := &statsEntry{exists: ok, s: st}
	s.stats[c] = e
	return e, nil
}

// touch returns the stats of c for changing, saving them for the undo
// record the first time in a block.
func (s *dbState) touch(c storage.AddrID) (*statsEntry, error) {
	e, err := s.entry(c)
	if err != nil || s.touched[c] {
		return e, err
	}
	s.touched[c] = true
	s.undo.Stats = append(s.undo.Stats, storage.StatsUndo{Cluster: c, Had: e.exists, Stats: e.s})
	return e, nil
}

// members returns every member of cluster c in address order, whether the
// rows are committed or not.
func (s *dbState) members(c storage.AddrID, size uint64) ([]storage.AddrID, error) {
	if size <= 1 {
		return []storage.AddrID{c}, nil
	}
	var out []storage.AddrID
	if err := s.db.ClusterMembers(s.gen, c, 0, func(a storage.AddrID) bool {
		out = append(out, a)
		return true
	}); err != nil {
		return nil, err
	}
	out = append(out, s.added[c]...)
	slices.Sort(out)
	return out, nil
}

func (s *dbState) find(a storage.AddrID) (storage.AddrID, uint64, error) {
	c, err := s.cluster(a)
	if err != nil {
		return 0, 0, err
	}
	e, err := s.entry(c)
	if err != nil {
		return 0, 0, err
	}
	return c, e.s.Size, nil
}

func (s *dbState) create(a storage.AddrID, class bitcoin.ScriptClass, height uint32) error {
	s.classes[a] = class
	e, err := s.entry(a)
	if err != nil || e.exists {
		return err
	}
	if e, err = s.touch(a); err != nil {
		return err
	}
	e.exists = true
	e.s = storage.ClusterStats{Size: 1, FirstSeen: height, LastSeen: height}
	if int(class) < storage.MaxScriptClasses {
		e.s.Classes[class] = 1
	}
	return nil
}

func (s *dbState) merge(winner, loser, a, b storage.AddrID, ev storage.Evidence) error {
	we, err := s.touch(winner)
	if err != nil {
		return err
	}
	le, err := s.touch(loser)
	if err != nil {
		return err
	}
	lm, err := s.members(loser, le.s.Size)
	if err != nil {
		return err
	}
	s.undo.Merges = append(s.undo.Merges, storage.MergeUndo{Winner: winner, Loser: loser, WinnerSizeBefore: we.s.Size, A: a, B: b, LoserMembers: lm})
	if we.s.Size == 1 {
		s.b.PutClusterMember(s.gen, winner, winner)
		s.added[winner] = append(s.added[winner], winner)
	}
	for _, m := range lm {
		s.b.PutClusterOf(s.gen, m, winner)
		s.of[m] = winner
		s.b.PutClusterMember(s.gen, winner, m)
		if le.s.Size > 1 {
			s.b.DeleteClusterMember(s.gen, loser, m)
		}
	}
	s.added[winner] = append(s.added[winner], lm...)
	delete(s.added, loser)
	we.s.Merge(&le.s)
	le.exists, le.s = false, storage.ClusterStats{}
	s.b.PutClusterLink(s.gen, a, b, ev)
	return nil
}

func (s *dbState) flow(a storage.AddrID, value uint64, height uint32, in bool) error {
	c, err := s.cluster(a)
	if err != nil {
		return err
	}
	e, err := s.touch(c)
	if err != nil {
		return err
	}
	if in {
		e.s.Sent += value
		e.s.Inputs++
	} else {
		e.s.Received += value
		e.s.Outputs++
	}
	e.s.LastSeen = max(e.s.LastSeen, height)
	return nil
}

// classOf returns the script class of address a.
func (s *dbState) classOf(a storage.AddrID) (bitcoin.ScriptClass, error) {
	if c, ok := s.classes[a]; ok {
		return c, nil
	}
	rec, err := s.db.Address(a)
	if err != nil {
		return 0, err
	}
	c := bitcoin.ScriptClass(rec.Class)
	s.classes[a] = c
	return c, nil
}

func (s *dbState) planEntry(n storage.TxNum) (*planEntry, error) {
	if e, ok := s.plans[n]; ok {
		return e, nil
	}
	p, ok, err := s.db.SpendPlan(s.gen, n)
	if err != nil {
		return nil, err
	}
	e := &planEntry{exists: ok, p: p}
	s.plans[n] = e
	return e, nil
}

func (s *dbState) plan(n storage.TxNum) (storage.SpendPlan, bool, error) {
	e, err := s.planEntry(n)
	if err != nil {
		return storage.SpendPlan{}, false, err
	}
	return e.p, e.exists, nil
}

// setPlan replaces the plan of n, saving the plan from before the block
// for its undo rows the first time in a block.
func (s *dbState) setPlan(n storage.TxNum, p *storage.SpendPlan) error {
	e, err := s.planEntry(n)
	if err != nil {
		return err
	}
	if _, ok := s.planUndo[n]; !ok {
		s.planUndo[n] = *e
	}
	if p == nil {
		*e = planEntry{}
	} else {
		*e = planEntry{exists: true, p: *p}
	}
	return nil
}

func (s *dbState) putPlan(n storage.TxNum, p *storage.SpendPlan) error { return s.setPlan(n, p) }

func (s *dbState) deletePlan(n storage.TxNum) error { return s.setPlan(n, nil) }
