package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spoorhq/spoor/api"
	"github.com/spoorhq/spoor/chains/bitcoin"
	"github.com/spoorhq/spoor/indexer"
	"github.com/spoorhq/spoor/storage"
)

func (c *cli) registerQueries(cmds map[string]func(context.Context, Config) error) {
	var asJSON bool
	var network string
	stats := c.app.Command("stats", "Summarize an index.")
	stats.Flag("json", "Print JSON.").BoolVar(&asJSON)
	stats.Flag("network", "Bitcoin network of the index (default: the only one in the data directory).").StringVar(&network)
	var chainName string
	stats.Flag("chain", "Chain of the index: bitcoin or ethereum.").Default("bitcoin").EnumVar(&chainName, "bitcoin", "ethereum")
	cmds[stats.FullCommand()] = func(ctx context.Context, cfg Config) error {
		if chainName == "ethereum" {
			return c.ethStats(cfg, asJSON)
		}
		return c.withViews(cfg, network, func(v api.Bitcoin, db *storage.DB) error {
			s, err := v.Stats(db.Chain(), indexer.ChainIndexName, indexer.AddrIndexName)
			if err != nil {
				return err
			}
			s.DiskBytes = db.DiskUsage()
			if asJSON {
				return writeJSON(c.stdout, s)
			}
			tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "chain\t%s\nheight\t%d\ttip %s at %s\nblocks\t%d\ntransactions\t%d\ninputs\t%d\noutputs\t%d\t(%d OP_RETURN, %d non-standard, %d without an address)\naddresses\t%d\nfees\t%s BTC\nminted\t%s BTC\ndisk\t%.1f MiB\n",
				s.Chain, s.Height, s.TipHash, s.TipTime, s.Blocks, s.Txs, s.Inputs, s.Outputs, s.NullData, s.NonStandard, s.NoAddress,
				s.Addresses, btc(s.FeesSat), btc(s.MintedSat), float64(s.DiskBytes)/(1<<20))
			return tw.Flush()
		})
	}

	var limit int
	var cursor string
	addr := c.app.Command("address", "Show an address: balance, totals and its transactions, newest first (a 0x… address reads the Ethereum index).")
	addrArg := addr.Arg("address", "The address (for a P2PK output, its P2PKH address or the hex public key).").Required().String()
	addr.Flag("json", "Print JSON.").BoolVar(&asJSON)
	addr.Flag("network", "Bitcoin network of the index (default: the only one in the data directory).").StringVar(&network)
	addr.Flag("limit", "Transactions per page.").Default("50").IntVar(&limit)
	addr.Flag("cursor", "Continue after a previous page (its next_cursor).").StringVar(&cursor)
	cmds[addr.FullCommand()] = func(ctx context.Context, cfg Config) error {
		if api.IsEthAddress(*addrArg) {
			return c.ethAddress(cfg, *addrArg, limit, cursor, asJSON)
		}
		return c.withViews(cfg, network, func(v api.Bitcoin, _ *storage.DB) error {
			a, err := v.Address(*addrArg, limit, cursor)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(c.stdout, a)
			}
			fmt.Fprintf(c.stdout, "address %s (%s)", a.Address, a.Type)
			if len(a.Linked) > 0 {
				fmt.Fprintf(c.stdout, ", same key as %s", strings.Join(a.Linked, ", "))
			}
			fmt.Fprintf(c.stdout, "\nbalance %s BTC, received %s, sent %s, %d transactions, first seen at %d, last at %d\n",
				btc(uint64(a.BalanceSat)), btc(a.ReceivedSat), btc(a.SentSat), a.TxCount, a.FirstSeen, a.LastSeen)
			tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "height\ttime\ttxid\treceived\tsent")
			for _, t := range a.Txs {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", t.Height, t.Time, t.Txid, btc(t.ReceivedSat), btc(t.SentSat))
			}
			if a.NextCursor != "" {
				fmt.Fprintf(tw, "more: --cursor %s\n", a.NextCursor)
			}
			return tw.Flush()
		})
	}

	tx := c.app.Command("tx", "Show a transaction with the outputs its inputs spend and the spenders of its outputs (a 0x… hash: its Ethereum transfer edges).")
	txArg := tx.Arg("txid", "Transaction id in hex.").Required().String()
	tx.Flag("json", "Print JSON.").BoolVar(&asJSON)
	tx.Flag("network", "Bitcoin network of the index (default: the only one in the data directory).").StringVar(&network)
	cmds[tx.FullCommand()] = func(ctx context.Context, cfg Config) error {
		if api.IsEthHash(*txArg) {
			return c.ethTx(cfg, *txArg, asJSON)
		}
		return c.withViews(cfg, network, func(v api.Bitcoin, _ *storage.DB) error {
			t, err := v.Tx(*txArg)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(c.stdout, t)
			}
			fmt.Fprintf(c.stdout, "tx %s\nblock %d (%s) at %s, position %d, %d vbytes, fee %s BTC\n", t.Txid, t.Height, t.Block, t.Time, t.Index, t.VSize, btc(t.FeeSat))
			tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
			if t.Coinbase {
				fmt.Fprintln(tw, "in\tcoinbase")
			}
			for i, in := range t.Inputs {
				fmt.Fprintf(tw, "in %d\t%s\t%s\tfrom %s:%d\n", i, btc(in.ValueSat), orNone(in.Address), in.PrevTxid, in.PrevVout)
			}
			for _, o := range t.Outputs {
				spent := "unspent"
				if o.SpentBy != nil {
					spent = fmt.Sprintf("spent by %s:%d at %d", o.SpentBy.Txid, o.SpentBy.Vin, o.SpentBy.Height)
				}
				fmt.Fprintf(tw, "out %d\t%s\t%s\t%s\t%s\n", o.N, btc(o.ValueSat), o.Type, orNone(o.Address), spent)
			}
			return tw.Flush()
		})
	}
}

// withViews opens the index of the chosen network read-only and runs fn.
func (c *cli) withViews(cfg Config, network string, fn func(api.Bitcoin, *storage.DB) error) error {
	db, net, err := openNetworkReadOnly(cfg, network)
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(api.Bitcoin{DB: db, Net: net}, db)
}

// openNetworkReadOnly opens the Bitcoin index of network (the only one in
// the data directory when empty) read-only.
func openNetworkReadOnly(cfg Config, network string) (*storage.DB, bitcoin.Network, error) {
	if network == "" {
		var err error
		if network, err = onlyNetwork(cfg.DataDir); err != nil {
			return nil, bitcoin.Network{}, err
		}
	}
	net, err := bitcoin.LookupNetwork(network)
	if err != nil {
		return nil, net, err
	}
	db, err := openBitcoinDB(cfg, net, true, nil)
	return db, net, err
}

// onlyNetwork returns the one Bitcoin network indexed in dataDir.
func onlyNetwork(dataDir string) (string, error) {
	entries, err := os.ReadDir(filepath.Join(dataDir, "bitcoin"))
	if err != nil {
		return "", fmt.Errorf("no Bitcoin index in %s: %w", dataDir, err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	switch len(names) {
	case 0:
		return "", fmt.Errorf("no Bitcoin index in %s", dataDir)
	case 1:
		return names[0], nil
	}
	return "", fmt.Errorf("%s indexes several networks (%s): choose one with --network", dataDir, strings.Join(names, ", "))
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// btc renders satoshi as BTC with eight decimals.
func btc(sat uint64) string { return fmt.Sprintf("%d.%08d", sat/1e8, sat%1e8) }

func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
