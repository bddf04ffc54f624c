package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spoorhq/spoor/api"
	"github.com/spoorhq/spoor/chains/bitcoin"
	"github.com/spoorhq/spoor/heuristics/cluster"
	"github.com/spoorhq/spoor/heuristics/ethcluster"
	"github.com/spoorhq/spoor/indexer"
	"github.com/spoorhq/spoor/storage"
)

// ClusterConfig configures address clustering: whether indexing maintains
// it and with which heuristic set.
type ClusterConfig struct {
	// Enabled makes "spoor index" maintain the clustering block by block.
	Enabled        bool `yaml:"enabled"`
	cluster.Config `yaml:",inline"`
}

// clusterIndexes returns the indexes "spoor index" maintains: the address
// index and, when clustering is enabled, the active cluster generation,
// which reads input scripts from src for key-equivalence/1.
func clusterIndexes(ctx context.Context, cfg Config, db *storage.DB, src indexer.Source, log *slog.Logger) ([]indexer.Index, error) {
	if !cfg.Cluster.Enabled {
		return nil, nil
	}
	set, err := cluster.NewSet(cfg.Cluster.Config)
	if err != nil {
		return nil, fmt.Errorf("cluster config: %w", err)
	}
	idx, err := cluster.OpenIndex(db, set, log)
	if err != nil {
		return nil, err
	}
	idx.ReadBlocksFrom(ctx, src)
	return []indexer.Index{indexer.AddrIndex{}, idx}, nil
}

