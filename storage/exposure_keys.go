package storage

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Exposure index table tags. These constants are part of the file format,
// and must not be changed.
const (
	// Z                -> ExposureMeta (the stamp of the whole index)
	tagExposureMeta byte = 'Z'
	// E addrID u64     -> ExposureEntry
	tagExposure byte = 'E'
)

// ExposureMetaKey addresses the single stamp row of the exposure index.
type ExposureMetaKey struct{}

// MakeExposureMetaKey returns the key of the exposure index's stamp.
func MakeExposureMetaKey() ExposureMetaKey { return ExposureMetaKey{} }

// Encode appends the key to dst.
func (ExposureMetaKey) Encode(dst []byte) []byte { return append(dst, tagExposureMeta) }

// DecodeExposureMetaKey decodes the stamp key.
func DecodeExposureMetaKey(b []byte) (ExposureMetaKey, error) {
	if len(b) != 1 || b[0] != tagExposureMeta {
		return ExposureMetaKey{}, errKey("exposure meta", b)
	}
	return ExposureMetaKey{}, nil
}

// ExposureKey addresses the precomputed exposure of one address.
type ExposureKey struct{ AddrID AddrID }

// MakeExposureKey returns the exposure key of address id.
func MakeExposureKey(id AddrID) ExposureKey { return ExposureKey{AddrID: id} }

// Encode appends the key to dst.
func (k ExposureKey) Encode(dst []byte) []byte {
	return binary.BigEndian.AppendUint64(append(dst, tagExposure), uint64(k.AddrID))
}

// DecodeExposureKey decodes an exposure key.
func DecodeExposureKey(b []byte) (ExposureKey, error) {
	if err := decodeFixed("exposure", tagExposure, b, 9); err != nil {
		return ExposureKey{}, err
	}
	return ExposureKey{AddrID: AddrID(binary.BigEndian.Uint64(b[1:]))}, nil
}

// exposureVersion is the version byte of both exposure records.
const exposureVersion = 1

// ExposureMeta is the stamp of the exposure index: the parameters it was
// computed with and the state of the index, labels and clustering it was
// computed from. An entry is valid only while all of these still hold.
//
// Layout: version u8 (1) | hops u8 | maxFanout uvarint | maxTransfers
// uvarint | labelsHash [32] | clustered u8 | generation u32 | tipHeight u32
// | tipHash [32] | builtAt (unix seconds) uvarint | addresses uvarint |
// category count uvarint, then each category as length uvarint, bytes.
type ExposureMeta struct {
	MaxHops      uint8
	MaxFanout    uint32
	MaxTransfers uint32
	LabelsHash   [32]byte
	Clustered    bool
	Generation   uint32
	TipHeight    uint32
	TipHash      [32]byte
	BuiltAt      int64
	Addresses    uint64
	// Categories names the categories entries refer to by index.
	Categories []string
}

// Encode appends the record to dst.
func (m *ExposureMeta) Encode(dst []byte) []byte {
	dst = append(dst, exposureVersion, m.MaxHops)
	dst = binary.AppendUvarint(dst, uint64(m.MaxFanout))
	dst = binary.AppendUvarint(dst, uint64(m.MaxTransfers))
	dst = append(dst, m.LabelsHash[:]...)
	var c byte
	if m.Clustered {
		c = 1
	}
	dst = binary.BigEndian.AppendUint32(append(dst, c), m.Generation)
	dst = binary.BigEndian.AppendUint32(dst, m.TipHeight)
	dst = append(dst, m.TipHash[:]...)
	dst = binary.AppendUvarint(dst, uint64(m.BuiltAt))
	dst = binary.AppendUvarint(dst, m.Addresses)
	return appendStrs(dst, m.Categories)
}

