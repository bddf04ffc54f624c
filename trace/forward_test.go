package trace

import (
	"context"
	"errors"
	"testing"

	"github.com/spoorhq/spoor/storage"
)

// scanTaint is the reference the walks are checked against: it applies the
// model to every transaction of the chain in order, BlockSci style, with
// no limits, and returns the taint of every output left tainted and the
// tainted fees.
func scanTaint(t *testing.T, db *storage.DB, seeds []Outpoint, m Model) (map[Outpoint]uint64, uint64) {
	t.Helper()
	st, err := db.State()
	if err != nil {
		t.Fatal(err)
	}
	taint := map[Outpoint]Coin{}
	for _, op := range seeds {
		outs, err := db.Outputs(op.TxNum)
		if err != nil {
			t.Fatal(err)
		}
		v := outs[op.Vout].Value
		taint[op] = Coin{Value: v, Tainted: v}
	}
	var fees uint64
	for n := seeds[0].TxNum; n < st.NextTxNum; n++ {
		ins, err := db.Inputs(n)
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		coins := make([]Coin, len(ins))
		any := false
		for i, in := range ins {
			op := Outpoint{in.PrevTxNum, in.PrevVout}
			if c, ok := taint[op]; ok {
				coins[i] = c
				delete(taint, op)
				any = true
			} else {
				coins[i] = Coin{Value: in.Value}
			}
		}
		if !any {
			continue
		}
		outs, err := db.Outputs(n)
		if err != nil {
			t.Fatal(err)
		}
		values := make([]uint64, len(outs))
		for j, o := range outs {
			values[j] = o.Value
		}
		res, fee, err := m.Spread(coins, values)
		if err != nil {
			t.Fatal(err)
		}
		fees += fee.Tainted
		for j, c := range res {
			if c.Tainted > 0 {
				taint[Outpoint{n, uint32(j)}] = c
			}
		}
	}
	left := map[Outpoint]uint64{}
	for op, c := range taint {
		left[op] = c.Tainted
	}
	return left, fees
}

// busySeeds picks outputs from early in the chain that were spent, so the
// walks have somewhere to go.
func busySeeds(t *testing.T, db *storage.DB, from storage.TxNum, count int) []Outpoint {
	t.Helper()
	var seeds []Outpoint
	for n := from; len(seeds) < count; n++ {
		outs, err := db.Outputs(n)
		if err != nil {
			t.Fatal(err)
		}
		for v, o := range outs {
			if o.AddrID == 0 {
				continue
			}
			if _, err := db.Spender(n, uint32(v)); err == nil {
				seeds = append(seeds, Outpoint{n, uint32(v)})
				break
			}
		}
	}
	return seeds
}

// TestForwardMatchesFullScan checks the engine's walk, which visits only
// the transactions that spend traced coins, against a scan of the whole
// chain, for every model: the same coins must end up tainted by the same
// amounts.
func TestForwardMatchesFullScan(t *testing.T) {
	ctx := context.Background()
	db := world.DB
	st, err := db.State()
	if err != nil {
		t.Fatal(err)
	}
	seeds := busySeeds(t, db, storage.TxNum(st.NextTxNum/3), 3)
	e := NewEngine(db, nil, world.Namer())
	lim := noLimits
	for _, m := range []Model{Haircut, FIFO, LIFO, TIHO, Poison} {
		t.Run(m.String(), func(t *testing.T) {
			want, wantFees := scanTaint(t, db, seeds, m)
			res, err := e.Forward(ctx, seeds, m, lim)
			if err != nil {
				t.Fatal(err)
			}
			if res.Partial {
				t.Fatalf("partial result: %s", res.Limit)
			}
			got := map[Outpoint]uint64{}
			for _, ed := range res.Edges {
				if ed.Input || ed.End == "" {
					continue
				}
				if ed.End != EndUnspent && ed.End != EndNoAddr {
					t.Fatalf("edge %+v ended for %s with no limits", ed, ed.End)
				}
				n, err := txNumOf(db, ed.Txid)
				if err != nil {
					t.Fatal(err)
				}
				got[Outpoint{n, ed.Index}] = ed.Taint
			}
			if len(got) != len(want) {
				t.Fatalf("%d tainted coins left, scan says %d", len(got), len(want))
			}
			for op, v := range want {
				if got[op] != v {
					t.Fatalf("coin %v: taint %d, scan says %d", op, got[op], v)
				}
			}
			if res.Fees != wantFees {
				t.Fatalf("fees %d, scan says %d", res.Fees, wantFees)
			}
			if m != Poison {
				var sum uint64
				for _, v := range res.Ends {
					sum += v
				}
				if sum+res.Fees != res.SeedValue {
					t.Fatalf("taint not conserved: ends %d + fees %d != seed %d", sum, res.Fees, res.SeedValue)
				}
			}
			t.Logf("%s: %d txs, %d nodes, %d edges, %d coins left tainted", m, res.Txs, len(res.Nodes), len(res.Edges), len(got))
		})
	}
}

func txNumOf(db *storage.DB, txid string) (storage.TxNum, error) {
	h, err := parseTxid(txid)
	if err != nil {
		return 0, err
	}
	n, _, err := db.LookupTxid(h)
	return n, err
}
