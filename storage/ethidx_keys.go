package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
)

// Tables of the Ethereum clustering maintained block by block. Like the
// other cluster tables their keys start with a generation. The rules of
// heuristics/ethcluster decide at block N from blocks up to N only, and
// keep what they must remember between blocks (payments waiting for a
// forward, airdrop counts, claims) in h; i holds, per block, how to put
// every h row the block changed back. These tags are part of the file
// format and must not be changed.
const (
	tagEthRule     byte = 'h' // h gen u32 kind u8 addrID u64 × n(kind) amount… -> EthRuleRow
	tagEthRuleUndo byte = 'i' // i gen u32 height u32 -> EthRuleUndo
)

// EthRuleKind names what an h row remembers. The kinds are part of the
// file format: never renumber them.
type EthRuleKind uint8

// The kinds of rule state, with the addresses their keys hold (A, B, C in
// that order) and what Amount is.
const (
	// EthRuleMiner: A is a block's fee recipient; N[0] the first height.
	EthRuleMiner EthRuleKind = 'm'
	// EthRuleActive: A sent a transaction; N[0] the first height.
	EthRuleActive EthRuleKind = 'a'
	// EthRulePayment: the latest ether payment into A whose amount
	// rounds to Amount tenths of an ether; one flow.
	EthRulePayment EthRuleKind = 'p'
	// EthRuleTokenPayment: the latest payment of exactly Amount of token
	// B into A; one flow.
	EthRuleTokenPayment EthRuleKind = 't'
	// EthRuleAirdrop: the transfers of Amount of token A sent by B, a
	// possible airdrop; N is count, last height, then pairs of
	// (block gap, times seen).
	EthRuleAirdrop EthRuleKind = 's'
	// EthRuleClaim: the latest transfer of Amount of token B into A from
	// each sender (a possible airdrop claim); flows in first-seen order.
	EthRuleClaim EthRuleKind = 'c'
	// EthRuleCollect: the forwards of airdrop (token A, distributor B,
	// Amount) to collector C; N[0] is 1 once enough claimers forwarded
	// and the forwards are linked, and until then the flows are pairs of
	// (claim, forward) waiting.
	EthRuleCollect EthRuleKind = 'g'
)

// addrs returns how many addresses the key of kind k holds, or -1 for an
// unknown kind.
func (k EthRuleKind) addrs() int {
	switch k {
	case EthRuleMiner, EthRuleActive, EthRulePayment:
		return 1
	case EthRuleTokenPayment, EthRuleAirdrop, EthRuleClaim:
		return 2
	case EthRuleCollect:
		return 3
	}
	return -1
}

// EthRuleKey addresses one row of rule state in generation Gen. Amount is
// a non-negative integer as big-endian bytes without leading zeros (empty
// for zero), so that one amount has one key.
type EthRuleKey struct {
	Gen     uint32
	Kind    EthRuleKind
	A, B, C AddrID
	Amount  []byte
}

// MakeEthRuleKey returns the key of kind k over the given addresses (as
// many as the kind holds; the rest must be 0) and amount (nil for none).
func MakeEthRuleKey(gen uint32, k EthRuleKind, a, b, c AddrID, amount *big.Int) EthRuleKey {
	key := EthRuleKey{Gen: gen, Kind: k, A: a, B: b, C: c}
	if amount != nil && amount.Sign() > 0 {
		key.Amount = amount.Bytes()
	}
	return key
}

// Encode appends the key to dst.
func (k EthRuleKey) Encode(dst []byte) []byte {
	dst = append(appendGen(dst, tagEthRule, k.Gen), byte(k.Kind))
	for i, a := range [3]AddrID{k.A, k.B, k.C} {
		if i < k.Kind.addrs() {
			dst = binary.BigEndian.AppendUint64(dst, uint64(a))
		}
	}
	return append(dst, k.Amount...)
}

