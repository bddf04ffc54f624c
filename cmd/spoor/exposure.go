package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"time"

	"github.com/spoorhq/spoor/chains/bitcoin"
	"github.com/spoorhq/spoor/indexer"
	"github.com/spoorhq/spoor/storage"
	"github.com/spoorhq/spoor/trace"
)

// registerExposure adds "exposure build" and "exposure status": the
// precomputed exposure index that answers screenings without a walk.
func (c *cli) registerExposure(cmds map[string]func(context.Context, Config) error) {
	cmd := c.app.Command("exposure", "The precomputed exposure index behind fast screening.")
	var network string
	build := cmd.Command("build", "Compute every address's exposure, receiving and sending, with the configured screening limits, "+
		"the imported labels and the active clustering. Run it after indexing, clustering or importing labels: "+
		"until then screenings are answered by walking, and say why.")
	build.Flag("network", "Bitcoin network of the index (default: the only one in the data directory).").StringVar(&network)
	cmds[build.FullCommand()] = func(ctx context.Context, cfg Config) error {
		return c.exposureBuild(ctx, cfg, network)
	}
	drop := cmd.Command("drop", "Remove the exposure index; screenings then walk.")
	drop.Flag("network", "Bitcoin network of the index (default: the only one in the data directory).").StringVar(&network)
	cmds[drop.FullCommand()] = func(ctx context.Context, cfg Config) error {
		log, err := newLogger(cfg, c.stderr)
		if err != nil {
			return err
		}
		db, err := c.openForWrite(cfg, network, log)
		if err != nil {
			return err
		}
		defer db.Close()
		if err := db.ClearExposure(); err != nil {
			return err
		}
		fmt.Fprintln(c.stdout, "exposure index removed")
		return nil
	}
	status := cmd.Command("status", "Say whether the exposure index is there and fresh, and what it was built from.")
	status.Flag("network", "Bitcoin network of the index (default: the only one in the data directory).").StringVar(&network)
	cmds[status.FullCommand()] = func(ctx context.Context, cfg Config) error {
		db, _, err := openNetworkReadOnly(cfg, network)
		if err != nil {
			return err
		}
		defer db.Close()
		own, _, err := trace.LoadLabels(db)
		if err != nil {
			return err
		}
		ix, err := trace.OpenExposureIndex(db, exposureState(db, own))
		if err != nil {
			return err
		}
		m, ok := ix.Meta()
		if !ok {
			fmt.Fprintln(c.stdout, "no exposure index: screenings walk (run spoor exposure build)")
			return nil
		}
		fmt.Fprintf(c.stdout, "exposure index of %d addresses, %d hops, built %s at height %d (tip %s), clustering generation %d, labels %s, categories %v\n",
			m.Addresses, m.MaxHops, time.Unix(m.BuiltAt, 0).UTC().Format(time.RFC3339), m.TipHeight, hex.EncodeToString(m.TipHash[:]),
			m.Generation, hex.EncodeToString(m.LabelsHash[:8]), m.Categories)
		usable, why, err := ix.Usable(mustLimits(cfg.Trace.Screen.limits()))
		if err != nil {
			return err
		}
		if usable {
			fmt.Fprintln(c.stdout, "fresh: screenings with the configured limits are answered from it")
		} else {
			fmt.Fprintln(c.stdout, "not used:", why)
		}
		return nil
	}
}

// mustLimits fills in the exposure defaults the way the trace package
// does, for comparing with an index stamp; invalid limits are left as
// they are (the index then does not match them).
func mustLimits(l trace.ExposureLimits) trace.ExposureLimits {
	if full, err := l.WithDefaults(); err == nil {
		return full
	}
	return l
}

func (c *cli) exposureBuild(ctx context.Context, cfg Config, network string) error {
	log, err := newLogger(cfg, c.stderr)
	if err != nil {
		return err
	}
	if network == "" {
		if network, err = onlyNetwork(cfg.DataDir); err != nil {
			return err
		}
	}
	net, err := bitcoin.LookupNetwork(network)
	if err != nil {
		return err
	}
	db, err := openBitcoinDB(cfg, net, false, log)
	if err != nil {
		return err
	}
	defer db.Close()
	own, skipped, err := trace.LoadLabels(db)
	if err != nil {
		return err
	}
	names := addressNamer(db, net)
	labels, err := trace.NewClusterLabels(own, db, names)
	if err != nil {
		return err
	}
	st, err := exposureState(db, own)()
	if err != nil {
		return err
	}
	stamp := st.Stamp()
	start := time.Now()
	stamp.BuiltAt = start.Unix()
	log.Info("building the exposure index", "labelled_addresses", len(own), "labels_not_yet_indexed", skipped,
		"clustered", st.Clustered, "generation", st.Generation, "height", st.TipHeight)
	stats, err := trace.BuildExposureIndex(ctx, db, labels, cfg.Trace.Screen.limits(), stamp)
	if err != nil {
		return fmt.Errorf("exposure build: %w", err)
	}
	fmt.Fprintf(c.stdout, "exposure index: %d addresses, %d postings, %d transactions, %d categories %v, at height %d, in %s\n",
		stats.Addresses, stats.Postings, stats.Txs, len(stats.Categories), stats.Categories, st.TipHeight, time.Since(start).Round(time.Millisecond))
	return nil
}

// exposureState returns the function that reports the state an exposure
// index must match: the hash of the labels loaded (computed once), and
// the active clustering and chain tip (read on every call).
func exposureState(db *storage.DB, own trace.MapLabels) func() (trace.IndexState, error) {
	hash := trace.LabelsHash(own)
	return func() (trace.IndexState, error) {
		s := trace.IndexState{LabelsHash: hash}
		gen, ok, err := db.ActiveGeneration()
		if err != nil {
			return s, fmt.Errorf("active clustering: %w", err)
		}
		s.Clustered, s.Generation = ok, gen
		tip, ok, err := db.Tip(indexer.ChainIndexName)
		if err != nil {
			return s, fmt.Errorf("chain tip: %w", err)
		}
		if ok {
			s.TipHeight, s.TipHash = tip.Height, tip.Hash
		}
		return s, nil
	}
}

// attachExposureIndex returns engine answering screenings from the
// index's exposure index when that is fresh, logging whether it is.
func attachExposureIndex(engine *trace.Engine, db *storage.DB, own trace.MapLabels, lim trace.ExposureLimits, log *slog.Logger) (*trace.Engine, error) {
	ix, err := trace.OpenExposureIndex(db, exposureState(db, own))
	if err != nil {
		return nil, err
	}
	if log != nil {
		usable, why, err := ix.Usable(mustLimits(lim))
		if err != nil {
			return nil, err
		}
		if usable {
			m, _ := ix.Meta()
			log.Info("screening from the exposure index", "addresses", m.Addresses, "hops", m.MaxHops, "height", m.TipHeight)
		} else {
			log.Warn("screenings walk instead of reading the exposure index", "why", why)
		}
	}
	return engine.WithExposureIndex(ix), nil
}
