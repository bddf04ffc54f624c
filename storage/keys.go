package storage

import (
	"encoding/binary"
	"fmt"
)

// TxNum is the dense global number of a confirmed transaction: 0 for the
// genesis coinbase, then one more for each transaction in chain order.
type TxNum uint64

// AddrID is the dense number of an address in order of first sighting. The
// first address gets 1; 0 means "no address".
type AddrID uint64

// Role says which side of a transaction an address index posting records.
type Role uint8

// The roles are part of the on-disk format: never renumber them.
const (
	// RoleReceive marks outputs of the transaction paid to the address.
	RoleReceive Role = 0
	// RoleSpend marks inputs of the transaction that spent the address's
	// coins.
	RoleSpend Role = 1
)

// String returns "receive" or "spend".
func (r Role) String() string {
	switch r {
	case RoleReceive:
		return "receive"
	case RoleSpend:
		return "spend"
	}
	return fmt.Sprintf("role(%d)", uint8(r))
}

// Table tags. Each is the first byte of every key of its table. These
// constants are part of the file format, and must not be changed.
const (
	tagMeta      byte = 'm' // m name                         -> depends on name
	tagBlock     byte = 'B' // B height u32                   -> BlockRecord
	tagBlockHash byte = 'b' // b hash [32]                    -> height u32
	tagTx        byte = 'T' // T txNum u64                    -> TxRecord
	tagTxid      byte = 't' // t txid[0:8] txNum u64          -> (empty)
	tagOutputs   byte = 'O' // O txNum u64                    -> OutputsRecord
	tagInputs    byte = 'I' // I txNum u64                    -> InputsRecord
	tagSpend     byte = 'S' // S txNum u64 vout u32           -> spender txNum u64, vin u32
	tagAddr      byte = 'A' // A class u8 payload             -> addrID u64
	tagAddrID    byte = 'a' // a addrID u64                   -> class u8, payload
	tagAddrLink  byte = 'L' // L addrID u64 linked addrID u64 -> (empty)
	tagPosting   byte = 'X' // X addrID u64 txNum u64 role u8 -> amount uvarint, count uvarint
	tagUndo      byte = 'U' // U height u32                   -> UndoRecord
)

// TxidPrefixLen is how many leading bytes of a txid the txid table keys on.
// Collisions are resolved by comparing the full txid in the TxRecord.
const TxidPrefixLen = 8

// errKey describes a key that does not decode as the expected table's key.
func errKey(table string, b []byte) error {
	return fmt.Errorf("storage: malformed %s key %x: %w", table, b, ErrCorruption)
}

// decodeFixed checks a key's tag and length before a typed decoder reads it.
func decodeFixed(table string, tag byte, b []byte, n int) error {
	if len(b) != n || b[0] != tag {
		return errKey(table, b)
	}
	return nil
}

// BlockKey addresses a block by height in the block table.
type BlockKey struct{ Height uint32 }

// MakeBlockKey returns the key of the block at height h.
func MakeBlockKey(h uint32) BlockKey { return BlockKey{Height: h} }

// Encode appends the key to dst.
func (k BlockKey) Encode(dst []byte) []byte {
	return binary.BigEndian.AppendUint32(append(dst, tagBlock), k.Height)
}

// DecodeBlockKey decodes a block table key.
func DecodeBlockKey(b []byte) (BlockKey, error) {
	if err := decodeFixed("block", tagBlock, b, 5); err != nil {
		return BlockKey{}, err
	}
	return BlockKey{Height: binary.BigEndian.Uint32(b[1:])}, nil
}

// BlockHashKey maps a block hash to its height.
type BlockHashKey struct{ Hash [32]byte }

// MakeBlockHashKey returns the key of block hash h.
func MakeBlockHashKey(h [32]byte) BlockHashKey { return BlockHashKey{Hash: h} }

// Encode appends the key to dst.
func (k BlockHashKey) Encode(dst []byte) []byte {
	return append(append(dst, tagBlockHash), k.Hash[:]...)
}

