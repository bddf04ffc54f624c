package ethereum

import (
	"context"
	"fmt"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	chain "github.com/spoorhq/spoor/chains/ethereum"
	"golang.org/x/sync/errgroup"
)

// prepared is a block fetched and decoded by a worker, ready for the
// writer: its edges and the metadata of every token it moves.
type prepared struct {
	blk  *chain.Block
	dec  *chain.Decoded
	meta map[common.Address]chain.TokenMeta
}

// metaCache fetches each token's metadata once per process, however many
// workers see the token at the same time.
type metaCache struct {
	mu sync.Mutex
	m  map[common.Address]*metaEntry
}

type metaEntry struct {
	done chan struct{}
	meta chain.TokenMeta
	err  error
}

func newMetaCache() *metaCache { return &metaCache{m: map[common.Address]*metaEntry{}} }

// get returns the token's metadata, fetching it if no one has.
func (c *metaCache) get(ctx context.Context, src Source, token common.Address) (chain.TokenMeta, error) {
	c.mu.Lock()
	e, ok := c.m[token]
	if !ok {
		e = &metaEntry{done: make(chan struct{})}
		c.m[token] = e
	}
	c.mu.Unlock()
	if !ok {
		e.meta, e.err = src.TokenMeta(ctx, token)
		if e.err != nil {
			c.mu.Lock()
			delete(c.m, token) // let a later block try again
			c.mu.Unlock()
		}
		close(e.done)
	}
	select {
	case <-e.done:
	case <-ctx.Done():
		return chain.TokenMeta{}, ctx.Err()
	}
	return e.meta, e.err
}

// prepare fetches and decodes the block at height n.
func prepare(ctx context.Context, src Source, logs *chain.LogDecoder, metas *metaCache, n uint64) (*prepared, error) {
	blk, err := src.FetchBlock(ctx, n)
	if err != nil {
		return nil, &sourceError{fmt.Errorf("fetch block %d: %w", n, err)}
	}
	dec, err := logs.DecodeBlock(blk)
	if err != nil {
		return nil, err
	}
	p := &prepared{blk: blk, dec: dec}
	for _, edges := range dec.Txs {
		for i := range edges {
			t := &edges[i]
			if !t.Kind.Token() {
				continue
			}
			if _, ok := p.meta[t.Asset]; ok {
				continue
			}
			m, err := metas.get(ctx, src, t.Asset)
			if err != nil {
				return nil, &sourceError{fmt.Errorf("block %d: token %s: %w", n, t.Asset, err)}
			}
			if p.meta == nil {
				p.meta = map[common.Address]chain.TokenMeta{}
			}
			p.meta[t.Asset] = m
		}
	}
	return p, nil
}

// fetchOrdered prepares the blocks from..to with workers goroutines,
// keeping at most window blocks in flight, and calls apply with each in
// height order from one goroutine. It stops at the first error and
// returns it; apply has then seen exactly the blocks below the failing
// height.
func fetchOrdered(ctx context.Context, from, to uint64, workers, window int,
	prep func(context.Context, uint64) (*prepared, error), apply func(*prepared) error) error {
	if from > to {
		return nil
	}
	type result struct {
		p   *prepared
		err error
	}
	type job struct {
		n   uint64
		res chan result
	}
	g, ctx := errgroup.WithContext(ctx)
	jobs := make(chan job)
	order := make(chan chan result, window)
	g.Go(func() error {
		defer close(jobs)
		defer close(order)
		for n := from; n <= to; n++ {
			res := make(chan result, 1)
			select {
			case order <- res:
			case <-ctx.Done():
				return nil
			}
			select {
			case jobs <- job{n: n, res: res}:
			case <-ctx.Done():
				return nil
			}
		}
		return nil
	})
	for range workers {
		g.Go(func() error {
			for j := range jobs {
				p, err := prep(ctx, j.n)
				j.res <- result{p: p, err: err}
			}
			return nil
		})
	}
	g.Go(func() error {
		for res := range order {
			var r result
			select {
			case r = <-res:
			case <-ctx.Done():
				return ctx.Err()
			}
			if r.err != nil {
				return r.err
			}
			if err := apply(r.p); err != nil {
				return err
			}
		}
		return nil
	})
	return g.Wait()
}
