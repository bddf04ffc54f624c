package main

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/spoorhq/spoor/chains/bitcoin"
	"github.com/spoorhq/spoor/heuristics/detect"
	"github.com/spoorhq/spoor/storage"
)

// detectEthereum runs the Ethereum detectors (sanctioned_contact) over the
// Ethereum index and stores the run in it, replacing the previous one.
func (c *cli) detectEthereum(ctx context.Context, cfg Config, only []string) error {
	db, err := openEthereumDB(cfg, false, slog.New(slog.DiscardHandler))
	if err != nil {
		return fmt.Errorf("open the ethereum index: %w", err)
	}
	defer db.Close()
	start := time.Now()
	w, err := detect.LoadEth(ctx, db)
	if err != nil {
		return err
	}
	res, err := detect.RunEthereum(ctx, w, cfg.Detect, only)
	if err != nil {
		return err
	}
	if err := detect.Store(db, res); err != nil {
		return err
	}
	c.printDetectRun(res, fmt.Sprintf("%d ethereum transfers", len(w.Transfers)), start)
	return nil
}

// printDetectRun prints a detection run's warnings, its findings per
// detector and its totals over what (such as "120 transactions").
func (c *cli) printDetectRun(res *detect.Result, what string, start time.Time) {
	for _, warn := range res.Warnings {
		fmt.Fprintf(c.stderr, "warning: %s\n", warn)
	}
	names := make([]string, 0, len(res.Counts))
	for n := range res.Counts {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(c.stdout, "%-20s %d findings\n", n, res.Counts[n])
	}
	fmt.Fprintf(c.stdout, "%d findings, %d alerts over %s in %s\n", len(res.Findings), len(res.Alerts), what, time.Since(start).Round(time.Millisecond))
}

// openFindingsDB opens the index of chainName read-only (for Bitcoin, of
// network, the only one when empty) and returns it with a function that
// numbers an address of that chain given as text.
func (c *cli) openFindingsDB(cfg Config, chainName, network string) (*storage.DB, func(string) (storage.AddrID, error), error) {
	if chainName == "ethereum" {
		db, err := openEthereumDB(cfg, true, slog.New(slog.DiscardHandler))
		if err != nil {
			return nil, nil, fmt.Errorf("open the ethereum index: %w", err)
		}
		return db, func(s string) (storage.AddrID, error) {
			if !common.IsHexAddress(s) {
				return 0, fmt.Errorf("address %q: not an Ethereum address (0x and 40 hex digits)", s)
			}
			return db.LookupEthAddr(common.HexToAddress(s))
		}, nil
	}
	db, net, err := c.openDetectDB(cfg, network, true)
	if err != nil {
		return nil, nil, err
	}
	return db, func(s string) (storage.AddrID, error) {
		class, payload, err := bitcoin.ParseAddress(net, s)
		if err != nil {
			return 0, fmt.Errorf("address %q: %w", s, err)
		}
		return db.LookupAddr(uint8(class), payload)
	}, nil
}
