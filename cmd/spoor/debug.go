package main

import (
	"context"

	"github.com/spoorhq/spoor/api"
	"github.com/spoorhq/spoor/storage"
)

func (c *cli) registerDebug(cmds map[string]func(context.Context, Config) error) {
	debug := c.app.Command("debug", "Tools for checking an index.")
	dump := debug.Command("dump", "Print every row of an index, decoded, in key order: equal dumps mean equal indexes.")
	var network string
	dump.Flag("network", "Bitcoin network of the index (default: the only one in the data directory).").StringVar(&network)
	var chainName string
	dump.Flag("chain", "Chain of the index: bitcoin or ethereum.").Default("bitcoin").EnumVar(&chainName, "bitcoin", "ethereum")
	cmds[dump.FullCommand()] = func(ctx context.Context, cfg Config) error {
		if chainName == "ethereum" {
			return c.withEthViews(cfg, func(_ api.Ethereum, db *storage.DB) error { return db.DumpEthereum(c.stdout) })
		}
		return c.withViews(cfg, network, func(_ api.Bitcoin, db *storage.DB) error { return db.Dump(c.stdout) })
	}
}
