package indexer

import (
	"fmt"
	"log/slog"
	"runtime"
	"time"
)

// Config tunes the indexer. Zero fields take the defaults set by
// EnsureDefaults.
type Config struct {
	// Workers is how many blocks are fetched and decoded at once.
	Workers int
	// Window bounds the blocks fetched ahead of the writer.
	Window int
	// FinalityDepth is how far below the source's tip a block must be to be
	// written in bulk mode: many blocks per batch, no sync per commit.
	// Blocks nearer the tip are committed one by one and synced.
	FinalityDepth int32
	// Lag keeps the index this many blocks behind the source's tip.
	Lag int32
	// StopHeight, when positive, stops indexing at that height.
	StopHeight int32
	// Follow keeps the indexer running, polling the source for new blocks
	// every PollInterval, until the context is cancelled.
	Follow       bool
	PollInterval time.Duration
	// MaxReorgDepth is the deepest reorganization the indexer will follow
	// by disconnecting blocks. A deeper divergence is reported as an error:
	// it usually means the source serves another chain.
	MaxReorgDepth int32
	// BulkBatchBytes and BulkCommitInterval bound a bulk-mode batch: it is
	// committed when it holds this many bytes or is this old. A batch
	// larger than about a sixth of the storage memtable size is sorted and
	// handed to Pebble as a memtable of its own instead of being inserted
	// key by key, which measured about 15% faster for bulk loads.
	BulkBatchBytes     int
	BulkCommitInterval time.Duration
	// NoIngest writes bulk batches through Pebble's write-ahead log and
	// memtables instead of as ingested sorted tables: slower, kept to
	// compare the two.
	NoIngest bool
	// UTXOCacheTxs bounds the output cache, in transactions.
	UTXOCacheTxs int
	// AddrCacheEntries bounds the address number cache. On a new index
	// the cache holds every address until it is full, so that new
	// addresses are numbered without a read; a larger cache keeps that
	// up for longer, at about 80 bytes per address.
	AddrCacheEntries int
	// Logger receives structured logs. Nil discards them.
	Logger *slog.Logger
	// Metrics records Prometheus metrics. Nil records nothing.
	Metrics *Metrics
	// OnCommit, if set, is called after every commit from the writer's
	// goroutine; it must return quickly.
	OnCommit func(Progress)
}

// Progress describes the index after a commit.
type Progress struct {
	Height       int32  // last committed block
	SourceHeight int32  // the source's best block when the sync began
	Txs          uint64 // transactions in the index
	Keys         uint64 // keys written by this indexer since it started
	Bulk         bool
}

// EnsureDefaults fills zero fields.
func (c *Config) EnsureDefaults() {
	if c.Workers == 0 {
		c.Workers = runtime.NumCPU()
	}
	if c.Window == 0 {
		c.Window = 8 * c.Workers
	}
	if c.FinalityDepth == 0 {
		c.FinalityDepth = 100
	}
	if c.PollInterval == 0 {
		c.PollInterval = 5 * time.Second
	}
	if c.MaxReorgDepth == 0 {
		c.MaxReorgDepth = 1000
	}
	if c.BulkBatchBytes == 0 {
		c.BulkBatchBytes = 32 << 20
	}
	if c.BulkCommitInterval == 0 {
		c.BulkCommitInterval = 2 * time.Second
	}
	if c.UTXOCacheTxs == 0 {
		c.UTXOCacheTxs = 1 << 20
	}
	if c.AddrCacheEntries == 0 {
		c.AddrCacheEntries = 4 << 20
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Validate reports settings that cannot work.
func (c *Config) Validate() error {
	switch {
	case c.Workers < 1 || c.Workers > 256:
		return fmt.Errorf("indexer: workers %d is outside 1..256", c.Workers)
	case c.Window < c.Workers:
		return fmt.Errorf("indexer: window %d is smaller than workers %d", c.Window, c.Workers)
	case c.FinalityDepth < 0 || c.Lag < 0 || c.MaxReorgDepth < 1:
		return fmt.Errorf("indexer: finality depth %d, lag %d and max reorg depth %d must not be negative", c.FinalityDepth, c.Lag, c.MaxReorgDepth)
	case c.UTXOCacheTxs < 1000 || c.AddrCacheEntries < 1000:
		return fmt.Errorf("indexer: cache sizes %d and %d must be at least 1000", c.UTXOCacheTxs, c.AddrCacheEntries)
	}
	return nil
}
