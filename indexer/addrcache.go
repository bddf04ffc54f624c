package indexer

import "github.com/spoorhq/spoor/storage"

// addrCache maps addresses (class and payload) to their numbers. Like
// utxoCache it has two generations that rotate only at commits, so
// addresses numbered since the last commit are always found. It is owned
// by the writer goroutine.
//
// A cache started on an empty index is complete: it holds every address
// the index has, so an address it lacks is new and needs no read to prove
// it. It stays complete, growing instead of rotating, until it holds
// capacity addresses; from then on it rotates and a miss is looked up.
type addrCache struct {
	capacity int
	complete bool
	young    addrMap
	old      addrMap
}

// addrMap is one generation. Almost every address has a 20- or 32-byte
// payload; those are keyed by fixed-size arrays, which are stored in the
// map itself, so a new address costs no allocation of its own and the
// garbage collector has no pointers to follow. Other payloads (public
// keys, bare multisig scripts, unknown witness programs) are keyed by
// strings.
type addrMap struct {
	k21   map[[21]byte]storage.AddrID
	k33   map[[33]byte]storage.AddrID
	other map[string]storage.AddrID
}

func newAddrMap() addrMap {
	return addrMap{k21: map[[21]byte]storage.AddrID{}, k33: map[[33]byte]storage.AddrID{}, other: map[string]storage.AddrID{}}
}

func (m *addrMap) len() int { return len(m.k21) + len(m.k33) + len(m.other) }

func (m *addrMap) get(class uint8, payload []byte) (storage.AddrID, bool) {
	var id storage.AddrID
	var ok bool
	switch len(payload) {
	case 20:
		var k [21]byte
		k[0] = class
		copy(k[1:], payload)
		id, ok = m.k21[k]
	case 32:
		var k [33]byte
		k[0] = class
		copy(k[1:], payload)
		id, ok = m.k33[k]
	default:
		id, ok = m.other[otherKey(class, payload)]
	}
	return id, ok
}

func (m *addrMap) put(class uint8, payload []byte, id storage.AddrID) {
	switch len(payload) {
	case 20:
		var k [21]byte
		k[0] = class
		copy(k[1:], payload)
		m.k21[k] = id
	case 32:
		var k [33]byte
		k[0] = class
		copy(k[1:], payload)
		m.k33[k] = id
	default:
		m.other[otherKey(class, payload)] = id
	}
}

func otherKey(class uint8, payload []byte) string {
	return string(append([]byte{class}, payload...))
}

// newAddrCache returns an empty cache; complete says whether the index
// holds no address yet.
func newAddrCache(capacity int, complete bool) *addrCache {
	return &addrCache{capacity: capacity, complete: complete, young: newAddrMap(), old: newAddrMap()}
}

func (c *addrCache) get(class uint8, payload []byte) (storage.AddrID, bool) {
	if id, ok := c.young.get(class, payload); ok {
		return id, true
	}
	if id, ok := c.old.get(class, payload); ok {
		c.young.put(class, payload, id)
		return id, true
	}
	return 0, false
}

func (c *addrCache) put(class uint8, payload []byte, id storage.AddrID) {
	c.young.put(class, payload, id)
}

// len returns the number of addresses the cache holds (an address in
// both generations counts twice).
func (c *addrCache) len() int { return c.young.len() + c.old.len() }

// committed is called after every commit; it rotates the generations when
// the young one is full.
func (c *addrCache) committed() {
	if c.complete {
		if c.len() <= c.capacity {
			return
		}
		c.complete = false
	}
	if c.young.len() > c.capacity/2 {
		c.old = c.young
		c.young = newAddrMap()
	}
}

// reset empties the cache, as after a disconnected block; complete says
// whether the index is now empty of addresses.
func (c *addrCache) reset(complete bool) {
	c.complete = complete
	c.young, c.old = newAddrMap(), newAddrMap()
}
