package bitcoin

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// lruFiles writes n small files whose contents name them and returns their
// paths.
func lruFiles(t *testing.T, n int) []string {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for i := range n {
		p := filepath.Join(dir, fmt.Sprintf("blk%05d.dat", i))
		writeFile(t, p, []byte(fmt.Sprintf("file %d", i)))
		paths = append(paths, p)
	}
	return paths
}

// openIndexes returns the file indexes with an open handle, in order.
func (c *handleCache) openIndexes() []int32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []int32
	for i := range c.open {
		out = append(out, i)
	}
	slices.Sort(out)
	return out
}

// checkHandle fails unless h reads the contents of file i.
func checkHandle(t *testing.T, h *fileHandle, i int32) {
	t.Helper()
	want := fmt.Sprintf("file %d", i)
	got := make([]byte, len(want))
	if _, err := h.f.ReadAt(got, 0); err != nil || string(got) != want {
		t.Fatalf("handle of file %d reads %q (%v), want %q", i, got, err, want)
	}
}

func TestHandleCacheEviction(t *testing.T) {
	// Each step acquires (+) or releases (-) a handle of a file.
	tests := []struct {
		name     string
		max      int
		steps    []int // i+1 acquires file i, -(i+1) releases one handle of it
		wantOpen []int32
		opened   int
	}{
		{name: "reuse keeps one handle", max: 2, steps: []int{1, -1, 1, -1, 1}, wantOpen: []int32{0}, opened: 1},
		{name: "least recently released is closed first", max: 2, steps: []int{1, -1, 2, -2, 3, -3}, wantOpen: []int32{1, 2}, opened: 3},
		{name: "reuse makes a file recent", max: 2, steps: []int{1, -1, 2, -2, 1, -1, 3}, wantOpen: []int32{0, 2}, opened: 3},
		{name: "handle being read is kept", max: 2, steps: []int{1, 2, -2, 3}, wantOpen: []int32{0, 2}, opened: 3},
		{name: "order of release decides", max: 2, steps: []int{1, 2, -2, 3, -1, -3, 2}, wantOpen: []int32{1, 2}, opened: 4},
		{name: "shared handle counts readers", max: 2, steps: []int{1, 1, -1, 2, -2, 3}, wantOpen: []int32{0, 2}, opened: 3},
		{name: "bound of one", max: 1, steps: []int{1, -1, 2, -2, 2, -2, 1, -1}, wantOpen: []int32{0}, opened: 3},
		{name: "bound above the number of files", max: 5, steps: []int{1, -1, 2, -2, 3, -3, 4, -4, 1}, wantOpen: []int32{0, 1, 2, 3}, opened: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			paths := lruFiles(t, 4)
			c := &handleCache{max: tt.max}
			held := map[int32][]*fileHandle{}
			for _, s := range tt.steps {
				if s > 0 {
					i := int32(s - 1)
					h, err := c.acquire(context.Background(), i, paths[i])
					if err != nil {
						t.Fatal(err)
					}
					checkHandle(t, h, i)
					held[i] = append(held[i], h)
				} else {
					i := int32(-s - 1)
					c.release(held[i][0])
					held[i] = held[i][1:]
				}
			}
			if got := c.openIndexes(); !slices.Equal(got, tt.wantOpen) {
				t.Fatalf("open files %v, want %v", got, tt.wantOpen)
			}
			open, peak, opened := c.stats()
			if open != len(tt.wantOpen) || peak > tt.max || opened != tt.opened {
				t.Fatalf("stats: %d open, peak %d, %d opens; want %d open, peak at most %d, %d opens",
					open, peak, opened, len(tt.wantOpen), tt.max, tt.opened)
			}
			for _, hs := range held {
				for _, h := range hs {
					c.release(h)
				}
			}
			if err := c.close(); err != nil {
				t.Fatal(err)
			}
			if open, _, _ := c.stats(); open != 0 {
				t.Fatalf("%d files open after close", open)
			}
		})
	}
}

