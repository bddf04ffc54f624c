package storage

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
)

// LabelSubject says what a label is attached to.
type LabelSubject uint8

// The subjects are part of the on-disk format: never renumber them.
const (
	// SubjectAddress labels an address, named by its script class and
	// payload exactly as the address table keys it.
	SubjectAddress LabelSubject = 0
	// SubjectTx labels a transaction, named by its txid.
	SubjectTx LabelSubject = 1
)

// String returns "address" or "tx".
func (s LabelSubject) String() string {
	switch s {
	case SubjectAddress:
		return "address"
	case SubjectTx:
		return "tx"
	}
	return fmt.Sprintf("subject(%d)", uint8(s))
}

// Label table tags. These constants are part of the file format, and must
// not be changed.
const (
	// N subject u8 (0) class u8 payloadLen u16 payload id [16] -> LabelRecord
	// N subject u8 (1) txid [32] id [16]                       -> LabelRecord
	tagLabel byte = 'N'
	// n packHash [16] labelKey                                 -> (empty)
	tagLabelPack byte = 'n'
)

// LabelIDLen is the length of a label's identity hash and of a pack's name
// hash in the label tables.
const LabelIDLen = 16

// LabelID is the identity of a label on its subject: the first LabelIDLen
// bytes of SHA-256 over its entity, category and source. Importing the same
// label again therefore writes the same key.
type LabelID [LabelIDLen]byte

// MakeLabelID returns the identity of the label (entity, category, source).
// Each field is length-prefixed before hashing, so no two different
// triples share an input.
func MakeLabelID(entity, category, source string) LabelID {
	h := sha256.New()
	var n [binary.MaxVarintLen64]byte
	for _, f := range []string{entity, category, source} {
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(f)))])
		h.Write([]byte(f))
	}
	var id LabelID
	copy(id[:], h.Sum(nil))
	return id
}

// PackHash returns the hash under which the pack index files the labels of
// the pack named name.
func PackHash(name string) [LabelIDLen]byte {
	sum := sha256.Sum256([]byte("pack\x00" + name))
	var h [LabelIDLen]byte
	copy(h[:], sum[:])
	return h
}

// LabelKey addresses one label of one subject.
type LabelKey struct {
	Subject LabelSubject
	Class   uint8    // address subjects
	Payload []byte   // address subjects, at most MaxAddrPayload bytes
	Txid    [32]byte // tx subjects
	ID      LabelID
}

// MakeAddressLabelKey returns the key of label id on address (class, payload).
func MakeAddressLabelKey(class uint8, payload []byte, id LabelID) LabelKey {
	return LabelKey{Subject: SubjectAddress, Class: class, Payload: payload, ID: id}
}

// MakeTxLabelKey returns the key of label id on transaction txid.
func MakeTxLabelKey(txid [32]byte, id LabelID) LabelKey {
	return LabelKey{Subject: SubjectTx, Txid: txid, ID: id}
}

// appendSubject appends the part of the key shared by every label of the
// subject: the scan prefix of that subject's labels.
func (k LabelKey) appendSubject(dst []byte) []byte {
	dst = append(dst, tagLabel, byte(k.Subject))
	if k.Subject == SubjectTx {
		return append(dst, k.Txid[:]...)
	}
	dst = append(dst, k.Class)
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(k.Payload)))
	return append(dst, k.Payload...)
}

// Encode appends the key to dst. The payload length is written before the
// payload so that one address's labels never share a prefix with another
// address whose payload extends it.
func (k LabelKey) Encode(dst []byte) []byte {
	return append(k.appendSubject(dst), k.ID[:]...)
}

// addressLabelPrefix returns the prefix of every label of address (class,
// payload).
func addressLabelPrefix(class uint8, payload []byte) []byte {
	return LabelKey{Subject: SubjectAddress, Class: class, Payload: payload}.appendSubject(nil)
}

// txLabelPrefix returns the prefix of every label of transaction txid.
func txLabelPrefix(txid [32]byte) []byte {
	return LabelKey{Subject: SubjectTx, Txid: txid}.appendSubject(nil)
}

// labelKeyLen returns the length of the label key at the start of b, or -1
// if b does not start with a well-formed one.
func labelKeyLen(b []byte) int {
	if len(b) < 2 || b[0] != tagLabel {
		return -1
	}
	switch LabelSubject(b[1]) {
	case SubjectTx:
		return 2 + 32 + LabelIDLen
	case SubjectAddress:
		if len(b) < 5 {
			return -1
		}
		n := int(binary.BigEndian.Uint16(b[3:5]))
		if n > MaxAddrPayload {
			return -1
		}
		return 5 + n + LabelIDLen
	}
	return -1
}

// DecodeLabelKey decodes a label table key. The payload aliases b.
func DecodeLabelKey(b []byte) (LabelKey, error) {
	n := labelKeyLen(b)
	if n < 0 || n != len(b) {
		return LabelKey{}, errKey("label", b)
	}
	k := LabelKey{Subject: LabelSubject(b[1])}
	switch k.Subject {
	case SubjectTx:
		copy(k.Txid[:], b[2:34])
	case SubjectAddress:
		k.Class = b[2]
		k.Payload = b[5 : n-LabelIDLen]
	}
	copy(k.ID[:], b[n-LabelIDLen:])
	return k, nil
}

// LabelPackKey is a key-only row of the pack index: the label at Label
// was imported from the pack whose name hashes to Pack. Replacing a pack
// deletes the labels its rows point at.
type LabelPackKey struct {
	Pack  [LabelIDLen]byte
	Label LabelKey
}

// MakeLabelPackKey returns the pack index row of label k in pack.
func MakeLabelPackKey(pack string, k LabelKey) LabelPackKey {
	return LabelPackKey{Pack: PackHash(pack), Label: k}
}

// Encode appends the key to dst.
func (k LabelPackKey) Encode(dst []byte) []byte {
	dst = append(append(dst, tagLabelPack), k.Pack[:]...)
	return k.Label.Encode(dst)
}

// labelPackPrefix returns the prefix of every pack index row of pack.
func labelPackPrefix(pack string) []byte {
	h := PackHash(pack)
	return append([]byte{tagLabelPack}, h[:]...)
}

// DecodeLabelPackKey decodes a pack index key. The label's payload aliases b.
func DecodeLabelPackKey(b []byte) (LabelPackKey, error) {
	if len(b) < 1+LabelIDLen || b[0] != tagLabelPack {
		return LabelPackKey{}, errKey("label pack", b)
	}
	lk, err := DecodeLabelKey(b[1+LabelIDLen:])
	if err != nil {
		return LabelPackKey{}, errKey("label pack", b)
	}
	k := LabelPackKey{Label: lk}
	copy(k.Pack[:], b[1:])
	return k, nil
}
