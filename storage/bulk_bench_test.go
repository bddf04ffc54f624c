package storage

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// BenchmarkBulkCommit writes batches shaped like a block range of the
// address index and transaction tables (a third of the keys in chain
// order, two thirds scattered) and commits them, through a normal batch
// (the write-ahead log and memtables, then flushes and compactions) and as
// a bulk batch (sorted tables, ingested). It reports the cost per key,
// including the compactions each leaves behind; "wal" is the reference.
func BenchmarkBulkCommit(b *testing.B) {
	for _, mode := range []string{"wal", "ingest"} {
		b.Run(mode, func(b *testing.B) {
			db, err := Open(b.TempDir(), "bench", nil)
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			rng := rand.New(rand.NewPCG(1, 2))
			var key, val [32]byte
			const perBatch = 200_000
			var n uint64
			for b.Loop() {
				batch := db.NewBatch()
				if mode == "ingest" {
					batch = db.NewBulkBatch(16 << 20)
				}
				for range perBatch / 3 {
					n++
					k := MakeTxKey(TxNum(n)).Encode(key[:0])
					batch.set(k, val[:24])
					for range 2 {
						p := MakePostingKey(AddrID(rng.Uint64N(1<<24)), TxNum(n), RoleReceive)
						batch.set(p.Encode(key[:0]), binary.AppendUvarint(val[:0], rng.Uint64N(1<<30)))
					}
				}
				if err := batch.Commit(false); err != nil {
					b.Fatal(err)
				}
				batch.Close()
			}
			b.StopTimer()
			// The compactions a load leaves behind are part of its cost.
			b.StartTimer()
			if err := db.pdb.Compact(b.Context(), []byte{0}, []byte{0xff}, false); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*perBatch), "ns/key")
		})
	}
}
