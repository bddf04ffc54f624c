package indexer

import (
	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/spoorhq/spoor/storage"
)

// cachedOutput is what the writer needs of an unspent output to resolve an
// input that spends it.
type cachedOutput struct {
	addrID storage.AddrID
	value  uint64
	spent  bool
}

// cachedTx holds the outputs of one transaction.
type cachedTx struct {
	txNum   storage.TxNum
	outs    []cachedOutput
	unspent int
}

// utxoCache keeps the outputs of recent transactions so that most inputs
// are resolved without reading the index. It has two generations: lookups
// search both and move hits to the young one; when the young generation
// outgrows half the capacity at a commit, the old one is dropped. Entries
// are only dropped at commits, so every output written since the last
// commit (and not yet readable from the index) stays in the cache.
//
// The cache is owned by the writer goroutine.
type utxoCache struct {
	capacity int
	young    map[chainhash.Hash]*cachedTx
	old      map[chainhash.Hash]*cachedTx
	hits     uint64
	misses   uint64
}

func newUTXOCache(capacity int) *utxoCache {
	return &utxoCache{capacity: capacity, young: make(map[chainhash.Hash]*cachedTx), old: map[chainhash.Hash]*cachedTx{}}
}

// add caches the outputs of a new transaction.
func (c *utxoCache) add(txid chainhash.Hash, tx *cachedTx) {
	if tx.unspent > 0 {
		c.young[txid] = tx
	}
}

// get returns the cached transaction with id txid, or nil.
func (c *utxoCache) get(txid chainhash.Hash) *cachedTx {
	if tx, ok := c.young[txid]; ok {
		c.hits++
		return tx
	}
	if tx, ok := c.old[txid]; ok {
		c.hits++
		delete(c.old, txid)
		c.young[txid] = tx
		return tx
	}
	c.misses++
	return nil
}

// spend marks output vout of tx spent and forgets tx once all its outputs
// are spent.
func (c *utxoCache) spend(txid chainhash.Hash, tx *cachedTx, vout uint32) {
	o := &tx.outs[vout]
	if o.spent {
		return
	}
	o.spent = true
	tx.unspent--
	if tx.unspent <= 0 {
		delete(c.young, txid)
	}
}

// committed is called after a commit: entries may now be dropped.
func (c *utxoCache) committed() {
	if len(c.young) > c.capacity/2 {
		c.old = c.young
		c.young = make(map[chainhash.Hash]*cachedTx, len(c.old))
	}
}

// reset empties the cache, as after a reorg.
func (c *utxoCache) reset() {
	c.young = make(map[chainhash.Hash]*cachedTx)
	c.old = map[chainhash.Hash]*cachedTx{}
}
