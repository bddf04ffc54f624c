package storage

import (
	"encoding/binary"
	"fmt"
)

// MaxScriptClasses bounds the script class numbers counted in
// ClusterStats.
const MaxScriptClasses = 16

// ClusterStats is the value of the cluster stats table: totals over the
// members of one cluster.
//
// Layout: size uvarint | received uvarint | sent uvarint | outputs uvarint |
// inputs uvarint | firstSeen uvarint | lastSeen uvarint | n uvarint, then n
// pairs of (class u8 | members uvarint) for the classes with members, in
// class order.
type ClusterStats struct {
	Size      uint64 // member addresses
	Received  uint64 // satoshi paid to members
	Sent      uint64 // satoshi spent by members
	Outputs   uint64 // outputs paid to members
	Inputs    uint64 // inputs spending members' coins
	FirstSeen uint32 // height of the first output paid to a member
	LastSeen  uint32 // height of the last output paid to or input spent by a member
	// Classes counts the members per script class (the script-type mix).
	Classes [MaxScriptClasses]uint64
}

// Merge adds the totals of o into s.
func (s *ClusterStats) Merge(o *ClusterStats) {
	if s.Size == 0 {
		s.FirstSeen = o.FirstSeen
	} else if o.Size > 0 {
		s.FirstSeen = min(s.FirstSeen, o.FirstSeen)
	}
	s.Size += o.Size
	s.Received += o.Received
	s.Sent += o.Sent
	s.Outputs += o.Outputs
	s.Inputs += o.Inputs
	s.LastSeen = max(s.LastSeen, o.LastSeen)
	for i := range s.Classes {
		s.Classes[i] += o.Classes[i]
	}
}

// Encode appends the record to dst.
func (s *ClusterStats) Encode(dst []byte) []byte {
	for _, v := range []uint64{s.Size, s.Received, s.Sent, s.Outputs, s.Inputs, uint64(s.FirstSeen), uint64(s.LastSeen)} {
		dst = binary.AppendUvarint(dst, v)
	}
	n := 0
	for _, c := range s.Classes {
		if c != 0 {
			n++
		}
	}
	dst = binary.AppendUvarint(dst, uint64(n))
	for i, c := range s.Classes {
		if c != 0 {
			dst = binary.AppendUvarint(append(dst, byte(i)), c)
		}
	}
	return dst
}

// DecodeClusterStats decodes a cluster stats value.
func DecodeClusterStats(b []byte) (ClusterStats, error) {
	r := recordReader{table: "cluster stats", b: b}
	s := decodeClusterStats(&r)
	return s, r.done()
}

func decodeClusterStats(r *recordReader) ClusterStats {
	var s ClusterStats
	s.Size, s.Received, s.Sent, s.Outputs, s.Inputs = r.uvarint(), r.uvarint(), r.uvarint(), r.uvarint(), r.uvarint()
	s.FirstSeen, s.LastSeen = r.uvarint32(), r.uvarint32()
	n := r.count(2)
	last := -1
	for range n {
		c := r.u8()
		// Classes come in increasing order with a count each, so every
		// value has one encoding.
		if int(c) >= MaxScriptClasses || int(c) <= last {
			r.fail()
			return s
		}
		last = int(c)
		if s.Classes[c] = r.uvarint(); s.Classes[c] == 0 {
			r.fail()
		}
	}
	return s
}

// Evidence is the value of a cluster link row: why two clusters were
// merged.
//
// Layout: txNum uvarint | rule u8 | confidence u8 [| spender uvarint].
// The spender is present only when it is not 0.
type Evidence struct {
	TxNum      TxNum // the transaction whose heuristic linked the two addresses
	Rule       uint8 // the heuristic, as heuristics/cluster.Rule
	Confidence uint8 // percent
	// Spender, when not 0, is the transaction whose spending of TxNum's
	// outputs decided the link (change-spend/1).
	Spender TxNum
}

