package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"text/tabwriter"
	"time"

	"github.com/spoorhq/spoor/heuristics/ethcluster"
	ethindex "github.com/spoorhq/spoor/indexer/ethereum"
	"github.com/spoorhq/spoor/storage"
)

// ethClusterBuild clusters the Ethereum index with the configured set.
func (c *cli) ethClusterBuild(ctx context.Context, cfg Config) error {
	set, err := ethcluster.NewSet(cfg.EthereumCluster)
	if err != nil {
		return fmt.Errorf("ethereum_cluster config: %w", err)
	}
	log, err := newLogger(cfg, c.stderr)
	if err != nil {
		return err
	}
	db, err := openEthereumDB(cfg, false, log)
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Now()
	sum, err := ethcluster.Build(ctx, db, set, log)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "ethereum generation %d at height %d with %s (%s)\n", sum.Generation, sum.Tip, set.Version(), set.Spec())
	fmt.Fprintf(c.stdout, "%d transactions: %d deposit addresses with %d matched payments, %d airdrop forwards; %d links, %d merges; %d addresses in %d clusters, %d guard reports\n",
		sum.Txs, sum.Deposits, sum.DepositTx, sum.Airdrops, sum.Links, sum.Merges, sum.Clustered, sum.Clusters, len(sum.Guards))
	fmt.Fprintf(c.stdout, "done in %s\n", time.Since(start).Round(time.Millisecond))
	if sum.Previous != 0 {
		fmt.Fprintf(c.stdout, "replaced generation %d\n", sum.Previous)
	}
	return nil
}

// ethClusterIndexes returns the Ethereum clustering "spoor index
// ethereum" maintains block by block: the active one, or, with
// ethereum_cluster.index set and none active, a new one with the
// configured set. A clustering built before spoor kept its rule state has
// no undo records and is left as it is, with a warning to rebuild it.
func ethClusterIndexes(cfg Config, db *storage.DB, log *slog.Logger) ([]ethindex.Index, error) {
	gen, ok, err := db.ActiveGeneration()
	if err != nil {
		return nil, err
	}
	if !ok && !cfg.EthereumCluster.Index {
		return nil, nil
	}
	if ok {
		tip, has, err := db.Tip(ethcluster.IndexName(gen))
		if err != nil {
			return nil, err
		}
		if has {
			if _, err := db.EthRuleUndo(gen, tip.Height); errors.Is(err, storage.ErrNotFound) {
				log.Warn("the active ethereum clustering was built by an older spoor and cannot be maintained block by block; run \"spoor cluster build --chain ethereum\"",
					"generation", gen)
				return nil, nil
			} else if err != nil {
				return nil, err
			}
		}
	}
	set, err := ethcluster.NewSet(cfg.EthereumCluster)
	if err != nil {
		return nil, fmt.Errorf("ethereum_cluster config: %w", err)
	}
	idx, err := ethcluster.OpenIndex(db, set, log)
	if err != nil {
		return nil, err
	}
	return []ethindex.Index{idx}, nil
}

// withEthClusters opens the Ethereum index read-only and calls fn with
// the views of its active clustering.
func (c *cli) withEthClusters(cfg Config, fn func(*ethcluster.Views) error) error {
	db, err := openEthereumDB(cfg, true, slog.New(slog.DiscardHandler))
	if err != nil {
		return fmt.Errorf("open the ethereum index: %w", err)
	}
	defer db.Close()
	v, err := ethcluster.NewViews(db)
	if err != nil {
		return err
	}
	return fn(v)
}

// ethClusterShow prints the cluster of an Ethereum address.
func (c *cli) ethClusterShow(cfg Config, addr string, limit int, cursor string, asJSON bool) error {
	return c.withEthClusters(cfg, func(v *ethcluster.Views) error {
		cv, err := v.Cluster(addr, limit, cursor)
		if err != nil {
			return err
		}
		if asJSON {
			return writeJSON(c.stdout, cv)
		}
		fmt.Fprintf(c.stdout, "address %s is in cluster %s (id %d, generation %d, heuristics %s)\n", cv.Address, cv.Cluster, cv.ClusterID, cv.Generation, cv.Version)
		fmt.Fprintf(c.stdout, "%d addresses, received %s ETH in %d transfers, sent %s ETH in %d transfers, first seen at %d, last at %d\n",
			cv.Size, cv.Received, cv.Incoming, cv.Sent, cv.Outgoing, cv.FirstSeen, cv.LastSeen)
		if cv.Stale {
			fmt.Fprintln(c.stdout, "the index has moved since this clustering was built: run \"spoor cluster build --chain ethereum\"")
		}
		for _, m := range cv.Members {
			fmt.Fprintln(c.stdout, m)
		}
		if cv.NextCursor != "" {
			fmt.Fprintf(c.stdout, "more: --cursor %s\n", cv.NextCursor)
		}
		return nil
	})
}

// ethWhy explains whether two Ethereum addresses share a cluster.
func (c *cli) ethWhy(cfg Config, a, b string, maxVisit int, asJSON bool) error {
	return c.withEthClusters(cfg, func(v *ethcluster.Views) error {
		w, err := v.Why(a, b, maxVisit)
		if err != nil {
			return err
		}
		if asJSON {
			return writeJSON(c.stdout, w)
		}
		if !w.Same {
			fmt.Fprintf(c.stdout, "%s and %s are in different clusters\n", w.Address1, w.Address2)
			return nil
		}
		fmt.Fprintf(c.stdout, "%s and %s are both in cluster %s, linked by %d merges:\n", w.Address1, w.Address2, w.Cluster, len(w.Steps))
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		for i, s := range w.Steps {
			unit := "wei"
			if s.Token != "" {
				unit = "units of " + s.Token
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\tconfidence %d\ttx %s (height %d): %s %s\tvia tx %s (height %d) of %s: %s\t%d blocks apart\n",
				i+1, s.From, s.To, s.Rule, s.Confidence, s.Tx, s.Height, s.Amount, unit, s.ViaTx, s.ViaHeight, s.Hub, s.ViaAmount, s.BlockGap)
		}
		return tw.Flush()
	})
}
