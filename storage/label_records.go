package storage

import (
	"encoding/binary"
	"fmt"
	"unicode/utf8"
)

// MaxConfidence is the highest label confidence: certain.
const MaxConfidence = 100

// Label is one statement that an address or a transaction belongs to, or
// is used by, an entity of some category, with where the statement comes
// from and how far it can be trusted.
//
// A label is identified on its subject by (Entity, Category, Source):
// writing a label with the same subject and the same three fields again
// replaces it.
type Label struct {
	Subject LabelSubject
	// AddrClass and AddrPayload name an address subject exactly as the
	// address table keys it (chains/bitcoin.ParseAddress returns them for
	// Bitcoin). The address need not have been seen by the index yet.
	AddrClass   uint8
	AddrPayload []byte
	// Txid names a transaction subject, in internal byte order.
	Txid [32]byte
	// Entity is the labelled entity or actor, such as "Binance".
	Entity string
	// Category is one concept id of the GraphSense concept taxonomy, such
	// as exchange, sanction or mixing_service; empty if the source gave
	// none.
	Category string
	// Concepts are further concept ids.
	Concepts []string
	// Source says where the label comes from (a URL or a file); it is
	// never empty.
	Source string
	// Confidence is 0 to MaxConfidence.
	Confidence uint8
	// ConfidenceName is the TagPack confidence level the number came
	// from, such as authority_data; empty if the source gave a number.
	ConfidenceName string
	// LastMod is the label's own date in unix seconds, 0 if unknown.
	LastMod int64
	// Pack is the title of the pack or the name of the file the label was
	// imported from. Re-importing a pack replaces all its labels.
	Pack string
	// ClusterDefiner says the label applies to the whole cluster of the
	// address.
	ClusterDefiner bool
	// ImportedAt is when the label was imported, in unix seconds.
	ImportedAt int64
	// Actor is the id of the GraphSense actor the label names, if any.
	Actor string
	// TagLabel is the source's own wording of the label when Entity was
	// taken from an actor instead (for example "binance hot wallet 3"
	// under the actor Binance); empty otherwise.
	TagLabel string
	// Jurisdictions are the actor's country codes, if known.
	Jurisdictions []string
}

// ID returns the label's identity on its subject.
func (l *Label) ID() LabelID { return MakeLabelID(l.Entity, l.Category, l.Source) }

// Key returns the label's key in the label table.
func (l *Label) Key() LabelKey {
	if l.Subject == SubjectTx {
		return MakeTxLabelKey(l.Txid, l.ID())
	}
	return MakeAddressLabelKey(l.AddrClass, l.AddrPayload, l.ID())
}

// Validate reports why l cannot be stored, or nil: it needs a known
// subject, a source, a confidence of at most MaxConfidence, an address
// payload of at most MaxAddrPayload bytes (and no address fields on a
// transaction subject, no txid on an address subject) and valid UTF-8 in
// every string.
func (l *Label) Validate() error {
	switch l.Subject {
	case SubjectAddress:
		if len(l.AddrPayload) > MaxAddrPayload {
			return fmt.Errorf("storage: label %q: address payload of %d bytes is longer than %d", l.Entity, len(l.AddrPayload), MaxAddrPayload)
		}
		if l.Txid != ([32]byte{}) {
			return fmt.Errorf("storage: label %q on an address has a txid", l.Entity)
		}
	case SubjectTx:
		if l.AddrClass != 0 || len(l.AddrPayload) != 0 {
			return fmt.Errorf("storage: label %q on a transaction has an address", l.Entity)
		}
	default:
		return fmt.Errorf("storage: label %q has unknown subject %d", l.Entity, l.Subject)
	}
	if l.Source == "" {
		return fmt.Errorf("storage: label %q has no source", l.Entity)
	}
	if l.Confidence > MaxConfidence {
		return fmt.Errorf("storage: label %q has confidence %d, above %d", l.Entity, l.Confidence, MaxConfidence)
	}
	strs := append([]string{l.Entity, l.Category, l.Source, l.ConfidenceName, l.Pack, l.Actor, l.TagLabel}, l.Concepts...)
	for _, s := range append(strs, l.Jurisdictions...) {
		if !utf8.ValidString(s) {
			return fmt.Errorf("storage: label %q has a string that is not UTF-8: %q", l.Entity, s)
		}
	}
	return nil
}

// labelRecordVersion is the first byte of every label value.
const labelRecordVersion = 1

// labelFlagClusterDefiner is the only flag bit in use.
const labelFlagClusterDefiner = 1

