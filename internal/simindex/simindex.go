// Package simindex builds indexes of simulated chains for tests and
// benchmarks: it generates a regtest world with the simulator, indexes its
// blocks with the real indexer, and returns the open database.
package simindex

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spoorhq/spoor/chains/bitcoin"
	"github.com/spoorhq/spoor/chains/bitcoin/sim"
	"github.com/spoorhq/spoor/indexer"
	"github.com/spoorhq/spoor/storage"
)

// Chain names the simulated network as storage stamps it.
const Chain = "bitcoin/regtest"

// Index is an indexed simulated world.
type Index struct {
	DB *storage.DB
	// Blocks is the directory of the world's blk files; Truth is its
	// ground truth file.
	Blocks string
	Truth  string
	Net    bitcoin.Network
}

// Build simulates a world with opts into dir/blocks and indexes it into
// dir/index. The caller closes Index.DB.
func Build(ctx context.Context, dir string, opts sim.Options) (*Index, error) {
	blocks := filepath.Join(dir, "blocks")
	if err := os.MkdirAll(blocks, 0o755); err != nil {
		return nil, err
	}
	sum, err := sim.Generate(ctx, blocks, opts)
	if err != nil {
		return nil, fmt.Errorf("simindex: simulate: %w", err)
	}
	net, err := bitcoin.LookupNetwork("regtest")
	if err != nil {
		return nil, err
	}
	bf, err := bitcoin.OpenBlockFiles(ctx, net, blocks)
	if err != nil {
		return nil, err
	}
	defer bf.Close()
	db, err := storage.Open(filepath.Join(dir, "index"), Chain, nil)
	if err != nil {
		return nil, err
	}
	ix, err := indexer.New(db, bitcoin.FileSource{Files: bf}, indexer.Config{})
	if err == nil {
		err = ix.Run(ctx)
	}
	if err == nil {
		// Compact so reads go through sstables, as on a real data
		// directory, rather than a memtable holding the whole world.
		err = db.Compact(ctx)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("simindex: index %s: %w", blocks, err)
	}
	return &Index{DB: db, Blocks: blocks, Truth: sum.Truth, Net: net}, nil
}

// Namer returns a function that turns address numbers into the world's
// regtest addresses.
func (x *Index) Namer() func(storage.AddrID) (string, error) {
	return func(id storage.AddrID) (string, error) {
		rec, err := x.DB.Address(id)
		if err != nil {
			return "", err
		}
		return bitcoin.EncodeAddress(x.Net, bitcoin.ScriptClass(rec.Class), rec.Payload)
	}
}
