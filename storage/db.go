package storage

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
)

// SchemaVersion is the version of the on-disk layout this code reads and
// writes. It is stored under the meta key "schema"; a database with another
// version is refused rather than misread.
const SchemaVersion = 1

// DB is one chain's index. It is safe for concurrent readers; writes are
// made by one writer through Batch.
type DB struct {
	pdb   *pebble.DB
	popts *pebble.Options
	dir   string
	chain string

	// bulkFiles numbers the sstables bulk batches write; one bulk batch
	// commits at a time. bulkPool keeps the buffer of the last closed bulk
	// batch for the next one; a batch may be closed in another goroutine
	// than the one that opens the next.
	bulkFiles atomic.Uint64
	bulkMu    sync.Mutex
	bulkPool  *bulkWriter
}

// Open opens or creates the index in dir for chain (for example
// "bitcoin/mainnet"). A new database is stamped with the chain and the
// schema version; an existing one must match both.
func Open(dir, chain string, opts *Options) (*DB, error) {
	if opts == nil {
		opts = DefaultOptions()
	}
	o := *opts
	o.EnsureDefaults()
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if o.ReadOnly {
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("storage: open %s: no index here: %w", dir, err)
		}
	}
	cache := pebble.NewCache(o.CacheSize)
	defer cache.Unref()
	popts := &pebble.Options{
		Cache:                       cache,
		MemTableSize:                o.MemTableSize,
		MemTableStopWritesThreshold: 4,
		L0CompactionThreshold:       4,
		L0StopWritesThreshold:       1000,
		LBaseMaxBytes:               512 << 20,
		ReadOnly:                    o.ReadOnly,
		FormatMajorVersion:          pebble.FormatNewest,
		Logger:                      pebbleLogger{l: o.Logger},
		CompactionConcurrencyRange:  func() (int, int) { return 1, 2 },
	}
	for i := range popts.Levels {
		if o.BloomBitsPerKey > 0 {
			popts.Levels[i].FilterPolicy = bloom.FilterPolicy(o.BloomBitsPerKey)
		}
	}
	// Pebble opens a copy of the options with its defaults filled in; the
	// same filled-in options describe the sstables bulk batches write.
	popts.EnsureDefaults()
	if !o.ReadOnly {
		if err := removeBulkLeftovers(dir); err != nil {
			return nil, err
		}
	}
	pdb, err := pebble.Open(dir, popts)
	if errors.Is(err, syscall.EAGAIN) {
		return nil, fmt.Errorf("storage: open %s: the index is in use by another process (a running indexer holds it until it stops): %w", dir, err)
	}
	if err != nil {
		return nil, fmt.Errorf("storage: open %s: %w", dir, err)
	}
	db := &DB{pdb: pdb, popts: popts, dir: dir, chain: chain}
	if err := db.checkStamp(o.ReadOnly); err != nil {
		return nil, errors.Join(err, pdb.Close())
	}
	return db, nil
}

// checkStamp verifies (or, on a new writable database, writes) the schema
// version and chain name.
func (db *DB) checkStamp(readOnly bool) error {
	ver, err := db.getMeta(metaSchema)
	switch {
	case errors.Is(err, ErrNotFound):
		if readOnly {
			return fmt.Errorf("storage: %s holds no spoor index", db.dir)
		}
		b := db.pdb.NewBatch()
		b.Set(MakeMetaKey(metaSchema).Encode(nil), binary.BigEndian.AppendUint32(nil, SchemaVersion), nil)
		b.Set(MakeMetaKey(metaChain).Encode(nil), []byte(db.chain), nil)
		if err := b.Commit(pebble.Sync); err != nil {
			return fmt.Errorf("storage: stamp %s: %w", db.dir, err)
		}
		return nil
	case err != nil:
		return err
	}
	if len(ver) != 4 || binary.BigEndian.Uint32(ver) != SchemaVersion {
		return fmt.Errorf("storage: %s has schema version %x, this build reads version %d", db.dir, ver, SchemaVersion)
	}
	chain, err := db.getMeta(metaChain)
	if err != nil {
		return err
	}
	if db.chain != "" && string(chain) != db.chain {
		return fmt.Errorf("storage: %s indexes %s, not %s", db.dir, chain, db.chain)
	}
	db.chain = string(chain)
	return nil
}

// Chain returns the chain this index holds, such as "bitcoin/mainnet".
func (db *DB) Chain() string { return db.chain }

// Close closes the database.
func (db *DB) Close() error { return db.pdb.Close() }

// Flush writes the memtables to disk, so that everything committed so far
// survives even the loss of the write-ahead log.
func (db *DB) Flush() error { return db.pdb.Flush() }

// Compact compacts the whole database, as after a bulk load, so that its
// size on disk and its read cost reflect the data rather than the history
// of writes.
func (db *DB) Compact(ctx context.Context) error {
	if err := db.pdb.Compact(ctx, []byte{0}, []byte{0xff, 0xff}, true); err != nil {
		return fmt.Errorf("storage: compact %s: %w", db.dir, err)
	}
	return nil
}

// DiskUsage returns the bytes the database occupies on disk.
func (db *DB) DiskUsage() uint64 { return db.pdb.Metrics().DiskSpaceUsage() }

// get returns a copy of the value of key, or ErrNotFound.
func (db *DB) get(key []byte) ([]byte, error) {
	v, closer, err := db.pdb.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("storage: get %x: %w", key, err)
	}
	out := append([]byte(nil), v...)
	return out, closer.Close()
}

func (db *DB) getMeta(name string) ([]byte, error) { return db.get(MakeMetaKey(name).Encode(nil)) }

// pebbleLogger adapts slog to Pebble's logger interface.
type pebbleLogger struct{ l *slog.Logger }

func (p pebbleLogger) Infof(format string, args ...interface{}) {
	if p.l != nil {
		p.l.Debug(fmt.Sprintf(format, args...), "component", "pebble")
	}
}

func (p pebbleLogger) Errorf(format string, args ...interface{}) {
	if p.l != nil {
		p.l.Error(fmt.Sprintf(format, args...), "component", "pebble")
	}
}

func (p pebbleLogger) Fatalf(format string, args ...interface{}) {
	msg := fmt.Sprintf(format, args...)
	if p.l != nil {
		p.l.Error(msg, "component", "pebble")
	}
	fmt.Fprintln(os.Stderr, "pebble fatal:", msg)
	os.Exit(1)
}

var _ io.Closer = (*DB)(nil)
