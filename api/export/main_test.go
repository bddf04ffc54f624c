package export

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"testing"

	"github.com/spoorhq/spoor/chains/bitcoin"
	"github.com/spoorhq/spoor/chains/bitcoin/sim"
	"github.com/spoorhq/spoor/internal/simindex"
	"github.com/spoorhq/spoor/storage"
	"github.com/spoorhq/spoor/trace"
)

// fixture is a real forward trace over a simulated world, with exchange
// labels and wallet ownership (as clusters) from the world's ground truth.
type fixture struct {
	x        *simindex.Index
	result   *trace.Result
	clusters ClusterFunc
	// members lists each truth wallet's or entity's addresses in address
	// order, keyed by its cluster id (its first address).
	members map[storage.AddrID][]storage.AddrID
	labels  trace.MapLabels
	graph   *Graph
}

var world fixture

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "spoor-export-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := buildWorld(context.Background(), dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer world.x.DB.Close()
	return m.Run()
}

func buildWorld(ctx context.Context, dir string) error {
	x, err := simindex.Build(ctx, dir, sim.Options{Seed: 5, Txs: 6000, TxsPerBlock: 300})
	if err != nil {
		return err
	}
	world.x = x
	labels := trace.MapLabels{}
	owner := map[storage.AddrID]string{}
	first := map[string]storage.AddrID{}
	var wallets []storage.AddrID
	f, err := os.Open(x.Truth)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var line struct{ Address, Entity, Kind string }
		if json.Unmarshal(sc.Bytes(), &line) != nil || line.Address == "" {
			continue
		}
		class, payload, err := bitcoin.ParseAddress(x.Net, line.Address)
		if err != nil {
			return err
		}
		id, err := x.DB.LookupAddr(uint8(class), payload)
		if err != nil {
			continue
		}
		owner[id] = line.Entity
		if c, ok := first[line.Entity]; !ok || id < c {
			first[line.Entity] = id
		}
		switch line.Kind {
		case "exchange":
			labels[id] = []trace.Tag{{Entity: line.Entity, Category: "exchange", Source: "sim truth", Confidence: 100}}
		case "wallet":
			wallets = append(wallets, id)
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	world.labels = labels
	world.members = map[storage.AddrID][]storage.AddrID{}
	for id, e := range owner {
		world.members[first[e]] = append(world.members[first[e]], id)
	}
	for _, m := range world.members {
		slices.Sort(m)
	}
	world.clusters = func(a storage.AddrID) (storage.AddrID, error) {
		if e, ok := owner[a]; ok {
			return first[e], nil
		}
		return a, nil
	}
	// The wallet whose 4-hop trace reaches the most labelled addresses.
	e := trace.NewEngine(x.DB, labels, x.Namer())
	best := -1
	for i, w := range wallets {
		if i == 40 {
			break
		}
		seeds, err := e.AddressOutputs(w, 100)
		if err != nil || len(seeds) == 0 {
			continue
		}
		r, err := e.Forward(ctx, seeds, trace.Haircut, trace.Limits{MaxHops: 4})
		if err != nil {
			return err
		}
		n := 0
		for _, nd := range r.Nodes {
			if len(nd.Tags) > 0 {
				n++
			}
		}
		if n > best {
			best, world.result = n, r
		}
	}
	if world.result == nil || best < 1 {
		return fmt.Errorf("no wallet's trace reaches a labelled address (best %d)", best)
	}
	world.graph, err = FromResult(world.result, world.clusters)
	if err != nil {
		return err
	}
	world.graph.Network = x.Net.Name
	return nil
}
