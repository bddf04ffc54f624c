package bitcoin

import (
	"bytes"
	"fmt"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"
)

// Block is a decoded block: what the indexer needs of it, with every
// transaction id computed and every output script classified.
type Block struct {
	Hash   chainhash.Hash
	Header wire.BlockHeader
	Height int32
	Size   uint32 // serialized size with witness data, in bytes
	Weight uint32 // BIP 141 weight
	Txs    []Tx
}

// Tx is one decoded transaction.
type Tx struct {
	Txid    chainhash.Hash
	Size    uint32 // serialized size with witness data, in bytes
	VSize   uint32 // virtual size, in vbytes
	Witness bool
	// Inputs are the outpoints the transaction spends; empty for a coinbase.
	Inputs  []wire.OutPoint
	Outputs []Output
}

// Coinbase reports whether the transaction is its block's coinbase.
func (tx *Tx) Coinbase() bool { return len(tx.Inputs) == 0 }

// Output is one decoded transaction output.
type Output struct {
	Value   int64
	Class   ScriptClass
	Payload []byte // the address payload for Class; aliases Script
	Script  []byte
}

// DecodeBlock deserializes a raw block, computes its transaction ids and
// checks them against the header's merkle root. height is recorded in the
// result; it is not checked against the coinbase.
func DecodeBlock(raw []byte, height int32) (*Block, error) {
	var mb wire.MsgBlock
	if err := mb.Deserialize(bytes.NewReader(raw)); err != nil {
		return nil, fmt.Errorf("decode block at height %d: %w", height, err)
	}
	hash := mb.Header.BlockHash()
	if len(mb.Transactions) == 0 {
		return nil, fmt.Errorf("decode block %s at height %d: no transactions", hash, height)
	}
	stripped := mb.SerializeSizeStripped()
	blk := &Block{
		Hash:   hash,
		Header: mb.Header,
		Height: height,
		Size:   uint32(len(raw)),
		Weight: uint32(stripped*3 + len(raw)),
		Txs:    make([]Tx, len(mb.Transactions)),
	}
	txids := make([]chainhash.Hash, len(mb.Transactions))
	for i, mtx := range mb.Transactions {
		tx := &blk.Txs[i]
		tx.Txid = mtx.TxHash()
		txids[i] = tx.Txid
		size, base := mtx.SerializeSize(), mtx.SerializeSizeStripped()
		tx.Size = uint32(size)
		tx.VSize = uint32((base*3 + size + 3) / 4)
		tx.Witness = mtx.HasWitness()
		if i > 0 {
			tx.Inputs = make([]wire.OutPoint, len(mtx.TxIn))
			for j, in := range mtx.TxIn {
				tx.Inputs[j] = in.PreviousOutPoint
			}
		} else if !isCoinbase(mtx) {
			return nil, fmt.Errorf("decode block %s at height %d: first transaction is not a coinbase", hash, height)
		}
		tx.Outputs = make([]Output, len(mtx.TxOut))
		for j, out := range mtx.TxOut {
			class, payload := ClassifyScript(out.PkScript)
			tx.Outputs[j] = Output{Value: out.Value, Class: class, Payload: payload, Script: out.PkScript}
		}
	}
	if root := MerkleRoot(txids); root != mb.Header.MerkleRoot {
		return nil, fmt.Errorf("block %s at height %d: merkle root %s does not match the header's %s", hash, height, root, mb.Header.MerkleRoot)
	}
	return blk, nil
}

// isCoinbase reports whether tx has the single null-outpoint input of a
// coinbase.
func isCoinbase(tx *wire.MsgTx) bool {
	if len(tx.TxIn) != 1 {
		return false
	}
	prev := tx.TxIn[0].PreviousOutPoint
	return prev.Index == wire.MaxPrevOutIndex && prev.Hash == (chainhash.Hash{})
}

// MerkleRoot computes the merkle root of a block's transaction ids: pairs
// are hashed with double SHA-256, and a level with an odd count repeats its
// last hash.
func MerkleRoot(txids []chainhash.Hash) chainhash.Hash {
	if len(txids) == 0 {
		return chainhash.Hash{}
	}
	level := append([]chainhash.Hash(nil), txids...)
	var buf [64]byte
	for len(level) > 1 {
		if len(level)%2 == 1 {
			level = append(level, level[len(level)-1])
		}
		next := level[:len(level)/2]
		for i := range next {
			copy(buf[:32], level[2*i][:])
			copy(buf[32:], level[2*i+1][:])
			next[i] = chainhash.DoubleHashH(buf[:])
		}
		level = next
	}
	return level[0]
}
