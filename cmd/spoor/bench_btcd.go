package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"time"
)

// addblockNetFlags maps spoor's network names to addblock's flags.
var addblockNetFlags = map[string][]string{
	"mainnet":  nil,
	"testnet3": {"--testnet"},
	"testnet4": {"--testnet4"},
	"regtest":  {"--regtest"},
	"simnet":   {"--simnet"},
}

// findAddblock returns the addblock binary to compare with: path when
// given, else $SPOOR_BIN/addblock, else .bin/addblock in the current
// directory or a parent (where scripts/install-nodes.sh puts it), else
// addblock on $PATH. It returns "" when there is none.
func findAddblock(path string) string {
	if path != "" {
		return path
	}
	if bin := os.Getenv("SPOOR_BIN"); bin != "" {
		if p := filepath.Join(bin, "addblock"); isExecutable(p) {
			return p
		}
	}
	if wd, err := os.Getwd(); err == nil {
		for dir := wd; ; dir = filepath.Dir(dir) {
			if p := filepath.Join(dir, ".bin", "addblock"); isExecutable(p) {
				return p
			}
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	if p, err := exec.LookPath("addblock"); err == nil {
		return p
	}
	return ""
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// blockFileList expands directories in paths to their blk*.dat files, in
// name order.
func blockFileList(paths []string) ([]string, error) {
	var files []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("block files %s: %w", p, err)
		}
		if !fi.IsDir() {
			files = append(files, p)
			continue
		}
		m, err := filepath.Glob(filepath.Join(p, "blk*.dat"))
		if err != nil {
			return nil, fmt.Errorf("block files %s: %w", p, err)
		}
		if len(m) == 0 {
			return nil, fmt.Errorf("block files %s: no blk*.dat files", p)
		}
		sort.Strings(m)
		files = append(files, m...)
	}
	return files, nil
}

// runAddblock imports files, in order, into a fresh btcd data directory
// with btcd's addblock and its transaction and address indexes, and returns
// the time it took. addblock reads one file per run; later runs continue
// the chain in the same directory. addblock imports in fast-add mode
// (scripts and signatures are not checked), like spoor's indexer.
func runAddblock(ctx context.Context, bin, network string, files []string) (time.Duration, error) {
	netFlags, ok := addblockNetFlags[network]
	if !ok {
		return 0, fmt.Errorf("addblock does not support network %q", network)
	}
	dir, err := os.MkdirTemp("", "spoor-bench-btcd-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	var total time.Duration
	for _, f := range files {
		in, err := framedPrefix(f, dir)
		if err != nil {
			return 0, err
		}
		// addblock logs every block with --progress 0; an hour means
		// never for a benchmark.
		args := append([]string{"--datadir", dir, "--addrindex", "--txindex", "--progress", "3600", "--infile", in}, netFlags...)
		cmd := exec.CommandContext(ctx, bin, args...)
		start := time.Now()
		out, err := cmd.CombinedOutput()
		total += time.Since(start)
		if in != f {
			os.Remove(in)
		}
		if err != nil {
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			if len(out) > 2000 {
				out = out[len(out)-2000:]
			}
			return 0, fmt.Errorf("%s %v: %w\n%s", bin, args, err, out)
		}
	}
	return total, nil
}

// framedPrefix returns path when the block file at path is nothing but
// complete frames, or else a copy in dir of its complete frames: Bitcoin
// Core preallocates blk files with zeros (and btcd's test data carries
// such padding), which addblock reports as an error at the end.
func framedPrefix(path, dir string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("block file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("block file %s: %w", path, err)
	}
	var off int64
	var hdr [8]byte
	for off+8 <= fi.Size() {
		if _, err := f.ReadAt(hdr[:], off); err != nil {
			return "", fmt.Errorf("block file %s at offset %d: %w", path, off, err)
		}
		n := int64(binary.LittleEndian.Uint32(hdr[4:]))
		if binary.LittleEndian.Uint32(hdr[:4]) == 0 || off+8+n > fi.Size() {
			break
		}
		off += 8 + n
	}
	if off == fi.Size() {
		return path, nil
	}
	out, err := os.CreateTemp(dir, "blk-*.dat")
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(out, io.NewSectionReader(f, 0, off)); err != nil {
		out.Close()
		return "", fmt.Errorf("copy block file %s: %w", path, err)
	}
	if err := out.Close(); err != nil {
		return "", err
	}
	return out.Name(), nil
}
