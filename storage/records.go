package storage

import (
	"encoding/binary"
	"fmt"
)

// recordReader decodes the fields of a value in order and remembers the
// first error, so decoders read like the layout they implement.
type recordReader struct {
	table string
	b     []byte
	off   int
	err   error
}

func (r *recordReader) fail() {
	if r.err == nil {
		r.err = fmt.Errorf("storage: %s record truncated or malformed at byte %d of %d: %w", r.table, r.off, len(r.b), ErrCorruption)
	}
}

func (r *recordReader) bytes(n int) []byte {
	if r.err != nil || n < 0 || len(r.b)-r.off < n {
		r.fail()
		return nil
	}
	v := r.b[r.off : r.off+n]
	r.off += n
	return v
}

func (r *recordReader) u8() uint8 {
	if v := r.bytes(1); v != nil {
		return v[0]
	}
	return 0
}

func (r *recordReader) u32() uint32 {
	if v := r.bytes(4); v != nil {
		return binary.BigEndian.Uint32(v)
	}
	return 0
}

func (r *recordReader) u64() uint64 {
	if v := r.bytes(8); v != nil {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

func (r *recordReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b[r.off:])
	// Only the shortest encoding is valid, so each value has one form.
	if n <= 0 || (n > 1 && r.b[r.off+n-1] == 0) {
		r.fail()
		return 0
	}
	r.off += n
	return v
}

// uvarint32 reads a uvarint that must fit in 32 bits.
func (r *recordReader) uvarint32() uint32 {
	v := r.uvarint()
	if v > 1<<32-1 {
		r.fail()
		return 0
	}
	return uint32(v)
}

func (r *recordReader) hash() (h [32]byte) {
	copy(h[:], r.bytes(32))
	return h
}

// count reads a length that must leave at least min bytes per element.
func (r *recordReader) count(min int) int {
	n := r.uvarint()
	if r.err == nil && (n > uint64(len(r.b)) || int(n)*min > len(r.b)-r.off) {
		r.fail()
		return 0
	}
	return int(n)
}

// done reports the first error, or an error if bytes are left over.
func (r *recordReader) done() error {
	if r.err == nil && r.off != len(r.b) {
		r.err = fmt.Errorf("storage: %s record has %d trailing bytes: %w", r.table, len(r.b)-r.off, ErrCorruption)
	}
	return r.err
}

// BlockRecord is the value of the block table.
//
// Layout: hash [32] | prev [32] | time u32 | firstTxNum u64 | numTx u32 |
// size u32 | weight u32 | firstAddrID u64 | fees u64.
type BlockRecord struct {
	Hash        [32]byte
	Prev        [32]byte
	Time        uint32
	FirstTxNum  TxNum
	NumTx       uint32
	Size        uint32
	Weight      uint32
	FirstAddrID AddrID // the first address number given out in this block
	Fees        uint64 // sum of the fees of the block's transactions, in satoshi
}

const blockRecordLen = 32 + 32 + 4 + 8 + 4 + 4 + 4 + 8 + 8

// Encode appends the record to dst.
func (r *BlockRecord) Encode(dst []byte) []byte {
	dst = append(dst, r.Hash[:]...)
	dst = append(dst, r.Prev[:]...)
	dst = binary.BigEndian.AppendUint32(dst, r.Time)
	dst = binary.BigEndian.AppendUint64(dst, uint64(r.FirstTxNum))
	dst = binary.BigEndian.AppendUint32(dst, r.NumTx)
	dst = binary.BigEndian.AppendUint32(dst, r.Size)
	dst = binary.BigEndian.AppendUint32(dst, r.Weight)
	dst = binary.BigEndian.AppendUint64(dst, uint64(r.FirstAddrID))
	return binary.BigEndian.AppendUint64(dst, r.Fees)
}

// DecodeBlockRecord decodes a block table value.
func DecodeBlockRecord(b []byte) (BlockRecord, error) {
	r := recordReader{table: "block", b: b}
	var v BlockRecord
	v.Hash = r.hash()
	v.Prev = r.hash()
	v.Time = r.u32()
	v.FirstTxNum = TxNum(r.u64())
	v.NumTx = r.u32()
	v.Size = r.u32()
	v.Weight = r.u32()
	v.FirstAddrID = AddrID(r.u64())
	v.Fees = r.u64()
	return v, r.done()
}

// TxFlags are bits of a TxRecord.
type TxFlags uint8

// Transaction flags. Part of the file format.
const (
	// TxCoinbase marks the first transaction of a block.
	TxCoinbase TxFlags = 1 << 0
	// TxWitness marks a transaction serialized with witness data.
	TxWitness TxFlags = 1 << 1
)

// TxRecord is the value of the transaction table.
//
// Layout: txid [32] | height u32 | index u32 | flags u8 | size uvarint |
// vsize uvarint | fee uvarint | numIn uvarint | numOut uvarint.
type TxRecord struct {
	Txid   [32]byte
	Height uint32
	Index  uint32 // position in the block
	Flags  TxFlags
	Size   uint32 // serialized size with witness, in bytes
	VSize  uint32 // virtual size, in vbytes
	Fee    uint64 // in satoshi; 0 for a coinbase
	NumIn  uint32
	NumOut uint32
}

// Encode appends the record to dst.
func (r *TxRecord) Encode(dst []byte) []byte {
	dst = append(dst, r.Txid[:]...)
	dst = binary.BigEndian.AppendUint32(dst, r.Height)
	dst = binary.BigEndian.AppendUint32(dst, r.Index)
	dst = append(dst, byte(r.Flags))
	dst = binary.AppendUvarint(dst, uint64(r.Size))
	dst = binary.AppendUvarint(dst, uint64(r.VSize))
	dst = binary.AppendUvarint(dst, r.Fee)
	dst = binary.AppendUvarint(dst, uint64(r.NumIn))
	return binary.AppendUvarint(dst, uint64(r.NumOut))
}

// DecodeTxRecord decodes a transaction table value.
func DecodeTxRecord(b []byte) (TxRecord, error) {
	r := recordReader{table: "tx", b: b}
	var v TxRecord
	v.Txid = r.hash()
	v.Height = r.u32()
	v.Index = r.u32()
	v.Flags = TxFlags(r.u8())
	v.Size = r.uvarint32()
	v.VSize = r.uvarint32()
	v.Fee = r.uvarint()
	v.NumIn = r.uvarint32()
	v.NumOut = r.uvarint32()
	return v, r.done()
}

// Output is one output in an OutputsRecord.
type Output struct {
	Value  uint64 // in satoshi
	Class  uint8  // script class, as chains/bitcoin.ScriptClass
	AddrID AddrID // 0 when the script has no address
	// Script is kept only for outputs without an address (OP_RETURN data,
	// non-standard scripts), so that nothing is dropped.
	Script []byte
}

// OutputsRecord is the value of the outputs table: every output of one
// transaction.
//
// Layout: count uvarint, then per output: value uvarint | class u8 |
// addrID uvarint | (only when addrID is 0) script length uvarint, script.
type OutputsRecord []Output

// Encode appends the record to dst.
func (r OutputsRecord) Encode(dst []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(r)))
	for i := range r {
		o := &r[i]
		dst = binary.AppendUvarint(dst, o.Value)
		dst = append(dst, o.Class)
		dst = binary.AppendUvarint(dst, uint64(o.AddrID))
		if o.AddrID == 0 {
			dst = binary.AppendUvarint(dst, uint64(len(o.Script)))
			dst = append(dst, o.Script...)
		}
	}
	return dst
}