// DecodeExposureMeta decodes the stamp row.
func DecodeExposureMeta(b []byte) (ExposureMeta, error) {
	r := recordReader{table: "exposure meta", b: b}
	var m ExposureMeta
	if v := r.u8(); v != exposureVersion && r.err == nil {
		return m, fmt.Errorf("storage: exposure meta version %d (want %d): %w", v, exposureVersion, ErrCorruption)
	}
	m.MaxHops = r.u8()
	m.MaxFanout = r.uvarint32()
	m.MaxTransfers = r.uvarint32()
	m.LabelsHash = r.hash()
	switch r.u8() {
	case 0:
	case 1:
		m.Clustered = true
	default:
		r.fail()
	}
	m.Generation = r.u32()
	m.TipHeight = r.u32()
	m.TipHash = r.hash()
	m.BuiltAt = int64(r.uvarint())
	m.Addresses = r.uvarint()
	m.Categories = r.strs()
	return m, r.done()
}

// ExposureAmount is the exposure of one direction of an address to one
// category, as the index stores it. Weight is the amount in satoshi as a
// float, unrounded, so that shares come out exactly as a live walk's.
type ExposureAmount struct {
	Category uint32 // index into ExposureMeta.Categories
	Weight   float64
	MinHop   uint8
}

// ExposureSide is the precomputed exposure of one address in one
// direction.
type ExposureSide struct {
	Total        float64
	Unattributed float64
	Transfers    uint32
	// Partial is set when only the newest transfers were counted.
	Partial  bool
	Direct   []ExposureAmount
	Indirect []ExposureAmount
}

// ExposureEntry is the value of the exposure table: an address's
// exposure receiving and sending.
//
// Layout: version u8 (1) | receiving side | sending side; a side is total
// f64 | unattributed f64 | transfers uvarint | partial u8 | direct count
// uvarint, amounts | indirect count uvarint, amounts; an amount is category
// uvarint | weight f64 | minHop u8. Floats are IEEE 754 bits, big-endian.
type ExposureEntry struct {
	Receiving ExposureSide
	Sending   ExposureSide
}

// Encode appends the record to dst.
func (e *ExposureEntry) Encode(dst []byte) []byte {
	dst = append(dst, exposureVersion)
	for _, s := range []*ExposureSide{&e.Receiving, &e.Sending} {
		dst = binary.BigEndian.AppendUint64(dst, math.Float64bits(s.Total))
		dst = binary.BigEndian.AppendUint64(dst, math.Float64bits(s.Unattributed))
		dst = binary.AppendUvarint(dst, uint64(s.Transfers))
		var p byte
		if s.Partial {
			p = 1
		}
		dst = append(dst, p)
		for _, as := range [][]ExposureAmount{s.Direct, s.Indirect} {
			dst = binary.AppendUvarint(dst, uint64(len(as)))
			for _, a := range as {
				dst = binary.AppendUvarint(dst, uint64(a.Category))
				dst = binary.BigEndian.AppendUint64(dst, math.Float64bits(a.Weight))
				dst = append(dst, a.MinHop)
			}
		}
	}
	return dst
}

// DecodeExposureEntry decodes an exposure table value.
func DecodeExposureEntry(b []byte) (ExposureEntry, error) {
	r := recordReader{table: "exposure", b: b}
	var e ExposureEntry
	if v := r.u8(); v != exposureVersion && r.err == nil {
		return e, fmt.Errorf("storage: exposure entry version %d (want %d): %w", v, exposureVersion, ErrCorruption)
	}
	for _, s := range []*ExposureSide{&e.Receiving, &e.Sending} {
		s.Total = math.Float64frombits(r.u64())
		s.Unattributed = math.Float64frombits(r.u64())
		s.Transfers = r.uvarint32()
		switch r.u8() {
		case 0:
		case 1:
			s.Partial = true
		default:
			r.fail()
		}
		for _, as := range []*[]ExposureAmount{&s.Direct, &s.Indirect} {
			n := r.count(10)
			if n > 0 {
				*as = make([]ExposureAmount, n)
			}
			for i := range *as {
				(*as)[i] = ExposureAmount{Category: r.uvarint32(), Weight: math.Float64frombits(r.u64()), MinHop: r.u8()}
			}
		}
	}
	return e, r.done()
}
