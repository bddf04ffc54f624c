package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spoorhq/spoor/api"
	"github.com/spoorhq/spoor/api/labels"
	"github.com/spoorhq/spoor/chains/bitcoin/sim"
	"github.com/spoorhq/spoor/heuristics/cluster"
	"github.com/spoorhq/spoor/trace"
)

// demoAnalysis runs the analysis steps of the demo on the simulated
// world: it imports the world's public labels, scores the clustering
// against the truth, screens the counterparties of the planted sanctioned
// entity and traces a peel chain to where it cashed out. Every figure it
// prints is computed from the index, and checked here against the truth
// only where the demo says so.
func (c *cli) demoAnalysis(ctx context.Context, cfg Config) (demoPicks, error) {
	var picks demoPicks
	dir := filepath.Join(cfg.DataDir, demoChainDir)
	scfg := cfg
	scfg.Bitcoin.Network = "regtest"

	fmt.Fprintf(c.stdout, "\n-- labels: the public attributions an investigator would have --\n")
	if err := c.importLabels(ctx, scfg, []string{filepath.Join(dir, sim.LabelsFile)}, labels.FormatCSV, false); err != nil {
		return picks, err
	}

	fmt.Fprintf(c.stdout, "\n-- clusters: addresses grouped into wallets, scored against the truth --\n")
	f, err := os.Open(filepath.Join(dir, sim.TruthFile))
	if err != nil {
		return picks, err
	}
	truth, err := cluster.ReadTruth(f, f.Name())
	f.Close()
	if err != nil {
		return picks, err
	}
	if err := c.withClusters(scfg, "regtest", func(v *cluster.Views) error {
		rep, err := cluster.Evaluate(v.DB, v.Net, truth)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "heuristics %s: pairwise precision %.4f, recall %.4f on co-spent addresses (%.4f is the most multi-input clustering can reach here); CoinJoin detection precision %.4f, recall %.4f\n",
			rep.Version, rep.CoSpent.Precision, rep.CoSpent.Recall, rep.BoundCoSpent.Recall, rep.CoinJoin.Precision, rep.CoinJoin.Recall)
		return nil
	}); err != nil {
		return picks, err
	}

	fmt.Fprintf(c.stdout, "\n-- exposure index: every address's exposure by category, precomputed so that a screening is a few reads --\n")
	if err := c.exposureBuild(ctx, scfg, "regtest"); err != nil {
		return picks, err
	}

	recs, err := sim.ReadTruthFile(filepath.Join(dir, sim.TruthFile))
	if err != nil {
		return picks, err
	}
	var sanctioned, peel *sim.TruthRecord
	for i, r := range recs {
		switch {
		case r.Scenario == "":
		case r.Kind == "sanctioned" && !r.Decoy && sanctioned == nil:
			sanctioned = &recs[i]
		case r.Kind == "peel_chain" && !r.Decoy && peel == nil:
			peel = &recs[i]
		}
	}
	err = c.withTracer(scfg, "regtest", func(t *tracer) error {
		if sanctioned != nil {
			fmt.Fprintf(c.stdout, "\n-- screening: counterparties of the planted sanctioned entity (%s) --\n", sanctioned.Scenario)
			shown := map[string]bool{}
			for _, a := range sanctioned.Addresses {
				if (a.Role != "direct" && a.Role != "indirect") || shown[a.Role] {
					continue
				}
				shown[a.Role] = true
				id, err := t.addrID(a.Address)
				if err != nil {
					return err
				}
				s, err := t.engine.Screen(ctx, id, nil, trace.ExposureLimits{})
				if err != nil {
					return err
				}
				fmt.Fprintf(c.stdout, "a counterparty the truth calls %s; spoor says:\n", a.Role)
				if picks.screen == "" {
					picks.screen = a.Address
				}
				printScreening(c, s)
			}
		}
		if peel != nil {
			var source string
			for _, a := range peel.Addresses {
				if a.Role == "source" {
					source = a.Address
					break
				}
			}
			if source != "" {
				picks.trace = source
				fmt.Fprintf(c.stdout, "\n-- trace: the peel chain %s followed forward from its source, haircut model --\n", peel.Scenario)
				seeds, err := t.seeds(source)
				if err != nil {
					return err
				}
				res, err := t.engine.Forward(ctx, seeds, trace.Haircut, trace.Limits{MaxHops: 12})
				if err != nil {
					return err
				}
				fmt.Fprintf(c.stdout, "%s BTC traced from %s through %d transactions; where it stopped:\n", btc(res.SeedValue), source, res.Txs)
				for _, k := range sortedKeys(res.Ends) {
					fmt.Fprintf(c.stdout, "  %-24s %s BTC\n", k, btc(res.Ends[k]))
				}
			}
		}
		return nil
	})
	return picks, err
}

// demoPicks are addresses of the simulated world the demo suggests
// trying in the API.
type demoPicks struct {
	screen, trace string
}

// demoServe serves the simulated world's index with a fresh admin key
// until ctx ends, after printing what to open and what to try.
func (c *cli) demoServe(ctx context.Context, cfg Config, listen string, picks demoPicks) error {
	key, err := api.NewKey()
	if err != nil {
		return err
	}
	scfg := cfg
	scfg.Serve.Keys = []api.KeyConfig{{ID: "demo", Role: "admin", SHA256: api.HashKey(key)}}
	scfg.Serve.Listen = listen
	fmt.Fprintf(c.stdout, "\n-- serving the simulated world (Ctrl-C stops it) --\n")
	fmt.Fprintf(c.stdout, "API key for this run (admin): %s\n", key)
	fmt.Fprintf(c.stdout, "open http://%s/ (GraphiQL), paste the key, and try:\n", listen)
	fmt.Fprintf(c.stdout, "  1. { stats { height txs addresses } }\n")
	fmt.Fprintf(c.stdout, "  2. { screen(address: \"%s\") { risk reasons { code level direction category share } } }\n", picks.screen)
	fmt.Fprintf(c.stdout, "  3. { trace(from: \"%s\", model: FIFO, hops: 6) { seedValueSat txs ends { reason amountSat } } }\n", picks.trace)
	fmt.Fprintf(c.stdout, "or bulk screening from a shell: curl -s -H 'Authorization: Bearer %s' -d '{\"addresses\":[\"%s\"]}' http://%s/screen\n", key, picks.screen, listen)
	fmt.Fprintf(c.stdout, "or the graph explorer: open http://%s/explore, enter the key, search %s and press Trace\n", listen, picks.trace)
	return c.serve(ctx, scfg, "regtest")
}
