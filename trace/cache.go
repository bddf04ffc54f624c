package trace

import (
	"errors"
	"fmt"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/spoorhq/spoor/storage"
)

// CachedChain is a Chain that keeps recently read transactions, outputs,
// inputs, spends and address histories in memory, shared by every walk
// over it. It is meant for a server answering many requests over the same
// index: walks and screenings from nearby addresses read the same rows.
//
// The index's committed rows of buried blocks never change, but a reorg
// disconnects blocks and new blocks extend address histories: whoever
// commits to the index must call Purge after each commit.
type CachedChain struct {
	Chain
	txs      *lru.Cache[storage.TxNum, storage.TxRecord]
	outs     *lru.Cache[storage.TxNum, storage.OutputsRecord]
	ins      *lru.Cache[storage.TxNum, storage.InputsRecord]
	spends   *lru.Cache[Outpoint, spendEntry]
	postings *lru.Cache[storage.AddrID, []storage.Posting]
	blocks   *lru.Cache[uint32, storage.BlockRecord]
}

// cachedBlocks is how many block records a CachedChain keeps: walks read
// a block for each transaction node's time, and nearby transactions share
// blocks.
const cachedBlocks = 1 << 14

type spendEntry struct {
	s  storage.Spender
	ok bool
}

// maxCachedPostings is the longest address history kept; busier
// addresses are read from storage each time.
const maxCachedPostings = 4096

// NewCachedChain wraps c with caches of entries rows per table.
func NewCachedChain(c Chain, entries int) (*CachedChain, error) {
	cc := &CachedChain{Chain: c}
	var err error
	if cc.txs, err = lru.New[storage.TxNum, storage.TxRecord](entries); err != nil {
		return nil, err
	}
	if cc.outs, err = lru.New[storage.TxNum, storage.OutputsRecord](entries); err != nil {
		return nil, err
	}
	if cc.ins, err = lru.New[storage.TxNum, storage.InputsRecord](entries); err != nil {
		return nil, err
	}
	if cc.spends, err = lru.New[Outpoint, spendEntry](entries); err != nil {
		return nil, err
	}
	if cc.postings, err = lru.New[storage.AddrID, []storage.Posting](entries / 4); err != nil {
		return nil, err
	}
	if cc.blocks, err = lru.New[uint32, storage.BlockRecord](cachedBlocks); err != nil {
		return nil, err
	}
	return cc, nil
}

// Purge drops everything cached.
func (c *CachedChain) Purge() {
	c.txs.Purge()
	c.outs.Purge()
	c.ins.Purge()
	c.spends.Purge()
	c.postings.Purge()
	c.blocks.Purge()
}

// Block returns the block at height h.
func (c *CachedChain) Block(h uint32) (storage.BlockRecord, error) {
	if v, ok := c.blocks.Get(h); ok {
		return v, nil
	}
	v, err := c.Chain.Block(h)
	if err == nil {
		c.blocks.Add(h, v)
	}
	return v, err
}

// Tx returns transaction n.
func (c *CachedChain) Tx(n storage.TxNum) (storage.TxRecord, error) {
	if v, ok := c.txs.Get(n); ok {
		return v, nil
	}
	v, err := c.Chain.Tx(n)
	if err == nil {
		c.txs.Add(n, v)
	}
	return v, err
}

// Outputs returns the outputs of transaction n.
func (c *CachedChain) Outputs(n storage.TxNum) (storage.OutputsRecord, error) {
	if v, ok := c.outs.Get(n); ok {
		return v, nil
	}
	v, err := c.Chain.Outputs(n)
	if err == nil {
		c.outs.Add(n, v)
	}
	return v, err
}

// Inputs returns the inputs of transaction n; a coinbase's absence of
// inputs is cached too.
func (c *CachedChain) Inputs(n storage.TxNum) (storage.InputsRecord, error) {
	if v, ok := c.ins.Get(n); ok {
		if v == nil {
			return nil, storage.ErrNotFound
		}
		return v, nil
	}
	v, err := c.Chain.Inputs(n)
	switch {
	case err == nil:
		c.ins.Add(n, v)
	case errors.Is(err, storage.ErrNotFound):
		c.ins.Add(n, nil)
	}
	return v, err
}

// Spender returns the input that spent output vout of n.
func (c *CachedChain) Spender(n storage.TxNum, vout uint32) (storage.Spender, error) {
	op := Outpoint{TxNum: n, Vout: vout}
	if v, ok := c.spends.Get(op); ok {
		if !v.ok {
			return storage.Spender{}, storage.ErrNotFound
		}
		return v.s, nil
	}
	s, err := c.Chain.Spender(n, vout)
	switch {
	case err == nil:
		c.spends.Add(op, spendEntry{s: s, ok: true})
	case errors.Is(err, storage.ErrNotFound):
		c.spends.Add(op, spendEntry{})
	}
	return s, err
}

// Postings calls fn for the address's history rows after the given key,
// from memory when the whole history is cached.
func (c *CachedChain) Postings(id storage.AddrID, after *storage.PostingKey, fn func(storage.Posting) bool) error {
	ps, ok := c.postings.Get(id)
	if !ok {
		var all []storage.Posting
		complete := true
		err := c.Chain.Postings(id, nil, func(p storage.Posting) bool {
			if len(all) == maxCachedPostings {
				complete = false
				return false
			}
			all = append(all, p)
			return true
		})
		if err != nil {
			return err
		}
		if !complete {
			return c.Chain.Postings(id, after, fn)
		}
		c.postings.Add(id, all)
		ps = all
	}
	for _, p := range ps {
		if after != nil && !postingAfter(p.PostingKey, *after) {
			continue
		}
		if !fn(p) {
			return nil
		}
	}
	return nil
}

// postingAfter reports whether k sorts after a in the address index.
func postingAfter(k, a storage.PostingKey) bool {
	if k.TxNum != a.TxNum {
		return k.TxNum > a.TxNum
	}
	return k.Role > a.Role
}

// CachedNamer keeps the texts of recently named addresses, shared by
// every walk and screening: encoding an address reads its record and
// encodes it (base58 or bech32), and a server names the same busy
// addresses over and over. Like CachedChain, it must be purged after a
// reorg, which may give a disconnected address's number to another.
type CachedNamer struct {
	names Namer
	cache *lru.Cache[storage.AddrID, string]
}

// NewCachedNamer wraps names with a cache of entries address texts.
func NewCachedNamer(names Namer, entries int) (*CachedNamer, error) {
	c, err := lru.New[storage.AddrID, string](entries)
	if err != nil {
		return nil, fmt.Errorf("trace: name cache of %d entries: %w", entries, err)
	}
	return &CachedNamer{names: names, cache: c}, nil
}

// Name returns the text of address id. Its method value is a Namer.
func (c *CachedNamer) Name(id storage.AddrID) (string, error) {
	if s, ok := c.cache.Get(id); ok {
		return s, nil
	}
	s, err := c.names(id)
	if err == nil {
		c.cache.Add(id, s)
	}
	return s, err
}

// Purge drops every cached name.
func (c *CachedNamer) Purge() { c.cache.Purge() }
