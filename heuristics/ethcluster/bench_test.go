package ethcluster

import (
	"context"
	"math/big"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	chain "github.com/spoorhq/spoor/chains/ethereum"
	ethindex "github.com/spoorhq/spoor/indexer/ethereum"
	"github.com/spoorhq/spoor/internal/gethtest"
	"github.com/spoorhq/spoor/storage"
)

// timed is an index that measures the time its index spends connecting
// blocks.
type timed struct {
	*Index
	connect time.Duration
}

func (t *timed) ConnectBlock(b *storage.Batch, blk *ethindex.Block) error {
	start := time.Now()
	err := t.Index.ConnectBlock(b, blk)
	t.connect += time.Since(start)
	return err
}

// floodChain fills a real geth with txs transactions from 8 keys to 64
// addresses, submitted without waiting so that blocks hold many: two
// thirds ether payments, one third ERC-20 transfers. Every payment is a
// candidate deposit payment and every token transfer a candidate airdrop
// transfer and claim, so the rules keep state for all of them.
func floodChain(b *testing.B, n *gethtest.Node, txs int) {
	b.Helper()
	ctx := context.Background()
	tok, err := gethtest.LoadContract("Token")
	if err != nil {
		b.Fatal(err)
	}
	token, _, err := n.Deploy(ctx, tok, nil, big.NewInt(1e15))
	if err != nil {
		b.Fatal(err)
	}
	var senders []*gethtest.Sender
	for range 8 {
		key, addr, err := gethtest.NewKey()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := n.Send(ctx, gethtest.Tx{To: &addr, Value: new(big.Int).Mul(big.NewInt(1000), big.NewInt(1e18))}); err != nil {
			b.Fatal(err)
		}
		if _, err := n.Invoke(ctx, gethtest.Tx{}, tok, token, "transfer", addr, big.NewInt(1e12)); err != nil {
			b.Fatal(err)
		}
		s, err := n.NewSender(ctx, key)
		if err != nil {
			b.Fatal(err)
		}
		senders = append(senders, s)
	}
	recipients := make([]common.Address, 64)
	for i := range recipients {
		_, recipients[i], _ = gethtest.NewKey()
	}
	for i := range txs {
		s, to := senders[i%len(senders)], recipients[i%len(recipients)]
		var err error
		if i%3 == 2 {
			data, perr := tok.Pack("transfer", to, big.NewInt(int64(i%7+1)*100))
			if perr != nil {
				b.Fatal(perr)
			}
			_, err = s.Send(ctx, token, nil, data, 250_000)
		} else {
			_, err = s.Send(ctx, to, new(big.Int).Mul(big.NewInt(int64(i%20+1)), big.NewInt(1e17)), nil, 21_000)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	for _, s := range senders {
		if r, err := n.WaitMined(ctx, s.Last()); err != nil || r.Status != 1 {
			b.Fatalf("last flood tx: %v %+v", err, r)
		}
	}
}

// BenchmarkIndexClustering indexes a real geth's flooded chain from the
// node without clustering and with the Ethereum clustering maintained
// block by block, then clusters the first index from its stored blocks
// (Build: the catch-up of a new generation). It reports the blocks per
// second of each, the clustered index's time as a ratio to the plain
// one's, and the share of it spent in the clustering's ConnectBlock.
// SPOOR_BENCH_TXS sets the chain's size (default 3000 transactions).
func BenchmarkIndexClustering(b *testing.B) {
	txs := 3000
	if v, err := strconv.Atoi(os.Getenv("SPOOR_BENCH_TXS")); err == nil && v > 0 {
		txs = v
	}
	n := gethtest.Start(b)
	floodChain(b, n, txs)
	ctx := context.Background()
	src, err := chain.DialRPC(ctx, n.URL, chain.RPCOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	tip, _, err := src.Tip(ctx)
	if err != nil {
		b.Fatal(err)
	}
	_, ex, _ := gethtest.NewKey()
	set, err := NewSet(Config{Exchanges: []string{ex.Hex()}})
	if err != nil {
		b.Fatal(err)
	}
	// Bulk mode, as when indexing history; the chain stops at tip.
	cfg := ethindex.Config{FinalityDepth: 1, StopHeight: int64(tip)}
	run := func(idx ethindex.Index) (*storage.DB, time.Duration) {
		db, err := storage.Open(b.TempDir(), "ethereum", nil)
		if err != nil {
			b.Fatal(err)
		}
		c := cfg
		if idx != nil {
			c.Indexes = []ethindex.Index{idx}
		}
		ix, err := ethindex.New(db, src, c)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if err := ix.Run(ctx); err != nil {
			b.Fatal(err)
		}
		return db, time.Since(start)
	}
	// A first index warms the node's caches.
	warm, _ := run(nil)
	warm.Close()
	var plainTime, clusterTime, connectTime, buildTime time.Duration
	runs := 0
	plain := func() {
		db, d := run(nil)
		plainTime += d
		start := time.Now()
		if _, err := Build(ctx, db, set, nil); err != nil {
			b.Fatal(err)
		}
		buildTime += time.Since(start)
		db.Close()
	}
	clustered := func() {
		db, err := storage.Open(b.TempDir(), "ethereum", nil)
		if err != nil {
			b.Fatal(err)
		}
		idx, err := OpenIndex(db, set, nil)
		if err != nil {
			b.Fatal(err)
		}
		tm := &timed{Index: idx}
		c := cfg
		c.Indexes = []ethindex.Index{tm}
		ix, err := ethindex.New(db, src, c)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if err := ix.Run(ctx); err != nil {
			b.Fatal(err)
		}
		clusterTime += time.Since(start)
		connectTime += tm.connect
		db.Close()
	}
	// The two alternate in order, so that neither always runs first.
	for b.Loop() {
		if runs%2 == 0 {
			plain()
			clustered()
		} else {
			clustered()
			plain()
		}
		runs++
	}
	blocks := float64(tip+1) * float64(runs)
	b.ReportMetric(blocks/plainTime.Seconds(), "plain-blocks/s")
	b.ReportMetric(blocks/clusterTime.Seconds(), "clustered-blocks/s")
	b.ReportMetric(clusterTime.Seconds()/plainTime.Seconds(), "clustered/plain")
	b.ReportMetric(connectTime.Seconds()/clusterTime.Seconds(), "connect-share")
	b.ReportMetric(blocks/buildTime.Seconds(), "catchup-blocks/s")
	b.ReportMetric(float64(tip+1), "blocks")
}