// DecodeBlockHashKey decodes a block hash table key.
func DecodeBlockHashKey(b []byte) (BlockHashKey, error) {
	if err := decodeFixed("block hash", tagBlockHash, b, 33); err != nil {
		return BlockHashKey{}, err
	}
	var k BlockHashKey
	copy(k.Hash[:], b[1:])
	return k, nil
}

// TxKey addresses a transaction record by number. The outputs and inputs
// tables use the same layout under their own tags.
type TxKey struct{ TxNum TxNum }

// MakeTxKey returns the key of transaction n.
func MakeTxKey(n TxNum) TxKey { return TxKey{TxNum: n} }

// Encode appends the key to dst.
func (k TxKey) Encode(dst []byte) []byte { return appendTxNumKey(dst, tagTx, k.TxNum) }

// DecodeTxKey decodes a transaction table key.
func DecodeTxKey(b []byte) (TxKey, error) {
	n, err := decodeTxNumKey("tx", tagTx, b)
	return TxKey{TxNum: n}, err
}

// OutputsKey addresses the outputs of transaction TxNum.
type OutputsKey struct{ TxNum TxNum }

// MakeOutputsKey returns the key of the outputs of transaction n.
func MakeOutputsKey(n TxNum) OutputsKey { return OutputsKey{TxNum: n} }

// Encode appends the key to dst.
func (k OutputsKey) Encode(dst []byte) []byte { return appendTxNumKey(dst, tagOutputs, k.TxNum) }

// DecodeOutputsKey decodes an outputs table key.
func DecodeOutputsKey(b []byte) (OutputsKey, error) {
	n, err := decodeTxNumKey("outputs", tagOutputs, b)
	return OutputsKey{TxNum: n}, err
}

// InputsKey addresses the inputs of transaction TxNum.
type InputsKey struct{ TxNum TxNum }

// MakeInputsKey returns the key of the inputs of transaction n.
func MakeInputsKey(n TxNum) InputsKey { return InputsKey{TxNum: n} }

// Encode appends the key to dst.
func (k InputsKey) Encode(dst []byte) []byte { return appendTxNumKey(dst, tagInputs, k.TxNum) }

// DecodeInputsKey decodes an inputs table key.
func DecodeInputsKey(b []byte) (InputsKey, error) {
	n, err := decodeTxNumKey("inputs", tagInputs, b)
	return InputsKey{TxNum: n}, err
}

func appendTxNumKey(dst []byte, tag byte, n TxNum) []byte {
	return binary.BigEndian.AppendUint64(append(dst, tag), uint64(n))
}

func decodeTxNumKey(table string, tag byte, b []byte) (TxNum, error) {
	if err := decodeFixed(table, tag, b, 9); err != nil {
		return 0, err
	}
	return TxNum(binary.BigEndian.Uint64(b[1:])), nil
}

// TxidKey is a key-only row of the txid lookup table: the first
// TxidPrefixLen bytes of a txid followed by the transaction's number.
type TxidKey struct {
	Prefix [TxidPrefixLen]byte
	TxNum  TxNum
}

// MakeTxidKey returns the lookup row for txid at number n.
func MakeTxidKey(txid [32]byte, n TxNum) TxidKey {
	var k TxidKey
	copy(k.Prefix[:], txid[:TxidPrefixLen])
	k.TxNum = n
	return k
}

// Encode appends the key to dst.
func (k TxidKey) Encode(dst []byte) []byte {
	dst = append(append(dst, tagTxid), k.Prefix[:]...)
	return binary.BigEndian.AppendUint64(dst, uint64(k.TxNum))
}

// txidScanPrefix returns the prefix shared by every row whose txid starts
// like txid.
func txidScanPrefix(txid [32]byte) []byte {
	return append([]byte{tagTxid}, txid[:TxidPrefixLen]...)
}

