package cluster

import (
	"github.com/spoorhq/spoor/chains/bitcoin"
	"github.com/spoorhq/spoor/storage"
)

// dbState is the union-find kept in storage (an Overlay) with what the
// Bitcoin rules keep beside it: the script class of each address and the
// plans of change-spend/1, both overlaid the same way until the batch is
// committed.
type dbState struct {
	*Overlay

	classes map[storage.AddrID]bitcoin.ScriptClass
	plans   map[storage.TxNum]*planEntry // change-spend/1 plans, absent ones too
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
	s := &dbState{Overlay: NewOverlay(db, gen)}
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
	if s.Len()+len(s.classes)+len(s.plans) > maxCached {
		s.reset()
		return
	}
	s.Overlay.Committed()
}

// reset forgets the overlay.
func (s *dbState) reset() {
	s.Reset()
	s.classes = map[storage.AddrID]bitcoin.ScriptClass{}
	s.plans = map[storage.TxNum]*planEntry{}
}

// begin starts a block written into b.
func (s *dbState) begin(b *storage.Batch) {
	s.Begin(b)
	s.planUndo = map[storage.TxNum]planEntry{}
}

// end writes the stats the block changed and its undo record.
func (s *dbState) end(height uint32) {
	s.End(height)
	for n, before := range s.planUndo {
		if e := s.plans[n]; e.exists {
			s.B.PutSpendPlan(s.Gen, n, &e.p)
		} else {
			s.B.DeleteSpendPlan(s.Gen, n)
		}
		if before.exists {
			s.B.PutSpendPlanUndo(s.Gen, height, n, &before.p)
		} else {
			s.B.PutSpendPlanUndo(s.Gen, height, n, nil)
		}
	}
	s.B = nil
}

func (s *dbState) find(a storage.AddrID) (storage.AddrID, uint64, error) { return s.Find(a) }

func (s *dbState) create(a storage.AddrID, class bitcoin.ScriptClass, height uint32) error {
	s.classes[a] = class
	e, err := s.Entry(a)
	if err != nil || e.Exists {
		return err
	}
	if e, err = s.Touch(a); err != nil {
		return err
	}
	e.Exists = true
	e.S = storage.ClusterStats{Size: 1, FirstSeen: height, LastSeen: height}
	if int(class) < storage.MaxScriptClasses {
		e.S.Classes[class] = 1
	}
	return nil
}

func (s *dbState) merge(winner, loser, a, b storage.AddrID, ev storage.Evidence) error {
	return s.Merge(winner, loser, a, b, ev)
}

func (s *dbState) flow(a storage.AddrID, value uint64, height uint32, in bool) error {
	c, err := s.Cluster(a)
	if err != nil {
		return err
	}
	e, err := s.Touch(c)
	if err != nil {
		return err
	}
	if in {
		e.S.Sent += value
		e.S.Inputs++
	} else {
		e.S.Received += value
		e.S.Outputs++
	}
	e.S.LastSeen = max(e.S.LastSeen, height)
	return nil
}

// classOf returns the script class of address a.
func (s *dbState) classOf(a storage.AddrID) (bitcoin.ScriptClass, error) {
	if c, ok := s.classes[a]; ok {
		return c, nil
	}
	rec, err := s.DB.Address(a)
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
	p, ok, err := s.DB.SpendPlan(s.Gen, n)
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
