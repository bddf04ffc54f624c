package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spoorhq/spoor/api"
	"github.com/spoorhq/spoor/chains/bitcoin"
	"github.com/spoorhq/spoor/indexer"
	"github.com/spoorhq/spoor/internal/chaindata"
)

// Facts the demo looks up in real mainnet history.
const (
	demoTx      = "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16" // block 170: Satoshi pays Hal Finney
	demoAddress = "12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S"                               // the key paid by block 9's coinbase
)

func (c *cli) registerDemo(cmds map[string]func(context.Context, Config) error) {
	demo := c.app.Command("demo", "Index real mainnet blocks 0-14131 (shipped in the btcd module) and show what was found.")
	cmds[demo.FullCommand()] = func(ctx context.Context, cfg Config) error { return c.demo(ctx, cfg) }
}

func (c *cli) demo(ctx context.Context, cfg Config) error {
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
	fmt.Fprintf(c.stdout, "\nnext: spoor stats --datadir %s, spoor address ADDR --datadir %s --json, spoor tx TXID --datadir %s\n", cfg.DataDir, cfg.DataDir, cfg.DataDir)
	return nil
}
