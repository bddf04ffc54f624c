package api

import (
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/spoorhq/spoor/storage"
)

// Block is the view of one block.
type Block struct {
	Height   int64  `json:"height"`
	Hash     string `json:"hash"`
	PrevHash string `json:"prev_hash"`
	Time     string `json:"time"`
	TxCount  uint32 `json:"tx_count"`
	Size     uint32 `json:"size"`
	Weight   uint32 `json:"weight"`
	FeesSat  uint64 `json:"fees_sat"`

	firstTx storage.TxNum
}

// Block returns the view of the block at height h in the index.
func (v Bitcoin) Block(h int64) (*Block, error) {
	if h < 0 || h > int64(^uint32(0)) {
		return nil, fmt.Errorf("%w: height %d is not a block height", ErrBadInput, h)
	}
	rec, err := v.DB.Block(uint32(h))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, fmt.Errorf("block at height %d: not in the index: %w", h, err)
	}
	if err != nil {
		return nil, err
	}
	return &Block{Height: h, Hash: hashString(rec.Hash), PrevHash: hashString(rec.Prev), Time: blockTime(rec.Time),
		TxCount: rec.NumTx, Size: rec.Size, Weight: rec.Weight, FeesSat: rec.Fees, firstTx: rec.FirstTxNum}, nil
}

// BlockByHash returns the view of the block with the given hash (hex, in
// the usual display order).
func (v Bitcoin) BlockByHash(hash string) (*Block, error) {
	h, err := chainhash.NewHashFromStr(hash)
	if err != nil || len(hash) != 64 {
		return nil, fmt.Errorf("%w: %q is not a 64-digit hex block hash", ErrBadInput, clip(hash, 80))
	}
	height, err := v.DB.BlockHeight(*h)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, fmt.Errorf("block %s: not in the index: %w", hash, err)
	}
	if err != nil {
		return nil, err
	}
	b, err := v.Block(int64(height))
	if err != nil {
		return nil, err
	}
	if b.Hash != h.String() {
		// The hash row points at a height whose block was replaced by a
		// reorganization.
		return nil, fmt.Errorf("block %s: not in the index: %w", hash, storage.ErrNotFound)
	}
	return b, nil
}

// Txids returns the ids of up to limit transactions of b starting at
// position from (0 is the coinbase).
func (v Bitcoin) Txids(b *Block, from, limit int) ([]string, error) {
	if from < 0 || limit < 0 {
		return nil, fmt.Errorf("%w: position %d, limit %d", ErrBadInput, from, limit)
	}
	var out []string
	for i := from; i < int(b.TxCount) && len(out) < limit; i++ {
		rec, err := v.DB.Tx(b.firstTx + storage.TxNum(i))
		if err != nil {
			return nil, fmt.Errorf("block %d transaction %d: %w", b.Height, i, err)
		}
		out = append(out, hashString(rec.Txid))
	}
	return out, nil
}
