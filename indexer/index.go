package indexer

import "github.com/spoorhq/spoor/storage"

// Index is an index built from the chain tables, such as the address index
// or, later, clusters. The indexer connects every block to every index in
// the same batch as the block itself and records each index's tip there
// too. An index whose tip lags the chain (one added to an existing data
// directory) is caught up from the chain tables before new blocks arrive.
type Index interface {
	// Name identifies the index; its tip is stored under this name.
	Name() string
	// ConnectBlock adds the block's rows to b.
	ConnectBlock(b *storage.Batch, blk *ConnectedBlock) error
	// DisconnectBlock removes exactly the rows ConnectBlock added for blk.
	DisconnectBlock(b *storage.Batch, blk *ConnectedBlock) error
}
