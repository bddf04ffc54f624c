package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spoorhq/spoor/api"
	"github.com/spoorhq/spoor/chains/bitcoin"
	"github.com/spoorhq/spoor/chains/bitcoin/sim"
	"github.com/spoorhq/spoor/indexer"
	"github.com/spoorhq/spoor/internal/chaindata"
)

// Facts the demo looks up in real mainnet history.
const (
	demoTx      = "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16" // block 170: Satoshi pays Hal Finney
	demoAddress = "12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S"                               // the key paid by block 9's coinbase
)

// The simulated world of the demo: small enough to make and index in
// seconds, with blocks small enough that every planted scenario finishes.
const (
	demoSeed        = 1
	demoTxs         = 20_000
	demoTxsPerBlock = 200
	// demoChainDir is the directory under the data directory that holds
	// the simulated chain, its truth.jsonl and labels.csv.
	demoChainDir = "demo-chain"
)

func (c *cli) registerDemo(cmds map[string]func(context.Context, Config) error) {
	demo := c.app.Command("demo", "Simulate a small world with planted laundering patterns, index, label, cluster, screen and trace it; index real mainnet blocks 0-14131 (shipped in the btcd module); then serve the world over GraphQL on 127.0.0.1.")
	var noServe bool
	var listen string
	demo.Flag("no-serve", "Stop after the analysis instead of serving the world.").BoolVar(&noServe)
	demo.Flag("listen", "Where the demo serves the world.").Default("127.0.0.1:8080").StringVar(&listen)
	cmds[demo.FullCommand()] = func(ctx context.Context, cfg Config) error { return c.demo(ctx, cfg, !noServe, listen) }
}

func (c *cli) demo(ctx context.Context, cfg Config, serve bool, listen string) error {
	// Part 1: a simulated world with known truth.
	if err := c.demoSimulated(ctx, cfg); err != nil {
		return err
	}
	picks, err := c.demoAnalysis(ctx, cfg)
	if err != nil {
		return err
	}

	// Part 2: real mainnet history.
	fmt.Fprintf(c.stdout, "\n== part 2: real mainnet blocks ==\n\n")
	if err := c.demoMainnet(ctx, cfg); err != nil {
		return err
	}
	if !serve {
		return nil
	}
	return c.demoServe(ctx, cfg, listen, picks)
}

// demoSimulated simulates the demo world into the data directory (or
// reuses it from an earlier run), indexes it and prints what it holds.
func (c *cli) demoSimulated(ctx context.Context, cfg Config) error {
	dir := filepath.Join(cfg.DataDir, demoChainDir)
	truth := filepath.Join(dir, sim.TruthFile)
	fmt.Fprintf(c.stdout, "== part 1: a simulated world with known truth ==\n\n")
	if _, err := os.Stat(truth); errors.Is(err, fs.ErrNotExist) {
		start := time.Now()
		sum, err := sim.Generate(ctx, dir, sim.Options{Seed: demoSeed, Txs: demoTxs, TxsPerBlock: demoTxsPerBlock, World: cfg.Simulate.Bitcoin})
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "simulated %d regtest blocks with %d transactions and %d addresses into %s in %s\n",
			sum.Blocks, sum.Txs, sum.Addresses, dir, time.Since(start).Round(time.Millisecond))
	} else if err != nil {
		return err
	} else {
		fmt.Fprintf(c.stdout, "reusing the simulated chain in %s\n", dir)
	}

	scfg := cfg
	scfg.Bitcoin.Network = "regtest"
	scfg.Bitcoin.Blocks = []string{dir}
	scfg.Bitcoin.RPC.URL = ""
	if err := c.indexBitcoin(ctx, scfg); err != nil {
		return err
	}
	log, err := newLogger(cfg, c.stderr)
	if err != nil {
		return err
	}
	net, _ := bitcoin.LookupNetwork("regtest")
	db, err := openBitcoinDB(scfg, net, true, log)
	if err != nil {
		return err
	}
	defer db.Close()
	v := api.Bitcoin{DB: db, Net: net}
	s, err := v.Stats(db.Chain(), indexer.ChainIndexName, indexer.AddrIndexName)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "indexed %d blocks (tip %d): %d transactions, %d inputs, %d outputs, %d addresses, %d OP_RETURN outputs\n",
		s.Blocks, s.Height, s.Txs, s.Inputs, s.Outputs, s.Addresses, s.NullData)

	recs, err := sim.ReadTruthFile(truth)
	if err != nil {
		return err
	}
	entities := map[string]map[string]bool{} // kind, entity names
	coinjoins := 0
	planted, decoys := map[string]int{}, 0
	var peel *sim.TruthRecord
	for i, r := range recs {
		switch {
		case r.Address != "":
			if entities[r.Kind] == nil {
				entities[r.Kind] = map[string]bool{}
			}
			entities[r.Kind][r.Entity] = true
		case r.Txid != "":
			coinjoins++
		case r.Decoy:
			decoys++
		default:
			planted[r.Kind]++
			if r.Kind == "peel_chain" && peel == nil {
				peel = &recs[i]
			}
		}
	}
	fmt.Fprintf(c.stdout, "\nground truth (%s): %s; %d CoinJoin transactions\n", truth, countList(entities), coinjoins)
	total := 0
	for _, n := range planted {
		total += n
	}
	fmt.Fprintf(c.stdout, "planted: %d scenario instances (%s) and %d legitimate decoys that look alike\n", total, sortedCounts(planted), decoys)
	if peel != nil {
		if err := c.demoPeel(v, peel, net.Name, cfg.DataDir); err != nil {
			return err
		}
	}
	return nil
}

