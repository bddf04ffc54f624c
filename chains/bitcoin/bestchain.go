package bitcoin

import (
	"math/big"

	"github.com/btcsuite/btcd/chainhash/v2"
)

// headerEntry is what the chain linker needs to know about one block: its
// own hash, the hash of its parent and its compact difficulty target.
type headerEntry struct {
	hash chainhash.Hash
	prev chainhash.Hash
	bits uint32
}

// chainIndex links block headers, given in the order they were found, into
// the best chain that starts at a genesis hash. It does no I/O, so it can be
// tested with made-up hashes.
type chainIndex struct {
	genesis chainhash.Hash
	entries []headerEntry
	byHash  map[chainhash.Hash]int
}

// linkResult is the outcome of chainIndex.link.
type linkResult struct {
	// chain holds, for every height from 0 to the tip, the index of the
	// block at that height as returned by chainIndex.add.
	chain []int
	// work is the cumulative proof of work of the tip, zero when chain is
	// empty.
	work *big.Int
	// orphans counts the blocks that do not descend from the genesis block.
	orphans int
	// firstOrphan is the index of the first orphan added, or -1.
	firstOrphan int
}

// newChainIndex returns an empty index for the chain that starts at genesis.
func newChainIndex(genesis chainhash.Hash) *chainIndex {
	return &chainIndex{genesis: genesis, byHash: make(map[chainhash.Hash]int)}
}

// add records a header and returns its index. If a header with the same
// hash was added before, add keeps the first copy and returns its index and
// false.
func (c *chainIndex) add(e headerEntry) (int, bool) {
	if i, ok := c.byHash[e.hash]; ok {
		return i, false
	}
	i := len(c.entries)
	c.entries = append(c.entries, e)
	c.byHash[e.hash] = i
	return i, true
}

// len returns the number of distinct headers added.
func (c *chainIndex) len() int { return len(c.entries) }

// link computes the best chain: among the blocks that descend from the
// genesis block, the one with the most cumulative proof of work is the tip,
// and of several with equal work the one added first wins.
func (c *chainIndex) link() linkResult {
	n := len(c.entries)
	res := linkResult{work: new(big.Int), firstOrphan: -1}
	root, ok := c.byHash[c.genesis]
	if !ok {
		res.orphans = n
		if n > 0 {
			res.firstOrphan = 0
		}
		return res
	}

	// Children as singly linked lists kept in two arrays, which is far
	// smaller than a map of slices for a million blocks.
	firstChild := make([]int, n)
	nextSibling := make([]int, n)
	for i := range firstChild {
		firstChild[i] = -1
		nextSibling[i] = -1
	}
	// Walk backwards so that each list ends up in the order of addition.
	for i := n - 1; i >= 0; i-- {
		if i == root {
			continue
		}
		p, ok := c.byHash[c.entries[i].prev]
		if !ok || p == i {
			continue
		}
		nextSibling[i] = firstChild[p]
		firstChild[p] = i
	}

	// Cumulative work, filled in breadth first from the root. parent is -1
	// for the root and -2 for blocks not reached.
	cum := make([]big.Int, n)
	parent := make([]int, n)
	for i := range parent {
		parent[i] = -2
	}
	workOf := make(map[uint32]*big.Int)
	blockWork := func(bits uint32) *big.Int {
		w, ok := workOf[bits]
		if !ok {
			w = calcWork(bits)
			workOf[bits] = w
		}
		return w
	}
	parent[root] = -1
	cum[root].Set(blockWork(c.entries[root].bits))
	queue := []int{root}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for ch := firstChild[p]; ch >= 0; ch = nextSibling[ch] {
			if parent[ch] != -2 {
				continue // a guard only: every block has one parent
			}
			parent[ch] = p
			cum[ch].Add(&cum[p], blockWork(c.entries[ch].bits))
			queue = append(queue, ch)
		}
	}

	tip := -1
	for i := range n {
		if parent[i] == -2 {
			if res.firstOrphan < 0 {
				res.firstOrphan = i
			}
			res.orphans++
			continue
		}
		// Strictly more work replaces the tip, so ties go to the block
		// added first.
		if tip < 0 || cum[i].Cmp(&cum[tip]) > 0 {
			tip = i
		}
	}

	height := 0
	for i := tip; i >= 0; i = parent[i] {
		height++
	}
	res.chain = make([]int, height)
	for i := tip; i >= 0; i = parent[i] {
		height--
		res.chain[height] = i
	}
	res.work.Set(&cum[tip])
	return res
}

// compactToTarget expands Bitcoin's compact representation of a target: the
// top byte is a base-256 exponent, the low 23 bits the mantissa and bit 23
// the sign. It reports whether the encoded number is negative.
func compactToTarget(bits uint32) (target *big.Int, negative bool) {
	mantissa := int64(bits & 0x007fffff)
	exponent := uint(bits >> 24)
	target = big.NewInt(mantissa)
	if exponent <= 3 {
		target.Rsh(target, 8*(3-exponent))
	} else {
		target.Lsh(target, 8*(exponent-3))
	}
	return target, bits&0x00800000 != 0 && mantissa != 0
}

// calcWork returns the expected number of hashes needed to find a block with
// the given compact target, 2^256 / (target+1). A target that is zero or
// negative yields zero work, and so does one of 2^256 or more.
func calcWork(bits uint32) *big.Int {
	target, negative := compactToTarget(bits)
	if negative || target.Sign() <= 0 {
		return new(big.Int)
	}
	num := new(big.Int).Lsh(big.NewInt(1), 256)
	return num.Quo(num, target.Add(target, big.NewInt(1)))
}
