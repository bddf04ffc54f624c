package bitcoin

import (
	"encoding/binary"
	"fmt"
	"math/big"
	"slices"
	"testing"

	"github.com/btcsuite/btcd/chainhash/v2"
)

func TestCalcWork(t *testing.T) {
	tests := []struct {
		name string
		bits uint32
		want string
	}{
		// Difficulty 1: the chain work Bitcoin Core reports for the
		// genesis block is 0x100010001.
		{name: "difficulty one", bits: 0x1d00ffff, want: "4295032833"},
		// Block 100000, difficulty 14484.16236122.
		{name: "block 100000", bits: 0x1b04864c, want: "62209952899966"},
		// Regtest's proof-of-work limit: each block is worth two hashes.
		{name: "regtest limit", bits: 0x207fffff, want: "2"},
		{name: "target one", bits: 0x03000001, want: "57896044618658097711785492504343953926634992332820282019728792003956564819968"},
		{name: "largest target below 2^256", bits: 0x2100ffff, want: "1"},
		{name: "target 2^256 overflows", bits: 0x23000001, want: "0"},
		{name: "zero", bits: 0, want: "0"},
		{name: "mantissa shifted away", bits: 0x01003456, want: "0"},
		{name: "negative", bits: 0x04923456, want: "0"},
		{name: "sign bit with zero mantissa", bits: 0x01800000, want: "0"},
		{name: "largest exponent", bits: 0xff7fffff, want: "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := calcWork(tt.bits).String(); got != tt.want {
				t.Fatalf("calcWork(%#08x) = %s, want %s", tt.bits, got, tt.want)
			}
		})
	}
}

func TestCompactToTarget(t *testing.T) {
	tests := []struct {
		name     string
		bits     uint32
		want     string // hex
		negative bool
	}{
		{name: "difficulty one", bits: 0x1d00ffff, want: "ffff0000000000000000000000000000000000000000000000000000"},
		{name: "small exponent", bits: 0x02123456, want: "1234"},
		{name: "exponent zero", bits: 0x00123456, want: "0"},
		{name: "negative", bits: 0x04923456, want: "12345600", negative: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, neg := compactToTarget(tt.bits)
			if got.Text(16) != tt.want || neg != tt.negative {
				t.Fatalf("compactToTarget(%#08x) = %s negative %v, want %s negative %v", tt.bits, got.Text(16), neg, tt.want, tt.negative)
			}
		})
	}
}

// fakeHash turns a test block name into a hash.
func fakeHash(name string) chainhash.Hash {
	return chainhash.DoubleHashH([]byte(name))
}

