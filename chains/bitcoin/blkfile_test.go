package bitcoin

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"
)

// realBlkRel is the btcd test file holding mainnet blocks 0 to 14131 in
// Bitcoin Core's format, relative to the module cache.
const realBlkRel = "github.com/btcsuite/btcd@v0.26.2/blockchain/testdata/blk_0_to_14131.dat"

// realBlkPath returns the path of the btcd test blk file.
func realBlkPath(t testing.TB) string {
	t.Helper()
	cache := os.Getenv("GOMODCACHE")
	if cache == "" {
		out, err := exec.Command("go", "env", "GOMODCACHE").Output()
		if err != nil {
			t.Fatalf("go env GOMODCACHE: %v", err)
		}
		cache = strings.TrimSpace(string(out))
	}
	path := filepath.Join(cache, realBlkRel)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("btcd test data missing: %v", err)
	}
	return path
}

func mainnet(t testing.TB) Network {
	t.Helper()
	n, err := LookupNetwork("mainnet")
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// testFrame is one frame of a blk file: magic, length and block.
type testFrame struct {
	off  int64 // where it was in the file it came from
	data []byte
}

func (f testFrame) block() []byte { return f.data[framePrefixLen:] }

func (f testFrame) hash() chainhash.Hash {
	return chainhash.DoubleHashH(f.block()[:blockHeaderLen])
}

// realFrames splits the btcd test file into its frames, stopping at the
// zero padding. It is written independently of the scanner under test.
func realFrames(t testing.TB) []testFrame {
	t.Helper()
	data, err := os.ReadFile(realBlkPath(t))
	if err != nil {
		t.Fatal(err)
	}
	var frames []testFrame
	off := 0
	for off+8 <= len(data) && !bytes.Equal(data[off:off+4], []byte{0, 0, 0, 0}) {
		if !bytes.Equal(data[off:off+4], []byte{0xf9, 0xbe, 0xb4, 0xd9}) {
			t.Fatalf("real file: no mainnet magic at offset %d", off)
		}
		n := int(binary.LittleEndian.Uint32(data[off+4 : off+8]))
		frames = append(frames, testFrame{off: int64(off), data: data[off : off+8+n]})
		off += 8 + n
	}
	if len(frames) != 14132 {
		t.Fatalf("real file has %d frames, want 14132", len(frames))
	}
	return frames
}

// concatFrames serializes frames one after another.
func concatFrames(frames ...[]testFrame) []byte {
	var buf bytes.Buffer
	for _, fs := range frames {
		for _, f := range fs {
			buf.Write(f.data)
		}
	}
	return buf.Bytes()
}

// fabricate returns a copy of base with its header changed to follow prev
// with the given bits and nonce. Its proof of work is not valid, which the
// linker does not check.
func fabricate(base testFrame, prev chainhash.Hash, bits, nonce uint32) testFrame {
	data := slices.Clone(base.data)
	hdr := data[framePrefixLen:]
	copy(hdr[4:36], prev[:])
	binary.LittleEndian.PutUint32(hdr[72:76], bits)
	binary.LittleEndian.PutUint32(hdr[76:80], nonce)
	return testFrame{data: data}
}

// forkOf returns n fabricated blocks, each the child of the previous one,
// the first the child of parent.
func forkOf(base, parent testFrame, n int, bits, tag uint32) []testFrame {
	var out []testFrame
	for i := range n {
		f := fabricate(base, parent.hash(), bits, tag<<16|uint32(i))
		out = append(out, f)
		parent = f
	}
	return out
}

// obfuscate applies Bitcoin Core's block file obfuscation to data that
// starts at file offset 0.
func obfuscate(data []byte, key [8]byte) {
	for i := range data {
		data[i] ^= key[i%8]
	}
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func openOK(t testing.TB, net Network, paths ...string) *BlockFiles {
	t.Helper()
	bf, err := OpenBlockFiles(context.Background(), net, paths...)
	if err != nil {
		t.Fatalf("OpenBlockFiles(%v): %v", paths, err)
	}
	t.Cleanup(func() {
		if err := bf.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return bf
}

func mustHash(t testing.TB, s string) chainhash.Hash {
	t.Helper()
	h, err := chainhash.NewHashFromStr(s)
	if err != nil {
		t.Fatal(err)
	}
	return *h
}

func TestOpenBlockFilesMainnet(t *testing.T) {
	ctx := context.Background()
	path := realBlkPath(t)
	bf := openOK(t, mainnet(t), path)

	if tip, _ := bf.Tip(); tip != 14131 {
		t.Fatalf("tip height %d, want 14131", tip)
	}
	if p := bf.Problems(); len(p) != 0 {
		t.Fatalf("problems: %v", p)
	}
	if bf.Orphans() != 0 {
		t.Fatalf("%d orphans, want 0", bf.Orphans())
	}
	known := []struct {
		name   string
		height int32
		hash   string
	}{
		{name: "genesis", height: 0, hash: "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"},
		{name: "first person-to-person transaction", height: 170, hash: "00000000d1145790a8694403d4063f323d499e655c83426834d4ce2f8dd4a2ee"},
		{name: "checkpoint 11111", height: 11111, hash: "0000000069e244f73d78e8fd29ba2fd2ed618bd6fa2ee92559f542fdb26e7c1d"},
	}
	for _, k := range known {
		t.Run(k.name, func(t *testing.T) {
			got, err := bf.HashAt(k.height)
			if err != nil {
				t.Fatal(err)
			}
			if got != mustHash(t, k.hash) {
				t.Fatalf("HashAt(%d) = %s, want %s", k.height, got, k.hash)
			}
		})
	}

	// The genesis block is 285 bytes and follows the file's first frame
	// prefix.
	loc, err := bf.Location(0)
	if err != nil {
		t.Fatal(err)
	}
	if want := (BlockLocation{File: path, Offset: 8, Size: 285}); loc != want {
		t.Fatalf("Location(0) = %+v, want %+v", loc, want)
	}

	raw, err := bf.ReadBlock(ctx, 170)
	if err != nil {
		t.Fatal(err)
	}
	var blk wire.MsgBlock
	if err := blk.Deserialize(bytes.NewReader(raw)); err != nil {
		t.Fatalf("block 170: %v", err)
	}
	if len(blk.Transactions) != 2 {
		t.Fatalf("block 170 has %d transactions, want 2", len(blk.Transactions))
	}
	if h, _ := bf.HashAt(170); blk.BlockHash() != h {
		t.Fatalf("block 170 hashes to %s, want %s", blk.BlockHash(), h)
	}

	for _, h := range []int32{-1, 14132, 1 << 30} {
		if _, err := bf.HashAt(h); !errors.Is(err, ErrHeightOutOfRange) {
			t.Errorf("HashAt(%d) error = %v, want ErrHeightOutOfRange", h, err)
		}
		if _, err := bf.Location(h); !errors.Is(err, ErrHeightOutOfRange) {
			t.Errorf("Location(%d) error = %v, want ErrHeightOutOfRange", h, err)
		}
		if _, err := bf.ReadBlock(ctx, h); !errors.Is(err, ErrHeightOutOfRange) {
			t.Errorf("ReadBlock(%d) error = %v, want ErrHeightOutOfRange", h, err)
		}
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := bf.ReadBlock(canceled, 1); !errors.Is(err, context.Canceled) {
		t.Errorf("ReadBlock with canceled context: %v", err)
	}
}

// TestReadBlockConcurrent reads every block from several goroutines and
// checks each against the chain: the file holds 14,247 transactions.
func TestReadBlockConcurrent(t *testing.T) {
	ctx := context.Background()
	bf := openOK(t, mainnet(t), realBlkPath(t))
	tip, tipHash := bf.Tip()
	const workers = 8
	var txs atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for h := int32(w); h <= tip; h += workers {
				raw, err := bf.ReadBlock(ctx, h)
				if err != nil {
					t.Error(err)
					return
				}
				var blk wire.MsgBlock
				if err := blk.Deserialize(bytes.NewReader(raw)); err != nil {
					t.Errorf("height %d: %v", h, err)
					return
				}
				want, _ := bf.HashAt(h)
				if blk.BlockHash() != want {
					t.Errorf("height %d: block hashes to %s, want %s", h, blk.BlockHash(), want)
					return
				}
				if h > 0 {
					prev, _ := bf.HashAt(h - 1)
					if blk.Header.PrevBlock != prev {
						t.Errorf("height %d: parent %s, want %s", h, blk.Header.PrevBlock, prev)
						return
					}
				}
				txs.Add(int64(len(blk.Transactions)))
			}
		})
	}
	wg.Wait()
	if got := txs.Load(); got != 14247 {
		t.Fatalf("%d transactions in blocks 0..%d, want 14247", got, tip)
	}
	if h, _ := bf.HashAt(tip); h != tipHash {
		t.Fatalf("Tip hash %s differs from HashAt(tip) %s", tipHash, h)
	}

	if err := bf.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := bf.ReadBlock(ctx, 0); !errors.Is(err, ErrClosed) || !strings.Contains(err.Error(), "height 0") {
		t.Fatalf("ReadBlock after Close returned %v, want ErrClosed naming height 0", err)
	}
	if err := bf.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestOpenBlockFilesOutOfOrder(t *testing.T) {
	const diff1, easy = 0x1d00ffff, 0x207fffff
	all := realFrames(t)
	frames := all[:21]
	rng := rand.New(rand.NewPCG(1, 2))
	shuffled := func(fs ...[]testFrame) []testFrame {
		out := slices.Concat(fs...)
		rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
		return out
	}
	base := all[1] // body for fabricated blocks
	stale6 := forkOf(base, frames[5], 1, diff1, 1)
	rival8 := forkOf(base, frames[7], 1, diff1, 2)
	heavy := forkOf(base, frames[5], 20, diff1, 3) // heights 6..25
	light := forkOf(base, frames[5], 30, easy, 4)  // heights 6..35

	tests := []struct {
		name    string
		file    []testFrame
		want    []testFrame
		orphans int
		example chainhash.Hash // a block named in the orphan problem
	}{
		{name: "in order", file: frames, want: frames},
		{name: "shuffled", file: shuffled(frames), want: frames},
		{name: "shuffled with a stale block", file: shuffled(frames, stale6), want: frames},
		{name: "equal-work rival seen later loses", file: slices.Concat(frames[:9], rival8), want: frames[:9]},
		{name: "equal-work rival seen first wins", file: slices.Concat(frames[:8], rival8, frames[8:9]), want: slices.Concat(frames[:8], rival8)},
		{name: "longer fork with more work wins", file: shuffled(frames, heavy), want: slices.Concat(frames[:6], heavy)},
		{name: "longer fork with less work loses", file: shuffled(frames, light), want: frames},
		{
			name:    "gap leaves orphans",
			file:    slices.Concat(frames[:11], frames[15:]),
			want:    frames[:11],
			orphans: 6,
			example: frames[15].hash(),
		},
		{name: "duplicates keep the first copy", file: slices.Concat(frames[:11], frames[:11]), want: frames[:11]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "blk00000.dat")
			data := concatFrames(tt.file)
			writeFile(t, path, data)
			first := make(map[chainhash.Hash]int64)
			var off int64
			for _, f := range tt.file {
				if _, ok := first[f.hash()]; !ok {
					first[f.hash()] = off
				}
				off += int64(len(f.data))
			}

			bf := openOK(t, mainnet(t), path)
			tip, tipHash := bf.Tip()
			if int(tip) != len(tt.want)-1 || tipHash != tt.want[len(tt.want)-1].hash() {
				t.Fatalf("tip %d %s, want %d %s", tip, tipHash, len(tt.want)-1, tt.want[len(tt.want)-1].hash())
			}
			for h, f := range tt.want {
				got, err := bf.HashAt(int32(h))
				if err != nil || got != f.hash() {
					t.Fatalf("HashAt(%d) = %s %v, want %s", h, got, err, f.hash())
				}
				loc, err := bf.Location(int32(h))
				want := BlockLocation{File: path, Offset: first[f.hash()] + 8, Size: uint32(len(f.block()))}
				if err != nil || loc != want {
					t.Fatalf("Location(%d) = %+v %v, want %+v", h, loc, err, want)
				}
				raw, err := bf.ReadBlock(context.Background(), int32(h))
				if err != nil || !bytes.Equal(raw, f.block()) {
					t.Fatalf("ReadBlock(%d) returned %d bytes (%v), want the %d bytes of block %s", h, len(raw), err, len(f.block()), f.hash())
				}
			}
			if bf.Orphans() != tt.orphans {
				t.Fatalf("Orphans() = %d, want %d", bf.Orphans(), tt.orphans)
			}
			problems := bf.Problems()
			if tt.orphans == 0 {
				if len(problems) != 0 {
					t.Fatalf("problems: %v", problems)
				}
				return
			}
			if len(problems) != 1 {
				t.Fatalf("problems %v, want one", problems)
			}
			var fe *FrameError
			if !errors.As(problems[0], &fe) || !errors.Is(fe, ErrOrphanBlocks) || fe.File != path || fe.Offset != first[tt.example] {
				t.Fatalf("problem %#v, want an orphan problem at %s offset %d", problems[0], path, first[tt.example])
			}
			if !strings.Contains(fe.Error(), tt.example.String()) || !strings.Contains(fe.Error(), fmt.Sprint(tt.orphans)) {
				t.Fatalf("problem %q does not name the orphan count %d and block %s", fe, tt.orphans, tt.example)
			}
		})
	}
}

// TestOpenBlockFilesLargeBlocks mixes small blocks with blocks larger than
// the scanner's read chunk, so that headers fall at every position relative
// to its reads, in plain and obfuscated files.
func TestOpenBlockFilesLargeBlocks(t *testing.T) {
	frames := realFrames(t)[:60]
	rng := rand.New(rand.NewPCG(5, 6))
	sizes := []int{0, 1, 100, scanPeek - 90, scanPeek, scanChunk/4 + 1, scanChunk - 88, scanChunk, scanChunk + 7, 3 * scanChunk, 1 << 20}
	var big []testFrame
	for i, f := range frames {
		extra := make([]byte, sizes[rng.IntN(len(sizes))])
		for j := range extra {
			extra[j] = byte(rng.Uint32())
		}
		data := slices.Concat(f.data, extra)
		binary.LittleEndian.PutUint32(data[4:8], uint32(len(data)-framePrefixLen))
		big = append(big, testFrame{data: data})
		if big[i].hash() != frames[i].hash() {
			t.Fatal("padding a block changed its header")
		}
	}
	// The key's byte 2 is the first byte of the magic, so after padding
	// that Core left as plain zeros, a frame starting at an offset of 2
	// modulo 8 begins with a plain zero as well.
	for _, key := range [][8]byte{{}, {0x11, 0x00, 0xf9, 0x42, 0, 0, 0x99, 0xff}} {
		t.Run(fmt.Sprintf("key %x", key), func(t *testing.T) {
			dir := t.TempDir()
			blocks := concatFrames(big)
			pad := scanChunk + 8 - len(blocks)%8 + 2
			data := slices.Concat(blocks, make([]byte, pad), concatFrames(frames[60:61]))
			obfuscate(data, key)
			clear(data[len(blocks) : len(blocks)+pad])
			if key != [8]byte{} && data[len(blocks)+pad] != 0 {
				t.Fatal("the frame after the padding does not start with a zero byte")
			}
			writeFile(t, filepath.Join(dir, "blk00000.dat"), data)
			writeFile(t, filepath.Join(dir, "xor.dat"), key[:])
			bf := openOK(t, mainnet(t), dir)
			if p := bf.Problems(); len(p) != 0 {
				t.Fatalf("problems: %v", p)
			}
			if tip, _ := bf.Tip(); tip != 60 {
				t.Fatalf("tip %d, want 60", tip)
			}
			for h, f := range slices.Concat(big, frames[60:61]) {
				raw, err := bf.ReadBlock(context.Background(), int32(h))
				if err != nil || !bytes.Equal(raw, f.block()) {
					t.Fatalf("ReadBlock(%d) = %d bytes %v, want %d bytes", h, len(raw), err, len(f.block()))
				}
			}
		})
	}
}

func TestOpenBlockFilesXor(t *testing.T) {
	ctx := context.Background()
	net := mainnet(t)
	frames := realFrames(t)
	plain := openOK(t, net, realBlkPath(t))

	var key [8]byte
	for slices.Contains(key[:], 0) {
		if _, err := crand.Read(key[:]); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("key %x", key)
	const split = 7000
	dir := t.TempDir()
	// The first file as Core 28 leaves it: obfuscated blocks followed by
	// pre-allocated plain zeros.
	part0 := concatFrames(frames[:split])
	obfuscate(part0, key)
	part0 = append(part0, make([]byte, 1<<20)...)
	// The second file with its padding obfuscated as well.
	part1 := append(concatFrames(frames[split:]), make([]byte, 100_000)...)
	obfuscate(part1, key)
	writeFile(t, filepath.Join(dir, "xor.dat"), key[:])
	writeFile(t, filepath.Join(dir, "blk00000.dat"), part0)
	writeFile(t, filepath.Join(dir, "blk00001.dat"), part1)
	writeFile(t, filepath.Join(dir, "rev00000.dat"), []byte("undo data, not blocks"))
	writeFile(t, filepath.Join(dir, ".lock"), nil)
	if bytes.HasPrefix(part0, []byte{0xf9, 0xbe, 0xb4, 0xd9}) {
		t.Fatal("test file is not obfuscated")
	}

	bf := openOK(t, net, dir)
	if p := bf.Problems(); len(p) != 0 {
		t.Fatalf("problems: %v", p)
	}
	tip, tipHash := bf.Tip()
	wantTip, wantHash := plain.Tip()
	if tip != wantTip || tipHash != wantHash {
		t.Fatalf("tip %d %s, want %d %s", tip, tipHash, wantTip, wantHash)
	}
	for h := range tip + 1 {
		got, _ := bf.HashAt(h)
		want, _ := plain.HashAt(h)
		if got != want {
			t.Fatalf("HashAt(%d) = %s, want %s", h, got, want)
		}
		a, err := bf.ReadBlock(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		b, err := plain.ReadBlock(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Fatalf("ReadBlock(%d) differs from the plain file", h)
		}
	}
	for _, c := range []struct {
		height int32
		want   BlockLocation
	}{
		{0, BlockLocation{File: filepath.Join(dir, "blk00000.dat"), Offset: 8, Size: 285}},
		{split - 1, BlockLocation{File: filepath.Join(dir, "blk00000.dat"), Offset: frames[split-1].off + 8, Size: uint32(len(frames[split-1].block()))}},
		{split, BlockLocation{File: filepath.Join(dir, "blk00001.dat"), Offset: 8, Size: uint32(len(frames[split].block()))}},
	} {
		if got, err := bf.Location(c.height); err != nil || got != c.want {
			t.Fatalf("Location(%d) = %+v %v, want %+v", c.height, got, err, c.want)
		}
	}

	t.Run("single file uses xor.dat next to it", func(t *testing.T) {
		one := openOK(t, net, filepath.Join(dir, "blk00000.dat"))
		tip, hash := one.Tip()
		if want, _ := plain.HashAt(split - 1); tip != split-1 || hash != want {
			t.Fatalf("tip %d %s, want %d %s", tip, hash, split-1, want)
		}
		if p := one.Problems(); len(p) != 0 {
			t.Fatalf("problems: %v", p)
		}
	})
	t.Run("without xor.dat the magic is wrong", func(t *testing.T) {
		other := t.TempDir()
		writeFile(t, filepath.Join(other, "blk00000.dat"), part0)
		_, err := OpenBlockFiles(ctx, net, other)
		if !errors.Is(err, ErrBadMagic) || !strings.Contains(err.Error(), "offset 0") {
			t.Fatalf("error %v, want a bad magic at offset 0", err)
		}
	})
	t.Run("all-zero key means no obfuscation", func(t *testing.T) {
		other := t.TempDir()
		writeFile(t, filepath.Join(other, "blk00000.dat"), concatFrames(frames[:100]))
		writeFile(t, filepath.Join(other, "xor.dat"), make([]byte, 8))
		if tip, _ := openOK(t, net, other).Tip(); tip != 99 {
			t.Fatalf("tip %d, want 99", tip)
		}
	})
	t.Run("xor.dat of the wrong size", func(t *testing.T) {
		other := t.TempDir()
		writeFile(t, filepath.Join(other, "blk00000.dat"), concatFrames(frames[:10]))
		writeFile(t, filepath.Join(other, "xor.dat"), key[:7])
		_, err := OpenBlockFiles(ctx, net, other)
		if err == nil || !strings.Contains(err.Error(), filepath.Join(other, "xor.dat")) {
			t.Fatalf("error %v, want one naming xor.dat", err)
		}
	})
}

func TestOpenBlockFilesDirectoryOrder(t *testing.T) {
	frames := realFrames(t)
	dir := t.TempDir()
	// Numeric order reads blk9 before blk10, so the duplicates of blocks
	// 0..3 in blk10 are ignored. Other names are never read: their bytes
	// would be bad frames.
	writeFile(t, filepath.Join(dir, "blk9.dat"), concatFrames(frames[:4]))
	writeFile(t, filepath.Join(dir, "blk10.dat"), concatFrames(frames[:6]))
	writeFile(t, filepath.Join(dir, "blk_extra.dat"), []byte("not a block file"))
	writeFile(t, filepath.Join(dir, "rev00000.dat"), []byte("not a block file"))
	writeFile(t, filepath.Join(dir, "blk00001.dat.tmp"), []byte("not a block file"))
	bf := openOK(t, mainnet(t), dir)
	if p := bf.Problems(); len(p) != 0 {
		t.Fatalf("problems: %v", p)
	}
	if tip, _ := bf.Tip(); tip != 5 {
		t.Fatalf("tip %d, want 5", tip)
	}
	for h := range int32(6) {
		loc, err := bf.Location(h)
		if err != nil {
			t.Fatal(err)
		}
		want := "blk9.dat"
		if h >= 4 {
			want = "blk10.dat"
		}
		if filepath.Base(loc.File) != want || loc.Offset != frames[h].off+8 {
			t.Fatalf("Location(%d) = %+v, want %s offset %d", h, loc, want, frames[h].off+8)
		}
	}
}

func TestOpenBlockFilesWrongNetwork(t *testing.T) {
	path := realBlkPath(t)
	testnet, err := LookupNetwork("testnet3")
	if err != nil {
		t.Fatal(err)
	}
	_, err = OpenBlockFiles(context.Background(), testnet, path)
	if !errors.Is(err, ErrWrongNetwork) {
		t.Fatalf("error %v, want ErrWrongNetwork", err)
	}
	if want := fmt.Sprintf("file %s offset 0: block of network mainnet, expected testnet3", path); !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q does not contain %q", err, want)
	}
}

// TestOpenBlockFilesBadFrames puts a bad frame after mainnet blocks 0..10
// and good frames after it: the scan of the file stops at the bad frame.
func TestOpenBlockFilesBadFrames(t *testing.T) {
	frames := realFrames(t)
	good := concatFrames(frames[:11])
	later := concatFrames(frames[11:21])
	prefix := func(magic []byte, length uint32) []byte {
		return binary.LittleEndian.AppendUint32(slices.Clone(magic), length)
	}
	mainMagic := []byte{0xf9, 0xbe, 0xb4, 0xd9}
	testnetFrame := slices.Concat([]byte{0x0b, 0x11, 0x09, 0x07}, frames[11].data[4:])

	tests := []struct {
		name    string
		tail    []byte
		kind    error  // nil: no problem
		at      int64  // offset of the problem after the good frames
		detail  string // part of the problem's text
		wantTip int32
	}{
		{name: "testnet3 frame", tail: slices.Concat(testnetFrame, later), kind: ErrWrongNetwork, detail: "block of network testnet3, expected mainnet", wantTip: 10},
		{name: "unknown magic", tail: slices.Concat([]byte{0xde, 0xad, 0xbe, 0xef}, frames[11].data[4:], later), kind: ErrBadMagic, detail: "bad magic 0xdeadbeef", wantTip: 10},
		{name: "length below a header", tail: slices.Concat(prefix(mainMagic, 79), make([]byte, 79), later), kind: ErrBadFrameLength, detail: "frame length 79", wantTip: 10},
		{name: "length above 32 MiB", tail: slices.Concat(prefix(mainMagic, 32<<20+1), later), kind: ErrBadFrameLength, detail: "frame length 33554433", wantTip: 10},
		{name: "length past the end", tail: slices.Concat(prefix(mainMagic, 1000), frames[11].block()), kind: ErrTruncatedFrame, detail: "runs", wantTip: 10},
		{name: "partial magic at the end", tail: mainMagic[:3], kind: ErrTruncatedFrame, detail: "ends 3 bytes into a frame prefix", wantTip: 10},
		{name: "partial length at the end", tail: mainMagic[:4:4], kind: ErrTruncatedFrame, detail: "ends 4 bytes into a frame prefix", wantTip: 10},
		{name: "stray byte at the end", tail: []byte{0x42}, kind: ErrBadMagic, detail: "bad magic 0x42", wantTip: 10},
		{name: "zero padding at the end", tail: make([]byte, 300_000), wantTip: 10},
		{name: "zero padding between frames", tail: slices.Concat(make([]byte, 70_000), later), wantTip: 20},
		{name: "zero padding then garbage", tail: slices.Concat(make([]byte, 100), []byte("junk")), kind: ErrBadMagic, at: 100, detail: "bad magic 0x6a756e6b", wantTip: 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "blocks.dat")
			writeFile(t, path, slices.Concat(good, tt.tail))
			bf := openOK(t, mainnet(t), path)
			if tip, _ := bf.Tip(); tip != tt.wantTip {
				t.Fatalf("tip %d, want %d", tip, tt.wantTip)
			}
			problems := bf.Problems()
			if tt.kind == nil {
				if len(problems) != 0 {
					t.Fatalf("problems: %v", problems)
				}
				return
			}
			if len(problems) != 1 {
				t.Fatalf("problems %v, want one", problems)
			}
			var fe *FrameError
			wantOff := int64(len(good)) + tt.at
			if !errors.As(problems[0], &fe) || !errors.Is(fe, tt.kind) || fe.File != path || fe.Offset != wantOff {
				t.Fatalf("problem %#v, want %v at %s offset %d", problems[0], tt.kind, path, wantOff)
			}
			want := fmt.Sprintf("file %s offset %d: ", path, wantOff)
			if msg := fe.Error(); !strings.HasPrefix(msg, want) || !strings.Contains(msg, tt.detail) {
				t.Fatalf("problem %q, want it to start with %q and contain %q", msg, want, tt.detail)
			}
		})
	}
}

