package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	chain "github.com/spoorhq/spoor/chains/ethereum"
	ethindex "github.com/spoorhq/spoor/indexer/ethereum"
)

// registerEthBench adds --chain ethereum to "spoor bench ingest": the same
// run measures fetching (and decoding) blocks from a node and indexing
// them.
func (c *cli) registerEthBench(cmds map[string]func(context.Context, Config) error) {
	bench := c.app.GetCommand("bench")
	if bench == nil {
		return
	}
	ingest := bench.GetCommand("ingest")
	if ingest == nil || cmds[ingest.FullCommand()] == nil {
		return
	}
	prev := cmds[ingest.FullCommand()]
	var chainName, rpcURL string
	var from, to int64
	ingest.Flag("chain", "Chain to measure: bitcoin (block files) or ethereum (a node, --rpc).").Default("bitcoin").EnumVar(&chainName, "bitcoin", "ethereum")
	ingest.Flag("rpc", "Ethereum node to measure on, with --chain ethereum.").StringVar(&rpcURL)
	ingest.Flag("from", "First Ethereum block of the measured range.").Default("0").Int64Var(&from)
	ingest.Flag("to", "Last Ethereum block of the measured range (default: the node's tip).").Default("-1").Int64Var(&to)
	cmds[ingest.FullCommand()] = func(ctx context.Context, cfg Config) error {
		if chainName != "ethereum" {
			return prev(ctx, cfg)
		}
		runs, asJSON := 3, false
		for _, f := range ingest.Model().Flags {
			switch f.Name {
			case "runs":
				if _, err := fmt.Sscan(f.Value.String(), &runs); err != nil {
					return fmt.Errorf("runs: %w", err)
				}
			case "json":
				asJSON = f.Value.String() == "true"
			}
		}
		return c.benchEthereum(ctx, cfg, rpcURL, from, to, runs, asJSON)
	}
}

// EthIngestResult is what spoor bench ingest --chain ethereum measures.
type EthIngestResult struct {
	Node                 string  `json:"node"`
	Blocks               int64   `json:"blocks"`
	Txs                  uint64  `json:"txs"`
	Transfers            uint64  `json:"transfers"`
	Workers              int     `json:"workers"`
	FetchSeconds         float64 `json:"fetch_only_s"`
	IndexSeconds         float64 `json:"full_index_s"`
	FetchBlocksPerSec    float64 `json:"fetch_only_blocks_per_s"`
	IndexBlocksPerSec    float64 `json:"full_index_blocks_per_s"`
	IndexTransfersPerSec float64 `json:"full_index_transfers_per_s"`
	Overhead             float64 `json:"index_overhead_over_fetch"`
}

func (c *cli) benchEthereum(ctx context.Context, cfg Config, url string, from, to int64, runs int, asJSON bool) error {
	if url == "" {
		return errors.New("--chain ethereum needs --rpc URL of a node holding the blocks to measure")
	}
	if runs < 1 {
		return fmt.Errorf("runs %d: want at least 1", runs)
	}
	src, err := chain.DialRPC(ctx, url, chain.RPCOptions{})
	if err != nil {
		return err
	}
	defer src.Close()
	if to < 0 {
		tip, _, err := src.Tip(ctx)
		if err != nil {
			return err
		}
		to = int64(tip)
	}
	if from > to {
		return fmt.Errorf("from %d is above to %d", from, to)
	}
	icfg, err := ethIndexConfig(cfg, nil)
	if err != nil {
		return err
	}
	// The range is history: bulk-loaded but for its last block.
	icfg.From, icfg.StopHeight, icfg.FinalityDepth = uint64(from), to, 1
	icfg.EnsureDefaults()
	res := EthIngestResult{Node: url, Blocks: to - from + 1, Workers: icfg.Workers}
	for range runs {
		start := time.Now()
		txs, edges, err := ethindex.FetchOnly(ctx, src, uint64(from), uint64(to), icfg.Workers)
		if err != nil {
			return err
		}
		fetch := time.Since(start).Seconds()
		res.Txs, res.Transfers = txs, edges

		dir, err := os.MkdirTemp("", "spoor-bench-eth-")
		if err != nil {
			return err
		}
		bcfg := cfg
		bcfg.DataDir = dir
		db, err := openEthereumDB(bcfg, false, nil)
		if err != nil {
			return err
		}
		ix, err := ethindex.New(db, src, icfg)
		if err != nil {
			return errors.Join(err, db.Close())
		}
		start = time.Now()
		if err := ix.Run(ctx); err != nil {
			return errors.Join(err, db.Close())
		}
		index := time.Since(start).Seconds()
		if err := errors.Join(db.Close(), os.RemoveAll(dir)); err != nil {
			return err
		}
		if res.FetchSeconds == 0 || fetch < res.FetchSeconds {
			res.FetchSeconds = fetch
		}
		if res.IndexSeconds == 0 || index < res.IndexSeconds {
			res.IndexSeconds = index
		}
	}
	res.FetchBlocksPerSec = float64(res.Blocks) / res.FetchSeconds
	res.IndexBlocksPerSec = float64(res.Blocks) / res.IndexSeconds
	res.IndexTransfersPerSec = float64(res.Transfers) / res.IndexSeconds
	res.Overhead = res.IndexSeconds/res.FetchSeconds - 1
	if asJSON {
		return writeJSON(c.stdout, res)
	}
	fmt.Fprintf(c.stdout, "data: blocks %d-%d of %s, %d transactions, %d transfers, %d workers, best of %d runs\n", from, to, url, res.Txs, res.Transfers, res.Workers, runs)
	fmt.Fprintf(c.stdout, "fetch only   %8.3f s  %10.0f blocks/s\nfull index   %8.3f s  %10.0f blocks/s  %10.0f transfers/s\nindexing adds %.1f%% over fetching\n",
		res.FetchSeconds, res.FetchBlocksPerSec, res.IndexSeconds, res.IndexBlocksPerSec, res.IndexTransfersPerSec, 100*res.Overhead)
	return nil
}
