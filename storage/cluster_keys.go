package storage

import (
	"encoding/binary"
)

// Cluster table tags. Every cluster table but the generation table starts
// its keys with a generation number (u32), so that a clustering under
// another heuristic set can be built beside the active one and switched to
// in one commit. These constants are part of the file format, and must not
// be changed.
const (
	tagClusterGen    byte = 'G' // G -> active gen u32; G gen u32 -> GenerationRecord
	tagClusterOf     byte = 'C' // C gen u32 addrID u64 -> clusterID u64 (only when it differs from addrID)
	tagClusterMember byte = 'M' // M gen u32 clusterID u64 addrID u64 -> (empty), clusters of 2 or more
	tagClusterStats  byte = 'V' // V gen u32 clusterID u64 -> ClusterStats
	tagClusterLink   byte = 'J' // J gen u32 addrID u64 addrID u64 -> Evidence, both directions
	tagClusterUndo   byte = 'K' // K gen u32 height u32 -> ClusterUndo
	tagClusterTx     byte = 'H' // H gen u32 txNum u64 -> TxHeuristics
)

// clusterTags are the tags of the tables whose keys start with a
// generation.
var clusterTags = [...]byte{tagClusterOf, tagClusterMember, tagClusterStats, tagClusterLink, tagClusterUndo, tagClusterTx, tagSpendPlan, tagSpendPlanUndo}

func appendGen(dst []byte, tag byte, gen uint32) []byte {
	return binary.BigEndian.AppendUint32(append(dst, tag), gen)
}

// ActiveGenerationKey is the key of the number of the active cluster
// generation.
type ActiveGenerationKey struct{}

// Encode appends the key to dst.
func (ActiveGenerationKey) Encode(dst []byte) []byte { return append(dst, tagClusterGen) }

// GenerationKey addresses the record describing one cluster generation.
type GenerationKey struct{ Gen uint32 }

// MakeGenerationKey returns the key of generation gen.
func MakeGenerationKey(gen uint32) GenerationKey { return GenerationKey{Gen: gen} }

// Encode appends the key to dst.
func (k GenerationKey) Encode(dst []byte) []byte { return appendGen(dst, tagClusterGen, k.Gen) }

// DecodeGenerationKey decodes a generation key.
func DecodeGenerationKey(b []byte) (GenerationKey, error) {
	if err := decodeFixed("generation", tagClusterGen, b, 5); err != nil {
		return GenerationKey{}, err
	}
	return GenerationKey{Gen: binary.BigEndian.Uint32(b[1:])}, nil
}

// ClusterOfKey maps an address to its cluster in one generation. An
// address without a row is the root of its own cluster.
type ClusterOfKey struct {
	Gen  uint32
	Addr AddrID
}

// MakeClusterOfKey returns the cluster row key of address a.
func MakeClusterOfKey(gen uint32, a AddrID) ClusterOfKey { return ClusterOfKey{Gen: gen, Addr: a} }

// Encode appends the key to dst.
func (k ClusterOfKey) Encode(dst []byte) []byte {
	return binary.BigEndian.AppendUint64(appendGen(dst, tagClusterOf, k.Gen), uint64(k.Addr))
}

// DecodeClusterOfKey decodes a cluster row key.
func DecodeClusterOfKey(b []byte) (ClusterOfKey, error) {
	if err := decodeFixed("cluster", tagClusterOf, b, 13); err != nil {
		return ClusterOfKey{}, err
	}
	return ClusterOfKey{Gen: binary.BigEndian.Uint32(b[1:]), Addr: AddrID(binary.BigEndian.Uint64(b[5:]))}, nil
}

// ClusterMemberKey lists Addr as a member of Cluster. Clusters of one
// address have no member rows.
type ClusterMemberKey struct {
	Gen     uint32
	Cluster AddrID
	Addr    AddrID
}

// MakeClusterMemberKey returns the member row key of a in cluster c.
func MakeClusterMemberKey(gen uint32, c, a AddrID) ClusterMemberKey {
	return ClusterMemberKey{Gen: gen, Cluster: c, Addr: a}
}

// Encode appends the key to dst.
func (k ClusterMemberKey) Encode(dst []byte) []byte {
	dst = binary.BigEndian.AppendUint64(appendGen(dst, tagClusterMember, k.Gen), uint64(k.Cluster))
	return binary.BigEndian.AppendUint64(dst, uint64(k.Addr))
}

// DecodeClusterMemberKey decodes a member row key.
func DecodeClusterMemberKey(b []byte) (ClusterMemberKey, error) {
	if err := decodeFixed("cluster member", tagClusterMember, b, 21); err != nil {
		return ClusterMemberKey{}, err
	}
	return ClusterMemberKey{Gen: binary.BigEndian.Uint32(b[1:]), Cluster: AddrID(binary.BigEndian.Uint64(b[5:])),
		Addr: AddrID(binary.BigEndian.Uint64(b[13:]))}, nil
}

