package ethcluster

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestAirdropCounts checks that the counts kept per block decide as the
// batch rule's median over the same transfers, for random sequences of
// heights, at every prefix.
func TestAirdropCounts(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for seq := range 200 {
		var heights []uint32
		h := uint32(r.IntN(100))
		var n []uint64
		for i := range 1 + r.IntN(30) {
			h += uint32(r.IntN(5))
			if r.IntN(4) == 0 {
				h += uint32(r.IntN(50))
			}
			heights = append(heights, h)
			before, old := slices.Clone(n), n
			n = addTransfer(n, h)
			if !slices.Equal(before, old) {
				t.Fatalf("addTransfer changed its input %v to %v", before, old)
			}
			var tokens []flow
			idx := make([]int, len(heights))
			for j, hh := range heights {
				tokens = append(tokens, flow{height: hh})
				idx[j] = j
			}
			for _, minR := range []int{2, 3, 5} {
				for _, gap := range []uint64{0, 1, 2, 4} {
					want := len(idx) >= minR && medianGap(tokens, idx) <= gap
					if got := qualifies(n, minR, gap); got != want {
						t.Fatalf("sequence %d, prefix %d %v: counts %v qualify(%d, %d) = %v, want %v", seq, i, heights, n, minR, gap, got, want)
					}
				}
			}
		}
		if n[0] != uint64(len(heights)) || n[1] != uint64(heights[len(heights)-1]) {
			t.Fatalf("counts %v for %v", n, heights)
		}
	}
}

// TestAirdropCountsTable pins the layout of the counts row.
func TestAirdropCountsTable(t *testing.T) {
	tests := []struct {
		heights []uint32
		want    []uint64
	}{
		{[]uint32{7}, []uint64{1, 7}},
		{[]uint32{7, 8}, []uint64{2, 8, 1, 1}},
		{[]uint32{7, 8, 8, 12}, []uint64{4, 12, 0, 1, 1, 1, 4, 1}},
		{[]uint32{1, 3, 5, 6}, []uint64{4, 6, 1, 1, 2, 2}},
	}
	for _, tt := range tests {
		var n []uint64
		for _, h := range tt.heights {
			n = addTransfer(n, h)
		}
		if !slices.Equal(n, tt.want) {
			t.Errorf("%v: counts %v, want %v", tt.heights, n, tt.want)
		}
	}
}
