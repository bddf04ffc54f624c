package indexer

import (
	"context"

	"github.com/btcsuite/btcd/chainhash/v2"
)

// Source is where the indexer reads blocks: a node's RPC interface or a
// directory of block files. Implementations must be safe for concurrent
// use; the indexer bounds the concurrency.
type Source interface {
	// Tip returns the height and hash of the source's best block.
	Tip(ctx context.Context) (int32, chainhash.Hash, error)
	// HashAt returns the hash of the best-chain block at height.
	HashAt(ctx context.Context, height int32) (chainhash.Hash, error)
	// ReadBlock returns the serialized block at height.
	ReadBlock(ctx context.Context, height int32) ([]byte, error)
}

// sourceError marks a failure to read from the source (as opposed to bad
// data or a storage failure). A follower waits and tries again after one.
type sourceError struct{ err error }

func (e *sourceError) Error() string { return e.err.Error() }

func (e *sourceError) Unwrap() error { return e.err }