func TestOpenBlockFilesTruncated(t *testing.T) {
	data, err := os.ReadFile(realBlkPath(t))
	if err != nil {
		t.Fatal(err)
	}
	frames := realFrames(t)
	dir := t.TempDir()
	for _, k := range []int{1, 170, 9000} {
		fr := frames[k]
		// Cut inside the magic, inside the length, inside the header,
		// just after the header, inside the transactions, and exactly
		// between frames.
		for _, d := range []int{0, 1, 3, 4, 7, 8, 9, 50, 87, 88, 89, len(fr.data) - 1} {
			t.Run(fmt.Sprintf("frame %d plus %d bytes", k, d), func(t *testing.T) {
				path := filepath.Join(dir, fmt.Sprintf("cut-%d-%d.dat", k, d))
				writeFile(t, path, data[:fr.off+int64(d)])
				bf := openOK(t, mainnet(t), path)
				if tip, hash := bf.Tip(); tip != int32(k-1) || hash != frames[k-1].hash() {
					t.Fatalf("tip %d %s, want %d %s", tip, hash, k-1, frames[k-1].hash())
				}
				raw, err := bf.ReadBlock(context.Background(), int32(k-1))
				if err != nil || !bytes.Equal(raw, frames[k-1].block()) {
					t.Fatalf("ReadBlock(%d): %v", k-1, err)
				}
				problems := bf.Problems()
				if d == 0 {
					if len(problems) != 0 {
						t.Fatalf("problems: %v", problems)
					}
					return
				}
				var fe *FrameError
				if len(problems) != 1 || !errors.As(problems[0], &fe) || !errors.Is(fe, ErrTruncatedFrame) ||
					fe.File != path || fe.Offset != fr.off {
					t.Fatalf("problems %v, want one truncated frame at %s offset %d", problems, path, fr.off)
				}
			})
		}
	}
	t.Run("inside the genesis frame", func(t *testing.T) {
		path := filepath.Join(dir, "cut-genesis.dat")
		writeFile(t, path, data[:200])
		_, err := OpenBlockFiles(context.Background(), mainnet(t), path)
		if !errors.Is(err, ErrTruncatedFrame) || !strings.Contains(err.Error(), path+" offset 0") {
			t.Fatalf("error %v, want a truncated frame at %s offset 0", err, path)
		}
	})
}

