package storage

import (
	"encoding/binary"
)

// Detection table tags. These constants are part of the file format, and
// must not be changed.
const (
	// F seq u32                      -> finding value (opaque to storage)
	tagFinding byte = 'F'
	// f addrID u64 seq u32           -> (empty): the findings naming an address
	tagFindingAddr byte = 'f'
	// R alertID [8]                  -> alert value (opaque to storage)
	tagAlert byte = 'R'
	// r alertID [8] unixNano u64     -> review value (opaque to storage)
	tagReview byte = 'r'
)

// AlertIDLen is the length of an alert's identity.
const AlertIDLen = 8

// AlertID names an alert stably across runs of detection: the detection
// package derives it from the alert's subject, so a review made on one run
// still names the same alert after a later run.
type AlertID [AlertIDLen]byte

// FindingKey addresses one stored finding by its sequence number within
// the latest detection run.
type FindingKey struct{ Seq uint32 }

// Encode appends the key to dst.
func (k FindingKey) Encode(dst []byte) []byte {
	return binary.BigEndian.AppendUint32(append(dst, tagFinding), k.Seq)
}

// DecodeFindingKey decodes a finding table key.
func DecodeFindingKey(b []byte) (FindingKey, error) {
	if len(b) != 5 || b[0] != tagFinding {
		return FindingKey{}, errKey("finding", b)
	}
	return FindingKey{Seq: binary.BigEndian.Uint32(b[1:])}, nil
}

// FindingAddrKey is a key-only row saying that finding Seq names address
// Addr (as subject or in its evidence).
type FindingAddrKey struct {
	Addr AddrID
	Seq  uint32
}

// Encode appends the key to dst.
func (k FindingAddrKey) Encode(dst []byte) []byte {
	dst = binary.BigEndian.AppendUint64(append(dst, tagFindingAddr), uint64(k.Addr))
	return binary.BigEndian.AppendUint32(dst, k.Seq)
}

// findingAddrPrefix returns the prefix of every row of address a.
func findingAddrPrefix(a AddrID) []byte {
	return binary.BigEndian.AppendUint64([]byte{tagFindingAddr}, uint64(a))
}

// DecodeFindingAddrKey decodes a finding-by-address key.
func DecodeFindingAddrKey(b []byte) (FindingAddrKey, error) {
	if len(b) != 13 || b[0] != tagFindingAddr {
		return FindingAddrKey{}, errKey("finding address", b)
	}
	return FindingAddrKey{Addr: AddrID(binary.BigEndian.Uint64(b[1:9])), Seq: binary.BigEndian.Uint32(b[9:])}, nil
}

// AlertKey addresses one stored alert.
type AlertKey struct{ ID AlertID }

// Encode appends the key to dst.
func (k AlertKey) Encode(dst []byte) []byte { return append(append(dst, tagAlert), k.ID[:]...) }

// DecodeAlertKey decodes an alert table key.
func DecodeAlertKey(b []byte) (AlertKey, error) {
	if len(b) != 1+AlertIDLen || b[0] != tagAlert {
		return AlertKey{}, errKey("alert", b)
	}
	var k AlertKey
	copy(k.ID[:], b[1:])
	return k, nil
}

// ReviewKey addresses one analyst review of an alert; reviews of an alert
// sort by the time they were made.
type ReviewKey struct {
	Alert    AlertID
	UnixNano uint64
}

// Encode appends the key to dst.
func (k ReviewKey) Encode(dst []byte) []byte {
	dst = append(append(dst, tagReview), k.Alert[:]...)
	return binary.BigEndian.AppendUint64(dst, k.UnixNano)
}

// DecodeReviewKey decodes a review table key.
func DecodeReviewKey(b []byte) (ReviewKey, error) {
	if len(b) != 1+AlertIDLen+8 || b[0] != tagReview {
		return ReviewKey{}, errKey("review", b)
	}
	var k ReviewKey
	copy(k.Alert[:], b[1:])
	k.UnixNano = binary.BigEndian.Uint64(b[1+AlertIDLen:])
	return k, nil
}
