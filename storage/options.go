package storage

import (
	"fmt"
	"log/slog"
)

// Options configure how the index database is opened.
type Options struct {
	// CacheSize is the size of Pebble's block cache in bytes.
	CacheSize int64
	// MemTableSize is the size of each memtable in bytes. Large memtables
	// absorb the write bursts of a bulk load with fewer flushes.
	MemTableSize uint64
	// BloomBitsPerKey sets the bloom filter on every level, so that lookups
	// of txids and addresses that are not in the index are cheap.
	BloomBitsPerKey int
	// ReadOnly opens the database without the right to write.
	ReadOnly bool
	// Logger receives Pebble's own log lines. Nil discards them.
	Logger *slog.Logger
}

// DefaultOptions returns the options spoor uses unless told otherwise.
func DefaultOptions() *Options {
	o := &Options{}
	o.EnsureDefaults()
	return o
}

// EnsureDefaults fills zero fields with their defaults.
func (o *Options) EnsureDefaults() {
	if o.CacheSize == 0 {
		o.CacheSize = 256 << 20
	}
	if o.MemTableSize == 0 {
		o.MemTableSize = 64 << 20
	}
	if o.BloomBitsPerKey == 0 {
		o.BloomBitsPerKey = 10
	}
}

// Validate reports options that cannot work.
func (o *Options) Validate() error {
	switch {
	case o.CacheSize < 0:
		return fmt.Errorf("storage: cache size %d is negative", o.CacheSize)
	case o.MemTableSize < 1<<20 || o.MemTableSize > 4<<30:
		return fmt.Errorf("storage: memtable size %d is outside 1 MiB..4 GiB", o.MemTableSize)
	case o.BloomBitsPerKey < 0 || o.BloomBitsPerKey > 64:
		return fmt.Errorf("storage: bloom bits per key %d is outside 0..64", o.BloomBitsPerKey)
	}
	return nil
}
