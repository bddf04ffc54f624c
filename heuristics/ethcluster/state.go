package ethcluster

import (
	"github.com/spoorhq/spoor/heuristics/cluster"

	"github.com/spoorhq/spoor/storage"
)

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
	*cluster.Overlay

	rules map[string]*ruleEntry
	// The current block's rule rows as they were before it.
	rundo    storage.EthRuleUndo
	rtouched map[string]bool
	key      []byte // scratch
}

func newDBState(db *storage.DB, gen uint32) *dbState {
	s := &dbState{Overlay: cluster.NewOverlay(db, gen)}
	s.reset()
	return s
}

// maxCached bounds the rows the state keeps in memory once committed.
const maxCached = 4 << 20

// committed keeps the overlay as a cache once its batch is committed,
// except the members added to clusters, which the database now returns.
func (s *dbState) committed() {
	if s.Len()+len(s.rules) > maxCached {
		s.reset()
		return
	}
	s.Overlay.Committed()
}

// reset forgets the overlay.
func (s *dbState) reset() {
	s.Reset()
	s.rules = map[string]*ruleEntry{}
}

// begin starts a block written into b.
func (s *dbState) begin(b *storage.Batch) {
	s.Begin(b)
	s.rundo = storage.EthRuleUndo{}
	s.rtouched = map[string]bool{}
}

// end writes the stats and rule rows the block changed, and its undo
// records.
func (s *dbState) end(height uint32) {
	s.End(height)
	for i := range s.rundo.Rows {
		k := s.rundo.Rows[i].Key
		e := s.rules[string(k.Encode(s.key[:0]))]
		if e.exists {
			s.B.PutEthRule(k, &e.row)
		} else {
			s.B.DeleteEthRule(k)
		}
	}
	s.B.PutEthRuleUndo(s.Gen, height, &s.rundo)
	s.B = nil
}

// rule returns the rule row k (exists false when there is none).
func (s *dbState) rule(k storage.EthRuleKey) (*ruleEntry, error) {
	s.key = k.Encode(s.key[:0])
	if e, ok := s.rules[string(s.key)]; ok {
		return e, nil
	}
	row, ok, err := s.DB.EthRule(k)
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

// find returns the cluster of a and its size.
func (s *dbState) find(a storage.AddrID) (storage.AddrID, uint64, error) { return s.Find(a) }

// flow adds one transfer edge that address a received (in) or sent, of
// gwei ether, at height, to the stats of its cluster; an address seen for
// the first time becomes a cluster of its own.
func (s *dbState) flow(a storage.AddrID, gwei uint64, height uint32, in bool) error {
	c, err := s.Cluster(a)
	if err != nil {
		return err
	}
	e, err := s.Touch(c)
	if err != nil {
		return err
	}
	if !e.Exists {
		e.Exists = true
		e.S = storage.ClusterStats{Size: 1, FirstSeen: height}
	}
	if in {
		e.S.Received += gwei
		e.S.Outputs++
	} else {
		e.S.Sent += gwei
		e.S.Inputs++
	}
	e.S.LastSeen = max(e.S.LastSeen, height)
	return nil
}

// merge joins cluster loser into cluster winner for the link a–b.
func (s *dbState) merge(winner, loser storage.AddrID, l *link) error {
	if err := s.Merge(winner, loser, l.a, l.b, l.ev); err != nil {
		return err
	}
	s.B.PutEthLinkDetail(s.Gen, l.a, l.b, &l.detail)
	return nil
}
