package indexer

import (
	"bytes"
	"testing"

	"github.com/spoorhq/spoor/storage"
)

func TestAddrCache(t *testing.T) {
	addrs := []struct {
		class   uint8
		payload []byte
	}{
		{2, bytes.Repeat([]byte{1}, 20)},  // p2pkh
		{3, bytes.Repeat([]byte{1}, 20)},  // p2sh, same payload, other class
		{5, bytes.Repeat([]byte{1}, 32)},  // p2wsh
		{6, bytes.Repeat([]byte{1}, 32)},  // p2tr
		{1, bytes.Repeat([]byte{2}, 33)},  // compressed key
		{1, bytes.Repeat([]byte{2}, 65)},  // uncompressed key
		{7, bytes.Repeat([]byte{3}, 105)}, // bare multisig
		{9, []byte{0x52, 0x02, 0xab, 0xcd}},
	}
	c := newAddrCache(1000, true)
	for i, a := range addrs {
		if _, ok := c.get(a.class, a.payload); ok {
			t.Fatalf("address %d found before it was put", i)
		}
		c.put(a.class, a.payload, storage.AddrID(i+1))
	}
	check := func(when string) {
		t.Helper()
		for i, a := range addrs {
			if id, ok := c.get(a.class, a.payload); !ok || id != storage.AddrID(i+1) {
				t.Fatalf("%s: address %d (class %d, %d bytes): got %d, %v", when, i, a.class, len(a.payload), id, ok)
			}
		}
	}
	check("after put")
	c.committed()
	check("after a commit")
	if !c.complete {
		t.Fatal("a cache below its capacity stopped being complete")
	}

	// Past its capacity the cache rotates: what is not used for two
	// generations is forgotten, and it is no longer complete.
	c = newAddrCache(4, true)
	for i, a := range addrs[:5] {
		c.put(a.class, a.payload, storage.AddrID(i+1))
	}
	c.committed()
	if c.complete {
		t.Fatal("a cache over its capacity still claims to be complete")
	}
	for i, a := range addrs[5:] {
		c.put(a.class, a.payload, storage.AddrID(i+6))
	}
	c.committed()
	if _, ok := c.get(addrs[0].class, addrs[0].payload); ok {
		t.Fatal("an address unused for two generations is still cached")
	}
	if id, ok := c.get(addrs[5].class, addrs[5].payload); !ok || id != 6 {
		t.Fatalf("the latest address: got %d, %v", id, ok)
	}
}