// DecodeOutputsRecord decodes an outputs table value. Scripts alias b.
func DecodeOutputsRecord(b []byte) (OutputsRecord, error) {
	r := recordReader{table: "outputs", b: b}
	n := r.count(3)
	v := make(OutputsRecord, n)
	for i := range v {
		v[i].Value = r.uvarint()
		v[i].Class = r.u8()
		v[i].AddrID = AddrID(r.uvarint())
		if v[i].AddrID == 0 {
			v[i].Script = r.bytes(int(r.uvarint()))
		}
	}
	return v, r.done()
}

// Input is one input in an InputsRecord, with the output it spends
// resolved: the spent output's address and value are copied here so that
// tracing backwards and undoing a block need no further reads.
type Input struct {
	PrevTxNum TxNum
	PrevVout  uint32
	AddrID    AddrID // address of the spent output, 0 if none
	Value     uint64 // value of the spent output, in satoshi
}

// InputsRecord is the value of the inputs table: every input of one
// non-coinbase transaction (coinbase transactions have no row).
//
// Layout: count uvarint, then per input: prevTxNum uvarint | prevVout
// uvarint | addrID uvarint | value uvarint.
type InputsRecord []Input

// Encode appends the record to dst.
func (r InputsRecord) Encode(dst []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(r)))
	for i := range r {
		in := &r[i]
		dst = binary.AppendUvarint(dst, uint64(in.PrevTxNum))
		dst = binary.AppendUvarint(dst, uint64(in.PrevVout))
		dst = binary.AppendUvarint(dst, uint64(in.AddrID))
		dst = binary.AppendUvarint(dst, in.Value)
	}
	return dst
}

// DecodeInputsRecord decodes an inputs table value.
func DecodeInputsRecord(b []byte) (InputsRecord, error) {
	r := recordReader{table: "inputs", b: b}
	n := r.count(4)
	v := make(InputsRecord, n)
	for i := range v {
		v[i].PrevTxNum = TxNum(r.uvarint())
		v[i].PrevVout = r.uvarint32()
		v[i].AddrID = AddrID(r.uvarint())
		v[i].Value = r.uvarint()
	}
	return v, r.done()
}

// Spender is the value of the spend table: the input that spent an output.
//
// Layout: txNum u64 | vin u32.
type Spender struct {
	TxNum TxNum
	Vin   uint32
}

// Encode appends the value to dst.
func (s Spender) Encode(dst []byte) []byte {
	return binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint64(dst, uint64(s.TxNum)), s.Vin)
}

