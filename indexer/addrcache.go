package indexer

import "github.com/spoorhq/spoor/storage"

// addrCache maps addresses (class byte followed by payload) to their
// numbers. Like utxoCache it has two generations that rotate only at
// commits, so addresses numbered since the last commit are always found.
// It is owned by the writer goroutine.
//
// A cache started on an empty index is complete: it holds every address
// the index has, so an address it lacks is new and needs no read to prove
// it. It stays complete, growing instead of rotating, until it holds
// capacity addresses; from then on it rotates and a miss is looked up.
type addrCache struct {
	capacity int
	complete bool
	young    map[string]storage.AddrID
	old      map[string]storage.AddrID
	key      []byte
}

// newAddrCache returns an empty cache; complete says whether the index
// holds no address yet.
func newAddrCache(capacity int, complete bool) *addrCache {
	return &addrCache{capacity: capacity, complete: complete, young: make(map[string]storage.AddrID), old: map[string]storage.AddrID{}}
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

// committed is called after every commit; it rotates the generations when
// the young one is full.
func (c *addrCache) committed() {
	if c.complete {
		if len(c.young)+len(c.old) <= c.capacity {
			return
		}
		c.complete = false
	}
	if len(c.young) > c.capacity/2 {
		c.old = c.young
		c.young = make(map[string]storage.AddrID, len(c.old))
	}
}

// reset empties the cache, as after a disconnected block; complete says
// whether the index is now empty of addresses.
func (c *addrCache) reset(complete bool) {
	c.complete = complete
	c.young = make(map[string]storage.AddrID)
	c.old = map[string]storage.AddrID{}
}