// EncodeValue appends the label's value in the label table to dst. The
// subject is in the key, not the value.
//
// Layout: version u8 (1) | flags u8 (bit 0: cluster definer) | confidence
// u8 | lastMod zigzag uvarint | importedAt zigzag uvarint | entity str |
// category str | concepts (count uvarint, str…) | source str |
// confidenceName str | pack str | actor str | tagLabel str | jurisdictions
// (count uvarint, str…), where str is a uvarint length and that many bytes
// of UTF-8.
func (l *Label) EncodeValue(dst []byte) []byte {
	var flags byte
	if l.ClusterDefiner {
		flags |= labelFlagClusterDefiner
	}
	dst = append(dst, labelRecordVersion, flags, l.Confidence)
	dst = binary.AppendUvarint(dst, zigzag(l.LastMod))
	dst = binary.AppendUvarint(dst, zigzag(l.ImportedAt))
	dst = appendStr(dst, l.Entity)
	dst = appendStr(dst, l.Category)
	dst = appendStrs(dst, l.Concepts)
	dst = appendStr(dst, l.Source)
	dst = appendStr(dst, l.ConfidenceName)
	dst = appendStr(dst, l.Pack)
	dst = appendStr(dst, l.Actor)
	dst = appendStr(dst, l.TagLabel)
	return appendStrs(dst, l.Jurisdictions)
}

// DecodeLabel decodes one row of the label table. It checks that the key's
// label id matches the decoded entity, category and source. Nothing in the
// result aliases key or value.
func DecodeLabel(key, value []byte) (Label, error) {
	k, err := DecodeLabelKey(key)
	if err != nil {
		return Label{}, err
	}
	l := Label{Subject: k.Subject, AddrClass: k.Class, Txid: k.Txid}
	if k.Subject == SubjectAddress {
		l.AddrPayload = append([]byte{}, k.Payload...)
	}
	r := recordReader{table: "label", b: value}
	if v := r.u8(); r.err == nil && v != labelRecordVersion {
		return Label{}, fmt.Errorf("storage: label record version %d, want %d: %w", v, labelRecordVersion, ErrCorruption)
	}
	flags := r.u8()
	if r.err == nil && flags&^labelFlagClusterDefiner != 0 {
		return Label{}, fmt.Errorf("storage: label record has unknown flags %#x: %w", flags, ErrCorruption)
	}
	l.ClusterDefiner = flags&labelFlagClusterDefiner != 0
	l.Confidence = r.u8()
	if l.Confidence > MaxConfidence {
		return Label{}, fmt.Errorf("storage: label confidence %d is above %d: %w", l.Confidence, MaxConfidence, ErrCorruption)
	}
	l.LastMod = unzigzag(r.uvarint())
	l.ImportedAt = unzigzag(r.uvarint())
	l.Entity = r.str()
	l.Category = r.str()
	l.Concepts = r.strs()
	l.Source = r.str()
	l.ConfidenceName = r.str()
	l.Pack = r.str()
	l.Actor = r.str()
	l.TagLabel = r.str()
	l.Jurisdictions = r.strs()
	if err := r.done(); err != nil {
		return Label{}, err
	}
	if l.Source == "" {
		return Label{}, fmt.Errorf("storage: label %x has no source: %w", key, ErrCorruption)
	}
	if l.ID() != k.ID {
		return Label{}, fmt.Errorf("storage: label %x does not match its entity, category and source: %w", key, ErrCorruption)
	}
	return l, nil
}

func zigzag(v int64) uint64 { return uint64(v<<1) ^ uint64(v>>63) }

func unzigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }

func appendStr(dst []byte, s string) []byte {
	return append(binary.AppendUvarint(dst, uint64(len(s))), s...)
}

func appendStrs(dst []byte, ss []string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(ss)))
	for _, s := range ss {
		dst = appendStr(dst, s)
	}
	return dst
}

// str reads a length-prefixed UTF-8 string.
func (r *recordReader) str() string {
	n := r.uvarint()
	if r.err != nil {
		return ""
	}
	if n > uint64(len(r.b)-r.off) {
		r.fail()
		return ""
	}
	b := r.bytes(int(n))
	if !utf8.Valid(b) {
		r.fail()
		return ""
	}
	return string(b)
}

// strs reads a counted list of strings; an empty list decodes as nil.
func (r *recordReader) strs() []string {
	n := r.count(1)
	if n == 0 {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = r.str()
	}
	return out
}
