package bitcoin

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
)

// DefaultMaxOpenFiles is how many blk files BlockFiles keeps open at once
// when BlockFilesOptions.MaxOpenFiles is zero.
const DefaultMaxOpenFiles = 64

// handleCache keeps a bounded number of blk files open for reading. A
// handle is shared by all readers of its file and counts them; only a
// handle without readers is closed, the least recently used first, when
// room is needed for another file. When every handle has readers, a reader
// of another file waits until one is released.
//
// Files are opened and closed with the mutex held: opens are rare next to
// reads, which run without it, and this keeps the states simple.
type handleCache struct {
	// max is the bound on open handles; values below 1 count as 1.
	max int

	mu sync.Mutex
	// open holds every open handle by file index.
	open map[int32]*fileHandle
	// idle holds the open handles without readers, most recently
	// released at the front.
	idle list.List
	// wake, when not nil, is closed and cleared the next time a handle
	// becomes idle or the cache closes; waiters make it.
	wake   chan struct{}
	closed bool
	// evictErr is the first error from closing an evicted handle and
	// evictErrs how many there were; Close reports them.
	evictErr  error
	evictErrs int

	// Counters for tests: the most handles open at once, and how many
	// times a file was opened.
	peak   int
	opened int
}

// fileHandle is one open blk file and the number of readers using it.
type fileHandle struct {
	index int32
	f     *os.File
	refs  int
	// elem is the handle's element in handleCache.idle while refs is 0.
	elem *list.Element
}

// acquire returns an open handle for the file at index, opening path if
// needed, and counts the caller as a reader until release. It waits while
// every handle has readers, until one is released, ctx ends or the cache
// is closed.
func (c *handleCache) acquire(ctx context.Context, index int32, path string) (*fileHandle, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		if c.closed {
			return nil, ErrClosed
		}
		if h := c.open[index]; h != nil {
			if h.refs == 0 {
				c.idle.Remove(h.elem)
				h.elem = nil
			}
			h.refs++
			return h, nil
		}
		if len(c.open) < max(c.max, 1) {
			break
		}
		if e := c.idle.Back(); e != nil {
			c.evict(e.Value.(*fileHandle))
			break
		}
		if c.wake == nil {
			c.wake = make(chan struct{})
		}
		wake := c.wake
		c.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
		}
		c.mu.Lock()
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("wait for an open file slot for %s: %w", path, err)
		}
	}

	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	c.opened++
	h := &fileHandle{index: index, f: f, refs: 1}
	if c.open == nil {
		c.open = make(map[int32]*fileHandle)
	}
	c.open[index] = h
	c.peak = max(c.peak, len(c.open))
	return h, nil
}

// release ends a reader's use of h, which it got from acquire.
func (c *handleCache) release(h *fileHandle) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h.refs--
	if h.refs > 0 {
		return
	}
	h.elem = c.idle.PushFront(h)
	c.signal()
}

// close marks the cache closed, so that acquire fails with ErrClosed,
// waits for the readers of every handle to release it, and closes all
// handles. It returns the errors of closing them and of closing evicted
// handles before. Calls after the first return nil.
func (c *handleCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	c.signal()
	var errs []error
	if c.evictErr != nil {
		err := c.evictErr
		if c.evictErrs > 1 {
			err = fmt.Errorf("%w (and %d more errors closing blk files)", err, c.evictErrs-1)
		}
		errs = append(errs, err)
	}
	for {
		for e := c.idle.Front(); e != nil; e = c.idle.Front() {
			h := c.idle.Remove(e).(*fileHandle)
			h.elem = nil
			delete(c.open, h.index)
			if err := h.f.Close(); err != nil {
				errs = append(errs, err)
			}
		}
		if len(c.open) == 0 {
			return errors.Join(errs...)
		}
		if c.wake == nil {
			c.wake = make(chan struct{})
		}
		wake := c.wake
		c.mu.Unlock()
		<-wake
		c.mu.Lock()
	}
}

// evict closes h, which has no readers, and forgets it.
func (c *handleCache) evict(h *fileHandle) {
	c.idle.Remove(h.elem)
	h.elem = nil
	delete(c.open, h.index)
	if err := h.f.Close(); err != nil {
		if c.evictErrs == 0 {
			c.evictErr = err
		}
		c.evictErrs++
	}
}

// signal wakes everyone waiting for a change, with the mutex held.
func (c *handleCache) signal() {
	if c.wake != nil {
		close(c.wake)
		c.wake = nil
	}
}

// stats returns the number of open handles, the most that were open at
// once, and how many times a file was opened.
func (c *handleCache) stats() (open, peak, opened int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.open), c.peak, c.opened
}
