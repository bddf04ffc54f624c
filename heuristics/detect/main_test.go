package detect

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/spoorhq/spoor/api/labels"
	"github.com/spoorhq/spoor/chains/bitcoin/sim"
	"github.com/spoorhq/spoor/heuristics/cluster"
	"github.com/spoorhq/spoor/internal/simindex"
)

// The simulated world every test of the package reads: indexed once, its
// public labels imported, and every detector run once over it.
var (
	world  *simindex.Index
	loaded *World
	result *Result
	truth  []sim.TruthRecord
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "spoor-detect-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := buildWorld(context.Background(), dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer world.DB.Close()
	return m.Run()
}

func buildWorld(ctx context.Context, dir string) error {
	var err error
	world, err = simindex.Build(ctx, dir, sim.Options{Seed: 7, Txs: 20000, TxsPerBlock: 200})
	if err != nil {
		return err
	}
	// spoor index clusters by default; the test world does the same.
	cs, err := cluster.NewSet(cluster.Config{})
	if err != nil {
		return err
	}
	if _, err := cluster.Rebuild(ctx, world.DB, cs, 100, slog.New(slog.DiscardHandler)); err != nil {
		return err
	}
	set, _, err := labels.ParseFile(ctx, filepath.Join(world.Blocks, "labels.csv"), labels.FormatCSV, labels.Options{Now: time.Now()})
	if err != nil {
		return err
	}
	if _, err := labels.Store(ctx, world.DB, set.Entries); err != nil {
		return err
	}
	if loaded, err = Load(ctx, world.DB, world.Namer()); err != nil {
		return err
	}
	if result, err = Run(ctx, loaded, Config{}, nil); err != nil {
		return err
	}
	truth, err = sim.ReadTruthFile(world.Truth)
	return err
}
