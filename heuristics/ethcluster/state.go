package ethcluster

import (
	"slices"

	"github.com/spoorhq/spoor/storage"
)

// statsEntry is a cluster's stats as the overlay knows them; absent
// clusters (merged away, or not yet created) have exists false.
type statsEntry struct {
	exists bool
	s      storage.ClusterStats
}

// ruleEntry is one row of rule state as the overlay knows it.
type ruleEntry struct {
	key    storage.EthRuleKey
	exists bool
	row    storage.EthRuleRow
}

// dbState is the union-find and the rule state of one generation, kept in
// storage. Reads go to the committed database; one batch may hold many
// blocks, so every row the state writes is also kept in an overlay, read
// before the database, until the batch is committed (or dropped, which
// drops the overlay too). Every change of a block is recorded for its
// undo: the merges and stats in a ClusterUndo (K), the rule rows in an
// EthRuleUndo (i).
type dbState struct {
	db  *storage.DB
	gen uint32
	b   *storage.Batch // the batch of the current block

	// Overlay, kept until the batch is committed.
	of    map[storage.AddrID]storage.AddrID
	stats map[storage.AddrID]*statsEntry
	added map[storage.AddrID][]storage.AddrID // members added to a cluster
	rules map[string]*ruleEntry

	// The current block.
	undo     storage.ClusterUndo
	touched  map[storage.AddrID]bool
	rundo    storage.EthRuleUndo
	rtouched map[string]bool
	key      []byte // scratch
}

func newDBState(db *storage.DB, gen uint32) *dbState {
	s := &dbState{db: db, gen: gen}
	s.reset()
	return s
}

// maxCached bounds the rows the state keeps in memory once committed.
const maxCached = 4 << 20

// committed keeps the overlay as a cache once its batch is committed,
// except the members added to clusters, which the database now returns.
func (s *dbState) committed() {
	if len(s.of)+len(s.stats)+len(s.rules) > maxCached {
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
	s.rules = map[string]*ruleEntry{}
}

// begin starts a block written into b.
func (s *dbState) begin(b *storage.Batch) {
	s.b = b
	s.undo = storage.ClusterUndo{}
	s.touched = map[storage.AddrID]bool{}
	s.rundo = storage.EthRuleUndo{}
	s.rtouched = map[string]bool{}
}

// end writes the stats and rule rows the block changed, and its undo
// records.
func (s *dbState) end(height uint32) {
	for i := range s.undo.Stats {
		c := s.undo.Stats[i].Cluster
		if e := s.stats[c]; e.exists {
			s.b.PutClusterStats(s.gen, c, &e.s)
		} else {
			s.b.DeleteClusterStats(s.gen, c)
		}
	}
	for i := range s.rundo.Rows {
		k := s.rundo.Rows[i].Key
		e := s.rules[string(k.Encode(s.key[:0]))]
		if e.exists {
			s.b.PutEthRule(k, &e.row)
		} else {
			s.b.DeleteEthRule(k)
		}
	}
	s.b.PutClusterUndo(s.gen, height, &s.undo)
	s.b.PutEthRuleUndo(s.gen, height, &s.rundo)
	s.b = nil
}

// rule returns the rule row k (exists false when there is none).
func (s *dbState) rule(k storage.EthRuleKey) (*ruleEntry, error) {
	s.key = k.Encode(s.key[:0])
	if e, ok := s.rules[string(s.key)]; ok {
		return e, nil
	}
	row, ok, err := s.db.EthRule(k)
	if err != nil {
		return nil, err
	}
	e := &ruleEntry{key: k, exists: ok, row: row}
	s.rules[string(s.key)] = e
	return e, nil
}

// setRule replaces the row of e, saving the old one for the undo record
// the first time in a block. Rows are never changed in place: row must
// not share slices with the entry's current row.
func (s *dbState) setRule(e *ruleEntry, row storage.EthRuleRow) {
	s.key = e.key.Encode(s.key[:0])
	if !s.rtouched[string(s.key)] {
		s.rtouched[string(s.key)] = true
		s.rundo.Rows = append(s.rundo.Rows, storage.EthRuleUndoRow{Key: e.key, Had: e.exists, Row: e.row})
	}
	e.exists, e.row = true, row
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

// members returns every member of cluster c, committed or not.
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

// find returns the cluster of a and its size.
func (s *dbState) find(a storage.AddrID) (storage.AddrID, uint64, error) {
	c, err := s.cluster(a)
	if err != nil {
		return 0, 0, err
	}
	e, err := s.entry(c)
	if err != nil {
		return 0, 0, err
	}
	return c, max(e.s.Size, 1), nil
}

// flow adds one transfer edge that address a received (in) or sent, of
// gwei ether, at height, to the stats of its cluster; an address seen for
// the first time becomes a cluster of its own.
func (s *dbState) flow(a storage.AddrID, gwei uint64, height uint32, in bool) error {
	c, err := s.cluster(a)
	if err != nil {
		return err
	}
	e, err := s.touch(c)
	if err != nil {
		return err
	}
	if !e.exists {
		e.exists = true
		e.s = storage.ClusterStats{Size: 1, FirstSeen: height}
	}
	if in {
		e.s.Received += gwei
		e.s.Outputs++
	} else {
		e.s.Sent += gwei
		e.s.Inputs++
	}
	e.s.LastSeen = max(e.s.LastSeen, height)
	return nil
}

// merge joins cluster loser into cluster winner for the link a–b.
func (s *dbState) merge(winner, loser storage.AddrID, l *link) error {
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
	wsize := max(we.s.Size, 1)
	s.undo.Merges = append(s.undo.Merges, storage.MergeUndo{Winner: winner, Loser: loser, WinnerSizeBefore: wsize, A: l.a, B: l.b, LoserMembers: lm})
	if wsize == 1 {
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
	if !we.exists {
		we.exists, we.s = true, storage.ClusterStats{Size: 1}
	}
	if !le.exists {
		le.s = storage.ClusterStats{Size: 1}
	}
	we.s.Merge(&le.s)
	le.exists, le.s = false, storage.ClusterStats{}
	s.b.PutClusterLink(s.gen, l.a, l.b, l.ev)
	s.b.PutEthLinkDetail(s.gen, l.a, l.b, &l.detail)
	return nil
}