// DecodeSpender decodes a spend table value.
func DecodeSpender(b []byte) (Spender, error) {
	r := recordReader{table: "spend", b: b}
	s := Spender{TxNum: TxNum(r.u64()), Vin: r.u32()}
	return s, r.done()
}

// AddrRecord is the value of the address id table: the address itself.
//
// Layout: class u8 | payload.
type AddrRecord struct {
	Class   uint8
	Payload []byte
}

// Encode appends the record to dst.
func (r AddrRecord) Encode(dst []byte) []byte { return append(append(dst, r.Class), r.Payload...) }

// DecodeAddrRecord decodes an address id table value. Payload aliases b.
func DecodeAddrRecord(b []byte) (AddrRecord, error) {
	if len(b) < 1 || len(b)-1 > MaxAddrPayload {
		return AddrRecord{}, fmt.Errorf("storage: address record of %d bytes: %w", len(b), ErrCorruption)
	}
	return AddrRecord{Class: b[0], Payload: b[1:]}, nil
}

// PostingValue is the value of an address index row: the total amount the
// address received (or spent) in the transaction and over how many outputs
// (or inputs).
//
// Layout: amount uvarint | count uvarint.
type PostingValue struct {
	Amount uint64
	Count  uint32
}

// Encode appends the value to dst.
func (p PostingValue) Encode(dst []byte) []byte {
	return binary.AppendUvarint(binary.AppendUvarint(dst, p.Amount), uint64(p.Count))
}

// DecodePostingValue decodes an address index value.
func DecodePostingValue(b []byte) (PostingValue, error) {
	r := recordReader{table: "posting", b: b}
	p := PostingValue{Amount: r.uvarint(), Count: r.uvarint32()}
	return p, r.done()
}

// ChainState is the running state of the index after its tip block: the
// next numbers to give out and the totals reported by stats. It is stored
// under the meta key "state" and, as it was before each block, in that
// block's undo record.
//
// Layout: version u8 (1) | then each field as uvarint in declaration order.
type ChainState struct {
	NextTxNum   TxNum
	NextAddrID  AddrID
	Blocks      uint64
	Txs         uint64
	Inputs      uint64
	Outputs     uint64
	Addresses   uint64
	NullData    uint64 // OP_RETURN outputs
	NonStandard uint64 // outputs whose script has no standard form
	NoAddress   uint64 // outputs kept without an address (NullData + NonStandard + others)
	Fees        uint64 // total fees, in satoshi
	Minted      uint64 // total coinbase output value, in satoshi
	Unspendable uint64 // value sent to outputs without an address, in satoshi
}

const chainStateVersion = 1

func (s *ChainState) fields() []*uint64 {
	return []*uint64{
		(*uint64)(&s.NextTxNum), (*uint64)(&s.NextAddrID), &s.Blocks, &s.Txs, &s.Inputs, &s.Outputs,
		&s.Addresses, &s.NullData, &s.NonStandard, &s.NoAddress, &s.Fees, &s.Minted, &s.Unspendable,
	}
}

// Encode appends the state to dst.
func (s *ChainState) Encode(dst []byte) []byte {
	dst = append(dst, chainStateVersion)
	for _, f := range s.fields() {
		dst = binary.AppendUvarint(dst, *f)
	}
	return dst
}

// DecodeChainState decodes a state value.
func DecodeChainState(b []byte) (ChainState, error) {
	r := recordReader{table: "state", b: b}
	var s ChainState
	if v := r.u8(); r.err == nil && v != chainStateVersion {
		return s, fmt.Errorf("storage: state record version %d, want %d: %w", v, chainStateVersion, ErrCorruption)
	}
	for _, f := range s.fields() {
		*f = r.uvarint()
	}
	return s, r.done()
}

// UndoRecord is the value of the undo table. Everything a block wrote is
// keyed by numbers the block's own records name (its transactions, their
// inputs and outputs, the addresses numbered from FirstAddrID on), so
// disconnecting a block needs only the state to restore.
//
// Layout: the ChainState as it was before the block.
type UndoRecord struct {
	Before ChainState
}

// Encode appends the record to dst.
func (u *UndoRecord) Encode(dst []byte) []byte { return u.Before.Encode(dst) }

// DecodeUndoRecord decodes an undo table value.
func DecodeUndoRecord(b []byte) (UndoRecord, error) {
	s, err := DecodeChainState(b)
	if err != nil {
		return UndoRecord{}, fmt.Errorf("storage: undo record: %w", err)
	}
	return UndoRecord{Before: s}, nil
}

// Tip is the last block an index has connected.
//
// Layout: height u32 | hash [32].
type Tip struct {
	Height uint32
	Hash   [32]byte
}

// Encode appends the tip to dst.
func (t Tip) Encode(dst []byte) []byte {
	return append(binary.BigEndian.AppendUint32(dst, t.Height), t.Hash[:]...)
}

// DecodeTip decodes a tip value.
func DecodeTip(b []byte) (Tip, error) {
	r := recordReader{table: "tip", b: b}
	t := Tip{Height: r.u32(), Hash: r.hash()}
	return t, r.done()
}