func (c *cli) registerCluster(cmds map[string]func(context.Context, Config) error) {
	var network string
	var asJSON bool
	netFlag := "Bitcoin network of the index (default: the only one in the data directory)."

	cl := c.app.Command("cluster", "Address clusters: show one (the default), or build a clustering.")
	show := cl.Command("show", "Show the cluster of an address: stats and a page of members.").Default()
	showArg := show.Arg("address", "An address of the cluster.").Required().String()
	var limit int
	var cursor string
	show.Flag("json", "Print JSON.").BoolVar(&asJSON)
	show.Flag("network", netFlag).StringVar(&network)
	show.Flag("limit", "Members per page.").Default("50").IntVar(&limit)
	show.Flag("cursor", "Continue after a previous page (its next_cursor).").StringVar(&cursor)
	cmds[show.FullCommand()] = func(ctx context.Context, cfg Config) error {
		if ethcluster.IsAddress(*showArg) {
			return c.ethClusterShow(cfg, *showArg, limit, cursor, asJSON)
		}
		return c.withClusters(cfg, network, func(v *cluster.Views) error {
			cv, err := v.Cluster(*showArg, limit, cursor)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(c.stdout, cv)
			}
			var types []string
			for t, n := range cv.Types {
				types = append(types, fmt.Sprintf("%s %d", t, n))
			}
			fmt.Fprintf(c.stdout, "address %s is in cluster %s (id %d, generation %d, heuristics %s)\n", cv.Address, cv.Cluster, cv.ClusterID, cv.Generation, cv.Version)
			fmt.Fprintf(c.stdout, "%d addresses (%s), received %s BTC in %d outputs, sent %s BTC in %d inputs, first seen at %d, last at %d\n",
				cv.Size, strings.Join(types, ", "), btc(cv.Received), cv.Outputs, btc(cv.Sent), cv.Inputs, cv.FirstSeen, cv.LastSeen)
			for _, m := range cv.Members {
				fmt.Fprintln(c.stdout, m)
			}
			if cv.NextCursor != "" {
				fmt.Fprintf(c.stdout, "more: --cursor %s\n", cv.NextCursor)
			}
			return nil
		})
	}

	build := cl.Command("build", "Cluster the indexed chain with the configured heuristic set, beside the active clustering, then switch to it.")
	var finality int
	build.Flag("network", netFlag).StringVar(&network)
	build.Flag("finality", "Blocks this far below the tip are clustered in memory; the rest block by block, with undo records.").Default("100").IntVar(&finality)
	var buildChain string
	build.Flag("chain", "Chain to cluster: bitcoin, or ethereum (the ethereum_cluster section's heuristics).").Default("bitcoin").EnumVar(&buildChain, "bitcoin", "ethereum")
	cmds[build.FullCommand()] = func(ctx context.Context, cfg Config) error {
		if buildChain == "ethereum" {
			return c.ethClusterBuild(ctx, cfg)
		}
		set, err := cluster.NewSet(cfg.Cluster.Config)
		if err != nil {
			return fmt.Errorf("cluster config: %w", err)
		}
		log, err := newLogger(cfg, c.stderr)
		if err != nil {
			return err
		}
		db, err := c.openForWrite(cfg, network, log)
		if err != nil {
			return err
		}
		defer db.Close()
		start := time.Now()
		// key-equivalence/1 and change-spend/1 read the chain source's blocks.
		var src cluster.BlockReader
		if set.NeedsBlocks() {
			net, err := bitcoin.LookupNetwork(strings.TrimPrefix(db.Chain(), "bitcoin/"))
			if err != nil {
				return err
			}
			s, closeSrc, _, err := openBitcoinSource(ctx, cfg, net)
			if err != nil {
				return fmt.Errorf("key-equivalence/1 reads the blocks' input scripts and change-spend/1 their wallet fingerprints: %w", err)
			}
			defer closeSrc()
			src = s
		}
		sum, err := cluster.RebuildFrom(ctx, db, set, int32(finality), src, log)
		if err != nil {
			return err
		}
		el := time.Since(start)
		fmt.Fprintf(c.stdout, "generation %d with %s (%s)\n", sum.Generation, set.Version(), set.Spec())
		if sum.Height >= 0 && sum.Txs > 0 {
			fmt.Fprintf(c.stdout, "in memory up to height %d: %d transactions, %d links, %d merges, %d addresses in %d clusters, %d guard reports\n",
				sum.Height, sum.Txs, sum.Links, sum.Merges, sum.Addresses, sum.Clusters, sum.Guards)
		}
		if first := max(sum.Height+1, 0); first <= sum.Tip {
			fmt.Fprintf(c.stdout, "block by block, with undo records: heights %d to %d\n", first, sum.Tip)
		}
		fmt.Fprintf(c.stdout, "done in %s\n", el.Round(time.Millisecond))
		if sum.Previous != 0 {
			fmt.Fprintf(c.stdout, "replaced generation %d\n", sum.Previous)
		}
		return nil
	}

	guards := cl.Command("guards", "List the merges the super-cluster guard reported (cluster.max_cluster_size), with their transaction and rule.")
	var guardsJSON bool
	var guardLimit int
	guards.Flag("json", "Print JSON.").BoolVar(&guardsJSON)
	guards.Flag("network", netFlag).StringVar(&network)
	guards.Flag("limit", "Show at most this many.").Default("100").IntVar(&guardLimit)
	cmds[guards.FullCommand()] = func(ctx context.Context, cfg Config) error {
		return c.withClusters(cfg, network, func(v *cluster.Views) error {
			gs, err := v.Guards(guardLimit)
			if err != nil {
				return err
			}
			if guardsJSON {
				return writeJSON(c.stdout, gs)
			}
			tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "height\ttxid\trule\taddress1 (cluster size)\taddress2 (cluster size)\trefused")
			for _, g := range gs {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s (%d)\t%s (%d)\t%v\n", g.Height, g.Txid, g.Rule, g.A, g.SizeA, g.B, g.SizeB, g.Refused)
			}
			return tw.Flush()
		})
	}

	why := c.app.Command("why", "Say whether two addresses share a cluster, and the chain of merges (transaction and rule) that links them.")
	whyA := why.Arg("address1", "First address.").Required().String()
	whyB := why.Arg("address2", "Second address.").Required().String()
	var whyJSON bool
	var maxVisit int
	why.Flag("json", "Print JSON.").BoolVar(&whyJSON)
	why.Flag("network", netFlag).StringVar(&network)
	why.Flag("max-visit", "Give up after visiting this many addresses of the cluster.").Default("1000000").IntVar(&maxVisit)
	cmds[why.FullCommand()] = func(ctx context.Context, cfg Config) error {
		switch ea, eb := ethcluster.IsAddress(*whyA), ethcluster.IsAddress(*whyB); {
		case ea && eb:
			return c.ethWhy(cfg, *whyA, *whyB, maxVisit, whyJSON)
		case ea || eb:
			return fmt.Errorf("%s and %s are on different chains: Bitcoin and Ethereum addresses are never in one cluster", *whyA, *whyB)
		}
		return c.withClusters(cfg, network, func(v *cluster.Views) error {
			w, err := v.Why(*whyA, *whyB, maxVisit)
			if err != nil {
				return err
			}
			if whyJSON {
				return writeJSON(c.stdout, w)
			}
			if !w.Same {
				fmt.Fprintf(c.stdout, "%s and %s are in different clusters\n", w.Address1, w.Address2)
				return nil
			}
			fmt.Fprintf(c.stdout, "%s and %s are both in cluster %s, linked by %d merges:\n", w.Address1, w.Address2, w.Cluster, len(w.Steps))
			tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
			for i, s := range w.Steps {
				spender := ""
				if s.SpenderTxid != "" {
					spender = fmt.Sprintf("\tspent by tx %s height %d", s.SpenderTxid, s.SpenderHeight)
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\ttx %s\theight %d\t%s\tconfidence %d%s\n", i+1, s.From, s.To, s.Txid, s.Height, s.Rule, s.Confidence, spender)
			}
			return tw.Flush()
		})
	}

	eval := c.app.Command("eval", "Measure heuristics against ground truth.")
	evc := eval.Command("clusters", "Pairwise precision and recall of the active clustering, and CoinJoin detector precision and recall, against a simulator's truth.jsonl.")
	truthPath := evc.Flag("truth", "The truth.jsonl written by spoor simulate.").Required().String()
	var evalJSON bool
	evc.Flag("json", "Print JSON.").BoolVar(&evalJSON)
	evc.Flag("network", netFlag).StringVar(&network)
	var evalBlocks []string
	evc.Flag("blocks", "The blk files the index was built from: change-spend/1 is then scored as a change detector too (it reads the wallet fingerprints from the blocks).").StringsVar(&evalBlocks)
	cmds[evc.FullCommand()] = func(ctx context.Context, cfg Config) error {
		if len(evalBlocks) > 0 {
			cfg.Bitcoin.Blocks = evalBlocks
		}
		f, err := os.Open(*truthPath)
		if err != nil {
			return err
		}
		defer f.Close()
		truth, err := cluster.ReadTruth(f, *truthPath)
		if err != nil {
			return err
		}
		return c.withClusters(cfg, network, func(v *cluster.Views) error {
			var src cluster.BlockReader
			if len(cfg.Bitcoin.Blocks) > 0 {
				s, closeSrc, _, err := openBitcoinSource(ctx, cfg, v.Net)
				if err != nil {
					return fmt.Errorf("eval clusters --blocks: %w", err)
				}
				defer closeSrc()
				src = s
			}
			rep, err := cluster.EvaluateFrom(ctx, v.DB, v.Net, truth, src)
			if err != nil {
				return err
			}
			if evalJSON {
				return writeJSON(c.stdout, rep)
			}
			fmt.Fprintf(c.stdout, "generation %d, heuristics %s %s\n", rep.Generation, rep.Version, rep.Set)
			tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "score\taddresses\ttrue pairs\tpredicted pairs\tcorrect\tprecision\trecall")
			for _, p := range []struct {
				name string
				s    cluster.PairScore
			}{{"all addresses", rep.All}, {"co-spent addresses", rep.CoSpent},
				{"bound: all", rep.Bound}, {"bound: co-spent", rep.BoundCoSpent},
				{"bound with every true change joined: all", rep.ChangeBound}, {"bound with every true change joined: co-spent", rep.ChangeBoundCoSpent}} {
				fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%.4f\t%.4f\n", p.name, p.s.Addresses, p.s.TruePairs, p.s.PredictedPairs, p.s.CorrectPairs, p.s.Precision, p.s.Recall)
			}
			fmt.Fprintln(tw, "detector\ttruth\tdetected\tcorrect\tprecision\trecall")
			for _, d := range []struct {
				name string
				s    cluster.DetectorScore
			}{{"coinjoin", rep.CoinJoin}, {"whirlpool tx0", rep.Tx0}} {
				fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.4f\t%.4f\n", d.name, d.s.Truth, d.s.Detected, d.s.Correct, d.s.Precision, d.s.Recall)
			}
			fmt.Fprintln(tw, "change detector\ttrue change outputs\tdetected\tcorrect\tprecision\trecall")
			for _, d := range rep.Change {
				fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.4f\t%.4f\n", d.Rule, d.Truth, d.Detected, d.Correct, d.Precision, d.Recall)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			for p, r := range rep.CoinJoin.RecallByProtocol {
				fmt.Fprintf(c.stdout, "recall %s: %.4f\n", p, r)
			}
			if rep.Missing > 0 {
				fmt.Fprintf(c.stdout, "%d truth addresses are not in the index\n", rep.Missing)
			}
			return nil
		})
	}

	export := c.app.Command("export", "Export data from the index.")
	exc := export.Command("clusters", "Write every address with its cluster id and the heuristic-set version.")
	var format, out string
	exc.Flag("format", "Output format: csv.").Default("csv").StringVar(&format)
	exc.Flag("out", "Write to this file instead of standard output.").StringVar(&out)
	exc.Flag("network", netFlag).StringVar(&network)
	cmds[exc.FullCommand()] = func(ctx context.Context, cfg Config) error {
		if format != "csv" {
			return fmt.Errorf("export format %q: want csv", format)
		}
		return c.withClusters(cfg, network, func(v *cluster.Views) error {
			var w io.Writer = c.stdout
			if out != "" {
				f, err := os.Create(out)
				if err != nil {
					return err
				}
				defer f.Close()
				w = f
			}
			cw := csv.NewWriter(w)
			if err := cw.Write([]string{"address", "cluster_id", "heuristic_set_version"}); err != nil {
				return err
			}
			ver := v.Set().Version()
			err := v.Export(func(addr string, c storage.AddrID) error {
				return cw.Write([]string{addr, strconv.FormatUint(uint64(c), 10), ver})
			})
			cw.Flush()
			if err == nil {
				err = cw.Error()
			}
			return err
		})
	}
}

// withClusters opens the index of the chosen network read-only and runs fn
// on the views of its active clustering.
func (c *cli) withClusters(cfg Config, network string, fn func(*cluster.Views) error) error {
	return c.withViews(cfg, network, func(b api.Bitcoin, db *storage.DB) error {
		v, err := cluster.NewViews(db, b.Net)
		if err != nil {
			return err
		}
		return fn(v)
	})
}

// openForWrite opens the index of the chosen network for writing.
func (c *cli) openForWrite(cfg Config, network string, log *slog.Logger) (*storage.DB, error) {
	if network == "" {
		var err error
		if network, err = onlyNetwork(cfg.DataDir); err != nil {
			return nil, err
		}
	}
	net, err := bitcoin.LookupNetwork(network)
	if err != nil {
		return nil, err
	}
	return openBitcoinDB(cfg, net, false, log)
}
