package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spoorhq/spoor/api"
	chain "github.com/spoorhq/spoor/chains/ethereum"
	"github.com/spoorhq/spoor/indexer"
	ethindex "github.com/spoorhq/spoor/indexer/ethereum"
	"github.com/spoorhq/spoor/storage"
)

// EthereumConfig says where to read Ethereum and how to decode it.
type EthereumConfig struct {
	// RPC is the node's JSON-RPC URL (http, ws or an IPC path).
	RPC string `yaml:"rpc"`
	// Timeout bounds each request to the node. 0: 60s.
	Timeout time.Duration `yaml:"timeout"`
	// From is the first block indexed into an empty index.
	From uint64 `yaml:"from"`
	// WETH lists wrapped-ether contracts besides mainnet WETH9.
	WETH []string `yaml:"weth"`
}

// ethChainName is the chain stamp of the Ethereum index.
const ethChainName = "ethereum"

// ethDir returns where the Ethereum index lives.
func ethDir(dataDir string) string { return filepath.Join(dataDir, "ethereum") }

// openEthereumDB opens (or creates) the Ethereum index.
func openEthereumDB(cfg Config, readOnly bool, log *slog.Logger) (*storage.DB, error) {
	opts := &storage.Options{CacheSize: cfg.Storage.CacheBytes, MemTableSize: cfg.Storage.MemTableBytes,
		BloomBitsPerKey: cfg.Storage.BloomBitsPerKey, ReadOnly: readOnly, Logger: log}
	dir := ethDir(cfg.DataDir)
	if !readOnly {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
	}
	return storage.Open(dir, ethChainName, opts)
}

func (c *cli) registerEthereum(cmds map[string]func(context.Context, Config) error) {
	idx := c.app.GetCommand("index")
	if idx == nil {
		return
	}
	cmd := idx.Command("ethereum", "Index Ethereum from a node's JSON-RPC (--rpc): ether, internal calls, tokens, fees, withdrawals.")
	c.strFlag(cmd.Flag("rpc", "Node JSON-RPC URL, such as http://127.0.0.1:8545 (the debug API gives internal transfers)."), func(cfg *Config, v string) { cfg.Ethereum.RPC = v })
	c.durationFlag(cmd.Flag("rpc-timeout", "Bound on each request to the node (default 60s)."), func(cfg *Config, v time.Duration) { cfg.Ethereum.Timeout = v })
	c.intFlag(cmd.Flag("from", "First block to index into an empty index (default 0)."), func(cfg *Config, v int) { cfg.Ethereum.From = uint64(v) })
	var weth []string
	var wethGiven bool
	cmd.Flag("weth", "A wrapped-ether contract besides mainnet WETH9; repeat for several.").IsSetByUser(&wethGiven).StringsVar(&weth)
	c.overrides = append(c.overrides, func(cfg *Config) {
		if wethGiven {
			cfg.Ethereum.WETH = weth
		}
	})
	c.boolFlag(cmd.Flag("follow", "Keep following the node's tip until interrupted."), func(cfg *Config, v bool) { cfg.Index.Follow = v })
	c.intFlag(cmd.Flag("lag", "Stay this many blocks behind the node's tip (default 0)."), func(cfg *Config, v int) { cfg.Index.Lag = int32(v) })
	c.intFlag(cmd.Flag("finality-depth", "Blocks deeper than this below the tip are bulk-loaded (default 64)."), func(cfg *Config, v int) { cfg.Index.FinalityDepth = int32(v) })
	c.intFlag(cmd.Flag("stop-height", "Stop after indexing this height (default: the node's tip)."), func(cfg *Config, v int) { cfg.Index.StopHeight = int32(v) })
	c.intFlag(cmd.Flag("workers", "Blocks fetched and decoded in parallel (default: two per core)."), func(cfg *Config, v int) { cfg.Index.Workers = v })
	c.durationFlag(cmd.Flag("poll-interval", "How often --follow asks the node for new blocks (default 5s)."), func(cfg *Config, v time.Duration) { cfg.Index.PollInterval = v })
	c.strFlag(cmd.Flag("progress", "Progress display: auto, bar, log or none."), func(cfg *Config, v string) { cfg.Index.Progress = v })
	c.strFlag(cmd.Flag("metrics-listen", "Serve Prometheus metrics on this address, such as 127.0.0.1:9464."), func(cfg *Config, v string) { cfg.Metrics.Listen = v })
	cmds[cmd.FullCommand()] = func(ctx context.Context, cfg Config) error { return c.indexEthereum(ctx, cfg) }

	c.registerEthBench(cmds)
}

