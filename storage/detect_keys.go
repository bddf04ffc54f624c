package storage

import (
	"encoding/binary"
)

// Incremental detection and webhook outbox table tags. These constants,
// and the sub-kind bytes below, are part of the file format, and must not
// be changed.
const (
	// D height u32 seq u32           -> IncFindingRecord: a finding raised at height
	tagIncFinding byte = 'D'
	// d addrID u64 height u32 seq u32 -> (empty): incremental findings naming an address
	tagIncFindingAddr byte = 'd'
	// q 'a' alertID [8] height u32   -> alert value: one version of an alert
	// q 'h' height u32 alertID [8]   -> (empty): the alert versions raised at height
	// q 't'                          -> u32: heights detected up to, plus one
	tagIncAlert byte = 'q'
	// o 'e' seq u64                  -> event value (opaque): a webhook event
	// o 's' seq u64 hook u16         -> DeliveryRecord: one webhook's delivery of it
	tagOutbox byte = 'o'
)

// Sub-kinds of the q and o tables.
const (
	incAlertVersion byte = 'a'
	incAlertHeight  byte = 'h'
	incDetectMark   byte = 't'
	outboxEvent     byte = 'e'
	outboxState     byte = 's'
)

// IncFindingKey addresses one finding raised by incremental detection: the
// height whose detection run raised it and its number within that run.
type IncFindingKey struct {
	Height uint32
	Seq    uint32
}

// After reports whether k sorts after o.
func (k IncFindingKey) After(o IncFindingKey) bool {
	return k.Height > o.Height || k.Height == o.Height && k.Seq > o.Seq
}

// Encode appends the key to dst.
func (k IncFindingKey) Encode(dst []byte) []byte {
	dst = binary.BigEndian.AppendUint32(append(dst, tagIncFinding), k.Height)
	return binary.BigEndian.AppendUint32(dst, k.Seq)
}

// DecodeIncFindingKey decodes an incremental finding key.
func DecodeIncFindingKey(b []byte) (IncFindingKey, error) {
	if err := decodeFixed("incremental finding", tagIncFinding, b, 9); err != nil {
		return IncFindingKey{}, err
	}
	return IncFindingKey{Height: binary.BigEndian.Uint32(b[1:]), Seq: binary.BigEndian.Uint32(b[5:])}, nil
}

// IncFindingAddrKey is a key-only row saying that the incremental finding
// Finding names address Addr.
type IncFindingAddrKey struct {
	Addr    AddrID
	Finding IncFindingKey
}

// Encode appends the key to dst.
func (k IncFindingAddrKey) Encode(dst []byte) []byte {
	dst = binary.BigEndian.AppendUint64(append(dst, tagIncFindingAddr), uint64(k.Addr))
	dst = binary.BigEndian.AppendUint32(dst, k.Finding.Height)
	return binary.BigEndian.AppendUint32(dst, k.Finding.Seq)
}

// DecodeIncFindingAddrKey decodes an incremental finding-by-address key.
func DecodeIncFindingAddrKey(b []byte) (IncFindingAddrKey, error) {
	if err := decodeFixed("incremental finding address", tagIncFindingAddr, b, 17); err != nil {
		return IncFindingAddrKey{}, err
	}
	return IncFindingAddrKey{Addr: AddrID(binary.BigEndian.Uint64(b[1:])),
		Finding: IncFindingKey{Height: binary.BigEndian.Uint32(b[9:]), Seq: binary.BigEndian.Uint32(b[13:])}}, nil
}

// EncodeIncFinding appends the value of an incremental finding to dst:
// the addresses it names (which its by-address rows list, so that undoing
// its height deletes exactly them) and the finding's encoding, which the
// detection package owns.
//
// Layout: count uvarint, addrID uvarint per address, then the value.
func EncodeIncFinding(dst []byte, f *StoredFinding) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(f.Addrs)))
	for _, a := range f.Addrs {
		dst = binary.AppendUvarint(dst, uint64(a))
	}
	return append(dst, f.Value...)
}

// DecodeIncFinding decodes an incremental finding value.
func DecodeIncFinding(b []byte) (StoredFinding, error) {
	r := recordReader{table: "incremental finding", b: b}
	n := r.count(1)
	f := StoredFinding{Addrs: make([]AddrID, n)}
	for i := range f.Addrs {
		f.Addrs[i] = AddrID(r.uvarint())
	}
	if r.err != nil {
		return StoredFinding{}, r.err
	}
	f.Value = append([]byte(nil), r.b[r.off:]...)
	return f, nil
}

// IncAlertKey addresses one version of an alert raised by incremental
// detection: the alert's identity and the height that raised the version.
// The latest version is the alert as it stands.
type IncAlertKey struct {
	ID     AlertID
	Height uint32
}

// Encode appends the key to dst.
func (k IncAlertKey) Encode(dst []byte) []byte {
	dst = append(append(dst, tagIncAlert, incAlertVersion), k.ID[:]...)
	return binary.BigEndian.AppendUint32(dst, k.Height)
}

