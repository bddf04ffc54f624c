package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spoorhq/spoor/chains/bitcoin"
	"github.com/spoorhq/spoor/indexer"
	"github.com/spoorhq/spoor/internal/chaindata"
)

func (c *cli) registerBench(cmds map[string]func(context.Context, Config) error) {
	bench := c.app.Command("bench", "Measure spoor on real data.")
	ingest := bench.Command("ingest", "Index real mainnet blocks and compare with parse-only speed on the same data in the same run.")
	var asJSON bool
	var runs int
	var blocks []string
	var network string
	ingest.Flag("json", "Print JSON.").BoolVar(&asJSON)
	ingest.Flag("runs", "Measure this many times and report the best of each.").Default("3").IntVar(&runs)
	ingest.Flag("blocks", "blk files or directories to measure on (default: mainnet blocks 0-14131 from the btcd module).").StringsVar(&blocks)
	ingest.Flag("network", "Network of --blocks.").Default("mainnet").StringVar(&network)
	var addblock string
	var noBtcd bool
	ingest.Flag("addblock", "btcd's addblock binary to compare with (default: .bin/addblock from scripts/install-nodes.sh, or addblock on PATH).").StringVar(&addblock)
	ingest.Flag("no-btcd", "Skip the comparison with btcd's addblock.").BoolVar(&noBtcd)
	cmds[ingest.FullCommand()] = func(ctx context.Context, cfg Config) error {
		if !noBtcd {
			addblock = findAddblock(addblock)
		} else {
			addblock = ""
		}
		return c.benchIngest(ctx, cfg, blocks, network, runs, asJSON, addblock)
	}
}

// IngestResult is what spoor bench ingest measures.
type IngestResult struct {
	Data          string  `json:"data"`
	Blocks        int32   `json:"blocks"`
	Txs           uint64  `json:"txs"`
	Workers       int     `json:"workers"`
	ParseTxPerSec float64 `json:"parse_only_tx_per_s"`
	IndexTxPerSec float64 `json:"full_index_tx_per_s"`
	Ratio         float64 `json:"index_to_parse_ratio"`
	// ParseCPUMicros and IndexCPUMicros are the CPU time (user and
	// system, every thread) per transaction: unlike throughput, they
	// hardly move when other processes share the machine.
	ParseCPUMicros float64 `json:"parse_only_cpu_us_per_tx"`
	IndexCPUMicros float64 `json:"full_index_cpu_us_per_tx"`
	// WALTxPerSec is the full index written through Pebble's write-ahead
	// log and memtables instead of as ingested tables, and IngestRatio
	// the bulk path's throughput divided by it.
	WALTxPerSec    float64 `json:"full_index_wal_tx_per_s"`
	IngestRatio    float64 `json:"ingest_to_wal_ratio"`
	KeysPerTx      float64 `json:"keys_per_tx"`
	DiskBytesPerTx float64 `json:"disk_bytes_per_tx"`
	PeakRSSMiB     float64 `json:"peak_rss_mib"`
	// BtcdTxPerSec is btcd's addblock --addrindex --txindex throughput on
	// the same files, and BtcdRatio spoor's full-index throughput divided
	// by it; zero when addblock was not run.
	BtcdTxPerSec float64 `json:"btcd_addblock_tx_per_s,omitempty"`
	BtcdRatio    float64 `json:"full_index_to_btcd_ratio,omitempty"`
}

