package indexer

import "github.com/spoorhq/spoor/storage"

// addrCache maps addresses (class byte followed by payload) to their
// numbers. Like utxoCache it has two generations that rotate only at
// commits, so addresses numbered since the last commit are always found.
// It is owned by the writer goroutine.
type addrCache struct {
	capacity int
	young    map[string]storage.AddrID
	old      map[string]storage.AddrID
	key      []byte
}

func newAddrCache(capacity int) *addrCache {
	return &addrCache{capacity: capacity, young: make(map[string]storage.AddrID), old: map[string]storage.AddrID{}}
}

func (c *addrCache) makeKey(class uint8, payload []byte) []byte {
	c.key = append(append(c.key[:0], class), payload...)
	return c.key
}

func (c *addrCache) get(class uint8, payload []byte) (storage.AddrID, bool) {
	k := c.makeKey(class, payload)
	if id, ok := c.young[string(k)]; ok {
		return id, true
	}
	if id, ok := c.old[string(k)]; ok {
		c.young[string(k)] = id
		return id, true
	}
	return 0, false
}

func (c *addrCache) put(class uint8, payload []byte, id storage.AddrID) {
	c.young[string(c.makeKey(class, payload))] = id
}

func (c *addrCache) committed() {
	if len(c.young) > c.capacity/2 {
		c.old = c.young
		c.young = make(map[string]storage.AddrID, len(c.old))
	}
}

func (c *addrCache) reset() {
	c.young = make(map[string]storage.AddrID)
	c.old = map[string]storage.AddrID{}
}
