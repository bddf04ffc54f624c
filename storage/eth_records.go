package storage

import (
	"encoding/binary"
	"fmt"
	"math/big"
)

// maxU256Len is the widest amount a record holds: 256 bits.
const maxU256Len = 32

// appendBig appends a non-negative integer of at most 256 bits as a
// uvarint byte count and its big-endian bytes without leading zeros. Nil
// and zero are written as a zero count.
func appendBig(dst []byte, v *big.Int) []byte {
	if v == nil || v.Sign() == 0 {
		return append(dst, 0)
	}
	n := (v.BitLen() + 7) / 8
	dst = binary.AppendUvarint(dst, uint64(n))
	start := len(dst)
	dst = append(dst, make([]byte, n)...)
	v.FillBytes(dst[start:])
	return dst
}

// bigInt reads an integer written by appendBig.
func (r *recordReader) bigInt() *big.Int {
	n := r.uvarint()
	if n > maxU256Len {
		r.fail()
		return new(big.Int)
	}
	b := r.bytes(int(n))
	if n > 0 && b != nil && b[0] == 0 {
		r.fail() // one form per value: no leading zeros
	}
	return new(big.Int).SetBytes(b)
}

func (r *recordReader) addr() (a [20]byte) {
	copy(a[:], r.bytes(20))
	return a
}

// EthBlockRecord is the value of the block table (B) in the Ethereum
// index.
//
// Layout: hash [32] | parent [32] | time uvarint | firstTxNum u64 |
// numTx uvarint | firstAddrID u64 | miner addrID uvarint | gasUsed uvarint |
// baseFee big | traced u8 | system u8 (1 when a system transaction holding
// the block's withdrawals and rewards follows its transactions).
type EthBlockRecord struct {
	Hash        [32]byte
	Parent      [32]byte
	Time        uint64
	FirstTxNum  TxNum
	NumTx       uint32 // transactions, not counting the system transaction
	FirstAddrID AddrID
	Miner       AddrID
	GasUsed     uint64
	BaseFee     *big.Int
	Traced      uint8 // ethereum.TraceMode
	System      bool
}

// Encode appends the record to dst.
func (r *EthBlockRecord) Encode(dst []byte) []byte {
	dst = append(dst, r.Hash[:]...)
	dst = append(dst, r.Parent[:]...)
	dst = binary.AppendUvarint(dst, r.Time)
	dst = binary.BigEndian.AppendUint64(dst, uint64(r.FirstTxNum))
	dst = binary.AppendUvarint(dst, uint64(r.NumTx))
	dst = binary.BigEndian.AppendUint64(dst, uint64(r.FirstAddrID))
	dst = binary.AppendUvarint(dst, uint64(r.Miner))
	dst = binary.AppendUvarint(dst, r.GasUsed)
	dst = appendBig(dst, r.BaseFee)
	sys := byte(0)
	if r.System {
		sys = 1
	}
	return append(dst, r.Traced, sys)
}

// DecodeEthBlockRecord decodes a block table value of the Ethereum index.
func DecodeEthBlockRecord(b []byte) (EthBlockRecord, error) {
	r := recordReader{table: "eth block", b: b}
	var v EthBlockRecord
	v.Hash = r.hash()
	v.Parent = r.hash()
	v.Time = r.uvarint()
	v.FirstTxNum = TxNum(r.u64())
	v.NumTx = r.uvarint32()
	v.FirstAddrID = AddrID(r.u64())
	v.Miner = AddrID(r.uvarint())
	v.GasUsed = r.uvarint()
	v.BaseFee = r.bigInt()
	v.Traced = r.u8()
	sys := r.u8()
	if sys > 1 {
		r.fail()
	}
	v.System = sys == 1
	return v, r.done()
}

// EthTxFlags describe an Ethereum transaction.
type EthTxFlags uint8

// Flag bits, part of the file format.
const (
	// EthTxFailed marks a transaction whose receipt status is 0: it paid
	// its fee and moved nothing else.
	EthTxFailed EthTxFlags = 1 << 0
	// EthTxCreate marks a contract creation (To is the new contract).
	EthTxCreate EthTxFlags = 1 << 1
	// EthTxSystem marks the system transaction of a block: not a real
	// transaction, it holds the block's withdrawals and rewards.
	EthTxSystem EthTxFlags = 1 << 2
)