func TestOpenBlockFilesErrors(t *testing.T) {
	frames := realFrames(t)
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "empty.dat"), nil)
	noGenesis := filepath.Join(dir, "nogenesis.dat")
	writeFile(t, noGenesis, concatFrames(frames[1:5]))
	good := filepath.Join(dir, "good.dat")
	writeFile(t, good, concatFrames(frames[:5]))
	canceled, cancel := context.WithCancel(context.Background())
	cancel()

	tests := []struct {
		name  string
		ctx   context.Context
		net   Network
		opts  BlockFilesOptions
		paths []string
		want  string
		is    error
	}{
		{name: "no paths", net: mainnet(t), want: "no paths"},
		{name: "missing path", net: mainnet(t), paths: []string{filepath.Join(dir, "missing")}, want: filepath.Join(dir, "missing")},
		{name: "directory without blk files", net: mainnet(t), paths: []string{empty}, want: "no blk*.dat files in directory " + empty},
		{name: "empty file", net: mainnet(t), paths: []string{filepath.Join(dir, "empty.dat")}, want: "no mainnet block connected to genesis"},
		{name: "no genesis", net: mainnet(t), paths: []string{noGenesis}, want: "4 blocks not connected to genesis", is: ErrOrphanBlocks},
		{name: "no parameters", net: Network{Name: "bogus"}, paths: []string{good}, want: "bogus"},
		{name: "canceled", ctx: canceled, net: mainnet(t), paths: []string{good}, is: context.Canceled},
		{name: "negative MaxOpenFiles", net: mainnet(t), opts: BlockFilesOptions{MaxOpenFiles: -1}, paths: []string{good}, want: "MaxOpenFiles -1 is negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := tt.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			bf, err := OpenBlockFilesWithOptions(ctx, tt.net, tt.opts, tt.paths...)
			if err == nil {
				bf.Close()
				t.Fatal("OpenBlockFiles succeeded")
			}
			if bf != nil {
				t.Fatal("OpenBlockFiles returned both a value and an error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not contain %q", err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Fatalf("error %v is not %v", err, tt.is)
			}
		})
	}
}

