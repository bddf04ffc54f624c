package storage

import (
	"encoding/binary"
)

// Tables of the change-spend/1 clustering rule. The rule decides which
// output of a transaction is change only once the outputs are spent, so
// it keeps a plan per candidate transaction until then, with undo rows per
// height. Both tables start their keys with a cluster generation. These
// constants are part of the file format, and must not be changed.
const (
	tagSpendPlan     byte = 'c' // c gen u32 txNum u64 -> SpendPlan
	tagSpendPlanUndo byte = 'g' // g gen u32 height u32 txNum u64 -> SpendPlan before the block, or empty if it had none
)

// SpendPlanKey addresses the pending plan of transaction TxNum in one
// cluster generation.
type SpendPlanKey struct {
	Gen   uint32
	TxNum TxNum
}

// MakeSpendPlanKey returns the key of transaction n's plan.
func MakeSpendPlanKey(gen uint32, n TxNum) SpendPlanKey { return SpendPlanKey{Gen: gen, TxNum: n} }

// Encode appends the key to dst.
func (k SpendPlanKey) Encode(dst []byte) []byte {
	return binary.BigEndian.AppendUint64(appendGen(dst, tagSpendPlan, k.Gen), uint64(k.TxNum))
}

// DecodeSpendPlanKey decodes a spend plan key.
func DecodeSpendPlanKey(b []byte) (SpendPlanKey, error) {
	if err := decodeFixed("spend plan", tagSpendPlan, b, 13); err != nil {
		return SpendPlanKey{}, err
	}
	return SpendPlanKey{Gen: binary.BigEndian.Uint32(b[1:]), TxNum: TxNum(binary.BigEndian.Uint64(b[5:]))}, nil
}

// SpendPlanUndoKey addresses what the block at Height changed in the plan
// of transaction TxNum: the row holds the plan as it was before the block.
type SpendPlanUndoKey struct {
	Gen    uint32
	Height uint32
	TxNum  TxNum
}

// MakeSpendPlanUndoKey returns the undo key of transaction n's plan at
// height h.
func MakeSpendPlanUndoKey(gen, h uint32, n TxNum) SpendPlanUndoKey {
	return SpendPlanUndoKey{Gen: gen, Height: h, TxNum: n}
}

// Encode appends the key to dst.
func (k SpendPlanUndoKey) Encode(dst []byte) []byte {
	dst = binary.BigEndian.AppendUint32(appendGen(dst, tagSpendPlanUndo, k.Gen), k.Height)
	return binary.BigEndian.AppendUint64(dst, uint64(k.TxNum))
}

// DecodeSpendPlanUndoKey decodes a spend plan undo key.
func DecodeSpendPlanUndoKey(b []byte) (SpendPlanUndoKey, error) {
	if err := decodeFixed("spend plan undo", tagSpendPlanUndo, b, 17); err != nil {
		return SpendPlanUndoKey{}, err
	}
	return SpendPlanUndoKey{Gen: binary.BigEndian.Uint32(b[1:]), Height: binary.BigEndian.Uint32(b[5:]),
		TxNum: TxNum(binary.BigEndian.Uint64(b[9:]))}, nil
}

// spendPlanUndoPrefix is the prefix of the undo rows of height h.
func spendPlanUndoPrefix(gen, h uint32) []byte {
	return binary.BigEndian.AppendUint32(appendGen(nil, tagSpendPlanUndo, gen), h)
}

// SpendState is what is known of how one output of a planned transaction
// was spent. The values are part of the file format.
type SpendState uint8

// The spend states.
const (
	// SpendIgnored marks an output without an address: nobody spends it.
	SpendIgnored SpendState = 0
	// SpendUnspent marks an output not spent yet.
	SpendUnspent SpendState = 1
	// SpendSame marks an output spent by a transaction with the creating
	// transaction's wallet fingerprint.
	SpendSame SpendState = 2
	// SpendDiffer marks an output spent by a transaction with another
	// fingerprint.
	SpendDiffer SpendState = 3
)

// SpendPlanOutput is one output of a SpendPlan. Fresh tells whether the
// address appeared in the chain for the first time in the planned
// transaction: only such an output can be taken for change.
type SpendPlanOutput struct {
	Addr  AddrID
	State SpendState
	Fresh bool
}

// SpendPlan is what the change-spend rule keeps about a transaction whose
// outputs are not all spent yet: the wallet fingerprint of the
// transaction, its first input address (the one the change joins) and the
// state of each output.
//
// Layout: fingerprint uvarint | input addrID uvarint | count uvarint, then
// per output: state u8 | fresh u8 | addrID uvarint.
type SpendPlan struct {
	Fingerprint uint64
	Input       AddrID
	Outs        []SpendPlanOutput
}

// Encode appends the record to dst.
func (p *SpendPlan) Encode(dst []byte) []byte {
	dst = binary.AppendUvarint(dst, p.Fingerprint)
	dst = binary.AppendUvarint(dst, uint64(p.Input))
	dst = binary.AppendUvarint(dst, uint64(len(p.Outs)))
	for _, o := range p.Outs {
		fresh := byte(0)
		if o.Fresh {
			fresh = 1
		}
		dst = append(dst, byte(o.State), fresh)
		dst = binary.AppendUvarint(dst, uint64(o.Addr))
	}
	return dst
}

// DecodeSpendPlan decodes a spend plan value.
func DecodeSpendPlan(b []byte) (SpendPlan, error) {
	r := recordReader{table: "spend plan", b: b}
	var p SpendPlan
	p.Fingerprint = r.uvarint()
	p.Input = AddrID(r.uvarint())
	n := r.count(3)
	if n > 0 {
		p.Outs = make([]SpendPlanOutput, n)
	}
	for i := range p.Outs {
		p.Outs[i].State = SpendState(r.u8())
		fresh := r.u8()
		if p.Outs[i].State > SpendDiffer || fresh > 1 {
			r.fail()
		}
		p.Outs[i].Fresh = fresh == 1
		p.Outs[i].Addr = AddrID(r.uvarint())
	}
	return p, r.done()
}