// withEthViews opens the Ethereum index read-only and runs fn.
func (c *cli) withEthViews(cfg Config, fn func(api.Ethereum, *storage.DB) error) error {
	if _, err := os.Stat(ethDir(cfg.DataDir)); err != nil {
		return fmt.Errorf("no Ethereum index in %s (run spoor index ethereum --rpc URL): %w", cfg.DataDir, err)
	}
	db, err := openEthereumDB(cfg, true, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(api.Ethereum{DB: db}, db)
}

// ethAddress prints the view of an Ethereum address.
func (c *cli) ethAddress(cfg Config, addr string, limit int, cursor string, asJSON bool) error {
	return c.withEthViews(cfg, func(v api.Ethereum, _ *storage.DB) error {
		a, err := v.Address(addr, limit, cursor)
		if err != nil {
			return err
		}
		if asJSON {
			return writeJSON(c.stdout, a)
		}
		fmt.Fprintf(c.stdout, "address %s: %d transfers, %d counterparties, first seen at %d, last at %d\n",
			a.Address, a.TransferCount, a.Counterparties, a.FirstSeen, a.LastSeen)
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "asset\tsymbol\ttoken id\tbalance\treceived\tsent")
		for _, b := range a.Balances {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", b.Asset, orNone(b.Symbol), orNone(b.TokenID), b.Balance, b.Received, b.Sent)
		}
		fmt.Fprintln(tw, "\nheight\ttx\tkind\tdirection\tcounterparty\tamount")
		for _, e := range a.Transfers {
			peer := e.To
			if e.Direction == "in" {
				peer = e.From
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s %s\n", e.Height, e.TxHash, e.Kind, e.Direction, orNone(peer), e.Amount, e.Symbol)
		}
		if a.NextCursor != "" {
			fmt.Fprintf(tw, "more: --cursor %s\n", a.NextCursor)
		}
		return tw.Flush()
	})
}

// ethTx prints the view of an Ethereum transaction.
func (c *cli) ethTx(cfg Config, hash string, asJSON bool) error {
	return c.withEthViews(cfg, func(v api.Ethereum, _ *storage.DB) error {
		t, err := v.Tx(hash)
		if err != nil {
			return err
		}
		if asJSON {
			return writeJSON(c.stdout, t)
		}
		fmt.Fprintf(c.stdout, "tx %s (%s)\nblock %d (%s) at %s, position %d, %s -> %s, value %s wei, fee %s wei\n",
			t.Hash, t.Status, t.Height, t.Block, t.Time, t.Index, orNone(t.From), orNone(t.To), t.Value, t.FeeWei)
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		for _, e := range t.Transfers {
			fmt.Fprintf(tw, "%d\t%s\t%s\t->\t%s\t%s %s\t%s\n", e.Seq, e.Kind, orNone(e.From), orNone(e.To), e.Amount, e.Symbol, e.TokenID)
		}
		return tw.Flush()
	})
}

// ethStats prints the summary of the Ethereum index.
func (c *cli) ethStats(cfg Config, asJSON bool) error {
	return c.withEthViews(cfg, func(v api.Ethereum, db *storage.DB) error {
		s, err := v.Stats(db.Chain(), ethindex.ChainIndexName, ethindex.AddrIndexName)
		if err != nil {
			return err
		}
		s.DiskBytes = db.DiskUsage()
		if asJSON {
			return writeJSON(c.stdout, s)
		}
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "chain\t%s\nheight\t%d\ttip %s at %s\nblocks\t%d\ntransactions\t%d\t(%d failed)\ntransfers\t%d\naddresses\t%d\ntokens\t%d\nskipped token logs\t%d\ninternal transfers\t%s\ndisk\t%.1f MiB\n",
			s.Chain, s.Height, s.TipHash, s.TipTime, s.Blocks, s.Txs, s.FailedTxs, s.Transfers, s.Addresses, s.Tokens, s.SkippedLogs,
			s.InternalTraces, float64(s.DiskBytes)/(1<<20))
		return tw.Flush()
	})
}