func TestBlockFilesZeroValue(t *testing.T) {
	var bf BlockFiles
	if h, hash := bf.Tip(); h != -1 || hash != (chainhash.Hash{}) {
		t.Fatalf("Tip() = %d %s, want -1 and the zero hash", h, hash)
	}
	if _, err := bf.HashAt(0); !errors.Is(err, ErrHeightOutOfRange) {
		t.Fatalf("HashAt(0) error %v", err)
	}
	if err := bf.Close(); err != nil {
		t.Fatal(err)
	}
}

// splitFrames writes frames into n files blk00000.dat, blk00001.dat, ... of
// dir, cut at random places, each followed by some zero padding as Bitcoin
// Core leaves it, and obfuscated with key unless it is all zero. It returns
// the files' paths and the index of the file holding each frame.
func splitFrames(t testing.TB, dir string, frames []testFrame, n int, key [8]byte, rng *rand.Rand) ([]string, []int) {
	t.Helper()
	if n < 1 || n > len(frames) {
		t.Fatalf("cannot split %d frames into %d files", len(frames), n)
	}
	cuts := rng.Perm(len(frames) - 1)[:n-1]
	for i := range cuts {
		cuts[i]++
	}
	slices.Sort(cuts)
	cuts = append(cuts, len(frames))
	var paths []string
	fileOf := make([]int, len(frames))
	start := 0
	for i, end := range cuts {
		data := concatFrames(frames[start:end])
		obfuscate(data, key)
		data = append(data, make([]byte, rng.IntN(3)*1000)...)
		path := filepath.Join(dir, fmt.Sprintf("blk%05d.dat", i))
		writeFile(t, path, data)
		paths = append(paths, path)
		for h := start; h < end; h++ {
			fileOf[h] = i
		}
		start = end
	}
	if key != [8]byte{} {
		writeFile(t, filepath.Join(dir, "xor.dat"), key[:])
	}
	return paths, fileOf
}