func (c *cli) benchIngest(ctx context.Context, cfg Config, blocks []string, network string, runs int, asJSON bool, addblock string) error {
	if runs < 1 {
		return fmt.Errorf("runs %d: want at least 1", runs)
	}
	if len(blocks) == 0 {
		path, err := chaindata.MainnetBlk0To14131(ctx)
		if err != nil {
			return err
		}
		blocks, network = []string{path}, "mainnet"
	}
	net, err := bitcoin.LookupNetwork(network)
	if err != nil {
		return err
	}
	bf, err := bitcoin.OpenBlockFiles(ctx, net, blocks...)
	if err != nil {
		return err
	}
	defer bf.Close()
	src := bitcoin.FileSource{Files: bf}
	tip, _ := bf.Tip()
	// The data is history: every block but the last is bulk-loaded, as
	// when catching up with a chain. Config settings still apply.
	icfg := indexer.Config{Workers: cfg.Index.Workers, FinalityDepth: 1, BulkBatchBytes: cfg.Index.BulkBatchBytes}
	icfg.EnsureDefaults()
	res := IngestResult{Data: fmt.Sprint(blocks), Blocks: tip + 1, Workers: icfg.Workers}
	for range runs {
		// Parse only: the same fetch and decode stages, nothing written.
		start, cpu0 := time.Now(), cpuTime()
		txs, err := indexer.ParseOnly(ctx, src, 0, tip, icfg.Workers)
		if err != nil {
			return err
		}
		res.Txs = txs
		res.ParseTxPerSec = max(res.ParseTxPerSec, float64(txs)/time.Since(start).Seconds())
		res.ParseCPUMicros = minPositive(res.ParseCPUMicros, (cpuTime()-cpu0).Seconds()*1e6/float64(txs))

		// The full index, as history loads (sorted tables ingested), and
		// through the write-ahead log and memtables as blocks at the tip
		// are written: the reference for what the bulk path gains.
		for _, noIngest := range []bool{false, true} {
			run := icfg
			run.NoIngest = noIngest
			m, err := c.benchIndexOnce(ctx, cfg, net, src, run)
			if err != nil {
				return err
			}
			if noIngest {
				res.WALTxPerSec = max(res.WALTxPerSec, float64(txs)/m.elapsed.Seconds())
				continue
			}
			res.IndexTxPerSec = max(res.IndexTxPerSec, float64(txs)/m.elapsed.Seconds())
			res.IndexCPUMicros = minPositive(res.IndexCPUMicros, m.cpu.Seconds()*1e6/float64(txs))
			res.KeysPerTx = float64(m.keys) / float64(txs)
			res.DiskBytesPerTx = float64(m.disk) / float64(txs)
		}
	}
	res.IngestRatio = res.IndexTxPerSec / res.WALTxPerSec
	if addblock != "" {
		files, err := blockFileList(blocks)
		if err != nil {
			return err
		}
		for range runs {
			d, err := runAddblock(ctx, addblock, network, files)
			if err != nil {
				return err
			}
			res.BtcdTxPerSec = max(res.BtcdTxPerSec, float64(res.Txs)/d.Seconds())
		}
		res.BtcdRatio = res.IndexTxPerSec / res.BtcdTxPerSec
	}
	res.Ratio = res.IndexTxPerSec / res.ParseTxPerSec
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		res.PeakRSSMiB = float64(ru.Maxrss) / 1024
	}
	if asJSON {
		return writeJSON(c.stdout, res)
	}
	fmt.Fprintf(c.stdout, "data: %d blocks, %d transactions (%s), %d workers, best of %d runs\n", res.Blocks, res.Txs, res.Data, res.Workers, runs)
	fmt.Fprintf(c.stdout, "parse only   %10.0f tx/s  %6.2f CPU-µs/tx\nfull index   %10.0f tx/s  %6.2f CPU-µs/tx  (%.2f of parse-only)\n  through WAL %9.0f tx/s  (bulk ingest is %.2fx)\nkeys/tx      %10.2f\ndisk/tx      %10.1f bytes (sstables after a full compaction)\npeak RSS     %10.1f MiB\n",
		res.ParseTxPerSec, res.ParseCPUMicros, res.IndexTxPerSec, res.IndexCPUMicros, res.Ratio, res.WALTxPerSec, res.IngestRatio, res.KeysPerTx, res.DiskBytesPerTx, res.PeakRSSMiB)
	if res.BtcdTxPerSec > 0 {
		fmt.Fprintf(c.stdout, "btcd addblock %10.0f tx/s  (--addrindex --txindex, fast-add; spoor full index is %.1fx)\n", res.BtcdTxPerSec, res.BtcdRatio)
	} else {
		fmt.Fprintln(c.stdout, "btcd addblock: not run (install it with scripts/install-nodes.sh, or pass --addblock)")
	}
	return nil
}

// indexRun is one full index measured by spoor bench ingest.
type indexRun struct {
	elapsed, cpu time.Duration
	keys         uint64
	disk         int64
}

// benchIndexOnce indexes src into a fresh directory with icfg and measures
// it; the index is compacted before its size is taken, and removed.
func (c *cli) benchIndexOnce(ctx context.Context, cfg Config, net bitcoin.Network, src indexer.Source, icfg indexer.Config) (indexRun, error) {
	var m indexRun
	dir, err := os.MkdirTemp("", "spoor-bench-")
	if err != nil {
		return m, err
	}
	defer os.RemoveAll(dir)
	bcfg := cfg
	bcfg.DataDir = dir
	db, err := openBitcoinDB(bcfg, net, false, nil)
	if err != nil {
		return m, err
	}
	icfg.OnCommit = func(p indexer.Progress) { m.keys = p.Keys }
	ix, err := indexer.New(db, src, icfg)
	if err != nil {
		return m, errors.Join(err, db.Close())
	}
	start, cpu0 := time.Now(), cpuTime()
	if err := ix.Run(ctx); err != nil {
		return m, errors.Join(err, db.Close())
	}
	m.elapsed, m.cpu = time.Since(start), cpuTime()-cpu0
	if err := db.Compact(ctx); err != nil {
		return m, errors.Join(err, db.Close())
	}
	if err := db.Close(); err != nil {
		return m, err
	}
	m.disk, err = sstSize(dir)
	return m, err
}

// cpuTime returns the user and system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// minPositive returns the smaller of a and b, ignoring a zero a.
func minPositive(a, b float64) float64 {
	if a == 0 {
		return b
	}
	return min(a, b)
}

// sstSize returns the bytes of the sstables under dir: the index itself,
// without the write-ahead log Pebble keeps (and recycles) for new writes.
func sstSize(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".sst" {
			return err
		}
		info, err := d.Info()
		if err == nil {
			n += info.Size()
		}
		return err
	})
	return n, err
}