// demoPeel walks one planted peel chain through the index.
func (c *cli) demoPeel(v api.Bitcoin, s *sim.TruthRecord, network, dataDir string) error {
	role := map[string]string{}
	for _, a := range s.Addresses {
		if role[a.Address] != "" {
			role[a.Address] += " and "
		}
		role[a.Address] += a.Role
	}
	fmt.Fprintf(c.stdout, "\n%s, read back from the index:\n", s.Scenario)
	var exit string
	for _, id := range s.Txids {
		t, err := v.Tx(id)
		if err != nil {
			return err
		}
		var in uint64
		for _, i := range t.Inputs {
			in += i.ValueSat
		}
		var parts []string
		for _, o := range t.Outputs {
			parts = append(parts, fmt.Sprintf("%s BTC to %s (%s)", btc(o.ValueSat), o.Address, role[o.Address]))
			if strings.HasSuffix(role[o.Address], "exit") {
				exit = o.Address
			}
		}
		fmt.Fprintf(c.stdout, "  block %d: %s BTC in, %s\n", t.Height, btc(in), strings.Join(parts, ", "))
	}
	if exit == "" {
		return nil
	}
	a, err := v.Address(exit, 5, "")
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "the exit %s is an exchange deposit address: %d transactions, received %s BTC, balance %s BTC\n",
		exit, a.TxCount, btc(a.ReceivedSat), btc(uint64(a.BalanceSat)))
	fmt.Fprintf(c.stdout, "\ntry: spoor address %s --network %s --datadir %s\n     spoor tx %s --network %s --datadir %s\n",
		exit, network, dataDir, s.Txids[0], network, dataDir)
	return nil
}

// countList formats the number of entities per kind.
func countList(m map[string]map[string]bool) string {
	n := map[string]int{}
	for k, v := range m {
		n[k] = len(v)
	}
	return sortedCounts(n) + " entities"
}

// sortedCounts formats counts as "name n, ..." in name order.
func sortedCounts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

// demoMainnet indexes the real mainnet blocks shipped in the btcd module
// and shows a few facts of early Bitcoin history.
func (c *cli) demoMainnet(ctx context.Context, cfg Config) error {
	log, err := newLogger(cfg, c.stderr)
	if err != nil {
		return err
	}
	path, err := chaindata.MainnetBlk0To14131(ctx)
	if err != nil {
		return err
	}
	cfg.Bitcoin.Network = "mainnet"
	cfg.Bitcoin.Blocks = []string{path}
	cfg.Bitcoin.RPC.URL = ""
	fmt.Fprintf(c.stdout, "indexing real mainnet blocks from %s into %s\n\n", path, chainDir(cfg.DataDir, "mainnet"))
	if err := c.indexBitcoin(ctx, cfg); err != nil {
		return err
	}
	net, _ := bitcoin.LookupNetwork("mainnet")
	db, err := openBitcoinDB(cfg, net, true, log)
	if err != nil {
		return err
	}
	defer db.Close()
	v := api.Bitcoin{DB: db, Net: net}
	s, err := v.Stats(db.Chain(), indexer.ChainIndexName, indexer.AddrIndexName)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "\nindexed %d blocks (tip %d, %s, mined %s): %d transactions, %d inputs, %d outputs, %d addresses, %s BTC minted, %s BTC in fees\n",
		s.Blocks, s.Height, s.TipHash, s.TipTime, s.Txs, s.Inputs, s.Outputs, s.Addresses, btc(s.MintedSat), btc(s.FeesSat))

	t, err := v.Tx(demoTx)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "\nthe first payment between two people, block %d (%s):\n", t.Height, t.Time)
	for _, in := range t.Inputs {
		fmt.Fprintf(c.stdout, "  spends %s BTC of %s (output %s:%d)\n", btc(in.ValueSat), in.Address, in.PrevTxid, in.PrevVout)
	}
	for _, o := range t.Outputs {
		fmt.Fprintf(c.stdout, "  pays   %s BTC to %s (%s)", btc(o.ValueSat), o.Address, o.Type)
		if o.SpentBy != nil {
			fmt.Fprintf(c.stdout, ", spent at block %d", o.SpentBy.Height)
		}
		fmt.Fprintln(c.stdout)
	}
	a, err := v.Address(demoAddress, 5, "")
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "\naddress %s (also paid as the P2PK key %s): %d transactions from block %d to %d, received %s BTC, sent %s BTC, balance %s BTC\n",
		a.Address, strings.Join(a.Linked, ", "), a.TxCount, a.FirstSeen, a.LastSeen, btc(a.ReceivedSat), btc(a.SentSat), btc(uint64(a.BalanceSat)))
	d := cfg.DataDir
	fmt.Fprintf(c.stdout, "\nnext: spoor stats --network mainnet --datadir %s, spoor address ADDR --network mainnet --datadir %s --json, spoor tx TXID --network mainnet --datadir %s\n", d, d, d)
	return nil
}
