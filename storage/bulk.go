package storage

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/cockroachdb/pebble/v2/objstorage/objstorageprovider"
	"github.com/cockroachdb/pebble/v2/sstable"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// bulkDir is the directory, inside the database directory, where a bulk
// batch writes its sstables before they are ingested. Pebble moves them
// into the database; anything left there is from a process that died
// before ingesting, and is removed when the database is next opened.
const bulkDir = "bulk"

// bulkWriter is the buffer behind a bulk batch. Writes are appended to an
// arena as they come, tagged with their order; Commit sorts each table's
// writes by key, keeps the last write of every key, writes one sstable per
// table and ingests them all in one step. Because every table is its own
// file, the tables written in key order as the chain grows (blocks,
// transactions, inputs, outputs, address records, undo records) are
// ingested below everything already there and are never compacted again;
// only the tables keyed by hashes or addresses overlap older files.
type bulkWriter struct {
	arena  []byte
	tables [256][]bulkEntry
	ranges []bulkRange
	seq    uint32
	count  uint32
}

// bulkEntry is one write: its key (and value) in the arena, the first
// sixteen key bytes as two integers for fast comparison, and its order.
type bulkEntry struct {
	prefix uint64
	next   uint64
	off    uint32
	klen   uint32
	vlen   uint32
	seq    uint32
	del    bool
}

// bulkRange is a range deletion [lo, hi) within one table.
type bulkRange struct {
	lo, hi []byte
	seq    uint32
}

// keyPrefix returns the first sixteen bytes of k, zero-padded, as two
// big-endian integers.
func keyPrefix(k []byte) (uint64, uint64) {
	var p [16]byte
	copy(p[:], k)
	return binary.BigEndian.Uint64(p[:8]), binary.BigEndian.Uint64(p[8:])
}

func (w *bulkWriter) add(key, val []byte, del bool) {
	w.seq++
	w.count++
	p, q := keyPrefix(key)
	e := bulkEntry{prefix: p, next: q, off: uint32(len(w.arena)), klen: uint32(len(key)), vlen: uint32(len(val)), seq: w.seq, del: del}
	w.arena = append(append(w.arena, key...), val...)
	w.tables[key[0]] = append(w.tables[key[0]], e)
}

// deleteRange records the deletion of [lo, hi). Both ends must name the
// same table, or hi must be the end of lo's table.
func (w *bulkWriter) deleteRange(lo, hi []byte) error {
	if len(lo) == 0 || len(hi) == 0 || bytes.Compare(lo, hi) >= 0 {
		return fmt.Errorf("storage: bulk batch: empty range deletion [%x, %x)", lo, hi)
	}
	if hi[0] != lo[0] && !(len(hi) == 1 && hi[0] == lo[0]+1) {
		return fmt.Errorf("storage: bulk batch: range deletion [%x, %x) spans tables", lo, hi)
	}
	w.seq++
	w.count++
	w.ranges = append(w.ranges, bulkRange{lo: bytes.Clone(lo), hi: bytes.Clone(hi), seq: w.seq})
	return nil
}

func (w *bulkWriter) key(e *bulkEntry) []byte {
	return w.arena[e.off : e.off+e.klen]
}

func (w *bulkWriter) value(e *bulkEntry) []byte {
	s := e.off + e.klen
	return w.arena[s : s+e.vlen]
}

func (w *bulkWriter) compare(a, b *bulkEntry) int {
	if c := cmp.Compare(a.prefix, b.prefix); c != 0 {
		return c
	}
	if c := cmp.Compare(a.next, b.next); c != 0 {
		return c
	}
	if a.klen > 16 || b.klen > 16 {
		if c := bytes.Compare(w.key(a), w.key(b)); c != 0 {
			return c
		}
	} else if c := cmp.Compare(a.klen, b.klen); c != 0 {
		return c
	}
	return cmp.Compare(a.seq, b.seq)
}