// DecodeTxidKey decodes a txid lookup key.
func DecodeTxidKey(b []byte) (TxidKey, error) {
	if err := decodeFixed("txid", tagTxid, b, 1+TxidPrefixLen+8); err != nil {
		return TxidKey{}, err
	}
	var k TxidKey
	copy(k.Prefix[:], b[1:])
	k.TxNum = TxNum(binary.BigEndian.Uint64(b[1+TxidPrefixLen:]))
	return k, nil
}

// SpendKey addresses the spender of output Vout of transaction TxNum.
type SpendKey struct {
	TxNum TxNum
	Vout  uint32
}

// MakeSpendKey returns the key of output vout of transaction n.
func MakeSpendKey(n TxNum, vout uint32) SpendKey { return SpendKey{TxNum: n, Vout: vout} }

// Encode appends the key to dst.
func (k SpendKey) Encode(dst []byte) []byte {
	dst = binary.BigEndian.AppendUint64(append(dst, tagSpend), uint64(k.TxNum))
	return binary.BigEndian.AppendUint32(dst, k.Vout)
}

// DecodeSpendKey decodes a spend table key.
func DecodeSpendKey(b []byte) (SpendKey, error) {
	if err := decodeFixed("spend", tagSpend, b, 13); err != nil {
		return SpendKey{}, err
	}
	return SpendKey{TxNum: TxNum(binary.BigEndian.Uint64(b[1:])), Vout: binary.BigEndian.Uint32(b[9:])}, nil
}

// AddrKey maps an address, written as its script class and payload, to its
// number. Payloads are at most MaxAddrPayload bytes.
type AddrKey struct {
	Class   uint8
	Payload []byte
}

// MaxAddrPayload bounds the payload of an address key: a bare multisig
// script of three uncompressed keys is the longest standard form (205
// bytes); anything longer is not given an address.
const MaxAddrPayload = 520

// MakeAddrKey returns the key of the address (class, payload).
func MakeAddrKey(class uint8, payload []byte) AddrKey { return AddrKey{Class: class, Payload: payload} }

// Encode appends the key to dst.
func (k AddrKey) Encode(dst []byte) []byte {
	return append(append(dst, tagAddr, k.Class), k.Payload...)
}

// DecodeAddrKey decodes an address table key. The payload aliases b.
func DecodeAddrKey(b []byte) (AddrKey, error) {
	if len(b) < 2 || b[0] != tagAddr || len(b)-2 > MaxAddrPayload {
		return AddrKey{}, errKey("address", b)
	}
	return AddrKey{Class: b[1], Payload: b[2:]}, nil
}

// AddrIDKey addresses the address record of an address number.
type AddrIDKey struct{ AddrID AddrID }

// MakeAddrIDKey returns the key of address id.
func MakeAddrIDKey(id AddrID) AddrIDKey { return AddrIDKey{AddrID: id} }

// Encode appends the key to dst.
func (k AddrIDKey) Encode(dst []byte) []byte {
	return binary.BigEndian.AppendUint64(append(dst, tagAddrID), uint64(k.AddrID))
}

// DecodeAddrIDKey decodes an address id table key.
func DecodeAddrIDKey(b []byte) (AddrIDKey, error) {
	if err := decodeFixed("address id", tagAddrID, b, 9); err != nil {
		return AddrIDKey{}, err
	}
	return AddrIDKey{AddrID: AddrID(binary.BigEndian.Uint64(b[1:]))}, nil
}

// AddrLinkKey records that two addresses are forms of one public key (a
// P2PK output's key and the P2PKH address of the same key). Links are
// stored in both directions.
type AddrLinkKey struct{ From, To AddrID }

// MakeAddrLinkKey returns the link row from one address to another.
func MakeAddrLinkKey(from, to AddrID) AddrLinkKey { return AddrLinkKey{From: from, To: to} }

// Encode appends the key to dst.
func (k AddrLinkKey) Encode(dst []byte) []byte {
	dst = binary.BigEndian.AppendUint64(append(dst, tagAddrLink), uint64(k.From))
	return binary.BigEndian.AppendUint64(dst, uint64(k.To))
}