// ClusterStatsKey addresses the statistics of a cluster.
type ClusterStatsKey struct {
	Gen     uint32
	Cluster AddrID
}

// MakeClusterStatsKey returns the stats key of cluster c.
func MakeClusterStatsKey(gen uint32, c AddrID) ClusterStatsKey {
	return ClusterStatsKey{Gen: gen, Cluster: c}
}

// Encode appends the key to dst.
func (k ClusterStatsKey) Encode(dst []byte) []byte {
	return binary.BigEndian.AppendUint64(appendGen(dst, tagClusterStats, k.Gen), uint64(k.Cluster))
}

// DecodeClusterStatsKey decodes a stats key.
func DecodeClusterStatsKey(b []byte) (ClusterStatsKey, error) {
	if err := decodeFixed("cluster stats", tagClusterStats, b, 13); err != nil {
		return ClusterStatsKey{}, err
	}
	return ClusterStatsKey{Gen: binary.BigEndian.Uint32(b[1:]), Cluster: AddrID(binary.BigEndian.Uint64(b[5:]))}, nil
}

// ClusterLinkKey is one merge seen from one of its two addresses: the
// merge joined the clusters of From and To. Each merge has a row in both
// directions, so the merges of a cluster form a tree that can be walked
// from any member.
type ClusterLinkKey struct {
	Gen      uint32
	From, To AddrID
}

// MakeClusterLinkKey returns the link key from a to b.
func MakeClusterLinkKey(gen uint32, a, b AddrID) ClusterLinkKey {
	return ClusterLinkKey{Gen: gen, From: a, To: b}
}

// Encode appends the key to dst.
func (k ClusterLinkKey) Encode(dst []byte) []byte {
	dst = binary.BigEndian.AppendUint64(appendGen(dst, tagClusterLink, k.Gen), uint64(k.From))
	return binary.BigEndian.AppendUint64(dst, uint64(k.To))
}

// DecodeClusterLinkKey decodes a link key.
func DecodeClusterLinkKey(b []byte) (ClusterLinkKey, error) {
	if err := decodeFixed("cluster link", tagClusterLink, b, 21); err != nil {
		return ClusterLinkKey{}, err
	}
	return ClusterLinkKey{Gen: binary.BigEndian.Uint32(b[1:]), From: AddrID(binary.BigEndian.Uint64(b[5:])),
		To: AddrID(binary.BigEndian.Uint64(b[13:]))}, nil
}

// ClusterUndoKey addresses what disconnecting the block at Height must
// undo in the clusters.
type ClusterUndoKey struct {
	Gen    uint32
	Height uint32
}

// MakeClusterUndoKey returns the cluster undo key of height h.
func MakeClusterUndoKey(gen, h uint32) ClusterUndoKey { return ClusterUndoKey{Gen: gen, Height: h} }

// Encode appends the key to dst.
func (k ClusterUndoKey) Encode(dst []byte) []byte {
	return binary.BigEndian.AppendUint32(appendGen(dst, tagClusterUndo, k.Gen), k.Height)
}

// DecodeClusterUndoKey decodes a cluster undo key.
func DecodeClusterUndoKey(b []byte) (ClusterUndoKey, error) {
	if err := decodeFixed("cluster undo", tagClusterUndo, b, 9); err != nil {
		return ClusterUndoKey{}, err
	}
	return ClusterUndoKey{Gen: binary.BigEndian.Uint32(b[1:]), Height: binary.BigEndian.Uint32(b[5:])}, nil
}

// ClusterTxKey addresses what the heuristics found in one transaction.
type ClusterTxKey struct {
	Gen   uint32
	TxNum TxNum
}

// MakeClusterTxKey returns the key of transaction n's heuristic results.
func MakeClusterTxKey(gen uint32, n TxNum) ClusterTxKey { return ClusterTxKey{Gen: gen, TxNum: n} }

// Encode appends the key to dst.
func (k ClusterTxKey) Encode(dst []byte) []byte {
	return binary.BigEndian.AppendUint64(appendGen(dst, tagClusterTx, k.Gen), uint64(k.TxNum))
}

// DecodeClusterTxKey decodes a transaction heuristics key.
func DecodeClusterTxKey(b []byte) (ClusterTxKey, error) {
	if err := decodeFixed("cluster tx", tagClusterTx, b, 13); err != nil {
		return ClusterTxKey{}, err
	}
	return ClusterTxKey{Gen: binary.BigEndian.Uint32(b[1:]), TxNum: TxNum(binary.BigEndian.Uint64(b[5:]))}, nil
}