// TestHandleCacheWaits checks that a reader of another file waits while
// every handle is being read, until a release, the end of its context, or
// close.
func TestHandleCacheWaits(t *testing.T) {
	paths := lruFiles(t, 2)
	ctx := context.Background()

	t.Run("until a release", func(t *testing.T) {
		c := &handleCache{max: 1}
		h0, err := c.acquire(ctx, 0, paths[0])
		if err != nil {
			t.Fatal(err)
		}
		got := make(chan *fileHandle)
		go func() {
			h, err := c.acquire(ctx, 1, paths[1])
			if err != nil {
				t.Error(err)
			}
			got <- h
		}()
		select {
		case <-got:
			t.Fatal("acquire of a second file did not wait with a bound of one")
		case <-time.After(50 * time.Millisecond):
		}
		checkHandle(t, h0, 0)
		c.release(h0)
		h1 := <-got
		if h1 == nil {
			t.FailNow()
		}
		checkHandle(t, h1, 1)
		if _, err := h0.f.ReadAt(make([]byte, 1), 0); !errors.Is(err, os.ErrClosed) {
			t.Fatalf("evicted handle reads with error %v, want os.ErrClosed", err)
		}
		c.release(h1)
		if err := c.close(); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("until the context ends", func(t *testing.T) {
		c := &handleCache{max: 1}
		h0, err := c.acquire(ctx, 0, paths[0])
		if err != nil {
			t.Fatal(err)
		}
		short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		defer cancel()
		_, err = c.acquire(short, 1, paths[1])
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), paths[1]) {
			t.Fatalf("error %v, want a deadline naming %s", err, paths[1])
		}
		if got := c.openIndexes(); !slices.Equal(got, []int32{0}) {
			t.Fatalf("open files %v, want [0]", got)
		}
		c.release(h0)
		if err := c.close(); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("until close", func(t *testing.T) {
		c := &handleCache{max: 1}
		h0, err := c.acquire(ctx, 0, paths[0])
		if err != nil {
			t.Fatal(err)
		}
		waited := make(chan error)
		go func() {
			_, err := c.acquire(ctx, 1, paths[1])
			waited <- err
		}()
		closed := make(chan error)
		go func() { closed <- c.close() }()
		if err := <-waited; !errors.Is(err, ErrClosed) {
			t.Fatalf("waiting acquire returned %v after close, want ErrClosed", err)
		}
		// Close waits for the reader of file 0, whose handle still
		// works.
		select {
		case err := <-closed:
			t.Fatalf("close returned %v while a handle was being read", err)
		case <-time.After(50 * time.Millisecond):
		}
		checkHandle(t, h0, 0)
		if _, err := c.acquire(ctx, 0, paths[0]); !errors.Is(err, ErrClosed) {
			t.Fatalf("acquire of an open file while closing returned %v, want ErrClosed", err)
		}
		c.release(h0)
		if err := <-closed; err != nil {
			t.Fatal(err)
		}
		if _, err := h0.f.ReadAt(make([]byte, 1), 0); !errors.Is(err, os.ErrClosed) {
			t.Fatalf("handle reads with error %v after close, want os.ErrClosed", err)
		}
		if open, _, _ := c.stats(); open != 0 {
			t.Fatalf("%d files open after close", open)
		}
		if err := c.close(); err != nil {
			t.Fatalf("second close: %v", err)
		}
	})
}

func TestHandleCacheOpenError(t *testing.T) {
	paths := lruFiles(t, 1)
	missing := filepath.Join(filepath.Dir(paths[0]), "blk00099.dat")
	c := &handleCache{max: 1}
	_, err := c.acquire(context.Background(), 1, missing)
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Fatalf("error %v, want one naming the missing %s", err, missing)
	}
	// The failed open takes no room.
	h, err := c.acquire(context.Background(), 0, paths[0])
	if err != nil {
		t.Fatal(err)
	}
	checkHandle(t, h, 0)
	c.release(h)
	if open, peak, opened := c.stats(); open != 1 || peak != 1 || opened != 1 {
		t.Fatalf("stats %d open, peak %d, %d opens; want 1, 1, 1", open, peak, opened)
	}
	if err := c.close(); err != nil {
		t.Fatal(err)
	}
}