// DecodeEthRuleKey decodes a rule state key.
func DecodeEthRuleKey(b []byte) (EthRuleKey, error) {
	if len(b) < 6 || b[0] != tagEthRule {
		return EthRuleKey{}, errKey("eth rule", b)
	}
	k := EthRuleKey{Gen: binary.BigEndian.Uint32(b[1:]), Kind: EthRuleKind(b[5])}
	n := k.Kind.addrs()
	if n < 0 || len(b) < 6+8*n {
		return EthRuleKey{}, errKey("eth rule", b)
	}
	ids := [3]AddrID{}
	for i := range n {
		ids[i] = AddrID(binary.BigEndian.Uint64(b[6+8*i:]))
	}
	k.A, k.B, k.C = ids[0], ids[1], ids[2]
	if rest := b[6+8*n:]; len(rest) > 0 {
		if rest[0] == 0 || len(rest) > maxU256Len {
			return EthRuleKey{}, errKey("eth rule", b)
		}
		k.Amount = append([]byte(nil), rest...)
	}
	return k, nil
}

// String describes the key for errors and dumps.
func (k EthRuleKey) String() string {
	return fmt.Sprintf("eth rule %c gen %d (%d %d %d) amount %x", byte(k.Kind), k.Gen, k.A, k.B, k.C, k.Amount)
}

// EthFlow is one value move as the rules remember it.
//
// Layout: tx uvarint | height uvarint | from uvarint | to uvarint |
// amount big.
type EthFlow struct {
	Tx       TxNum
	Height   uint32
	From, To AddrID
	Amount   *big.Int
}

// EthRuleRow is the value of a rule state row: numbers and flows, whose
// meaning depends on the row's kind (see EthRuleKind).
//
// Layout: n uvarint | n × uvarint | m uvarint | m × EthFlow.
type EthRuleRow struct {
	N     []uint64
	Flows []EthFlow
}

// Encode appends the record to dst.
func (r *EthRuleRow) Encode(dst []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(r.N)))
	for _, v := range r.N {
		dst = binary.AppendUvarint(dst, v)
	}
	dst = binary.AppendUvarint(dst, uint64(len(r.Flows)))
	for i := range r.Flows {
		f := &r.Flows[i]
		dst = binary.AppendUvarint(dst, uint64(f.Tx))
		dst = binary.AppendUvarint(dst, uint64(f.Height))
		dst = binary.AppendUvarint(dst, uint64(f.From))
		dst = binary.AppendUvarint(dst, uint64(f.To))
		dst = appendBig(dst, f.Amount)
	}
	return dst
}

// DecodeEthRuleRow decodes a rule state value.
func DecodeEthRuleRow(b []byte) (EthRuleRow, error) {
	r := recordReader{table: "eth rule", b: b}
	row := decodeEthRuleRow(&r)
	return row, r.done()
}

func decodeEthRuleRow(r *recordReader) EthRuleRow {
	var row EthRuleRow
	if n := r.count(1); n > 0 {
		row.N = make([]uint64, n)
		for i := range row.N {
			row.N[i] = r.uvarint()
		}
	}
	if m := r.count(5); m > 0 {
		row.Flows = make([]EthFlow, m)
		for i := range row.Flows {
			f := &row.Flows[i]
			f.Tx = TxNum(r.uvarint())
			f.Height = r.uvarint32()
			f.From = AddrID(r.uvarint())
			f.To = AddrID(r.uvarint())
			f.Amount = r.bigInt()
		}
	}
	return row
}

// EthRuleUndoKey addresses the rule state undo record of one block.
type EthRuleUndoKey struct {
	Gen    uint32
	Height uint32
}

// MakeEthRuleUndoKey returns the undo key of height h in generation gen.
func MakeEthRuleUndoKey(gen, h uint32) EthRuleUndoKey { return EthRuleUndoKey{Gen: gen, Height: h} }

// Encode appends the key to dst.
func (k EthRuleUndoKey) Encode(dst []byte) []byte {
	return binary.BigEndian.AppendUint32(appendGen(dst, tagEthRuleUndo, k.Gen), k.Height)
}

// DecodeEthRuleUndoKey decodes a rule state undo key.
func DecodeEthRuleUndoKey(b []byte) (EthRuleUndoKey, error) {
	if err := decodeFixed("eth rule undo", tagEthRuleUndo, b, 9); err != nil {
		return EthRuleUndoKey{}, err
	}
	return EthRuleUndoKey{Gen: binary.BigEndian.Uint32(b[1:]), Height: binary.BigEndian.Uint32(b[5:])}, nil
}

// EthRuleUndoRow is one rule state row as it was before a block: Had is
// false when the block created it.
type EthRuleUndoRow struct {
	Key EthRuleKey
	Had bool
	Row EthRuleRow
}

