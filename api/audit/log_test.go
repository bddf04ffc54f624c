package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// writeLog appends n entries to a new log in a temporary directory and
// returns the directory.
func writeLog(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	l, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		_, err := l.Append(context.Background(), Entry{KeyID: "alice", Role: "analyst", Operation: OpQuery,
			Query: fmt.Sprintf("{ block(height: %d) { hash } }", i), Variables: json.RawMessage(`{"b": 2, "a": [1, 2.50]}`),
			ResultBytes: int64(100 + i), Status: StatusOK})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestAppendVerify(t *testing.T) {
	dir := writeLog(t, 5)
	res, err := VerifyDir(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Entries != 5 || res.Last.Seq != 5 {
		t.Fatalf("verify = %+v", res)
	}
	b, _ := os.ReadFile(filepath.Join(dir, LogFile))
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	var first Entry
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if first.Seq != 1 || first.Prev != genesis || string(first.Variables) != `{"a":[1,2.50],"b":2}` ||
		first.QueryHash != sha256Hex("{ block(height: 0) { hash } }") {
		t.Fatalf("first entry = %+v", first)
	}
	// The documented rule, applied to the bytes on disk: the hash is the
	// SHA-256 of the line with the hash emptied.
	for i, line := range lines {
		h := lineHash(t, line)
		if got := sha256Hex(strings.Replace(line, `"hash":"`+h+`"`, `"hash":""`, 1)); got != h {
			t.Fatalf("line %d: hash %s, SHA-256 of the line without it %s", i+1, h, got)
		}
	}
	head, err := ReadHead(dir)
	if err != nil || head != res.Last {
		t.Fatalf("head %+v (%v), verify's last %+v", head, err, res.Last)
	}

	// Reopening continues the chain.
	l, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	e, err := l.Append(context.Background(), Entry{KeyID: "bob", Role: "admin", Operation: OpLabelImport, Detail: "tags.yaml", Status: StatusOK})
	if err != nil {
		t.Fatal(err)
	}
	if e.Seq != 6 || e.Prev != res.Last.Hash || e.QueryHash != "" {
		t.Fatalf("appended after reopening: %+v", e)
	}
	l.Close()
	if res, err := VerifyDir(dir, &Head{Seq: 3, Hash: lineHash(t, lines[2])}); err != nil || res.Entries != 6 {
		t.Fatalf("verify with anchor: %+v %v", res, err)
	}
}

func lineHash(t *testing.T, line string) string {
	var e Entry
	if err := json.Unmarshal([]byte(line), &e); err != nil {
		t.Fatal(err)
	}
	return e.Hash
}

// TestTamper changes a good log in every way the audit log must notice
// and checks that Verify (with the head file) reports it.
func TestTamper(t *testing.T) {
	rehash := func(line string, edit func(*Entry)) string {
		var e Entry
		json.Unmarshal([]byte(line), &e)
		edit(&e)
		e.Hash, _ = hashOf(e)
		b, _ := json.Marshal(e)
		return string(b)
	}
	tests := []struct {
		name   string
		tamper func(lines []string) []string
		want   string
	}{
		{"edit a byte", func(l []string) []string {
			l[2] = strings.Replace(l[2], `"result_bytes":102`, `"result_bytes":902`, 1)
			return l
		}, "hash does not match"},
		{"edit the query", func(l []string) []string { l[1] = strings.Replace(l[1], "height: 1", "height: 7", 1); return l }, "line 2"},
		{"add a space", func(l []string) []string { l[1] = strings.Replace(l[1], `,"role"`, `, "role"`, 1); return l }, "canonical"},
		{"edit and rehash", func(l []string) []string {
			l[1] = rehash(l[1], func(e *Entry) { e.KeyID = "mallory" })
			return l
		}, "line 3 (seq 3): prev"},
		{"delete a line", func(l []string) []string { return append(l[:2], l[3:]...) }, "seq 4 follows seq 2"},
		{"swap two lines", func(l []string) []string { l[1], l[2] = l[2], l[1]; return l }, "seq 3 follows seq 1"},
		{"insert a forged line", func(l []string) []string {
			forged := rehash(l[1], func(e *Entry) { e.Seq = 3; e.Prev = lineHash(t, l[1]) })
			return append(l[:2], append([]string{forged}, l[2:]...)...)
		}, "seq 3 follows seq 3"},
		{"truncate the last line", func(l []string) []string { return l[:len(l)-1] }, "ends at seq 4 but the head is seq 5"},
		{"truncate to nothing", func(l []string) []string { return nil }, "ends at seq 0"},
		{"not json", func(l []string) []string { l[0] = "hello"; return l }, "line 1: not an audit entry"},
	}
	t.Run("delete the head", func(t *testing.T) {
		dir := writeLog(t, 2)
		os.Remove(filepath.Join(dir, HeadFile))
		if _, err := VerifyDir(dir, nil); !errors.Is(err, ErrTampered) || !strings.Contains(err.Error(), "audit.head is missing") {
			t.Fatalf("verify = %v", err)
		}
		if _, err := Open(dir, nil); err == nil || !strings.Contains(err.Error(), "audit.head is missing") {
			t.Fatalf("open = %v", err)
		}
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeLog(t, 5)
			path := filepath.Join(dir, LogFile)
			b, _ := os.ReadFile(path)
			lines := tt.tamper(strings.Split(strings.TrimSuffix(string(b), "\n"), "\n"))
			out := strings.Join(lines, "\n")
			if len(lines) > 0 {
				out += "\n"
			}
			if err := os.WriteFile(path, []byte(out), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := VerifyDir(dir, nil)
			if !errors.Is(err, ErrTampered) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("verify = %v, want ErrTampered naming %q", err, tt.want)
			}
		})
	}
}

// TestTruncateMidLine cuts the file in the middle of the last line:
// Verify reports it, and Open cuts the torn line off and then refuses,
// because the head says the entry existed.
func TestTruncateMidLine(t *testing.T) {
	dir := writeLog(t, 3)
	path := filepath.Join(dir, LogFile)
	st, _ := os.Stat(path)
	if err := os.Truncate(path, st.Size()-10); err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyDir(dir, nil); !errors.Is(err, ErrTampered) || !strings.Contains(err.Error(), "torn last line") {
		t.Fatalf("verify = %v", err)
	}
	if _, err := Open(dir, nil); err == nil || !strings.Contains(err.Error(), "entries were removed") {
		t.Fatalf("open = %v", err)
	}
}

// TestTornWriteRecovered simulates a crash in the middle of a write that
// was never acknowledged (the head was not advanced): Open cuts it off
// and the chain goes on.
func TestTornWriteRecovered(t *testing.T) {
	dir := writeLog(t, 2)
	f, _ := os.OpenFile(filepath.Join(dir, LogFile), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"seq":3,"time":"2026`)
	f.Close()
	l, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if l.Recovered != int64(len(`{"seq":3,"time":"2026`)) {
		t.Fatalf("recovered %d bytes", l.Recovered)
	}
	if e, err := l.Append(context.Background(), Entry{KeyID: "k", Status: StatusOK}); err != nil || e.Seq != 3 {
		t.Fatalf("append = %+v, %v", e, err)
	}
	l.Close()
	if res, err := VerifyDir(dir, nil); err != nil || res.Entries != 3 {
		t.Fatalf("verify = %+v, %v", res, err)
	}
}

// TestConcurrentAppend appends from many goroutines (sharing writes and
// fsyncs) under both sync policies and checks the chain is whole and
// every entry is there once.
func TestConcurrentAppend(t *testing.T) {
	for _, p := range []SyncPolicy{SyncAlways, SyncNone} {
		t.Run(fmt.Sprint(p), func(t *testing.T) { testConcurrentAppend(t, p) })
	}
}

func testConcurrentAppend(t *testing.T, p SyncPolicy) {
	dir := t.TempDir()
	l, err := Open(dir, &Options{Sync: p, Now: func() time.Time { return time.Unix(1700000000, 0) }})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				if _, err := l.Append(context.Background(), Entry{KeyID: fmt.Sprint(g), Query: fmt.Sprint(i), Status: StatusOK}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if h := l.Head(); h.Seq != 200 {
		t.Fatalf("head = %+v", h)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if h, err := ReadHead(dir); err != nil || h.Seq != 200 {
		t.Fatalf("head file = %+v, %v", h, err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, LogFile))
	res, err := Verify(bytes.NewReader(b), nil)
	if err != nil || res.Entries != 200 {
		t.Fatalf("verify = %+v, %v", res, err)
	}
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var e Entry
		json.Unmarshal([]byte(line), &e)
		seen[e.KeyID+"/"+e.Query] = true
	}
	if len(seen) != 200 {
		t.Fatalf("%d distinct entries", len(seen))
	}
}

func TestAppendRejectsBadVariables(t *testing.T) {
	l, err := Open(t.TempDir(), &Options{Sync: SyncNone})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := l.Append(context.Background(), Entry{Variables: json.RawMessage(`{"a":`)}); err == nil {
		t.Fatal("truncated variables accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Append(ctx, Entry{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("append with a cancelled context = %v", err)
	}
}

func BenchmarkAppend(b *testing.B) {
	for _, policy := range []struct {
		name string
		p    SyncPolicy
	}{{"sync=none", SyncNone}, {"sync=always", SyncAlways}} {
		b.Run(policy.name, func(b *testing.B) {
			l, err := Open(b.TempDir(), &Options{Sync: policy.p})
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			e := Entry{KeyID: "k", Role: "viewer", Operation: OpQuery, Query: "{ stats { height } }", Status: StatusOK}
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := l.Append(context.Background(), e); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
