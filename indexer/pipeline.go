package indexer

import (
	"context"
	"fmt"

	"github.com/spoorhq/spoor/chains/bitcoin"
	"golang.org/x/sync/errgroup"
)

// locator is implemented by sources that can say where a block is stored,
// so that a block that fails to decode is reported with its file and
// offset.
type locator interface {
	Locate(height int32) string
}

// fetched is the outcome of fetching and decoding one block.
type fetched struct {
	blk *bitcoin.Block
	err error
}

// fetchOrdered fetches and decodes the blocks at heights from..to with
// workers goroutines, keeping at most window blocks in flight, and calls
// apply with each block in height order, from one goroutine. It stops
// at the first error, from a fetch, a decode or apply, and returns it; by
// then apply has seen exactly the blocks below the failing height.
func fetchOrdered(ctx context.Context, src Source, from, to int32, workers, window int,
	apply func(*bitcoin.Block) error) error {
	if from > to {
		return nil
	}
	g, ctx := errgroup.WithContext(ctx)
	type job struct {
		height int32
		res    chan fetched
	}
	jobs := make(chan job)
	order := make(chan chan fetched, window)
	g.Go(func() error {
		defer close(jobs)
		defer close(order)
		for h := from; h <= to; h++ {
			res := make(chan fetched, 1)
			select {
			case order <- res:
			case <-ctx.Done():
				return nil
			}
			select {
			case jobs <- job{height: h, res: res}:
			case <-ctx.Done():
				return nil
			}
		}
		return nil
	})
	for range workers {
		g.Go(func() error {
			for j := range jobs {
				raw, err := src.ReadBlock(ctx, j.height)
				var blk *bitcoin.Block
				if err != nil {
					err = &sourceError{fmt.Errorf("read block at height %d: %w", j.height, err)}
				} else {
					blk, err = bitcoin.DecodeBlock(raw, j.height)
					if l, ok := src.(locator); ok && err != nil {
						err = fmt.Errorf("%s: %w", l.Locate(j.height), err)
					}
				}
				j.res <- fetched{blk: blk, err: err}
			}
			return nil
		})
	}
	g.Go(func() error {
		for res := range order {
			var f fetched
			select {
			case f = <-res:
			case <-ctx.Done():
				return ctx.Err()
			}
			if f.err != nil {
				return f.err
			}
			if err := apply(f.blk); err != nil {
				return err
			}
		}
		return nil
	})
	return g.Wait()
}
