package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"

	"github.com/cockroachdb/pebble/v2"
)

// tagEthTotals is the per-address, per-asset totals table of the Ethereum
// index:
//
//	p addrID u64 asset u64 hasID u8 [tokenID [32]] -> EthTotalsRecord
const tagEthTotals byte = 'p'

// EthTotalsKey addresses an address's totals in one asset (and, for
// ERC-721 and ERC-1155, one token id). Asset 0 is ether.
type EthTotalsKey struct {
	AddrID  AddrID
	Asset   AddrID
	HasID   bool
	TokenID [32]byte
}

// MakeEthTotalsKey returns the totals key of (id, asset, tokenID); a nil
// tokenID means a fungible asset.
func MakeEthTotalsKey(id, asset AddrID, tokenID *big.Int) EthTotalsKey {
	k := EthTotalsKey{AddrID: id, Asset: asset}
	if tokenID != nil {
		k.HasID = true
		tokenID.FillBytes(k.TokenID[:])
	}
	return k
}

// Encode appends the key to dst.
func (k EthTotalsKey) Encode(dst []byte) []byte {
	dst = binary.BigEndian.AppendUint64(append(dst, tagEthTotals), uint64(k.AddrID))
	dst = binary.BigEndian.AppendUint64(dst, uint64(k.Asset))
	if !k.HasID {
		return append(dst, 0)
	}
	return append(append(dst, 1), k.TokenID[:]...)
}

// DecodeEthTotalsKey decodes a totals key.
func DecodeEthTotalsKey(b []byte) (EthTotalsKey, error) {
	if len(b) < 18 || b[0] != tagEthTotals || !(len(b) == 18 && b[17] == 0 || len(b) == 50 && b[17] == 1) {
		return EthTotalsKey{}, errKey("eth totals", b)
	}
	k := EthTotalsKey{AddrID: AddrID(binary.BigEndian.Uint64(b[1:])), Asset: AddrID(binary.BigEndian.Uint64(b[9:])), HasID: b[17] == 1}
	copy(k.TokenID[:], b[18:])
	return k, nil
}

// TokenIDInt returns the key's token id, or nil for a fungible asset.
func (k EthTotalsKey) TokenIDInt() *big.Int {
	if !k.HasID {
		return nil
	}
	return new(big.Int).SetBytes(k.TokenID[:])
}

// EthTotalsRecord is what an address received and sent of one asset, and
// in how many edges (an edge from the address to itself counts once, on
// both sides).
//
// Layout: received big | sent big | edges uvarint.
type EthTotalsRecord struct {
	Received *big.Int
	Sent     *big.Int
	Edges    uint64
}

// Encode appends the record to dst.
func (r *EthTotalsRecord) Encode(dst []byte) []byte {
	dst = appendBig(dst, r.Received)
	dst = appendBig(dst, r.Sent)
	return binary.AppendUvarint(dst, r.Edges)
}

// DecodeEthTotalsRecord decodes a totals row.
func DecodeEthTotalsRecord(b []byte) (EthTotalsRecord, error) {
	r := recordReader{table: "eth totals", b: b}
	v := EthTotalsRecord{Received: r.bigInt(), Sent: r.bigInt(), Edges: r.uvarint()}
	return v, r.done()
}

// PutEthTotals writes an address's totals in one asset; totals of no
// edges delete the row, so that a disconnected block leaves no trace.
func (b *Batch) PutEthTotals(k EthTotalsKey, r *EthTotalsRecord) {
	b.key = k.Encode(b.key[:0])
	if r.Edges == 0 {
		b.del(b.key)
		return
	}
	b.val = r.Encode(b.val[:0])
	b.set(b.key, b.val)
}

// EthTotals returns an address's totals in one asset; an address that
// never moved it has zero totals.
func (db *DB) EthTotals(k EthTotalsKey) (EthTotalsRecord, error) {
	v, err := db.get(k.Encode(nil))
	if errors.Is(err, ErrNotFound) {
		return EthTotalsRecord{Received: new(big.Int), Sent: new(big.Int)}, nil
	}
	if err != nil {
		return EthTotalsRecord{}, fmt.Errorf("totals of address %d asset %d: %w", k.AddrID, k.Asset, err)
	}
	return DecodeEthTotalsRecord(v)
}

// EthAllTotals calls fn with each of address id's totals rows, by asset.
func (db *DB) EthAllTotals(id AddrID, fn func(EthTotalsKey, EthTotalsRecord) bool) error {
	prefix := binary.BigEndian.AppendUint64([]byte{tagEthTotals}, uint64(id))
	it, err := db.pdb.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixUpperBound(prefix)})
	if err != nil {
		return err
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		k, err := DecodeEthTotalsKey(it.Key())
		if err != nil {
			return err
		}
		r, err := DecodeEthTotalsRecord(it.Value())
		if err != nil {
			return fmt.Errorf("totals %x: %w", it.Key(), err)
		}
		if !fn(k, r) {
			break
		}
	}
	return it.Error()
}

// EthTotalsDelta accumulates changes to totals rows, as a block's edges
// make them; ApplyEthEdge records one edge.
type EthTotalsDelta map[EthTotalsKey]*EthTotalsRecord

// ApplyEthEdge adds (sign +1) or removes (sign -1) one edge's effect.
func (d EthTotalsDelta) ApplyEthEdge(t *EthTransferRecord, sign int) {
	bump := func(id AddrID, in, out bool) {
		k := MakeEthTotalsKey(id, t.Asset, t.TokenID)
		r := d[k]
		if r == nil {
			r = &EthTotalsRecord{Received: new(big.Int), Sent: new(big.Int)}
			d[k] = r
		}
		amt := t.Amount
		if amt == nil {
			amt = new(big.Int)
		}
		if sign < 0 {
			amt = new(big.Int).Neg(amt)
		}
		if in {
			r.Received.Add(r.Received, amt)
		}
		if out {
			r.Sent.Add(r.Sent, amt)
		}
		r.Edges += uint64(sign) // wraps for -1; Add below treats it as a difference
	}
	switch {
	case !t.Mint && !t.Sink && t.From == t.To:
		bump(t.From, true, true)
	default:
		if !t.Mint {
			bump(t.From, false, true)
		}
		if !t.Sink {
			bump(t.To, true, false)
		}
	}
}

// Add returns base plus the delta r, checking that no total goes negative.
func (r *EthTotalsRecord) Add(base EthTotalsRecord) (EthTotalsRecord, error) {
	out := EthTotalsRecord{Received: new(big.Int).Add(base.Received, r.Received), Sent: new(big.Int).Add(base.Sent, r.Sent),
		Edges: base.Edges + r.Edges}
	if out.Received.Sign() < 0 || out.Sent.Sign() < 0 || out.Edges > base.Edges+1<<40 {
		return out, fmt.Errorf("storage: totals would go negative: %w", ErrCorruption)
	}
	return out, nil
}
