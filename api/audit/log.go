package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// File names inside the audit directory.
const (
	LogFile  = "audit.log"
	HeadFile = "audit.head"
)

// SyncPolicy says when appended entries reach the disk.
type SyncPolicy int

const (
	// SyncAlways fsyncs before Append returns; concurrent appends share
	// one fsync.
	SyncAlways SyncPolicy = iota
	// SyncNone leaves flushing to the operating system; the head is
	// written on Close.
	SyncNone
)

// ParseSyncPolicy reads "always" (or "") and "none".
func ParseSyncPolicy(s string) (SyncPolicy, error) {
	switch s {
	case "", "always":
		return SyncAlways, nil
	case "none":
		return SyncNone, nil
	}
	return 0, fmt.Errorf("audit sync %q: want always or none", s)
}

// Options configure a Log. The zero value is SyncAlways with the system
// clock.
type Options struct {
	Sync SyncPolicy
	// Now returns the time stamped on entries; nil means time.Now.
	Now func() time.Time
}

// ErrBroken is returned by Append after a write or fsync failed: the log
// may hold a partial line and takes no more entries until reopened.
var ErrBroken = errors.New("audit: log is broken by an earlier write failure")

// Log is an open audit log. Append is safe for concurrent use.
type Log struct {
	dir  string
	opts Options
	// Recovered is the number of bytes of a torn last line cut off by
	// Open (zero normally).
	Recovered int64
	// queryMemo keeps the hash of the last query appended.
	queryMemo queryMemo

	mu struct {
		sync.Mutex
		f      *os.File
		seq    uint64 // seq of the last entry appended
		last   string // hash of the last entry appended
		broken bool
		// pending holds the lines appended but not yet written, in seq
		// order, up to seq.
		pending []byte
	}
	// writeMu is held while pending lines are written; it is taken before
	// mu, never after.
	writeMu struct {
		sync.Mutex
		seq   uint64 // entries up to here are written
		last  string // hash of entry seq
		spare []byte // the last written buffer, reused for pending
	}
	syncMu struct {
		sync.Mutex
		seq uint64 // entries up to here are fsynced and in the head
	}
}

// Head names the last entry of a log: its sequence number and hash.
type Head struct {
	Seq  uint64 `json:"seq"`
	Hash string `json:"hash"`
}

// Open opens (creating when needed) the audit log in dir. It reads the
// last entry to continue the chain and checks it against the head file;
// it does not verify the whole chain (Verify does).
func Open(dir string, opts *Options) (*Log, error) {
	l := &Log{dir: dir}
	if opts != nil {
		l.opts = *opts
	}
	if l.opts.Now == nil {
		l.opts.Now = time.Now
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	path := filepath.Join(dir, LogFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	last, cut, err := readTail(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("audit: %s: %w", path, err)
	}
	if cut > 0 {
		st, err := f.Stat()
		if err == nil {
			err = f.Truncate(st.Size() - cut)
		}
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("audit: %s: cutting a torn last line of %d bytes: %w", path, cut, err)
		}
		l.Recovered = cut
	}
	l.mu.f = f
	l.mu.last = genesis
	if last != nil {
		h, err := hashOf(*last)
		if err != nil || h != last.Hash {
			f.Close()
			return nil, fmt.Errorf("audit: %s: the last entry (seq %d) does not match its hash; run spoor audit verify", path, last.Seq)
		}
		l.mu.seq, l.mu.last = last.Seq, last.Hash
	}
	l.writeMu.seq, l.writeMu.last = l.mu.seq, l.mu.last
	head, err := ReadHead(dir)
	switch {
	case errors.Is(err, os.ErrNotExist) && last != nil:
		f.Close()
		return nil, fmt.Errorf("audit: %s holds entries but %s is missing (it is written from the first open on); run spoor audit verify", path, HeadFile)
	case errors.Is(err, os.ErrNotExist):
		if err := writeHead(dir, Head{Hash: genesis}); err != nil {
			f.Close()
			return nil, err
		}
	case err != nil:
		f.Close()
		return nil, err
	case head.Seq > l.mu.seq:
		f.Close()
		return nil, fmt.Errorf("audit: %s ends at seq %d but its head says %d: entries were removed", path, l.mu.seq, head.Seq)
	}
	l.syncMu.seq = l.mu.seq
	return l, nil
}

// readTail returns the last complete entry of f (nil when f is empty) and
// the length of a torn last line to cut off.
func readTail(f *os.File) (*Entry, int64, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, 0, err
	}
	size := st.Size()
	if size == 0 {
		return nil, 0, nil
	}
	// Read backwards in growing chunks until the last two newlines (or the
	// start of the file) are in the buffer.
	chunk := int64(64 << 10)
	for {
		if chunk > size {
			chunk = size
		}
		buf := make([]byte, chunk)
		if _, err := f.ReadAt(buf, size-chunk); err != nil && !errors.Is(err, io.EOF) {
			return nil, 0, err
		}
		var cut int64
		end := len(buf)
		if buf[end-1] != '\n' {
			nl := bytes.LastIndexByte(buf, '\n')
			if nl < 0 && chunk < size {
				chunk *= 2
				continue
			}
			cut = int64(end - nl - 1)
			end = nl + 1
			if end == 0 {
				return nil, cut, nil
			}
		}
		start := bytes.LastIndexByte(buf[:end-1], '\n')
		if start < 0 && chunk < size {
			chunk *= 2
			continue
		}
		var e Entry
		if err := json.Unmarshal(buf[start+1:end-1], &e); err != nil {
			return nil, 0, fmt.Errorf("the last line is not an audit entry: %w", err)
		}
		return &e, cut, nil
	}
}

