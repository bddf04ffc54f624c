package ethereum

import (
	"context"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	chain "github.com/spoorhq/spoor/chains/ethereum"
	"github.com/spoorhq/spoor/internal/gethtest"
	"github.com/spoorhq/spoor/storage"
)

// busyChain fills a real geth with txs transactions from several keys,
// submitted without waiting so that blocks hold many: two thirds plain
// transfers, a sixth ERC-20 transfers and a sixth splits into three
// internal calls.
func busyChain(b *testing.B, n *gethtest.Node, txs int) {
	b.Helper()
	ctx := context.Background()
	tok, err := gethtest.LoadContract("Token")
	if err != nil {
		b.Fatal(err)
	}
	split, err := gethtest.LoadContract("Splitter")
	if err != nil {
		b.Fatal(err)
	}
	token, _, err := n.Deploy(ctx, tok, nil, big.NewInt(1e15))
	if err != nil {
		b.Fatal(err)
	}
	splitter, _, err := n.Deploy(ctx, split, nil)
	if err != nil {
		b.Fatal(err)
	}
	const keys = 8
	var senders []*gethtest.Sender
	for range keys {
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
	for i := 0; i < txs; i++ {
		s := senders[i%keys]
		to := recipients[i%len(recipients)]
		var err error
		switch i % 6 {
		case 4:
			data, perr := tok.Pack("transfer", to, big.NewInt(int64(i+1)))
			if perr != nil {
				b.Fatal(perr)
			}
			_, err = s.Send(ctx, token, nil, data, 250_000)
		case 5:
			data, perr := split.Pack("split", []common.Address{to, recipients[(i+1)%len(recipients)], recipients[(i+2)%len(recipients)]})
			if perr != nil {
				b.Fatal(perr)
			}
			_, err = s.Send(ctx, splitter, big.NewInt(3e15), data, 400_000)
		default:
			_, err = s.Send(ctx, to, big.NewInt(int64(i+1)*1e12), nil, 21_000)
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

// BenchmarkIngest measures, in the same run, fetching and decoding a real
// geth's blocks (blocks, receipts and callTracer traces over JSON-RPC)
// and fully indexing them into Pebble. It reports the full index's blocks
// and transfers per second and its time as a ratio to fetch-only
// (target: at most 1.10), and the writer's own time (connecting and
// committing blocks already in memory) as a ratio to fetch-only: what
// indexing would add if nothing overlapped. SPOOR_BENCH_TXS sets the chain's size (default
// 3000 transactions).
func BenchmarkIngest(b *testing.B) {
	txs := 3000
	if v, err := strconv.Atoi(os.Getenv("SPOOR_BENCH_TXS")); err == nil && v > 0 {
		txs = v
	}
	n := gethtest.Start(b)
	busyChain(b, n, txs)
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
	cfg := Config{FinalityDepth: 1}
	cfg.EnsureDefaults()
	// A first fetch warms the node's caches, so that neither measurement
	// pays for the node's cold start; the two then alternate in order.
	if _, _, err := FetchOnly(ctx, src, 0, tip, cfg.Workers); err != nil {
		b.Fatal(err)
	}
	// The writer alone: every block prepared in memory first, then
	// connected and committed, so that its cost is seen apart from the
	// node's (the full index overlaps the two).
	var prepped []*prepared
	logs, metas := chain.NewLogDecoder(), newMetaCache()
	if err := fetchOrdered(ctx, 0, tip, cfg.Workers, cfg.Window, func(ctx context.Context, h uint64) (*prepared, error) {
		return prepare(ctx, src, logs, metas, h)
	}, func(p *prepared) error {
		prepped = append(prepped, p)
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	var fetchTime, indexTime, writerTime time.Duration
	var edges uint64
	run := 0
	fetch := func() {
		start := time.Now()
		_, e, err := FetchOnly(ctx, src, 0, tip, cfg.Workers)
		if err != nil {
			b.Fatal(err)
		}
		fetchTime += time.Since(start)
		edges = e
	}
	index := func() {
		db, err := storage.Open(filepath.Join(b.TempDir(), strconv.Itoa(run)), "ethereum", nil)
		if err != nil {
			b.Fatal(err)
		}
		ix, err := New(db, src, cfg)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if err := ix.Run(ctx); err != nil {
			b.Fatal(err)
		}
		indexTime += time.Since(start)
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
		if st := ix.State(); edges != 0 && st.Transfers != edges {
			b.Fatalf("indexed %d transfers, fetched %d", st.Transfers, edges)
		}
	}
	writer := func() {
		db, err := storage.Open(filepath.Join(b.TempDir(), "w"+strconv.Itoa(run)), "ethereum", nil)
		if err != nil {
			b.Fatal(err)
		}
		ix, err := New(db, src, cfg)
		if err != nil {
			b.Fatal(err)
		}
		ix.srcTip, ix.target = int64(tip), int64(tip)
		start := time.Now()
		for _, p := range prepped {
			if err := ix.connect(p); err != nil {
				b.Fatal(err)
			}
		}
		if err := ix.commit(true); err != nil {
			b.Fatal(err)
		}
		writerTime += time.Since(start)
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		if run%2 == 0 {
			fetch()
			index()
		} else {
			index()
			fetch()
		}
		writer()
		run++
	}
	runs := float64(run)
	b.ReportMetric(float64(tip+1)*runs/indexTime.Seconds(), "blocks/s")
	b.ReportMetric(float64(edges)*runs/indexTime.Seconds(), "transfers/s")
	b.ReportMetric(float64(tip+1)*runs/fetchTime.Seconds(), "fetch-blocks/s")
	b.ReportMetric(indexTime.Seconds()/fetchTime.Seconds(), "index/fetch")
	b.ReportMetric(float64(tip+1)*runs/writerTime.Seconds(), "writer-blocks/s")
	b.ReportMetric(writerTime.Seconds()/fetchTime.Seconds(), "writer/fetch")
	b.ReportMetric(float64(tip+1), "blocks")
	b.ReportMetric(float64(edges), "transfers")
}