// ethIndexConfig maps the shared index settings onto the Ethereum
// indexer's.
func ethIndexConfig(cfg Config, log *slog.Logger) (ethindex.Config, error) {
	icfg := ethindex.Config{Workers: cfg.Index.Workers, Window: cfg.Index.Window, FinalityDepth: int64(cfg.Index.FinalityDepth),
		Lag: int64(cfg.Index.Lag), From: cfg.Ethereum.From, StopHeight: int64(cfg.Index.StopHeight), Follow: cfg.Index.Follow,
		PollInterval: cfg.Index.PollInterval, MaxReorgDepth: int64(cfg.Index.MaxReorgDepth), BulkBatchBytes: cfg.Index.BulkBatchBytes,
		BulkCommitInterval: cfg.Index.BulkCommitInterval, AddrCacheEntries: cfg.Index.AddrCacheEntries, Logger: log}
	for _, w := range cfg.Ethereum.WETH {
		if !api.IsEthAddress(w) {
			return icfg, fmt.Errorf("weth %q is not a 0x-prefixed address", w)
		}
		icfg.WETH = append(icfg.WETH, common.HexToAddress(w))
	}
	return icfg, nil
}

func (c *cli) indexEthereum(ctx context.Context, cfg Config) error {
	log, err := newLogger(cfg, c.stderr)
	if err != nil {
		return err
	}
	if cfg.Ethereum.RPC == "" {
		return errors.New("say where the node is: --rpc URL")
	}
	icfg, err := ethIndexConfig(cfg, log)
	if err != nil {
		return err
	}
	src, err := chain.DialRPC(ctx, cfg.Ethereum.RPC, chain.RPCOptions{Timeout: cfg.Ethereum.Timeout, Logger: log})
	if err != nil {
		return err
	}
	defer src.Close()
	db, err := openEthereumDB(cfg, false, log)
	if err != nil {
		return err
	}
	defer db.Close()
	prog, err := newProgress(cfg.Index.Progress, c.stderr, log)
	if err != nil {
		return err
	}
	icfg.OnCommit = func(p ethindex.Progress) {
		prog.update(indexer.Progress{Height: int32(p.Height), SourceHeight: int32(p.SourceHeight), Txs: p.Txs, Keys: p.Keys, Bulk: p.Bulk})
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	icfg.Metrics = ethindex.NewMetrics(reg)
	if cfg.Metrics.Listen != "" {
		stopMetrics, err := serveMetrics(cfg.Metrics.Listen, reg, log)
		if err != nil {
			return err
		}
		defer stopMetrics()
	}
	if icfg.Indexes, err = ethClusterIndexes(cfg, db, log); err != nil {
		return err
	}
	ix, err := ethindex.New(db, src, icfg)
	if err != nil {
		return err
	}
	start := time.Now()
	startHeight := ix.Height()
	err = ix.Run(ctx)
	prog.finish()
	st := ix.State()
	log.Info("indexing stopped", "height", ix.Height(), "blocks", ix.Height()-startHeight, "transfers", st.Transfers,
		"skipped_token_logs", st.SkippedLogs, "elapsed", time.Since(start).Round(time.Millisecond))
	if mode, known := src.TraceMode(); known && mode == chain.TraceNone {
		log.Warn("internal transfers are missing: the node has no tracing API", "untraced_blocks", st.UntracedBlocks)
	}
	return err
}