// openFilesUnder returns how many of the process's file descriptors refer
// to files in dir. It skips the test where /proc/self/fd does not exist.
func openFilesUnder(t testing.TB, dir string) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot list open files: %v", err)
	}
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, fd := range fds {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
		if err == nil && strings.HasPrefix(target, real+string(filepath.Separator)) {
			n++
		}
	}
	return n
}

// TestBlockFilesManyFiles spreads the real blocks over many files, reads
// every block from several goroutines in random order, and checks that no
// more files are open than allowed.
func TestBlockFilesManyFiles(t *testing.T) {
	ctx := context.Background()
	net := mainnet(t)
	frames := realFrames(t)
	single := openOK(t, net, realBlkPath(t))
	want := make([][]byte, len(frames))
	for h := range want {
		raw, err := single.ReadBlock(ctx, int32(h))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(raw, frames[h].block()) {
			t.Fatalf("single file: block %d differs from its frame", h)
		}
		want[h] = raw
	}

	tests := []struct {
		name    string
		files   int
		maxOpen int
		key     [8]byte
		bound   int // the bound in effect
	}{
		{name: "24 files, 2 open", files: 24, maxOpen: 2, bound: 2},
		{name: "24 obfuscated files, 2 open", files: 24, maxOpen: 2, key: [8]byte{0x5a, 0xf9, 0, 0x13, 0x77, 0xbe, 0x01, 0xd9}, bound: 2},
		{name: "30 files, 1 open", files: 30, maxOpen: 1, bound: 1},
		{name: "24 files, default bound", files: 24, bound: DefaultMaxOpenFiles},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, uint64(i)))
			dir := t.TempDir()
			paths, fileOf := splitFrames(t, dir, frames, tt.files, tt.key, rng)
			bf, err := OpenBlockFilesWithOptions(ctx, net, BlockFilesOptions{MaxOpenFiles: tt.maxOpen}, dir)
			if err != nil {
				t.Fatal(err)
			}
			defer bf.Close()
			if p := bf.Problems(); len(p) != 0 {
				t.Fatalf("problems: %v", p)
			}
			if tip, hash := bf.Tip(); tip != int32(len(frames)-1) || hash != frames[len(frames)-1].hash() {
				t.Fatalf("tip %d %s, want %d %s", tip, hash, len(frames)-1, frames[len(frames)-1].hash())
			}
			for h := range frames {
				loc, err := bf.Location(int32(h))
				if err != nil || loc.File != paths[fileOf[h]] {
					t.Fatalf("Location(%d) = %+v %v, want file %s", h, loc, err, paths[fileOf[h]])
				}
			}
			if n := openFilesUnder(t, dir); n != 0 {
				t.Fatalf("%d blk files open after the scan, want 0", n)
			}

			const workers = 8
			order := rng.Perm(len(frames))
			var reads atomic.Int64
			var wg sync.WaitGroup
			for w := range workers {
				wg.Go(func() {
					for i := w; i < len(order); i += workers {
						h := int32(order[i])
						raw, err := bf.ReadBlock(ctx, h)
						if err != nil {
							t.Error(err)
							return
						}
						if !bytes.Equal(raw, want[h]) {
							t.Errorf("block %d: %d bytes differ from the single file's %d", h, len(raw), len(want[h]))
							return
						}
						reads.Add(1)
					}
				})
			}
			wg.Wait()
			if t.Failed() {
				return
			}
			if n := reads.Load(); n != int64(len(frames)) {
				t.Fatalf("%d blocks read, want %d", n, len(frames))
			}

			open, peak, opened := bf.handles.stats()
			if peak != min(tt.files, tt.bound) {
				t.Fatalf("at most %d files were open at once, want %d", peak, min(tt.files, tt.bound))
			}
			if open > tt.bound || openFilesUnder(t, dir) != open {
				t.Fatalf("%d handles open, %d files open in the directory, want equal and at most %d", open, openFilesUnder(t, dir), tt.bound)
			}
			if tt.files <= tt.bound && opened != tt.files {
				t.Fatalf("%d opens, want each of the %d files opened once", opened, tt.files)
			}
			if tt.files > tt.bound && opened <= tt.files {
				t.Fatalf("%d opens of %d files, want files reopened after being closed to make room", opened, tt.files)
			}

			if err := bf.Close(); err != nil {
				t.Fatal(err)
			}
			if n := openFilesUnder(t, dir); n != 0 {
				t.Fatalf("%d blk files open after Close", n)
			}
			if _, err := bf.ReadBlock(ctx, 5); !errors.Is(err, ErrClosed) {
				t.Fatalf("ReadBlock after Close returned %v, want ErrClosed", err)
			}
		})
	}
}

