package trace

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/spoorhq/spoor/chains/bitcoin/sim"
	"github.com/spoorhq/spoor/internal/simindex"
)

// world is a simulated chain indexed once for the package's tests.
var world *simindex.Index

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "spoor-trace-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	world, err = simindex.Build(context.Background(), dir, sim.Options{Seed: 11, Txs: 20000, TxsPerBlock: 400})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer world.DB.Close()
	return m.Run()
}
