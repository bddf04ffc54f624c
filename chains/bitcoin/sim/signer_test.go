package sim

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/btcsuite/btcd/chainhash/v2"
)

func TestParallel(t *testing.T) {
	tests := []struct {
		name    string
		workers int
		n       int
		failAt  []int
		wantErr string
	}{
		{"empty", 4, 0, nil, ""},
		{"one worker", 1, 100, nil, ""},
		{"more workers than items", 16, 3, nil, ""},
		{"lowest failure wins", 4, 1000, []int{800, 37, 500}, "item 37"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := make([]atomic.Int32, tt.n)
			err := parallel(context.Background(), tt.workers, tt.n, func(i int) error {
				calls[i].Add(1)
				for _, f := range tt.failAt {
					if i == f {
						return fmt.Errorf("item %d", i)
					}
				}
				return nil
			})
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for i := range calls {
				if c := calls[i].Load(); c != 1 {
					t.Fatalf("item %d ran %d times", i, c)
				}
			}
		})
	}
}

func TestParallelCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := parallel(ctx, 2, 10, func(int) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
}

func TestSortBIP69(t *testing.T) {
	w := &entity{name: "w"}
	// Hashes differ in their last byte, which displays first.
	h := func(first, last byte) chainhash.Hash { return chainhash.Hash{0: first, 31: last} }
	p := &txPlan{
		ins: []plannedInput{
			{owner: w, coin: utxo{hash: h(0, 2), index: 0}},
			{owner: w, coin: utxo{hash: h(9, 1), index: 5}},
			{owner: w, coin: utxo{hash: h(9, 1), index: 1}},
		},
		outs: []plannedOutput{{value: 500}, {value: 100}, {value: 500}},
	}
	scripts := [][]byte{{2}, {3}, {1}}
	sortBIP69(p, scripts)
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"first input", p.ins[0].coin.index, uint32(1)},
		{"second input", p.ins[1].coin.index, uint32(5)},
		{"third input", p.ins[2].coin.hash, h(0, 2)},
		{"smallest output", p.outs[0].value, int64(100)},
		{"script of smallest output", scripts[0][0], byte(3)},
		{"tie broken by script", scripts[1][0], byte(1)},
		{"last script", scripts[2][0], byte(2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
}
