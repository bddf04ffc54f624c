package trace

import (
	"bufio"
	"context"
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/spoorhq/spoor/chains/bitcoin"
	"github.com/spoorhq/spoor/storage"
)

// truthLabels labels every exchange address of the simulated world, as an
// investigator's label set would, and returns the labels and the addresses
// by truth entity.
func truthLabels(t *testing.T) (MapLabels, map[string][]storage.AddrID) {
	t.Helper()
	f, err := os.Open(world.Truth)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	labels := MapLabels{}
	byEntity := map[string][]storage.AddrID{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var line struct{ Address, Entity, Kind string }
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatal(err)
		}
		if line.Address == "" {
			continue
		}
		class, payload, err := bitcoin.ParseAddress(world.Net, line.Address)
		if err != nil {
			t.Fatal(err)
		}
		id, err := world.DB.LookupAddr(uint8(class), payload)
		if err != nil {
			t.Fatalf("%s: %v", line.Address, err)
		}
		byEntity[line.Entity] = append(byEntity[line.Entity], id)
		if line.Kind == "exchange" {
			labels[id] = []Tag{{Entity: line.Entity, Category: "exchange", Source: "truth", Confidence: 100}}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return labels, byEntity
}

func TestExposure(t *testing.T) {
	ctx := context.Background()
	labels, byEntity := truthLabels(t)
	e := NewEngine(world.DB, labels, world.Namer())
	checked, screened := 0, 0
	for w := 0; w < 40 && checked < 10 && screened < 150; w++ {
		addrs := byEntity["w"+itoa(w)]
		for _, id := range addrs {
			if labels[id] != nil {
				continue
			}
			screened++
			for _, dir := range []Direction{Receiving, Sending} {
				x, err := e.Exposure(ctx, id, dir, ExposureLimits{})
				if err != nil {
					t.Fatal(err)
				}
				if x.Partial {
					continue
				}
				var sum float64
				for _, c := range x.Direct {
					sum += float64(c.Amount)
					checkPaths(t, c, true)
				}
				for _, c := range x.Indirect {
					sum += float64(c.Amount)
					checkPaths(t, c, false)
				}
				sum += float64(x.Unattributed)
				if math.Abs(sum-float64(x.Total)) > 2+float64(len(x.Direct)+len(x.Indirect)) {
					t.Fatalf("address %d %s: parts %.0f != total %d: %+v", id, dir, sum, x.Total, x)
				}
				if want := directByHand(t, labels, id, dir); math.Abs(want-float64(amount(x.Direct["exchange"]))) > 1 {
					t.Fatalf("address %d %s: direct exchange exposure %d, by hand %.1f", id, dir, amount(x.Direct["exchange"]), want)
				}
				if dir == Sending && x.Direct["exchange"] != nil {
					checked++
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no wallet address with direct exchange exposure found")
	}
}

// checkPaths checks an exposure's evidence: paths are as long as their
// hop count says, direct ones a single step, each step a real transaction.
func checkPaths(t *testing.T, c *CategoryExposure, direct bool) {
	t.Helper()
	if len(c.Paths) == 0 {
		t.Fatal("exposure without evidence paths")
	}
	for _, p := range c.Paths {
		if direct && len(p.Steps) != 1 {
			t.Fatalf("direct path of %d steps", len(p.Steps))
		}
		if !direct && len(p.Steps) < 2 {
			t.Fatalf("indirect path of %d steps", len(p.Steps))
		}
		for _, s := range p.Steps {
			if len(s.Txid) != 64 || s.Time == 0 {
				t.Fatalf("bad step %+v", s)
			}
		}
	}
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

func amount(c *CategoryExposure) uint64 {
	if c == nil {
		return 0
	}
	return c.Amount
}

// directByHand recomputes direct exchange exposure straight from the
// address's transactions: when sending, the address's share of each
// transaction's inputs times what the outputs paid labelled addresses;
// when receiving, what the address received times the labelled inputs'
// share of the inputs from others.
func directByHand(t *testing.T, labels MapLabels, id storage.AddrID, dir Direction) float64 {
	t.Helper()
	db := world.DB
	var sum float64
	err := db.Postings(id, nil, func(p storage.Posting) bool {
		ins, err := db.Inputs(p.TxNum)
		if err != nil {
			return true // coinbase
		}
		outs, err := db.Outputs(p.TxNum)
		if err != nil {
			t.Fatal(err)
		}
		var all, others, labelled float64
		for _, in := range ins {
			all += float64(in.Value)
		}
		if dir == Sending && p.Role == storage.RoleSpend {
			for _, o := range outs {
				if labels[o.AddrID] != nil && o.AddrID != id {
					labelled += float64(o.Value)
				}
			}
			sum += float64(p.Amount) / all * labelled
		}
		if dir == Receiving && p.Role == storage.RoleReceive {
			for _, in := range ins {
				if in.AddrID != id {
					others += float64(in.Value)
					if labels[in.AddrID] != nil {
						labelled += float64(in.Value)
					}
				}
			}
			if others > 0 {
				sum += float64(p.Amount) * others / all * labelled / others
			}
		}
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	return sum
}
