package indexer

import (
	"fmt"

	"github.com/spoorhq/spoor/chains/bitcoin"
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
	// Links are the P2PK keys first numbered in this block with the P2PKH
	// address of the same key, each with the transaction whose output
	// first paid the key (the chain tables' L rows of the block).
	Links []AddrLink
}

// AddrLink says that two addresses are forms of one public key, as first
// seen in transaction TxNum.
type AddrLink struct {
	TxNum       storage.TxNum
	P2PK, P2PKH storage.AddrID
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
	Links(id storage.AddrID) ([]storage.AddrID, error)
}

// loadConnectedBlock reads the committed block at height h back from the
// chain tables.
func loadConnectedBlock(db chainReader, h uint32) (*ConnectedBlock, error) {
	rec, err := db.Block(h)
	if err != nil {
		return nil, err
	}
	cb := &ConnectedBlock{Height: h, Block: rec, Txs: make([]ConnectedTx, rec.NumTx)}
	linked := map[storage.AddrID]bool{}
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
		for _, o := range ct.Outputs {
			if o.Class != uint8(bitcoin.ClassP2PK) || o.AddrID < rec.FirstAddrID || linked[o.AddrID] {
				continue
			}
			linked[o.AddrID] = true
			to, err := db.Links(o.AddrID)
			if err != nil {
				return nil, fmt.Errorf("load block %d: %w", h, err)
			}
			for _, l := range to {
				cb.Links = append(cb.Links, AddrLink{TxNum: n, P2PK: o.AddrID, P2PKH: l})
			}
		}
	}
	return cb, nil
}

// LoadConnectedBlock reads the committed block at height h back from the
// chain tables of db, with its inputs resolved and its address links, as
// indexes receive it.
func LoadConnectedBlock(db *storage.DB, h uint32) (*ConnectedBlock, error) {
	return loadConnectedBlock(db, h)
}
