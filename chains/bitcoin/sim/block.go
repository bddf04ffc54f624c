package sim

import (
	"errors"
	"github.com/spoorhq/spoor/chains/bitcoin"
	"math/big"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/txscript/v2"
	"github.com/btcsuite/btcd/wire/v2"
)

const (
	// blockVersion signals version bits with no deployment bit set, which
	// is above every version floor of BIP 34, 65 and 66.
	blockVersion = 0x20000000
	// coinbaseTag follows the BIP 34 height in every coinbase script.
	coinbaseTag = "/spoor-sim/"
)

// witnessMagic starts the witness commitment output of BIP 141: OP_RETURN,
// a 36-byte push and the commitment header 0xaa21a9ed.
var witnessMagic = [...]byte{opReturn, 0x24, 0xaa, 0x21, 0xa9, 0xed}

// coinbaseTx returns the coinbase of the block at height paying value to
// payTo. A non-nil commitment adds the BIP 141 witness commitment output and
// the all-zero witness reserved value.
func coinbaseTx(height int32, value int64, payTo []byte, commitment *chainhash.Hash) (*wire.MsgTx, error) {
	script, err := txscript.NewScriptBuilder().
		AddInt64(int64(height)).
		AddData([]byte(coinbaseTag)).
		Script()
	if err != nil {
		return nil, err
	}
	in := &wire.TxIn{
		PreviousOutPoint: wire.OutPoint{Index: wire.MaxPrevOutIndex},
		SignatureScript:  script,
		Sequence:         wire.MaxTxInSequenceNum,
	}
	tx := &wire.MsgTx{
		Version: 2,
		TxIn:    []*wire.TxIn{in},
		TxOut:   []*wire.TxOut{{Value: value, PkScript: payTo}},
	}
	if commitment != nil {
		s := make([]byte, 0, len(witnessMagic)+chainhash.HashSize)
		s = append(append(s, witnessMagic[:]...), commitment[:]...)
		tx.TxOut = append(tx.TxOut, &wire.TxOut{Value: 0, PkScript: s})
		in.Witness = wire.TxWitness{make([]byte, witnessReservedSize)}
	}
	return tx, nil
}

// witnessCommitment returns sha256d(witness merkle root || reserved value)
// for a block whose non-coinbase transactions have the given wtxids and whose
// reserved value is all zeros.
func witnessCommitment(wtxids []chainhash.Hash) chainhash.Hash {
	// The coinbase's wtxid counts as zero.
	hashes := make([]chainhash.Hash, len(wtxids)+1)
	copy(hashes[1:], wtxids)
	root := bitcoin.MerkleRoot(hashes)
	var buf [chainhash.HashSize + witnessReservedSize]byte
	copy(buf[:], root[:])
	return chainhash.DoubleHashH(buf[:])
}

// solve sets the header's nonce to the first value whose block hash meets
// the target of the header's bits.
func solve(h *wire.BlockHeader) error {
	target := blockchain.CompactToBig(h.Bits)
	var hashNum big.Int
	for nonce := uint32(0); ; nonce++ {
		h.Nonce = nonce
		hash := h.BlockHash()
		// HashToBig reverses the little-endian hash into a number.
		for i := 0; i < chainhash.HashSize/2; i++ {
			hash[i], hash[chainhash.HashSize-1-i] = hash[chainhash.HashSize-1-i], hash[i]
		}
		if hashNum.SetBytes(hash[:]).Cmp(target) <= 0 {
			return nil
		}
		if nonce == ^uint32(0) {
			return errors.New("no nonce meets the target")
		}
	}
}

// assemble builds and solves the block on top of prev with the coinbase and
// the signed plans.
func assemble(prev chainhash.Hash, ts time.Time, bits uint32, coinbase *wire.MsgTx, plans []*txPlan) (*wire.MsgBlock, error) {
	txs := make([]*wire.MsgTx, 0, 1+len(plans))
	txs = append(txs, coinbase)
	ids := make([]chainhash.Hash, 1+len(plans))
	ids[0] = coinbase.TxHash()
	for i, p := range plans {
		txs = append(txs, p.msg)
		ids[i+1] = p.txid
	}
	blk := &wire.MsgBlock{
		Header: wire.BlockHeader{
			Version:    blockVersion,
			PrevBlock:  prev,
			MerkleRoot: bitcoin.MerkleRoot(ids),
			Timestamp:  ts,
			Bits:       bits,
		},
		Transactions: txs,
	}
	if err := solve(&blk.Header); err != nil {
		return nil, err
	}
	return blk, nil
}