// Append stamps e (seq, time, query hash, prev, hash), writes it as one
// line and, under SyncAlways, waits until it is on disk. Concurrent
// appends share a write: an entry appended while another append is
// writing is written, with every other entry appended meanwhile, in one
// write by the first of them to get the file, and Append returns once its
// own line is written (group write). It returns the
// entry as written.
func (l *Log) Append(ctx context.Context, e Entry) (Entry, error) {
	if err := ctx.Err(); err != nil {
		return Entry{}, err
	}
	if err := e.canonicalize(&l.queryMemo); err != nil {
		return Entry{}, err
	}
	l.mu.Lock()
	if l.mu.broken || l.mu.f == nil {
		l.mu.Unlock()
		return Entry{}, ErrBroken
	}
	e.Seq = l.mu.seq + 1
	e.Time = l.opts.Now().UTC().Format(time.RFC3339Nano)
	e.Prev = l.mu.last
	pending, h, err := appendLine(l.mu.pending, e, &l.queryMemo)
	if err != nil {
		l.mu.Unlock()
		return Entry{}, fmt.Errorf("audit: encoding entry %d: %w", e.Seq, err)
	}
	e.Hash = h
	l.mu.pending = append(pending, '\n')
	l.mu.seq, l.mu.last = e.Seq, e.Hash
	l.mu.Unlock()
	if err := l.writeTo(e.Seq); err != nil {
		return Entry{}, err
	}
	if l.opts.Sync == SyncAlways {
		if err := l.syncTo(e.Seq); err != nil {
			return Entry{}, err
		}
	}
	return e, nil
}

// maxSpare bounds the write buffer kept for reuse after a burst.
const maxSpare = 1 << 20

// writeTo returns once entry seq is written to the file. The first waiter
// writes every line pending when it gets the file, in one write.
func (l *Log) writeTo(seq uint64) error {
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	if l.writeMu.seq >= seq {
		return nil
	}
	l.mu.Lock()
	f, broken, buf := l.mu.f, l.mu.broken, l.mu.pending
	to := Head{Seq: l.mu.seq, Hash: l.mu.last}
	l.mu.pending = l.writeMu.spare[:0]
	l.mu.Unlock()
	if broken || f == nil {
		return ErrBroken
	}
	if _, err := f.Write(buf); err != nil {
		l.mu.Lock()
		l.mu.broken = true
		l.mu.Unlock()
		return fmt.Errorf("audit: writing entries %d-%d: %w: %w", l.writeMu.seq+1, to.Seq, ErrBroken, err)
	}
	l.writeMu.seq, l.writeMu.last = to.Seq, to.Hash
	l.writeMu.spare = nil
	if cap(buf) <= maxSpare {
		l.writeMu.spare = buf
	}
	return nil
}

// syncTo returns once entry seq is fsynced and recorded in the head. The
// first waiter fsyncs for everyone written before it started.
func (l *Log) syncTo(seq uint64) error {
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	if l.syncMu.seq >= seq {
		return nil
	}
	l.writeMu.Lock()
	head := Head{Seq: l.writeMu.seq, Hash: l.writeMu.last}
	l.writeMu.Unlock()
	l.mu.Lock()
	f, broken := l.mu.f, l.mu.broken
	l.mu.Unlock()
	if broken || f == nil {
		return ErrBroken
	}
	if err := f.Sync(); err != nil {
		l.mu.Lock()
		l.mu.broken = true
		l.mu.Unlock()
		return fmt.Errorf("audit: fsync after entry %d: %w: %w", seq, ErrBroken, err)
	}
	if err := writeHead(l.dir, head); err != nil {
		return err
	}
	l.syncMu.seq = head.Seq
	return nil
}

// Head returns the last entry written.
func (l *Log) Head() Head {
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	return Head{Seq: l.writeMu.seq, Hash: l.writeMu.last}
}

// Close writes the entries still pending, flushes the log, writes the
// head and closes the file.
func (l *Log) Close() error {
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	l.mu.Lock()
	f, head, broken, buf := l.mu.f, Head{Seq: l.mu.seq, Hash: l.mu.last}, l.mu.broken, l.mu.pending
	l.mu.f, l.mu.pending = nil, nil
	l.mu.Unlock()
	if f == nil {
		return nil
	}
	var err error
	if len(buf) > 0 && !broken {
		if _, err = f.Write(buf); err != nil {
			broken = true
			l.mu.Lock()
			l.mu.broken = true
			l.mu.Unlock()
			err = fmt.Errorf("audit: writing entries %d-%d: %w: %w", l.writeMu.seq+1, head.Seq, ErrBroken, err)
		} else {
			l.writeMu.seq, l.writeMu.last = head.Seq, head.Hash
		}
	}
	err = errors.Join(err, f.Sync())
	if err == nil && !broken {
		err = writeHead(l.dir, Head{Seq: l.writeMu.seq, Hash: l.writeMu.last})
	}
	return errors.Join(err, f.Close())
}

// ReadHead reads the head file in dir.
func ReadHead(dir string) (Head, error) {
	path := filepath.Join(dir, HeadFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return Head{}, fmt.Errorf("audit: %w", err)
	}
	var h Head
	if err := json.Unmarshal(b, &h); err != nil {
		return Head{}, fmt.Errorf("audit: %s: %w", path, err)
	}
	return h, nil
}

// writeHead replaces the head file (write a new file, rename it over).
func writeHead(dir string, h Head) error {
	b, err := json.Marshal(h)
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, HeadFile+".tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("audit: head: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, HeadFile)); err != nil {
		return fmt.Errorf("audit: head: %w", err)
	}
	return nil
}