// EthTxRecord is the value of the transaction table (T) in the Ethereum
// index.
//
// Layout: hash [32] | height u32 | index uvarint | flags u8 |
// from addrID uvarint | to addrID uvarint | value big | gasUsed uvarint |
// fee big | transfers uvarint.
type EthTxRecord struct {
	Hash      [32]byte
	Height    uint32
	Index     uint32
	Flags     EthTxFlags
	From, To  AddrID
	Value     *big.Int
	GasUsed   uint64
	Fee       *big.Int // gasUsed × effective gas price, including the burnt part
	Transfers uint32   // transfer edges, numbered 0..Transfers-1
}

// Encode appends the record to dst.
func (r *EthTxRecord) Encode(dst []byte) []byte {
	dst = append(dst, r.Hash[:]...)
	dst = binary.BigEndian.AppendUint32(dst, r.Height)
	dst = binary.AppendUvarint(dst, uint64(r.Index))
	dst = append(dst, byte(r.Flags))
	dst = binary.AppendUvarint(dst, uint64(r.From))
	dst = binary.AppendUvarint(dst, uint64(r.To))
	dst = appendBig(dst, r.Value)
	dst = binary.AppendUvarint(dst, r.GasUsed)
	dst = appendBig(dst, r.Fee)
	return binary.AppendUvarint(dst, uint64(r.Transfers))
}

// DecodeEthTxRecord decodes a transaction table value of the Ethereum
// index.
func DecodeEthTxRecord(b []byte) (EthTxRecord, error) {
	r := recordReader{table: "eth tx", b: b}
	var v EthTxRecord
	v.Hash = r.hash()
	v.Height = r.u32()
	v.Index = r.uvarint32()
	v.Flags = EthTxFlags(r.u8())
	v.From = AddrID(r.uvarint())
	v.To = AddrID(r.uvarint())
	v.Value = r.bigInt()
	v.GasUsed = r.uvarint()
	v.Fee = r.bigInt()
	v.Transfers = r.uvarint32()
	return v, r.done()
}

// EthTransferRecord is one transfer edge (Y).
//
// Layout: kind u8 | flags u8 (bit 0 mint: no sender; bit 1 sink: no
// receiver; bit 2 has token id) | from addrID uvarint | to addrID uvarint |
// asset addrID uvarint (0 for ether) | amount big | [tokenID big] |
// log uvarint (the log's block position + 1, or 0).
type EthTransferRecord struct {
	Kind     uint8 // ethereum.Kind
	Mint     bool
	Sink     bool
	From, To AddrID // 0 for a mint's sender and a sink's receiver
	Asset    AddrID
	Amount   *big.Int
	TokenID  *big.Int
	Log      int64 // -1 when the edge did not come from a log
}

// Encode appends the record to dst.
func (r *EthTransferRecord) Encode(dst []byte) []byte {
	var f byte
	if r.Mint {
		f |= 1
	}
	if r.Sink {
		f |= 2
	}
	if r.TokenID != nil {
		f |= 4
	}
	dst = append(dst, r.Kind, f)
	dst = binary.AppendUvarint(dst, uint64(r.From))
	dst = binary.AppendUvarint(dst, uint64(r.To))
	dst = binary.AppendUvarint(dst, uint64(r.Asset))
	dst = appendBig(dst, r.Amount)
	if r.TokenID != nil {
		dst = appendBig(dst, r.TokenID)
	}
	return binary.AppendUvarint(dst, uint64(r.Log+1))
}

// DecodeEthTransferRecord decodes a transfer row.
func DecodeEthTransferRecord(b []byte) (EthTransferRecord, error) {
	r := recordReader{table: "eth transfer", b: b}
	var v EthTransferRecord
	v.Kind = r.u8()
	f := r.u8()
	if f > 7 {
		r.fail()
	}
	v.Mint, v.Sink = f&1 != 0, f&2 != 0
	v.From = AddrID(r.uvarint())
	v.To = AddrID(r.uvarint())
	v.Asset = AddrID(r.uvarint())
	v.Amount = r.bigInt()
	if f&4 != 0 {
		v.TokenID = r.bigInt()
	}
	v.Log = int64(r.uvarint32()) - 1
	return v, r.done()
}