// TestReadBlockFileChanged changes a blk file after the scan and before it
// is first read: its blocks then fail with errors that name the file and
// the height, and the blocks of other files are still read.
func TestReadBlockFileChanged(t *testing.T) {
	ctx := context.Background()
	frames := realFrames(t)[:30]
	tests := []struct {
		name   string
		change func(path string) error
		is     error
	}{
		{name: "removed", change: os.Remove, is: fs.ErrNotExist},
		{name: "truncated", change: func(path string) error {
			// Blocks 10 and 11 stay whole.
			return os.Truncate(path, int64(len(concatFrames(frames[10:12]))))
		}, is: io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for i := range 3 {
				writeFile(t, filepath.Join(dir, fmt.Sprintf("blk%05d.dat", i)), concatFrames(frames[10*i:10*i+10]))
			}
			bf, err := OpenBlockFilesWithOptions(ctx, mainnet(t), BlockFilesOptions{MaxOpenFiles: 2}, dir)
			if err != nil {
				t.Fatal(err)
			}
			defer bf.Close()
			changed := filepath.Join(dir, "blk00001.dat")
			if err := tt.change(changed); err != nil {
				t.Fatal(err)
			}
			for range 2 {
				_, err := bf.ReadBlock(ctx, 15)
				if !errors.Is(err, tt.is) || !strings.Contains(err.Error(), changed) || !strings.Contains(err.Error(), "height 15") {
					t.Fatalf("ReadBlock(15) error %v, want %v naming %s and height 15", err, tt.is, changed)
				}
			}
			for _, h := range []int32{5, 25} {
				raw, err := bf.ReadBlock(ctx, h)
				if err != nil || !bytes.Equal(raw, frames[h].block()) {
					t.Fatalf("ReadBlock(%d) = %d bytes %v, want block %d", h, len(raw), err, h)
				}
			}
			if open, _, _ := bf.handles.stats(); open > 2 {
				t.Fatalf("%d files open, want at most 2", open)
			}
		})
	}
}

