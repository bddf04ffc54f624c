package ethereum

import (
	"context"

	"github.com/ethereum/go-ethereum/common"
	chain "github.com/spoorhq/spoor/chains/ethereum"
)

// Source is where the indexer reads blocks, normally *chain.RPC. It must
// be safe for concurrent use; the indexer bounds the concurrency.
type Source interface {
	// Tip returns the height and hash of the source's best block.
	Tip(ctx context.Context) (uint64, common.Hash, error)
	// HashAt returns the hash of the best-chain block at height n.
	HashAt(ctx context.Context, n uint64) (common.Hash, error)
	// FetchBlock returns the block at height n with receipts and traces.
	FetchBlock(ctx context.Context, n uint64) (*chain.Block, error)
	// TokenMeta returns a token contract's symbol, name and decimals.
	TokenMeta(ctx context.Context, token common.Address) (chain.TokenMeta, error)
}

var _ Source = (*chain.RPC)(nil)

// sourceError marks a failure to read from the source, as opposed to bad
// data or a storage failure. A follower waits and tries again after one.
type sourceError struct{ err error }

func (e *sourceError) Error() string { return e.err.Error() }

func (e *sourceError) Unwrap() error { return e.err }
