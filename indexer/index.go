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

// BatchObserver is implemented by an index that must know when the batch
// holding its writes is committed or dropped. Reads go to the committed
// database, and in bulk mode one batch holds many blocks, so such an index
// keeps its own uncommitted writes in memory and may drop that overlay
// only once the batch is committed; a dropped batch means the overlay is
// wrong and must be forgotten too.
type BatchObserver interface {
	// Committed is called after a batch holding the index's writes has
	// been committed.
	Committed()
	// Discarded is called after a batch holding the index's writes has
	// been dropped without being committed.
	Discarded()
}

// notifyCommitted tells idx, if it observes batches, that its writes are
// committed (ok) or dropped.
func notifyCommitted(idx Index, ok bool) {
	o, is := idx.(BatchObserver)
	switch {
	case !is:
	case ok:
		o.Committed()
	default:
		o.Discarded()
	}
}
