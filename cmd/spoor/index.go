package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/schollz/progressbar/v3"
	"github.com/spoorhq/spoor/chains/bitcoin"
	"github.com/spoorhq/spoor/indexer"
	"github.com/spoorhq/spoor/storage"
	"golang.org/x/term"
)

func (c *cli) registerIndex(cmds map[string]func(context.Context, Config) error) {
	idx := c.app.Command("index", "Index a chain into the data directory.")
	btc := idx.Command("bitcoin", "Index Bitcoin from blk*.dat files (--blocks) or a node's JSON-RPC (--rpc).")
	c.strFlag(btc.Flag("network", "Network: mainnet, testnet3, testnet4, signet, regtest or simnet (default mainnet)."),
		func(cfg *Config, v string) { cfg.Bitcoin.Network = v })
	var blocks []string
	var blocksGiven bool
	btc.Flag("blocks", "A Bitcoin Core blocks directory or blk file; repeat for several.").IsSetByUser(&blocksGiven).StringsVar(&blocks)
	c.overrides = append(c.overrides, func(cfg *Config) {
		if blocksGiven {
			cfg.Bitcoin.Blocks = blocks
		}
	})
	c.strFlag(btc.Flag("rpc", "Node JSON-RPC URL, such as http://127.0.0.1:8332."), func(cfg *Config, v string) { cfg.Bitcoin.RPC.URL = v })
	c.strFlag(btc.Flag("rpc-user", "RPC user name."), func(cfg *Config, v string) { cfg.Bitcoin.RPC.User = v })
	c.strFlag(btc.Flag("rpc-pass", "RPC password."), func(cfg *Config, v string) { cfg.Bitcoin.RPC.Pass = v })
	c.strFlag(btc.Flag("rpc-cookie", "Bitcoin Core .cookie file, used when no user and password are given."), func(cfg *Config, v string) { cfg.Bitcoin.RPC.Cookie = v })
	c.boolFlag(btc.Flag("follow", "Keep following the node's tip until interrupted."), func(cfg *Config, v bool) { cfg.Index.Follow = v })
	c.intFlag(btc.Flag("lag", "Stay this many blocks behind the source's tip (default 0)."), func(cfg *Config, v int) { cfg.Index.Lag = int32(v) })
	c.intFlag(btc.Flag("finality-depth", "Blocks deeper than this below the tip are bulk-loaded (default 100)."), func(cfg *Config, v int) { cfg.Index.FinalityDepth = int32(v) })
	c.intFlag(btc.Flag("stop-height", "Stop after indexing this height (default: the source's tip)."), func(cfg *Config, v int) { cfg.Index.StopHeight = int32(v) })
	c.intFlag(btc.Flag("workers", "Blocks fetched and decoded in parallel (default: one per core)."), func(cfg *Config, v int) { cfg.Index.Workers = v })
	c.durationFlag(btc.Flag("poll-interval", "How often --follow asks the node for new blocks (default 5s)."), func(cfg *Config, v time.Duration) { cfg.Index.PollInterval = v })
	c.strFlag(btc.Flag("progress", "Progress display: auto (a bar on a terminal, log lines otherwise), bar, log or none."), func(cfg *Config, v string) { cfg.Index.Progress = v })
	c.strFlag(btc.Flag("metrics-listen", "Serve Prometheus metrics on this address, such as 127.0.0.1:9464."), func(cfg *Config, v string) { cfg.Metrics.Listen = v })
	cmds[btc.FullCommand()] = func(ctx context.Context, cfg Config) error { return c.indexBitcoin(ctx, cfg) }
}

// chainDir returns where the index of a Bitcoin network lives.
func chainDir(dataDir, network string) string { return filepath.Join(dataDir, "bitcoin", network) }

// openBitcoinDB opens (or creates) the index of cfg's network.
func openBitcoinDB(cfg Config, net bitcoin.Network, readOnly bool, log *slog.Logger) (*storage.DB, error) {
	opts := &storage.Options{CacheSize: cfg.Storage.CacheBytes, MemTableSize: cfg.Storage.MemTableBytes,
		BloomBitsPerKey: cfg.Storage.BloomBitsPerKey, ReadOnly: readOnly, Logger: log}
	dir := chainDir(cfg.DataDir, net.Name)
	if !readOnly {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
	}
	return storage.Open(dir, "bitcoin/"+net.Name, opts)
}

// openBitcoinSource opens the block files or the RPC source named by cfg.
func openBitcoinSource(ctx context.Context, cfg Config, net bitcoin.Network) (indexer.Source, func() error, []error, error) {
	hasFiles, hasRPC := len(cfg.Bitcoin.Blocks) > 0, cfg.Bitcoin.RPC.URL != ""
	switch {
	case hasFiles && hasRPC:
		return nil, nil, nil, errors.New("give either --blocks or --rpc, not both")
	case hasFiles && cfg.Index.Follow:
		return nil, nil, nil, errors.New("--follow needs --rpc: block files are scanned once, so new blocks would never be seen")
	case hasFiles:
		bf, err := bitcoin.OpenBlockFiles(ctx, net, cfg.Bitcoin.Blocks...)
		if err != nil {
			return nil, nil, nil, err
		}
		return bitcoin.FileSource{Files: bf}, bf.Close, bf.Problems(), nil
	case hasRPC:
		src, err := bitcoin.NewRPCSource(bitcoin.RPCConfig{URL: cfg.Bitcoin.RPC.URL, User: cfg.Bitcoin.RPC.User,
			Pass: cfg.Bitcoin.RPC.Pass, CookieFile: cfg.Bitcoin.RPC.Cookie, Timeout: cfg.Bitcoin.RPC.Timeout, Retries: cfg.Bitcoin.RPC.Retries})
		if err != nil {
			return nil, nil, nil, err
		}
		return src, func() error { return nil }, nil, nil
	}
	return nil, nil, nil, errors.New("say where the blocks are: --blocks DIR_OR_FILE or --rpc URL")
}