// TestBlockFilesCloseWhileReading closes the files while goroutines read
// them: every read returns the right block or ErrClosed, and Close leaves
// no file open.
func TestBlockFilesCloseWhileReading(t *testing.T) {
	ctx := context.Background()
	frames := realFrames(t)[:2000]
	dir := t.TempDir()
	splitFrames(t, dir, frames, 20, [8]byte{}, rand.New(rand.NewPCG(8, 9)))
	bf, err := OpenBlockFilesWithOptions(ctx, mainnet(t), BlockFilesOptions{MaxOpenFiles: 3}, dir)
	if err != nil {
		t.Fatal(err)
	}
	const workers = 8
	var reads atomic.Int64
	busy := make(chan struct{})
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(10, uint64(w)))
			for {
				h := int32(rng.IntN(len(frames)))
				raw, err := bf.ReadBlock(ctx, h)
				if errors.Is(err, ErrClosed) {
					return
				}
				if err != nil || !bytes.Equal(raw, frames[h].block()) {
					t.Errorf("ReadBlock(%d) = %d bytes %v, want block %d", h, len(raw), err, h)
					return
				}
				if reads.Add(1) == 500 {
					close(busy)
				}
			}
		})
	}
	<-busy
	if err := bf.Close(); err != nil {
		t.Fatal(err)
	}
	if open, peak, _ := bf.handles.stats(); open != 0 || peak > 3 {
		t.Fatalf("after Close %d files open, at most %d were open at once; want 0 and at most 3", open, peak)
	}
	if n := openFilesUnder(t, dir); n != 0 {
		t.Fatalf("%d blk files open after Close", n)
	}
	wg.Wait()
}

