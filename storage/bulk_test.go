package storage

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// bulkOp is one write of a test sequence: a set (val non-nil), a delete,
// or a range deletion (hi non-nil).
type bulkOp struct {
	key, val, hi []byte
}

func set(k, v string) bulkOp    { return bulkOp{key: []byte(k), val: []byte(v)} }
func del(k string) bulkOp       { return bulkOp{key: []byte(k)} }
func drop(lo, hi string) bulkOp { return bulkOp{key: []byte(lo), hi: []byte(hi)} }

func applyOps(t testing.TB, b *Batch, ops []bulkOp) {
	t.Helper()
	for _, op := range ops {
		switch {
		case op.hi != nil:
			if err := b.deleteRange(op.key, op.hi); err != nil {
				t.Fatal(err)
			}
		case op.val != nil:
			b.set(op.key, op.val)
		default:
			b.del(op.key)
		}
	}
}

// rows lists every key and value of db but the stamp, in order.
func rows(t testing.TB, db *DB) string {
	t.Helper()
	it, err := db.pdb.NewIter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	var buf bytes.Buffer
	for ok := it.First(); ok; ok = it.Next() {
		if it.Key()[0] == tagMeta {
			continue
		}
		fmt.Fprintf(&buf, "%q=%q\n", it.Key(), it.Value())
	}
	return buf.String()
}

// runBoth applies before in normal batches to two databases, then ops in
// a normal batch to one and in a bulk batch to the other, and returns the
// rows of each.
func runBoth(t testing.TB, before [][]bulkOp, ops []bulkOp) (normal, bulk string) {
	t.Helper()
	var out [2]string
	for i := range out {
		db, err := Open(t.TempDir(), "test", nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, pre := range before {
			b := db.NewBatch()
			applyOps(t, b, pre)
			if err := b.Commit(false); err != nil {
				t.Fatal(err)
			}
			b.Close()
		}
		b := db.NewBatch()
		if i == 1 {
			b = db.NewBulkBatch(0)
		}
		applyOps(t, b, ops)
		if err := b.Commit(false); err != nil {
			t.Fatal(err)
		}
		b.Close()
		out[i] = rows(t, db)
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return out[0], out[1]
}

func TestBulkBatchEqualsBatch(t *testing.T) {
	tests := []struct {
		name   string
		before [][]bulkOp
		ops    []bulkOp
	}{
		{"empty", nil, nil},
		{"fresh keys in order", nil, []bulkOp{set("T\x00\x01", "a"), set("T\x00\x02", "b"), set("O\x00\x01", "c")}},
		{"fresh keys out of order", nil, []bulkOp{set("Azz", "1"), set("Aaa", "2"), set("Amm", "3"), set("a\x01", "x")}},
		{"last write wins", nil, []bulkOp{set("Xk", "1"), set("Xk", "2"), set("Xj", "0"), set("Xk", "3")}},
		{"set then delete", nil, []bulkOp{set("Xk", "1"), del("Xk"), set("Xl", "2")}},
		{"delete then set", nil, []bulkOp{del("Xk"), set("Xk", "again")}},
		{"overwrite older rows", [][]bulkOp{{set("Xk", "old"), set("mstate", "s0")}}, []bulkOp{set("Xk", "new")}},
		{"delete older rows", [][]bulkOp{{set("Xk", "old"), set("Xl", "keep")}}, []bulkOp{del("Xk")}},
		{"prefix keys", nil, []bulkOp{set("Sabcdefgh", "1"), set("Sabcdefg", "2"), set("Sabcdefghi", "3"), set("Sab", "4")}},
		{"short keys equal prefix", nil, []bulkOp{set("S\x00", "1"), set("S", "2"), set("S\x00\x00", "3")}},
		{"range deletion of older rows", [][]bulkOp{{set("H\x01a", "1"), set("H\x01b", "2"), set("H\x02a", "3")}},
			[]bulkOp{drop("H\x01", "H\x02")}},
		{"range deletion drops earlier writes of the batch", nil,
			[]bulkOp{set("Fa", "1"), set("Fb", "2"), drop("F", "G"), set("Fc", "3")}},
		{"overlapping range deletions", [][]bulkOp{{set("Fa", "1"), set("Fd", "2"), set("Fz", "3")}},
			[]bulkOp{drop("Fa", "Fc"), drop("Fb", "Fe"), set("Fb", "new")}},
		{"whole table", [][]bulkOp{{set("Ra", "1"), set("Rb", "2"), set("Sa", "3")}},
			[]bulkOp{drop("R", "S")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			normal, bulk := runBoth(t, tt.before, tt.ops)
			if normal != bulk {
				t.Fatalf("after a normal batch:\n%s\nafter a bulk batch:\n%s", normal, bulk)
			}
		})
	}
}

func TestBulkBatchRangeAcrossTables(t *testing.T) {
	db, err := Open(t.TempDir(), "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	b := db.NewBulkBatch(0)
	defer b.Close()
	if err := b.deleteRange([]byte("Aa"), []byte("Bb")); err == nil {
		t.Fatal("a bulk range deletion across two tables was accepted")
	}
}

func TestBulkLeftoversRemoved(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	b := db.NewBulkBatch(0)
	b.set([]byte("Tk"), []byte("v"))
	if err := b.Commit(false); err != nil {
		t.Fatal(err)
	}
	b.Close()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	// A process that died between writing and ingesting leaves a table.
	junk := filepath.Join(dir, bulkDir, "00000099-54.sst")
	if err := os.MkdirAll(filepath.Dir(junk), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(junk, []byte("partial"), 0o644); err != nil {
		t.Fatal(err)
	}
	db, err = Open(dir, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := os.Stat(junk); !os.IsNotExist(err) {
		t.Fatalf("the unfinished table is still there: %v", err)
	}
	if got := rows(t, db); got != "\"Tk\"=\"v\"\n" {
		t.Fatalf("rows after reopening: %q", got)
	}
}

// FuzzBulkBatch checks that any sequence of writes leaves the same rows
// through a bulk batch as through a normal one. Each op takes three bytes:
// kind, key, and value or range end, over a small key space of two tables
// so that overwrites, deletions and ranges meet.
func FuzzBulkBatch(f *testing.F) {
	f.Add([]byte{0, 1, 2, 0, 1, 3, 1, 1, 0})
	f.Add([]byte{0, 1, 2, 2, 0, 9, 0, 5, 5, 3, 12, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 3*64 {
			return
		}
		key := func(c byte) []byte { return []byte{"XY"[c>>3&1], 'a' + c&7} }
		var before, ops []bulkOp
		for i := 0; i+2 < len(data); i += 3 {
			k := key(data[i+1])
			var op bulkOp
			switch data[i] % 4 {
			case 0, 1:
				op = bulkOp{key: k, val: []byte{data[i+2]}}
			case 2:
				op = bulkOp{key: k}
			case 3:
				hi := []byte{k[0], 'a' + data[i+2]&7 + 1}
				if bytes.Compare(k, hi) >= 0 {
					continue
				}
				op = bulkOp{key: k, hi: hi}
			}
			if data[i]&0x80 != 0 {
				before = append(before, op)
			} else {
				ops = append(ops, op)
			}
		}
		normal, bulk := runBoth(t, [][]bulkOp{before}, ops)
		if normal != bulk {
			t.Fatalf("after a normal batch:\n%s\nafter a bulk batch:\n%s", normal, bulk)
		}
	})
}