// DecodeIncAlertKey decodes an alert version key.
func DecodeIncAlertKey(b []byte) (IncAlertKey, error) {
	if len(b) != 2+AlertIDLen+4 || b[0] != tagIncAlert || b[1] != incAlertVersion {
		return IncAlertKey{}, errKey("incremental alert", b)
	}
	var k IncAlertKey
	copy(k.ID[:], b[2:])
	k.Height = binary.BigEndian.Uint32(b[2+AlertIDLen:])
	return k, nil
}

// IncAlertHeightKey is a key-only row listing an alert version under the
// height that raised it, so that undoing the height finds it.
type IncAlertHeightKey struct {
	Height uint32
	ID     AlertID
}

// Encode appends the key to dst.
func (k IncAlertHeightKey) Encode(dst []byte) []byte {
	dst = binary.BigEndian.AppendUint32(append(dst, tagIncAlert, incAlertHeight), k.Height)
	return append(dst, k.ID[:]...)
}

// DecodeIncAlertHeightKey decodes an alert-by-height key.
func DecodeIncAlertHeightKey(b []byte) (IncAlertHeightKey, error) {
	if len(b) != 2+4+AlertIDLen || b[0] != tagIncAlert || b[1] != incAlertHeight {
		return IncAlertHeightKey{}, errKey("incremental alert height", b)
	}
	var k IncAlertHeightKey
	k.Height = binary.BigEndian.Uint32(b[2:])
	copy(k.ID[:], b[6:])
	return k, nil
}

// DetectMarkKey is the key of the incremental detection mark: how far
// detection has run. Its value is a u32, the next height to detect at
// (0: none yet).
type DetectMarkKey struct{}

// Encode appends the key to dst.
func (DetectMarkKey) Encode(dst []byte) []byte { return append(dst, tagIncAlert, incDetectMark) }

// OutboxEventKey addresses one webhook event by its sequence number, in
// the order events were raised.
type OutboxEventKey struct{ Seq uint64 }

// Encode appends the key to dst.
func (k OutboxEventKey) Encode(dst []byte) []byte {
	return binary.BigEndian.AppendUint64(append(dst, tagOutbox, outboxEvent), k.Seq)
}

// DecodeOutboxEventKey decodes an outbox event key.
func DecodeOutboxEventKey(b []byte) (OutboxEventKey, error) {
	if len(b) != 10 || b[0] != tagOutbox || b[1] != outboxEvent {
		return OutboxEventKey{}, errKey("outbox event", b)
	}
	return OutboxEventKey{Seq: binary.BigEndian.Uint64(b[2:])}, nil
}

// OutboxStateKey addresses one webhook's delivery state of one event.
// Hook is the webhook's index in the configuration.
type OutboxStateKey struct {
	Seq  uint64
	Hook uint16
}

// Encode appends the key to dst.
func (k OutboxStateKey) Encode(dst []byte) []byte {
	dst = binary.BigEndian.AppendUint64(append(dst, tagOutbox, outboxState), k.Seq)
	return binary.BigEndian.AppendUint16(dst, k.Hook)
}

// DecodeOutboxStateKey decodes an outbox delivery state key.
func DecodeOutboxStateKey(b []byte) (OutboxStateKey, error) {
	if len(b) != 12 || b[0] != tagOutbox || b[1] != outboxState {
		return OutboxStateKey{}, errKey("outbox state", b)
	}
	return OutboxStateKey{Seq: binary.BigEndian.Uint64(b[2:]), Hook: binary.BigEndian.Uint16(b[10:])}, nil
}

// DeliveryRecord is one webhook's delivery state of one event.
//
// Layout: attempts uvarint | next attempt unix nanos uvarint | delivered
// unix nanos uvarint (0: not yet) | last error length uvarint, bytes.
type DeliveryRecord struct {
	Attempts    uint64
	NextAttempt int64
	Delivered   int64
	LastError   string
}

// Encode appends the record to dst.
func (r *DeliveryRecord) Encode(dst []byte) []byte {
	dst = binary.AppendUvarint(dst, r.Attempts)
	dst = binary.AppendUvarint(dst, uint64(r.NextAttempt))
	dst = binary.AppendUvarint(dst, uint64(r.Delivered))
	dst = binary.AppendUvarint(dst, uint64(len(r.LastError)))
	return append(dst, r.LastError...)
}

// DecodeDeliveryRecord decodes a delivery state value.
func DecodeDeliveryRecord(b []byte) (DeliveryRecord, error) {
	r := recordReader{table: "outbox state", b: b}
	var d DeliveryRecord
	d.Attempts = r.uvarint()
	d.NextAttempt = int64(r.uvarint())
	d.Delivered = int64(r.uvarint())
	d.LastError = string(r.bytes(int(r.uvarint())))
	if err := r.done(); err != nil {
		return DeliveryRecord{}, err
	}
	return d, nil
}
