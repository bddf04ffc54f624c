package indexer

import (
	"fmt"

	"github.com/spoorhq/spoor/storage"
)

// ConnectedBlock is a block as the chain tables hold it: every transaction
// numbered and every input resolved to the address and value it spends.
// Indexes built on top of the chain tables (the address index, clusters)
// consume this form, whether the block has just been written or is read
// back from storage for a catch-up or a disconnect.
type ConnectedBlock struct {
	Height uint32
	Block  storage.BlockRecord
	Txs    []ConnectedTx
}

// ConnectedTx is one transaction of a ConnectedBlock.
type ConnectedTx struct {
	TxNum   storage.TxNum
	Tx      storage.TxRecord
	Inputs  storage.InputsRecord
	Outputs storage.OutputsRecord
}

// Tip returns the block as an index tip.
func (b *ConnectedBlock) Tip() storage.Tip { return storage.Tip{Height: b.Height, Hash: b.Block.Hash} }

// chainReader is what loading a connected block needs from storage.
type chainReader interface {
	Block(h uint32) (storage.BlockRecord, error)
	Tx(n storage.TxNum) (storage.TxRecord, error)
	Inputs(n storage.TxNum) (storage.InputsRecord, error)
	Outputs(n storage.TxNum) (storage.OutputsRecord, error)
}

// loadConnectedBlock reads the committed block at height h back from the
// chain tables.
func loadConnectedBlock(db chainReader, h uint32) (*ConnectedBlock, error) {
	rec, err := db.Block(h)
	if err != nil {
		return nil, err
	}
	cb := &ConnectedBlock{Height: h, Block: rec, Txs: make([]ConnectedTx, rec.NumTx)}
	for i := range cb.Txs {
		n := rec.FirstTxNum + storage.TxNum(i)
		ct := &cb.Txs[i]
		ct.TxNum = n
		if ct.Tx, err = db.Tx(n); err != nil {
			return nil, fmt.Errorf("load block %d: %w", h, err)
		}
		if ct.Inputs, err = db.Inputs(n); err != nil {
			return nil, fmt.Errorf("load block %d: %w", h, err)
		}
		if ct.Outputs, err = db.Outputs(n); err != nil {
			return nil, fmt.Errorf("load block %d: %w", h, err)
		}
	}
	return cb, nil
}