// Encode appends the record to dst.
func (e Evidence) Encode(dst []byte) []byte {
	dst = append(binary.AppendUvarint(dst, uint64(e.TxNum)), e.Rule, e.Confidence)
	if e.Spender != 0 {
		dst = binary.AppendUvarint(dst, uint64(e.Spender))
	}
	return dst
}

// DecodeEvidence decodes a cluster link value.
func DecodeEvidence(b []byte) (Evidence, error) {
	r := recordReader{table: "cluster link", b: b}
	e := Evidence{TxNum: TxNum(r.uvarint()), Rule: r.u8(), Confidence: r.u8()}
	if r.err == nil && r.off < len(r.b) {
		if e.Spender = TxNum(r.uvarint()); r.err == nil && e.Spender == 0 {
			r.fail()
		}
	}
	return e, r.done()
}

// MergeUndo undoes one merge: the cluster Loser was absorbed into Winner
// through the link A–B (A in the winner); LoserMembers were relabelled.
type MergeUndo struct {
	Winner, Loser    AddrID
	WinnerSizeBefore uint64
	A, B             AddrID
	LoserMembers     []AddrID
}

// StatsUndo restores the stats of one cluster as they were before a block:
// absent when Had is false.
type StatsUndo struct {
	Cluster AddrID
	Had     bool
	Stats   ClusterStats
}

// ClusterUndo is the value of the cluster undo table: what disconnecting
// one block undoes, the merges in the order they were made and the stats of
// every cluster the block touched.
//
// Layout: merges uvarint, then per merge: winner uvarint | loser uvarint |
// winnerSizeBefore uvarint | a uvarint | b uvarint | n uvarint | n members
// uvarint; then stats uvarint, then per cluster: cluster uvarint | had u8 |
// (when had) ClusterStats.
type ClusterUndo struct {
	Merges []MergeUndo
	Stats  []StatsUndo
}

// Encode appends the record to dst.
func (u *ClusterUndo) Encode(dst []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(u.Merges)))
	for i := range u.Merges {
		m := &u.Merges[i]
		for _, v := range []uint64{uint64(m.Winner), uint64(m.Loser), m.WinnerSizeBefore, uint64(m.A), uint64(m.B), uint64(len(m.LoserMembers))} {
			dst = binary.AppendUvarint(dst, v)
		}
		for _, a := range m.LoserMembers {
			dst = binary.AppendUvarint(dst, uint64(a))
		}
	}
	dst = binary.AppendUvarint(dst, uint64(len(u.Stats)))
	for i := range u.Stats {
		s := &u.Stats[i]
		dst = binary.AppendUvarint(dst, uint64(s.Cluster))
		if !s.Had {
			dst = append(dst, 0)
			continue
		}
		dst = s.Stats.Encode(append(dst, 1))
	}
	return dst
}

// DecodeClusterUndo decodes a cluster undo value.
func DecodeClusterUndo(b []byte) (ClusterUndo, error) {
	r := recordReader{table: "cluster undo", b: b}
	var u ClusterUndo
	u.Merges = make([]MergeUndo, r.count(6))
	for i := range u.Merges {
		m := &u.Merges[i]
		m.Winner, m.Loser, m.WinnerSizeBefore = AddrID(r.uvarint()), AddrID(r.uvarint()), r.uvarint()
		m.A, m.B = AddrID(r.uvarint()), AddrID(r.uvarint())
		m.LoserMembers = make([]AddrID, r.count(1))
		for j := range m.LoserMembers {
			m.LoserMembers[j] = AddrID(r.uvarint())
		}
	}
	u.Stats = make([]StatsUndo, r.count(2))
	for i := range u.Stats {
		s := &u.Stats[i]
		s.Cluster = AddrID(r.uvarint())
		switch r.u8() {
		case 0:
		case 1:
			s.Had = true
			s.Stats = decodeClusterStats(&r)
		default:
			r.fail()
		}
	}
	return u, r.done()
}

// GuardEvent records a merge that would have grown a cluster past the
// configured bound.
type GuardEvent struct {
	A, B         AddrID // the linked addresses
	Rule         uint8
	SizeA, SizeB uint64 // their clusters' sizes before the merge
	Refused      bool   // the merge was not made
}