func (c *cli) indexBitcoin(ctx context.Context, cfg Config) error {
	log, err := newLogger(cfg, c.stderr)
	if err != nil {
		return err
	}
	net, err := bitcoin.LookupNetwork(cfg.Bitcoin.Network)
	if err != nil {
		return err
	}
	src, closeSrc, problems, err := openBitcoinSource(ctx, cfg, net)
	if err != nil {
		return err
	}
	defer closeSrc()
	db, err := openBitcoinDB(cfg, net, false, log)
	if err != nil {
		return err
	}
	defer db.Close()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := indexer.NewMetrics(reg)
	if cfg.Metrics.Listen != "" {
		stopMetrics, err := serveMetrics(cfg.Metrics.Listen, reg, log)
		if err != nil {
			return err
		}
		defer stopMetrics()
	}
	icfg := indexer.Config{
		Workers: cfg.Index.Workers, Window: cfg.Index.Window, FinalityDepth: cfg.Index.FinalityDepth,
		Lag: cfg.Index.Lag, StopHeight: cfg.Index.StopHeight, Follow: cfg.Index.Follow, PollInterval: cfg.Index.PollInterval,
		MaxReorgDepth: cfg.Index.MaxReorgDepth, BulkBatchBytes: cfg.Index.BulkBatchBytes,
		BulkCommitInterval: cfg.Index.BulkCommitInterval, UTXOCacheTxs: cfg.Index.UTXOCacheTxs,
		AddrCacheEntries: cfg.Index.AddrCacheEntries, Logger: log, Metrics: metrics,
	}
	prog, err := newProgress(cfg.Index.Progress, c.stderr, log)
	if err != nil {
		return err
	}
	icfg.OnCommit = prog.update
	indexes, err := clusterIndexes(ctx, cfg, db, src, log)
	if err != nil {
		return err
	}
	detIdx, stopDetect, err := detectIndexes(ctx, cfg, db, net, log, c.stderr)
	if err != nil {
		return err
	}
	defer stopDetect()
	indexes = append(indexes, detIdx...)
	ix, err := indexer.New(db, src, icfg, indexes...)
	if err != nil {
		return err
	}
	start := time.Now()
	startHeight := ix.Height()
	err = ix.Run(ctx)
	prog.finish()
	log.Info("indexing stopped", "height", ix.Height(), "blocks", ix.Height()-startHeight, "elapsed", time.Since(start).Round(time.Millisecond))
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		return fmt.Errorf("indexed up to height %d, but the block files have problems: %w", ix.Height(), errors.Join(problems...))
	}
	return nil
}

// serveMetrics serves reg on addr until the returned function is called.
func serveMetrics(addr string, reg *prometheus.Registry, log *slog.Logger) (func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics listen %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server", "err", err)
		}
	}()
	log.Info("serving metrics", "addr", ln.Addr().String())
	return func() { _ = srv.Close() }, nil
}

// progress shows indexing progress as a bar on a terminal or as periodic
// log lines.
type progress struct {
	bar     *progressbar.ProgressBar
	log     *slog.Logger
	last    time.Time
	lastTxs uint64
	start   time.Time
}

func newProgress(mode string, w io.Writer, log *slog.Logger) (*progress, error) {
	p := &progress{start: time.Now(), last: time.Now()}
	if mode == "auto" {
		mode = "log"
		if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			mode = "bar"
		}
	}
	switch mode {
	case "bar":
		p.bar = progressbar.NewOptions64(-1, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription("indexing"),
			progressbar.OptionShowCount(), progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionShowElapsedTimeOnFinish(), progressbar.OptionFullWidth())
	case "log":
		p.log = log
	case "none":
	default:
		return nil, fmt.Errorf("progress %q: want auto, bar, log or none", mode)
	}
	return p, nil
}

func (p *progress) update(pr indexer.Progress) {
	now := time.Now()
	switch {
	case p.bar != nil:
		if p.bar.GetMax64() != int64(pr.SourceHeight)+1 {
			p.bar.ChangeMax64(int64(pr.SourceHeight) + 1)
		}
		rate := float64(pr.Txs-p.lastTxs) / max(now.Sub(p.last).Seconds(), 1e-3)
		p.bar.Describe(fmt.Sprintf("height %d, %.0f tx/s", pr.Height, rate))
		_ = p.bar.Set64(int64(pr.Height) + 1)
	case p.log != nil:
		if now.Sub(p.last) < 5*time.Second {
			return
		}
		rate := float64(pr.Txs-p.lastTxs) / now.Sub(p.last).Seconds()
		var eta time.Duration
		if done := float64(pr.Height + 1); done > 0 {
			eta = time.Duration(float64(now.Sub(p.start)) * (float64(pr.SourceHeight) - float64(pr.Height)) / done)
		}
		p.log.Info("progress", "height", pr.Height, "source_height", pr.SourceHeight, "tx_per_s", int(rate), "eta", eta.Round(time.Second))
	default:
		return
	}
	p.last, p.lastTxs = now, pr.Txs
}

func (p *progress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}
