package cluster

import (
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/spoorhq/spoor/storage"
)

// TestMemStateMatchesNaive unions random pairs and compares the partition
// with a naive relabelling union-find.
func TestMemStateMatchesNaive(t *testing.T) {
	const n = 2000
	rng := rand.New(rand.NewPCG(1, 2))
	m := newMemState(n)
	label := make([]int, n)
	for i := range label {
		label[i] = i
		if i > 0 {
			if err := m.create(storage.AddrID(i), 4, 0); err != nil {
				t.Fatal(err)
			}
		}
	}
	e := engine{set: &Set{}, st: m}
	var res storage.TxHeuristics
	for range 1500 {
		a, b := storage.AddrID(1+rng.IntN(n-1)), storage.AddrID(1+rng.IntN(n-1))
		if err := e.union(link{a: a, b: b}, &res); err != nil {
			t.Fatal(err)
		}
		la, lb := label[a], label[b]
		for i := range label {
			if label[i] == lb {
				label[i] = la
			}
		}
	}
	for a := 1; a < n; a++ {
		for _, b := range []int{1 + rng.IntN(n-1), a - 1} {
			if b == 0 {
				continue
			}
			ra, _, _ := m.find(storage.AddrID(a))
			rb, _, _ := m.find(storage.AddrID(b))
			if (ra == rb) != (label[a] == label[b]) {
				t.Fatalf("addresses %d and %d: union-find says %v, naive %v", a, b, ra == rb, label[a] == label[b])
			}
		}
	}
	// Sizes agree with the members.
	count := map[storage.AddrID]uint64{}
	for a := 1; a < n; a++ {
		r, _, _ := m.find(storage.AddrID(a))
		count[r]++
	}
	for r, c := range count {
		if _, s, _ := m.find(r); s != c {
			t.Fatalf("cluster %d has %d members, size says %d", r, c, s)
		}
	}
	if _, _, err := m.find(n); err == nil {
		t.Fatal("an address beyond the state was found")
	}
}

// BenchmarkUnion measures the in-memory union-find of the bulk path on a
// stream of input links shaped like a chain's (see the comment on the
// stream below), over 4 M addresses. It reports input-links/s, and the
// reference sub-benchmark reads the same links in a plain loop, so the
// ratio of the two is the cost of clustering per link.
func BenchmarkUnion(b *testing.B) {
	const nAddr = 1 << 22
	const nLinks = 1 << 22
	rng := rand.New(rand.NewPCG(7, 7))
	links := make([][2]uint32, nLinks)
	for i := range links {
		// Links arrive in chain order: the first address is near the
		// frontier of numbered addresses, the second was numbered some
		// time before it (coin ages are heavy-tailed: half within the
		// last 1,000 addresses, 30% within the last 100,000, the rest
		// anywhere in the past).
		frontier := uint32(1 + uint64(i)*(nAddr-2)/nLinks)
		a := frontier - uint32(rng.IntN(int(min(frontier, 50))))
		var age int
		switch u := rng.IntN(10); {
		case u < 5:
			age = rng.IntN(1000)
		case u < 8:
			age = rng.IntN(100_000)
		default:
			age = rng.IntN(nAddr)
		}
		c := uint32(max(1, int(a)-age))
		links[i] = [2]uint32{max(a, 1), c}
	}
	b.Run("reference", func(b *testing.B) {
		var sum uint64
		cpu := cpuSeconds()
		for b.Loop() {
			for _, l := range links {
				sum += uint64(l[0] ^ l[1])
			}
		}
		reportLinks(b, nLinks, cpu)
		if sum == 1 {
			b.Log(sum)
		}
	})
	b.Run("union-find", func(b *testing.B) {
		m := newMemState(nAddr)
		cpu := cpuSeconds()
		for b.Loop() {
			for i := range m.nodes {
				m.nodes[i] = ufNode{parent: uint32(i), size: 1}
			}
			m.edges = m.edges[:0]
			for _, l := range links {
				m.unionFast(l[0], l[1])
			}
		}
		reportLinks(b, nLinks, cpu)
	})
}

// reportLinks reports links per second of wall time and per second of CPU
// time the process used since cpu (the machine is shared, so wall time
// includes waiting for a core).
func reportLinks(b *testing.B, perOp int, cpu float64) {
	links := float64(b.N) * float64(perOp)
	b.ReportMetric(links/b.Elapsed().Seconds(), "input-links/s")
	if used := cpuSeconds() - cpu; used > 0 {
		b.ReportMetric(links/used, "input-links/cpu-s")
	}
}

// cpuSeconds returns the user and system CPU time of the process.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}