// EthRuleUndo is what disconnecting one block restores of the rule state,
// in the order the block first changed the rows.
//
// Layout: n uvarint, then per row: key length uvarint | key (an h key) |
// had u8 | (when 1) EthRuleRow.
type EthRuleUndo struct {
	Rows []EthRuleUndoRow
}

// Encode appends the record to dst.
func (u *EthRuleUndo) Encode(dst []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(u.Rows)))
	var key []byte
	for i := range u.Rows {
		r := &u.Rows[i]
		key = r.Key.Encode(key[:0])
		dst = binary.AppendUvarint(dst, uint64(len(key)))
		dst = append(dst, key...)
		if !r.Had {
			dst = append(dst, 0)
			continue
		}
		dst = r.Row.Encode(append(dst, 1))
	}
	return dst
}

// DecodeEthRuleUndo decodes a rule state undo record.
func DecodeEthRuleUndo(b []byte) (EthRuleUndo, error) {
	r := recordReader{table: "eth rule undo", b: b}
	var u EthRuleUndo
	if n := r.count(8); n > 0 {
		u.Rows = make([]EthRuleUndoRow, n)
		for i := range u.Rows {
			row := &u.Rows[i]
			kb := r.bytes(r.count(1))
			if r.err != nil {
				break
			}
			k, err := DecodeEthRuleKey(kb)
			if err != nil {
				r.fail()
				break
			}
			row.Key = k
			switch r.u8() {
			case 0:
			case 1:
				row.Had = true
				row.Row = decodeEthRuleRow(&r)
			default:
				r.fail()
			}
		}
	}
	return u, r.done()
}

// PutEthRule writes rule state row k.
func (b *Batch) PutEthRule(k EthRuleKey, r *EthRuleRow) {
	b.val = r.Encode(b.val[:0])
	b.key = k.Encode(b.key[:0])
	b.set(b.key, b.val)
}

// DeleteEthRule deletes rule state row k.
func (b *Batch) DeleteEthRule(k EthRuleKey) {
	b.key = k.Encode(b.key[:0])
	b.del(b.key)
}

// PutEthRuleUndo writes the rule state undo record of height h.
func (b *Batch) PutEthRuleUndo(gen, h uint32, u *EthRuleUndo) {
	b.val = u.Encode(b.val[:0])
	b.key = MakeEthRuleUndoKey(gen, h).Encode(b.key[:0])
	b.set(b.key, b.val)
}

// DeleteEthRuleUndo deletes the rule state undo record of height h.
func (b *Batch) DeleteEthRuleUndo(gen, h uint32) {
	b.key = MakeEthRuleUndoKey(gen, h).Encode(b.key[:0])
	b.del(b.key)
}

// DeleteEthRules removes the rule state and its undo records of
// generation gen.
func (b *Batch) DeleteEthRules(gen uint32) error {
	for _, tag := range []byte{tagEthRule, tagEthRuleUndo} {
		lo := appendGen(nil, tag, gen)
		if err := b.deleteRange(lo, prefixUpperBound(lo)); err != nil {
			return fmt.Errorf("storage: delete eth rule state of generation %d: %w", gen, err)
		}
	}
	return nil
}

// EthRule returns rule state row k, and false if there is none.
func (db *DB) EthRule(k EthRuleKey) (EthRuleRow, bool, error) {
	v, err := db.get(k.Encode(nil))
	if errors.Is(err, ErrNotFound) {
		return EthRuleRow{}, false, nil
	}
	if err != nil {
		return EthRuleRow{}, false, fmt.Errorf("%s: %w", k, err)
	}
	row, err := DecodeEthRuleRow(v)
	if err != nil {
		return EthRuleRow{}, false, fmt.Errorf("%s: %w", k, err)
	}
	return row, true, nil
}

// EthRuleUndo returns the rule state undo record of height h in
// generation gen, or ErrNotFound.
func (db *DB) EthRuleUndo(gen, h uint32) (EthRuleUndo, error) {
	v, err := db.get(MakeEthRuleUndoKey(gen, h).Encode(nil))
	if err != nil {
		return EthRuleUndo{}, fmt.Errorf("eth rule undo of height %d in generation %d: %w", h, gen, err)
	}
	return DecodeEthRuleUndo(v)
}