// DecodeAddrLinkKey decodes an address link key.
func DecodeAddrLinkKey(b []byte) (AddrLinkKey, error) {
	if err := decodeFixed("address link", tagAddrLink, b, 17); err != nil {
		return AddrLinkKey{}, err
	}
	return AddrLinkKey{From: AddrID(binary.BigEndian.Uint64(b[1:])), To: AddrID(binary.BigEndian.Uint64(b[9:]))}, nil
}

// PostingKey is one row of the address index: address AddrID took part in
// transaction TxNum in the given role.
type PostingKey struct {
	AddrID AddrID
	TxNum  TxNum
	Role   Role
}

// MakePostingKey returns the address index key of (id, n, role).
func MakePostingKey(id AddrID, n TxNum, role Role) PostingKey {
	return PostingKey{AddrID: id, TxNum: n, Role: role}
}

// Encode appends the key to dst.
func (k PostingKey) Encode(dst []byte) []byte {
	dst = binary.BigEndian.AppendUint64(append(dst, tagPosting), uint64(k.AddrID))
	dst = binary.BigEndian.AppendUint64(dst, uint64(k.TxNum))
	return append(dst, byte(k.Role))
}

// postingPrefix returns the prefix of every posting of address id.
func postingPrefix(id AddrID) []byte {
	return binary.BigEndian.AppendUint64([]byte{tagPosting}, uint64(id))
}

// DecodePostingKey decodes an address index key.
func DecodePostingKey(b []byte) (PostingKey, error) {
	if err := decodeFixed("posting", tagPosting, b, 18); err != nil {
		return PostingKey{}, err
	}
	return PostingKey{
		AddrID: AddrID(binary.BigEndian.Uint64(b[1:])),
		TxNum:  TxNum(binary.BigEndian.Uint64(b[9:])),
		Role:   Role(b[17]),
	}, nil
}

// UndoKey addresses the undo record of the block at Height.
type UndoKey struct{ Height uint32 }

// MakeUndoKey returns the undo key of height h.
func MakeUndoKey(h uint32) UndoKey { return UndoKey{Height: h} }

// Encode appends the key to dst.
func (k UndoKey) Encode(dst []byte) []byte {
	return binary.BigEndian.AppendUint32(append(dst, tagUndo), k.Height)
}

// DecodeUndoKey decodes an undo table key.
func DecodeUndoKey(b []byte) (UndoKey, error) {
	if err := decodeFixed("undo", tagUndo, b, 5); err != nil {
		return UndoKey{}, err
	}
	return UndoKey{Height: binary.BigEndian.Uint32(b[1:])}, nil
}

// MetaKey names one metadata value.
type MetaKey struct{ Name string }

// Metadata names. They are part of the file format.
const (
	metaSchema = "schema" // u32 schema version
	metaChain  = "chain"  // "bitcoin/<network>"
	metaState  = "state"  // ChainState
	metaTipPre = "tip/"   // tip/<index> -> height u32, hash [32]
)

// MakeMetaKey returns the key of metadata value name.
func MakeMetaKey(name string) MetaKey { return MetaKey{Name: name} }

// Encode appends the key to dst.
func (k MetaKey) Encode(dst []byte) []byte { return append(append(dst, tagMeta), k.Name...) }

// DecodeMetaKey decodes a metadata key.
func DecodeMetaKey(b []byte) (MetaKey, error) {
	if len(b) < 2 || b[0] != tagMeta {
		return MetaKey{}, errKey("meta", b)
	}
	return MetaKey{Name: string(b[1:])}, nil
}

// prefixUpperBound returns the smallest key greater than every key that
// starts with prefix, or nil if there is none.
func prefixUpperBound(prefix []byte) []byte {
	end := append([]byte(nil), prefix...)
	for i := len(end) - 1; i >= 0; i-- {
		end[i]++
		if end[i] != 0 {
			return end[:i+1]
		}
	}
	return nil
}