func TestChainIndexLink(t *testing.T) {
	const diff1, easy = 0x1d00ffff, 0x207fffff
	type block struct {
		name, parent string
		bits         uint32
	}
	// chain builds a linear run of blocks named prefix+"1", prefix+"2", ...
	// on top of parent.
	chain := func(prefix, parent string, n int, bits uint32) []block {
		var out []block
		for i := 1; i <= n; i++ {
			name := fmt.Sprintf("%s%d", prefix, i)
			out = append(out, block{name, parent, bits})
			parent = name
		}
		return out
	}
	names := func(bs []block) []string {
		var out []string
		for _, b := range bs {
			out = append(out, b.name)
		}
		return out
	}
	tests := []struct {
		name        string
		blocks      []block
		want        []string
		wantWork    int64 // in units of difficulty-one work, when nonzero
		orphans     int
		firstOrphan string
	}{
		{name: "empty", want: nil},
		{name: "genesis only", blocks: []block{{"g", "", diff1}}, want: []string{"g"}, wantWork: 1},
		{
			name:     "linear in order",
			blocks:   []block{{"g", "", diff1}, {"a", "g", diff1}, {"b", "a", diff1}, {"c", "b", diff1}},
			want:     []string{"g", "a", "b", "c"},
			wantWork: 4,
		},
		{
			name:   "children before parents",
			blocks: []block{{"c", "b", diff1}, {"b", "a", diff1}, {"a", "g", diff1}, {"g", "", diff1}},
			want:   []string{"g", "a", "b", "c"},
		},
		{
			name: "longer fork with more work wins",
			blocks: []block{{"g", "", diff1}, {"a", "g", diff1}, {"b", "a", diff1}, {"c", "b", diff1},
				{"b'", "a", diff1}, {"c'", "b'", diff1}, {"d'", "c'", diff1}},
			want:     []string{"g", "a", "b'", "c'", "d'"},
			wantWork: 5,
		},
		{
			name:   "equal work: first seen wins",
			blocks: []block{{"g", "", diff1}, {"a", "g", diff1}, {"b1", "a", diff1}, {"b2", "a", diff1}},
			want:   []string{"g", "a", "b1"},
		},
		{
			name:   "equal work: first seen wins when swapped",
			blocks: []block{{"g", "", diff1}, {"a", "g", diff1}, {"b2", "a", diff1}, {"b1", "a", diff1}},
			want:   []string{"g", "a", "b2"},
		},
		{
			name:   "equal work: first seen wins even before its parent",
			blocks: []block{{"b2", "a", diff1}, {"g", "", diff1}, {"a", "g", diff1}, {"b1", "a", diff1}},
			want:   []string{"g", "a", "b2"},
		},
		{
			name:     "more work beats more blocks",
			blocks:   append([]block{{"g", "", diff1}, {"a", "g", diff1}}, chain("e", "g", 30, easy)...),
			want:     []string{"g", "a"},
			wantWork: 2,
		},
		{
			name:   "many easy blocks beat one hard block when they add up",
			blocks: append([]block{{"g", "", easy}, {"a", "g", 0x2000ffff}}, chain("e", "g", 300, easy)...),
			want:   append([]string{"g"}, names(chain("e", "g", 300, easy))...),
		},
		{
			name:   "duplicates keep the first",
			blocks: []block{{"g", "", diff1}, {"a", "g", diff1}, {"a", "g", diff1}, {"g", "", diff1}, {"b", "a", diff1}},
			want:   []string{"g", "a", "b"},
		},
		{
			name:        "orphans are counted",
			blocks:      []block{{"g", "", diff1}, {"a", "g", diff1}, {"x", "missing", diff1}, {"y", "x", diff1}},
			want:        []string{"g", "a"},
			orphans:     2,
			firstOrphan: "x",
		},
		{
			name:        "no genesis",
			blocks:      []block{{"a", "g", diff1}, {"b", "a", diff1}},
			want:        nil,
			orphans:     2,
			firstOrphan: "a",
		},
		{
			name:   "genesis whose parent is its child",
			blocks: []block{{"g", "a", diff1}, {"a", "g", diff1}},
			want:   []string{"g", "a"},
		},
		{
			name:        "block that is its own parent",
			blocks:      []block{{"g", "", diff1}, {"x", "x", diff1}},
			want:        []string{"g"},
			orphans:     1,
			firstOrphan: "x",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idx := newChainIndex(fakeHash("g"))
			var order []string // name of each distinct entry, by index
			for _, b := range tt.blocks {
				prev := chainhash.Hash{}
				if b.parent != "" {
					prev = fakeHash(b.parent)
				}
				i, added := idx.add(headerEntry{hash: fakeHash(b.name), prev: prev, bits: b.bits})
				if added != !slices.Contains(order, b.name) {
					t.Fatalf("add(%s) added=%v, seen before: %v", b.name, added, slices.Contains(order, b.name))
				}
				if added {
					order = append(order, b.name)
				}
				if order[i] != b.name {
					t.Fatalf("add(%s) returned index %d, which is %s", b.name, i, order[i])
				}
			}
			res := idx.link()
			var got []string
			for _, i := range res.chain {
				got = append(got, order[i])
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("chain = %v, want %v", got, tt.want)
			}
			if res.orphans != tt.orphans {
				t.Fatalf("orphans = %d, want %d", res.orphans, tt.orphans)
			}
			if tt.firstOrphan != "" && (res.firstOrphan < 0 || order[res.firstOrphan] != tt.firstOrphan) {
				t.Fatalf("first orphan index %d, want %s", res.firstOrphan, tt.firstOrphan)
			}
			if tt.firstOrphan == "" && res.firstOrphan != -1 {
				t.Fatalf("first orphan index %d, want -1", res.firstOrphan)
			}
			if tt.wantWork != 0 {
				want := new(big.Int).Mul(big.NewInt(tt.wantWork), calcWork(diff1))
				if res.work.Cmp(want) != 0 {
					t.Fatalf("tip work = %s, want %s", res.work, want)
				}
			}
		})
	}
}

// TestChainIndexRealHeaders links the headers of mainnet blocks 0 to 14131.
// Difficulty stayed at one until the retarget at height 32256, so the chain
// work of block 14131 is 14132 times that of the genesis block.
func TestChainIndexRealHeaders(t *testing.T) {
	frames := realFrames(t)
	idx := newChainIndex(*mainnet(t).Params.GenesisHash)
	// Add them backwards, the worst order for a linker.
	for _, fr := range slices.Backward(frames) {
		hdr := fr.block()[:blockHeaderLen]
		idx.add(headerEntry{
			hash: chainhash.DoubleHashH(hdr),
			prev: chainhash.Hash(hdr[4:36]),
			bits: binary.LittleEndian.Uint32(hdr[72:76]),
		})
	}
	res := idx.link()
	if len(res.chain) != 14132 || res.orphans != 0 {
		t.Fatalf("chain of %d blocks with %d orphans, want 14132 and 0", len(res.chain), res.orphans)
	}
	for h, i := range res.chain {
		if i != len(frames)-1-h {
			t.Fatalf("height %d is entry %d, want %d", h, i, len(frames)-1-h)
		}
	}
	want := new(big.Int).Mul(big.NewInt(14132), big.NewInt(4295032833))
	if res.work.Cmp(want) != 0 {
		t.Fatalf("chain work %s, want %s", res.work, want)
	}
}
