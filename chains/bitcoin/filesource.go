package bitcoin

import (
	"context"
	"fmt"

	"github.com/btcsuite/btcd/chainhash/v2"
)

// FileSource serves the best chain of a set of block files with the same
// methods as RPCSource, so the indexer can read from either.
type FileSource struct {
	Files *BlockFiles
}

// Tip returns the height and hash of the best block in the files.
func (s FileSource) Tip(context.Context) (int32, chainhash.Hash, error) {
	h, hash := s.Files.Tip()
	if h < 0 {
		return 0, hash, fmt.Errorf("block files hold no block")
	}
	return h, hash, nil
}

// HashAt returns the hash of the best-chain block at height.
func (s FileSource) HashAt(_ context.Context, height int32) (chainhash.Hash, error) {
	return s.Files.HashAt(height)
}

// ReadBlock returns the serialized block at height.
func (s FileSource) ReadBlock(ctx context.Context, height int32) ([]byte, error) {
	return s.Files.ReadBlock(ctx, height)
}

// Locate names the file and offset of the block at height, for error
// messages.
func (s FileSource) Locate(height int32) string {
	loc, err := s.Files.Location(height)
	if err != nil {
		return fmt.Sprintf("height %d", height)
	}
	return fmt.Sprintf("file %s offset %d", loc.File, loc.Offset)
}