// EthTokenRecord is a token contract's metadata (Q), fetched once.
//
// Layout: flags u8 (bit 0 has decimals) | decimals u8 | symbol len uvarint,
// bytes | name len uvarint, bytes.
type EthTokenRecord struct {
	Symbol      string
	Name        string
	Decimals    uint8
	HasDecimals bool
}

// Encode appends the record to dst.
func (r *EthTokenRecord) Encode(dst []byte) []byte {
	var f byte
	if r.HasDecimals {
		f = 1
	}
	dst = append(dst, f, r.Decimals)
	dst = binary.AppendUvarint(dst, uint64(len(r.Symbol)))
	dst = append(dst, r.Symbol...)
	dst = binary.AppendUvarint(dst, uint64(len(r.Name)))
	return append(dst, r.Name...)
}

// DecodeEthTokenRecord decodes a token metadata row.
func DecodeEthTokenRecord(b []byte) (EthTokenRecord, error) {
	r := recordReader{table: "eth token", b: b}
	var v EthTokenRecord
	f := r.u8()
	if f > 1 {
		r.fail()
	}
	v.HasDecimals = f == 1
	v.Decimals = r.u8()
	v.Symbol = string(r.bytes(r.count(1)))
	v.Name = string(r.bytes(r.count(1)))
	return v, r.done()
}

// EthState is the Ethereum index's running state after its tip block.
type EthState struct {
	NextTxNum      TxNum
	NextAddrID     AddrID
	Blocks         uint64
	Txs            uint64 // real transactions, not system ones
	FailedTxs      uint64
	Transfers      uint64
	Addresses      uint64
	Tokens         uint64 // token contracts with a metadata row
	SkippedLogs    uint64 // token logs that could not be decoded
	UntracedBlocks uint64 // blocks with transactions indexed without call traces
}

func (s *EthState) fields() []*uint64 {
	return []*uint64{(*uint64)(&s.NextTxNum), (*uint64)(&s.NextAddrID), &s.Blocks, &s.Txs, &s.FailedTxs,
		&s.Transfers, &s.Addresses, &s.Tokens, &s.SkippedLogs, &s.UntracedBlocks}
}

// Encode appends the state to dst: its fields as uvarints, in order.
func (s *EthState) Encode(dst []byte) []byte {
	for _, f := range s.fields() {
		dst = binary.AppendUvarint(dst, *f)
	}
	return dst
}

// DecodeEthState decodes an Ethereum state value.
func DecodeEthState(b []byte) (EthState, error) {
	r := recordReader{table: "eth state", b: b}
	var s EthState
	for _, f := range s.fields() {
		*f = r.uvarint()
	}
	return s, r.done()
}

// EthUndoRecord is what disconnecting an Ethereum block needs beyond its
// rows: the state before it and the token metadata rows it wrote.
//
// Layout: state length uvarint | EthState | tokens uvarint | addrID u64...
type EthUndoRecord struct {
	Before EthState
	Tokens []AddrID
}

// Encode appends the record to dst.
func (u *EthUndoRecord) Encode(dst []byte) []byte {
	st := u.Before.Encode(nil)
	dst = binary.AppendUvarint(dst, uint64(len(st)))
	dst = append(dst, st...)
	dst = binary.AppendUvarint(dst, uint64(len(u.Tokens)))
	for _, id := range u.Tokens {
		dst = binary.BigEndian.AppendUint64(dst, uint64(id))
	}
	return dst
}

// DecodeEthUndoRecord decodes an Ethereum undo record.
func DecodeEthUndoRecord(b []byte) (EthUndoRecord, error) {
	r := recordReader{table: "eth undo", b: b}
	var u EthUndoRecord
	st := r.bytes(r.count(1))
	if r.err == nil {
		s, err := DecodeEthState(st)
		if err != nil {
			return u, fmt.Errorf("eth undo: %w", err)
		}
		u.Before = s
	}
	n := r.count(8)
	for range n {
		u.Tokens = append(u.Tokens, AddrID(r.u64()))
	}
	return u, r.done()
}