// TxHeuristics is the value of the cluster transaction table: what the
// heuristics found in one transaction. Transactions where nothing was
// found have no row.
//
// Layout: coinjoin uvarint (detector bits) | change u8 (0 none, 1 found) |
// (when found) vout uvarint | rules u8 | confidence u8 | guards uvarint,
// then per event: a uvarint | b uvarint | rule u8 | sizeA uvarint | sizeB
// uvarint | refused u8.
type TxHeuristics struct {
	CoinJoin         uint16 // heuristics/coinjoin.Kinds
	HasChange        bool
	ChangeVout       uint32
	ChangeRules      uint8 // heuristics/change.Rules
	ChangeConfidence uint8
	Guards           []GuardEvent
}

// Empty reports whether nothing was found.
func (t *TxHeuristics) Empty() bool { return t.CoinJoin == 0 && !t.HasChange && len(t.Guards) == 0 }

// Encode appends the record to dst.
func (t *TxHeuristics) Encode(dst []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(t.CoinJoin))
	if t.HasChange {
		dst = append(binary.AppendUvarint(append(dst, 1), uint64(t.ChangeVout)), t.ChangeRules, t.ChangeConfidence)
	} else {
		dst = append(dst, 0)
	}
	dst = binary.AppendUvarint(dst, uint64(len(t.Guards)))
	for _, g := range t.Guards {
		dst = binary.AppendUvarint(dst, uint64(g.A))
		dst = binary.AppendUvarint(dst, uint64(g.B))
		dst = append(dst, g.Rule)
		dst = binary.AppendUvarint(dst, g.SizeA)
		dst = binary.AppendUvarint(dst, g.SizeB)
		refused := byte(0)
		if g.Refused {
			refused = 1
		}
		dst = append(dst, refused)
	}
	return dst
}

// DecodeTxHeuristics decodes a cluster transaction value.
func DecodeTxHeuristics(b []byte) (TxHeuristics, error) {
	r := recordReader{table: "cluster tx", b: b}
	var t TxHeuristics
	cj := r.uvarint()
	if cj > 0xffff {
		r.fail()
	}
	t.CoinJoin = uint16(cj)
	switch r.u8() {
	case 0:
	case 1:
		t.HasChange = true
		t.ChangeVout = r.uvarint32()
		t.ChangeRules, t.ChangeConfidence = r.u8(), r.u8()
	default:
		r.fail()
	}
	n := r.count(6)
	for range n {
		g := GuardEvent{A: AddrID(r.uvarint()), B: AddrID(r.uvarint()), Rule: r.u8(), SizeA: r.uvarint(), SizeB: r.uvarint()}
		switch r.u8() {
		case 0:
		case 1:
			g.Refused = true
		default:
			r.fail()
		}
		t.Guards = append(t.Guards, g)
	}
	return t, r.done()
}

// GenerationRecord is the value of a generation key: the heuristic set a
// cluster generation was built with, so the run can be reproduced.
//
// Layout: spec length uvarint | spec (the set's canonical JSON).
type GenerationRecord struct {
	Spec string
}

// Encode appends the record to dst.
func (g GenerationRecord) Encode(dst []byte) []byte {
	return append(binary.AppendUvarint(dst, uint64(len(g.Spec))), g.Spec...)
}

// DecodeGenerationRecord decodes a generation value.
func DecodeGenerationRecord(b []byte) (GenerationRecord, error) {
	r := recordReader{table: "generation", b: b}
	g := GenerationRecord{Spec: string(r.bytes(int(r.uvarint())))}
	return g, r.done()
}

// decodeAddrValue decodes an 8-byte address number value.
func decodeAddrValue(table string, v []byte) (AddrID, error) {
	if len(v) != 8 {
		return 0, fmt.Errorf("storage: %s value of %d bytes: %w", table, len(v), ErrCorruption)
	}
	return AddrID(binary.BigEndian.Uint64(v)), nil
}