// sorted sorts one table's writes and drops every write that a later write
// of the same key, or a later range deletion, replaces. The table's range
// deletions, merged where they overlap, are returned alongside.
func (w *bulkWriter) sorted(tag int) ([]bulkEntry, []bulkRange) {
	es := w.tables[tag]
	if !slices.IsSortedFunc(es, func(a, b bulkEntry) int { return w.compare(&a, &b) }) {
		slices.SortFunc(es, func(a, b bulkEntry) int { return w.compare(&a, &b) })
	}
	var rs []bulkRange
	for _, r := range w.ranges {
		if int(r.lo[0]) == tag {
			rs = append(rs, r)
		}
	}
	out := es[:0]
	for i := range es {
		e := es[i]
		if i+1 < len(es) && es[i+1].prefix == e.prefix && es[i+1].next == e.next && bytes.Equal(w.key(&es[i+1]), w.key(&e)) {
			continue // a later write of the same key follows
		}
		if covered(rs, w.key(&e), e.seq) {
			continue
		}
		out = append(out, e)
	}
	slices.SortFunc(rs, func(a, b bulkRange) int { return bytes.Compare(a.lo, b.lo) })
	merged := rs[:0]
	for _, r := range rs {
		if n := len(merged); n > 0 && bytes.Compare(r.lo, merged[n-1].hi) <= 0 {
			if bytes.Compare(r.hi, merged[n-1].hi) > 0 {
				merged[n-1].hi = r.hi
			}
			continue
		}
		merged = append(merged, r)
	}
	return out, merged
}

// covered reports whether a range deletion made after seq covers key.
func covered(rs []bulkRange, key []byte, seq uint32) bool {
	for _, r := range rs {
		if r.seq > seq && bytes.Compare(key, r.lo) >= 0 && bytes.Compare(key, r.hi) < 0 {
			return true
		}
	}
	return false
}

// reset empties the writer, keeping its memory for the next batch.
func (w *bulkWriter) reset() {
	w.arena = w.arena[:0]
	for i := range w.tables {
		w.tables[i] = w.tables[i][:0]
	}
	w.ranges = w.ranges[:0]
	w.seq, w.count = 0, 0
}

// commit writes the buffered writes as sstables and ingests them into db.
// The ingestion is atomic: after a crash either every table of the batch
// is in the database or none is.
func (w *bulkWriter) commit(ctx context.Context, db *DB) error {
	dir := filepath.Join(db.dir, bulkDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("storage: bulk batch: %w", err)
	}
	var paths []string
	cleanup := func() {
		for _, p := range paths {
			_ = os.Remove(p)
		}
	}
	for tag := range w.tables {
		if len(w.tables[tag]) == 0 && !w.hasRanges(tag) {
			continue
		}
		es, rs := w.sorted(tag)
		if len(es) == 0 && len(rs) == 0 {
			continue
		}
		path := filepath.Join(dir, fmt.Sprintf("%08d-%02x.sst", db.bulkFiles.Add(1), tag))
		paths = append(paths, path)
		if err := w.writeTable(path, db, es, rs); err != nil {
			cleanup()
			return fmt.Errorf("storage: bulk batch: table %q: %w", rune(tag), err)
		}
	}
	if len(paths) == 0 {
		return nil
	}
	if err := db.pdb.Ingest(ctx, paths); err != nil {
		cleanup()
		return fmt.Errorf("storage: bulk batch: ingest %d tables: %w", len(paths), err)
	}
	return nil
}

func (w *bulkWriter) hasRanges(tag int) bool {
	for _, r := range w.ranges {
		if int(r.lo[0]) == tag {
			return true
		}
	}
	return false
}

// writeTable writes one table's sorted writes and range deletions into a
// new sstable at path, synced.
func (w *bulkWriter) writeTable(path string, db *DB, es []bulkEntry, rs []bulkRange) error {
	f, err := vfs.Default.Create(path, vfs.WriteCategoryUnspecified)
	if err != nil {
		return err
	}
	sw := sstable.NewWriter(objstorageprovider.NewFileWritable(f), db.writerOptions())
	for i := range es {
		e := &es[i]
		if e.del {
			err = sw.Delete(w.key(e))
		} else {
			err = sw.Set(w.key(e), w.value(e))
		}
		if err != nil {
			return errors.Join(err, sw.Close())
		}
	}
	for _, r := range rs {
		if err := sw.DeleteRange(r.lo, r.hi); err != nil {
			return errors.Join(err, sw.Close())
		}
	}
	return sw.Close()
}

// writerOptions are the options of the sstables a bulk batch writes: the
// database's table format, block sizes, compression and filters, as for a
// table flushed to level 0.
func (db *DB) writerOptions() sstable.WriterOptions {
	return db.popts.MakeWriterOptions(0, db.pdb.TableFormat())
}

// removeBulkLeftovers deletes the sstables of bulk batches that were never
// ingested (the process died between writing and ingesting them).
func removeBulkLeftovers(dir string) error {
	if err := os.RemoveAll(filepath.Join(dir, bulkDir)); err != nil {
		return fmt.Errorf("storage: remove unfinished bulk tables in %s: %w", dir, err)
	}
	return nil
}