func FuzzBlockFiles(f *testing.F) {
	frames := realFrames(f)
	first := concatFrames(frames[:4])
	rng := rand.New(rand.NewPCG(3, 4))
	mixed := slices.Clone(frames[:8])
	rng.Shuffle(len(mixed), func(i, j int) { mixed[i], mixed[j] = mixed[j], mixed[i] })
	for _, seed := range [][]byte{
		first,
		first[:len(first)-10],
		first[:frames[2].off+5],
		slices.Concat(first, make([]byte, 40), concatFrames(frames[4:6])),
		slices.Concat(concatFrames(frames[:2]), []byte{0x0b, 0x11, 0x09, 0x07}, frames[2].data[4:]),
		concatFrames(mixed),
		slices.Concat(concatFrames(frames[:3]), concatFrames(frames[1:3])),
		concatFrames(frames[170:171]),
		nil,
	} {
		f.Add(seed, uint64(0))
		f.Add(seed, uint64(0x0123456789abcdef))
	}
	net := mainnet(f)
	genesis := *net.Params.GenesisHash
	// Inputs run one at a time in each process, so they can share a
	// directory; a fresh one per input would dominate the run time.
	dir := f.TempDir()
	path := filepath.Join(dir, "blk00000.dat")
	keyPath := filepath.Join(dir, "xor.dat")
	f.Fuzz(func(t *testing.T, data []byte, key uint64) {
		raw := slices.Clone(data)
		if key != 0 {
			k := [8]byte(binary.LittleEndian.AppendUint64(nil, key))
			writeFile(t, keyPath, k[:])
			obfuscate(raw, k)
		} else if err := os.Remove(keyPath); err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		writeFile(t, path, raw)
		bf, err := OpenBlockFiles(context.Background(), net, path)
		if err != nil {
			if bf != nil {
				t.Fatal("OpenBlockFiles returned both a value and an error")
			}
			return
		}
		defer bf.Close()
		tip, tipHash := bf.Tip()
		if tip < 0 {
			t.Fatalf("opened with an empty chain")
		}
		if h, _ := bf.HashAt(tip); h != tipHash {
			t.Fatalf("Tip hash %s, HashAt(tip) %s", tipHash, h)
		}
		for h := range tip + 1 {
			b, err := bf.ReadBlock(context.Background(), h)
			if err != nil {
				t.Fatalf("ReadBlock(%d): %v", h, err)
			}
			loc, err := bf.Location(h)
			if err != nil {
				t.Fatal(err)
			}
			if loc.File != path || int(loc.Size) != len(b) || loc.Offset < 8 || loc.Offset+int64(loc.Size) > int64(len(data)) ||
				!bytes.Equal(b, data[loc.Offset:loc.Offset+int64(loc.Size)]) {
				t.Fatalf("block %d at %+v does not match the file", h, loc)
			}
			want, _ := bf.HashAt(h)
			if chainhash.DoubleHashH(b[:blockHeaderLen]) != want {
				t.Fatalf("block %d does not hash to %s", h, want)
			}
			if h == 0 && want != genesis {
				t.Fatalf("height 0 is %s, not genesis", want)
			}
			if h > 0 {
				prev, _ := bf.HashAt(h - 1)
				if chainhash.Hash(b[4:36]) != prev {
					t.Fatalf("block %d does not follow block %d", h, h-1)
				}
			}
		}
		for _, p := range bf.Problems() {
			var fe *FrameError
			if !errors.As(p, &fe) || fe.File != path || fe.Offset < 0 || fe.Offset > int64(len(data)) {
				t.Fatalf("problem %v does not name %s and an offset in it", p, path)
			}
		}
	})
}

func BenchmarkOpenBlockFiles(b *testing.B) {
	path := realBlkPath(b)
	net := mainnet(b)
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	for b.Loop() {
		bf, err := OpenBlockFiles(context.Background(), net, path)
		if err != nil {
			b.Fatal(err)
		}
		if err := bf.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
