package storage

import (
	"encoding/binary"
	"fmt"
	"math/big"
)

// Ethereum cluster table tag. The Ethereum index is its own database, so
// its clusterings reuse the generation tables G, C, M, V, J and H of the
// Bitcoin clusters; this table adds what an Ethereum merge's evidence holds
// beyond (txNum, rule, confidence). The tag is part of the file format and
// must not be changed.
const (
	tagEthLinkDetail byte = 'e' // e gen u32 addrID u64 addrID u64 -> EthLinkDetail, both directions
)

// EthLinkDetailKey addresses the detail of the merge From–To in one
// generation. Like the link table, each merge has a row in both directions.
type EthLinkDetailKey struct {
	Gen      uint32
	From, To AddrID
}

// MakeEthLinkDetailKey returns the detail key of the link from a to b.
func MakeEthLinkDetailKey(gen uint32, a, b AddrID) EthLinkDetailKey {
	return EthLinkDetailKey{Gen: gen, From: a, To: b}
}

// Encode appends the key to dst.
func (k EthLinkDetailKey) Encode(dst []byte) []byte {
	dst = binary.BigEndian.AppendUint64(appendGen(dst, tagEthLinkDetail, k.Gen), uint64(k.From))
	return binary.BigEndian.AppendUint64(dst, uint64(k.To))
}

// DecodeEthLinkDetailKey decodes a link detail key.
func DecodeEthLinkDetailKey(b []byte) (EthLinkDetailKey, error) {
	if err := decodeFixed("eth link detail", tagEthLinkDetail, b, 21); err != nil {
		return EthLinkDetailKey{}, err
	}
	return EthLinkDetailKey{Gen: binary.BigEndian.Uint32(b[1:]), From: AddrID(binary.BigEndian.Uint64(b[5:])),
		To: AddrID(binary.BigEndian.Uint64(b[13:]))}, nil
}

// EthLinkDetail is the evidence of an Ethereum merge beyond its link row:
// the merge's transaction Tx moved In, and the transaction Via that made
// the rule fire moved Out, Gap blocks apart. For a deposit-address merge,
// Tx is the user's payment into the deposit address and Via the deposit
// address's forward to the exchange Hub. For an airdrop merge, Tx is the
// claimer's transfer to the collector and Via the distributor Hub's
// transfer to the claimer, both of the token Asset.
//
// Layout: rule u8 | tx uvarint | via uvarint | hub addrID uvarint |
// asset addrID uvarint (0 for ether) | in big | out big | gap uvarint.
type EthLinkDetail struct {
	Rule    uint8
	Tx, Via TxNum
	Hub     AddrID
	Asset   AddrID
	In, Out *big.Int // the amounts of Tx and Via
	Gap     uint64
}

// Encode appends the record to dst.
func (r *EthLinkDetail) Encode(dst []byte) []byte {
	dst = append(dst, r.Rule)
	dst = binary.AppendUvarint(dst, uint64(r.Tx))
	dst = binary.AppendUvarint(dst, uint64(r.Via))
	dst = binary.AppendUvarint(dst, uint64(r.Hub))
	dst = binary.AppendUvarint(dst, uint64(r.Asset))
	dst = appendBig(dst, r.In)
	dst = appendBig(dst, r.Out)
	return binary.AppendUvarint(dst, r.Gap)
}

// DecodeEthLinkDetail decodes a link detail value.
func DecodeEthLinkDetail(b []byte) (EthLinkDetail, error) {
	r := recordReader{table: "eth link detail", b: b}
	var v EthLinkDetail
	v.Rule = r.u8()
	v.Tx = TxNum(r.uvarint())
	v.Via = TxNum(r.uvarint())
	v.Hub = AddrID(r.uvarint())
	v.Asset = AddrID(r.uvarint())
	v.In = r.bigInt()
	v.Out = r.bigInt()
	v.Gap = r.uvarint()
	return v, r.done()
}

// PutEthLinkDetail records, in both directions, the detail of the merge
// of the clusters of a and c in generation gen.
func (b *Batch) PutEthLinkDetail(gen uint32, a, c AddrID, d *EthLinkDetail) {
	b.val = d.Encode(b.val[:0])
	b.key = MakeEthLinkDetailKey(gen, a, c).Encode(b.key[:0])
	b.set(b.key, b.val)
	b.key = MakeEthLinkDetailKey(gen, c, a).Encode(b.key[:0])
	b.set(b.key, b.val)
}

// DeleteEthLinkDetails removes every link detail of generation gen.
func (b *Batch) DeleteEthLinkDetails(gen uint32) error {
	lo := appendGen(nil, tagEthLinkDetail, gen)
	if err := b.deleteRange(lo, prefixUpperBound(lo)); err != nil {
		return fmt.Errorf("storage: delete eth link details of generation %d: %w", gen, err)
	}
	return nil
}

// EthLinkDetail returns the detail of the merge from a to b in generation
// gen, or ErrNotFound.
func (db *DB) EthLinkDetail(gen uint32, a, b AddrID) (EthLinkDetail, error) {
	v, err := db.get(MakeEthLinkDetailKey(gen, a, b).Encode(nil))
	if err != nil {
		return EthLinkDetail{}, fmt.Errorf("eth link detail %d-%d in generation %d: %w", a, b, gen, err)
	}
	return DecodeEthLinkDetail(v)
}

// DeleteEthLinkDetail removes, in both directions, the detail of the merge
// of a and c in generation gen.
func (b *Batch) DeleteEthLinkDetail(gen uint32, a, c AddrID) {
	b.key = MakeEthLinkDetailKey(gen, a, c).Encode(b.key[:0])
	b.del(b.key)
	b.key = MakeEthLinkDetailKey(gen, c, a).Encode(b.key[:0])
	b.del(b.key)
}
