package storage

import (
	"encoding/binary"
)

// Ethereum table tags. The Ethereum index is its own database (at
// <datadir>/ethereum, stamped "ethereum"); it reuses the generic tags m, B,
// b, T, t and U with Ethereum records and adds these. They are part of the
// file format and must not be changed.
const (
	tagEthTransfer byte = 'Y' // Y txNum u64 seq u32                      -> EthTransferRecord
	tagEthSkip     byte = 'y' // y txNum u64 log u32                      -> reason (UTF-8)
	tagEthAddr     byte = 'W' // W address [20]                           -> addrID u64
	tagEthAddrID   byte = 'w' // w addrID u64                             -> address [20]
	tagEthPosting  byte = 'P' // P addrID u64 txNum u64 seq u32 role u8   -> (empty)
	tagEthToken    byte = 'Q' // Q addrID u64                             -> EthTokenRecord
)

// Ethereum metadata names (under tag m).
const (
	metaEthState = "eth/state" // EthState
)

// EthTransferKey addresses transfer edge Seq of transaction TxNum.
type EthTransferKey struct {
	TxNum TxNum
	Seq   uint32
}

// Encode appends the key to dst.
func (k EthTransferKey) Encode(dst []byte) []byte {
	dst = binary.BigEndian.AppendUint64(append(dst, tagEthTransfer), uint64(k.TxNum))
	return binary.BigEndian.AppendUint32(dst, k.Seq)
}

// DecodeEthTransferKey decodes a transfer table key.
func DecodeEthTransferKey(b []byte) (EthTransferKey, error) {
	if err := decodeFixed("eth transfer", tagEthTransfer, b, 13); err != nil {
		return EthTransferKey{}, err
	}
	return EthTransferKey{TxNum: TxNum(binary.BigEndian.Uint64(b[1:])), Seq: binary.BigEndian.Uint32(b[9:])}, nil
}

// EthSkipKey addresses a token log that could not be decoded.
type EthSkipKey struct {
	TxNum TxNum
	Log   uint32
}

// Encode appends the key to dst.
func (k EthSkipKey) Encode(dst []byte) []byte {
	dst = binary.BigEndian.AppendUint64(append(dst, tagEthSkip), uint64(k.TxNum))
	return binary.BigEndian.AppendUint32(dst, k.Log)
}

// DecodeEthSkipKey decodes a skip table key.
func DecodeEthSkipKey(b []byte) (EthSkipKey, error) {
	if err := decodeFixed("eth skip", tagEthSkip, b, 13); err != nil {
		return EthSkipKey{}, err
	}
	return EthSkipKey{TxNum: TxNum(binary.BigEndian.Uint64(b[1:])), Log: binary.BigEndian.Uint32(b[9:])}, nil
}

// EthAddrKey maps a 20-byte account address to its number.
type EthAddrKey struct{ Addr [20]byte }

// Encode appends the key to dst.
func (k EthAddrKey) Encode(dst []byte) []byte { return append(append(dst, tagEthAddr), k.Addr[:]...) }

// DecodeEthAddrKey decodes an address table key.
func DecodeEthAddrKey(b []byte) (EthAddrKey, error) {
	if err := decodeFixed("eth address", tagEthAddr, b, 21); err != nil {
		return EthAddrKey{}, err
	}
	var k EthAddrKey
	copy(k.Addr[:], b[1:])
	return k, nil
}

// EthAddrIDKey maps an address number back to the address.
type EthAddrIDKey struct{ AddrID AddrID }

// Encode appends the key to dst.
func (k EthAddrIDKey) Encode(dst []byte) []byte {
	return binary.BigEndian.AppendUint64(append(dst, tagEthAddrID), uint64(k.AddrID))
}

// DecodeEthAddrIDKey decodes an address number key.
func DecodeEthAddrIDKey(b []byte) (EthAddrIDKey, error) {
	if err := decodeFixed("eth address id", tagEthAddrID, b, 9); err != nil {
		return EthAddrIDKey{}, err
	}
	return EthAddrIDKey{AddrID: AddrID(binary.BigEndian.Uint64(b[1:]))}, nil
}

// EthPostingKey is one row of the Ethereum address index: address AddrID
// sent (RoleSpend) or received (RoleReceive) transfer edge (TxNum, Seq).
// An edge from an address to itself has both rows.
type EthPostingKey struct {
	AddrID AddrID
	TxNum  TxNum
	Seq    uint32
	Role   Role
}

// Encode appends the key to dst.
func (k EthPostingKey) Encode(dst []byte) []byte {
	dst = binary.BigEndian.AppendUint64(append(dst, tagEthPosting), uint64(k.AddrID))
	dst = binary.BigEndian.AppendUint64(dst, uint64(k.TxNum))
	dst = binary.BigEndian.AppendUint32(dst, k.Seq)
	return append(dst, byte(k.Role))
}

// DecodeEthPostingKey decodes an address index key.
func DecodeEthPostingKey(b []byte) (EthPostingKey, error) {
	if err := decodeFixed("eth posting", tagEthPosting, b, 22); err != nil {
		return EthPostingKey{}, err
	}
	return EthPostingKey{AddrID: AddrID(binary.BigEndian.Uint64(b[1:])), TxNum: TxNum(binary.BigEndian.Uint64(b[9:])),
		Seq: binary.BigEndian.Uint32(b[17:]), Role: Role(b[21])}, nil
}

// EthTokenKey addresses the metadata of the token contract AddrID.
type EthTokenKey struct{ AddrID AddrID }

// Encode appends the key to dst.
func (k EthTokenKey) Encode(dst []byte) []byte {
	return binary.BigEndian.AppendUint64(append(dst, tagEthToken), uint64(k.AddrID))
}

// DecodeEthTokenKey decodes a token metadata key.
func DecodeEthTokenKey(b []byte) (EthTokenKey, error) {
	if err := decodeFixed("eth token", tagEthToken, b, 9); err != nil {
		return EthTokenKey{}, err
	}
	return EthTokenKey{AddrID: AddrID(binary.BigEndian.Uint64(b[1:]))}, nil
}
