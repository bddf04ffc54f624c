package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spoorhq/spoor/chains/bitcoin/sim"
	"golang.org/x/term"
)

func (c *cli) registerSimulate(cmds map[string]func(context.Context, Config) error) {
	simCmd := c.app.Command("simulate", "Generate a chain with known ground truth.")
	btc := simCmd.Command("bitcoin", "Write consensus-valid regtest blocks (blk*.dat), truth.jsonl and labels.csv into --out. The world (merchants, processors, planted scenarios) comes from the simulate.bitcoin section of --config (see docs/world.example.yaml).")
	var opts sim.Options
	var out string
	btc.Flag("out", "Directory to write blk*.dat and truth.jsonl into; it must not hold block files already.").Required().StringVar(&out)
	btc.Flag("seed", "Seed: the same seed and options give byte-identical files.").Default("1").Uint64Var(&opts.Seed)
	btc.Flag("txs", "Non-coinbase transactions to generate.").Default("100000").IntVar(&opts.Txs)
	btc.Flag("wallets", "Ordinary wallets (default: txs/20, at least 50).").IntVar(&opts.Wallets)
	btc.Flag("txs-per-block", "Transactions per block (default 2000).").IntVar(&opts.TxsPerBlock)
	btc.Flag("workers", "Signing goroutines (default: one per core).").IntVar(&opts.Workers)
	btc.Flag("exchanges", "Exchanges (default: 3 from 10,000 txs, else 1; negative: none).").IntVar(&opts.Exchanges)
	btc.Flag("coinjoins", "CoinJoin transactions per 1,000 (default: 10 from 10,000 txs, else none; negative: none).").IntVar(&opts.CoinJoins)
	cmds[btc.FullCommand()] = func(ctx context.Context, cfg Config) error {
		opts.World = cfg.Simulate.Bitcoin
		return c.simulateBitcoin(ctx, out, opts)
	}
}

func (c *cli) simulateBitcoin(ctx context.Context, out string, opts sim.Options) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	var bar *progressbar.ProgressBar
	if f, ok := c.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		bar = progressbar.NewOptions(opts.Txs, progressbar.OptionSetWriter(c.stderr), progressbar.OptionSetDescription("simulating"),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("tx"),
			progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionFullWidth())
		opts.Progress = func(_, txs int) { _ = bar.Set(txs) }
	}
	start := time.Now()
	sum, err := sim.Generate(ctx, out, opts)
	if bar != nil {
		_ = bar.Finish()
		fmt.Fprintln(c.stderr)
	}
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	fmt.Fprintf(c.stdout, "wrote %d regtest blocks (tip %s at height %d): %d transactions, %d inputs, %d outputs, %d addresses, %.1f MiB in %d files, in %s (%.0f tx/s)\n",
		sum.Blocks, sum.Tip, sum.Height, sum.Txs, sum.Inputs, sum.Outputs, sum.Addresses, float64(sum.Bytes)/(1<<20), len(sum.Files),
		elapsed.Round(time.Millisecond), float64(sum.Txs)/elapsed.Seconds())
	fmt.Fprintf(c.stdout, "ground truth: %s (%d planted scenarios and decoys)\npublic labels: %s\nindex it: spoor index bitcoin --network regtest --blocks %s --datadir DIR\n", sum.Truth, sum.Scenarios, sum.Labels, out)
	return nil
}
