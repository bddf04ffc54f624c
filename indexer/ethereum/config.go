package ethereum

import (
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

// Config tunes the Ethereum indexer. Zero fields take the defaults set by
// EnsureDefaults.
type Config struct {
	// Workers is how many blocks are fetched and decoded at once.
	Workers int
	// Window bounds the blocks fetched ahead of the writer.
	Window int
	// FinalityDepth is how far below the source's tip a block must be to be
	// written in bulk mode (many blocks per batch, no sync per commit).
	FinalityDepth int64
	// Lag keeps the index this many blocks behind the source's tip.
	Lag int64
	// From is the first height indexed into an empty index (default 0).
	From uint64
	// StopHeight, when positive, stops indexing at that height.
	StopHeight int64
	// Follow keeps the indexer polling the source every PollInterval until
	// the context is cancelled.
	Follow       bool
	PollInterval time.Duration
	// MaxReorgDepth is the deepest reorganization followed by disconnecting
	// blocks; a deeper divergence is an error.
	MaxReorgDepth int64
	// BulkBatchBytes and BulkCommitInterval bound a bulk-mode batch.
	BulkBatchBytes     int
	BulkCommitInterval time.Duration
	// AddrCacheEntries bounds the address number cache.
	AddrCacheEntries int
	// WETH lists wrapped-ether contracts besides mainnet WETH9 whose
	// Deposit and Withdrawal events are mints and burns.
	WETH []common.Address
	// Logger receives structured logs. Nil discards them.
	Logger *slog.Logger
	// Metrics records Prometheus metrics. Nil records nothing.
	Metrics *Metrics
	// OnCommit, if set, is called after every commit from the writer's
	// goroutine; it must return quickly.
	OnCommit func(Progress)
	// Indexes are built from the chain tables block by block, in the same
	// batches as the blocks, and caught up first when they lag.
	Indexes []Index
}

// Progress describes the index after a commit.
type Progress struct {
	Height       int64  // last committed block
	SourceHeight int64  // the source's best block when the sync began
	Txs          uint64 // transactions in the index
	Transfers    uint64 // transfer edges in the index
	Keys         uint64 // keys written since the indexer started
	Bulk         bool
}

// EnsureDefaults fills zero fields.
func (c *Config) EnsureDefaults() {
	if c.Workers == 0 {
		c.Workers = 2 * runtime.NumCPU()
	}
	if c.Window == 0 {
		c.Window = 8 * c.Workers
	}
	if c.FinalityDepth == 0 {
		c.FinalityDepth = 64
	}
	if c.PollInterval == 0 {
		c.PollInterval = 5 * time.Second
	}
	if c.MaxReorgDepth == 0 {
		c.MaxReorgDepth = 256
	}
	if c.BulkBatchBytes == 0 {
		c.BulkBatchBytes = 32 << 20
	}
	if c.BulkCommitInterval == 0 {
		c.BulkCommitInterval = 2 * time.Second
	}
	if c.AddrCacheEntries == 0 {
		c.AddrCacheEntries = 1 << 20
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Validate reports settings that cannot work.
func (c *Config) Validate() error {
	switch {
	case c.Workers < 1 || c.Workers > 256:
		return fmt.Errorf("ethereum indexer: workers %d is outside 1..256", c.Workers)
	case c.Window < c.Workers:
		return fmt.Errorf("ethereum indexer: window %d is smaller than workers %d", c.Window, c.Workers)
	case c.FinalityDepth < 0 || c.Lag < 0 || c.MaxReorgDepth < 1:
		return fmt.Errorf("ethereum indexer: finality depth %d, lag %d and max reorg depth %d must not be negative", c.FinalityDepth, c.Lag, c.MaxReorgDepth)
	case c.From > 1<<32-2:
		return fmt.Errorf("ethereum indexer: start height %d does not fit the index's 32-bit heights", c.From)
	}
	return nil
}
