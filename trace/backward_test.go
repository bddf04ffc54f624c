package trace

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/spoorhq/spoor/storage"
)

// noLimits lets a walk go as far as the chain goes.
var noLimits = Limits{MaxHops: 1000, MaxFanout: 1 << 30, MixDegree: -1, MaxNodes: 1 << 30, MaxEdges: 1 << 30, MaxDuration: time.Hour, StopCategories: []string{}}

// TestBackwardReachesCoinbases traces late outputs back with no limits:
// under the lossless models every traced satoshi must end at a coinbase,
// exactly once.
func TestBackwardReachesCoinbases(t *testing.T) {
	ctx := context.Background()
	db := world.DB
	st, err := db.State()
	if err != nil {
		t.Fatal(err)
	}
	seeds := busySeeds(t, db, storage.TxNum(st.NextTxNum*9/10), 2)
	e := NewEngine(db, nil, world.Namer())
	for _, m := range []Model{Haircut, FIFO, LIFO, Poison} {
		t.Run(m.String(), func(t *testing.T) {
			res, err := e.Backward(ctx, seeds, m, noLimits)
			if err != nil {
				t.Fatal(err)
			}
			if res.Partial {
				t.Fatalf("partial: %s", res.Limit)
			}
			for k := range res.Ends {
				if k != EndCoinbase {
					t.Fatalf("ended at %q with no limits: %v", k, res.Ends)
				}
			}
			got := res.Ends[EndCoinbase]
			switch {
			case m == Poison && got < res.SeedValue:
				t.Fatalf("poison found %d at coinbases, less than the seeds' %d", got, res.SeedValue)
			case m != Poison && got != res.SeedValue:
				t.Fatalf("coinbases %d != seed value %d", got, res.SeedValue)
			}
			t.Logf("%s: %d txs, %d nodes", m, res.Txs, len(res.Nodes))
		})
	}
}

// TestBackwardMirrorsForward checks one hop both ways: the part of output
// j that a backward walk attributes to input i is the taint a forward walk
// from input i's coin puts on output j. FIFO and LIFO are exact; haircut
// may differ by the satoshi its rounding hands out.
func TestBackwardMirrorsForward(t *testing.T) {
	ctx := context.Background()
	db := world.DB
	st, err := db.State()
	if err != nil {
		t.Fatal(err)
	}
	e := NewEngine(db, nil, nil)
	one := noLimits
	one.MaxHops = 1
	checked, nonzero := 0, 0
	for n := st.NextTxNum / 2; checked < 40 && n < st.NextTxNum; n += 97 {
		ins, err := db.Inputs(n)
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		outs, err := db.Outputs(n)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, m := range []Model{FIFO, LIFO, Haircut} {
			for j := range outs {
				back, err := e.Backward(ctx, []Outpoint{{n, uint32(j)}}, m, one)
				if err != nil {
					t.Fatal(err)
				}
				fromInput := map[uint32]uint64{}
				for _, ed := range back.Edges {
					if ed.Input {
						fromInput[ed.Index] = ed.Taint
					}
				}
				for i, in := range ins {
					fwd, err := e.Forward(ctx, []Outpoint{{in.PrevTxNum, in.PrevVout}}, m, one)
					if err != nil {
						t.Fatal(err)
					}
					var onJ uint64
					for _, ed := range fwd.Edges {
						if !ed.Input && ed.Hop == 1 && ed.Index == uint32(j) {
							onJ = ed.Taint
						}
					}
					if onJ > 0 {
						nonzero++
					}
					diff := int64(onJ) - int64(fromInput[uint32(i)])
					if (m != Haircut && diff != 0) || diff > 1 || diff < -1 {
						t.Fatalf("%s tx %d in %d out %d: forward %d, backward %d", m, n, i, j, onJ, fromInput[uint32(i)])
					}
				}
			}
		}
	}
	if checked < 20 || nonzero < 50 {
		t.Fatalf("only %d transactions and %d nonzero flows checked", checked, nonzero)
	}
}

func TestBackwardRejectsTIHO(t *testing.T) {
	e := NewEngine(world.DB, nil, nil)
	if _, err := e.Backward(context.Background(), []Outpoint{{1, 0}}, TIHO, Limits{}); err == nil {
		t.Fatal("tiho backward accepted")
	}
}
