package bitcoin

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/bits"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"
)

// Sizes that define the blk*.dat frame format.
const (
	// framePrefixLen is the size of the magic and length that precede
	// every block in a blk*.dat file.
	framePrefixLen = 8
	// blockHeaderLen is the size of a serialized block header.
	blockHeaderLen = 80
	// maxFrameLen is the largest block length accepted in a frame, the
	// largest message Bitcoin Core will deserialize.
	maxFrameLen = 32 << 20
	// scanChunk is how much of a file the scanner reads at a time while
	// blocks are small, or while it passes padding.
	scanChunk = 64 << 10
	// scanPeek is how much the scanner reads at a frame after a large
	// block: the next frame is likely far beyond a whole chunk, so reading
	// one would mostly fetch bytes that are skipped.
	scanPeek = 4 << 10
	// xorKeyFile is the name of the file holding Bitcoin Core's block file
	// obfuscation key, in the blocks directory.
	xorKeyFile = "xor.dat"
)

// Errors that classify the problems OpenBlockFiles reports; a FrameError
// unwraps to one of them, and height lookups wrap ErrHeightOutOfRange.
var (
	// ErrWrongNetwork means a frame carries the magic of another known
	// network.
	ErrWrongNetwork = errors.New("block of another network")
	// ErrBadMagic means a frame starts with bytes that are no known
	// network's magic and are not zero padding.
	ErrBadMagic = errors.New("bad magic")
	// ErrBadFrameLength means a frame's length cannot be that of a block.
	ErrBadFrameLength = errors.New("bad frame length")
	// ErrTruncatedFrame means the file ends inside a frame.
	ErrTruncatedFrame = errors.New("truncated frame")
	// ErrOrphanBlocks means some blocks do not descend from the genesis
	// block and were left out of the chain.
	ErrOrphanBlocks = errors.New("blocks not connected to genesis")
	// ErrHeightOutOfRange means a height is below zero or above the tip.
	ErrHeightOutOfRange = errors.New("height outside the best chain")
	// ErrClosed means a block was read after BlockFiles.Close.
	ErrClosed = errors.New("block files are closed")
)

// FrameError is a problem found while scanning a blk*.dat file. Scanning a
// file stops at a frame error; the blocks before it remain usable.
type FrameError struct {
	// File is the path of the blk file.
	File string
	// Offset is the file offset of the start (the magic) of the frame.
	Offset int64
	// Kind is one of ErrWrongNetwork, ErrBadMagic, ErrBadFrameLength,
	// ErrTruncatedFrame and ErrOrphanBlocks.
	Kind error
	// Detail describes the problem.
	Detail string
}

// Error returns the file, the offset and the detail.
func (e *FrameError) Error() string {
	return fmt.Sprintf("file %s offset %d: %s", e.File, e.Offset, e.Detail)
}

// Unwrap returns Kind, so that errors.Is can classify the problem.
func (e *FrameError) Unwrap() error { return e.Kind }

// BlockLocation says where the serialized bytes of a block are stored.
type BlockLocation struct {
	// File is the path of the blk file.
	File string
	// Offset is the file offset of the first byte of the block, just after
	// its frame's magic and length.
	Offset int64
	// Size is the length of the serialized block in bytes.
	Size uint32
}

// BlockFiles gives access to the blocks stored in Bitcoin Core blk*.dat
// files, ordered along the best chain. Its methods are safe for concurrent
// use. It opens files only to read blocks, and keeps a bounded number of
// them open (see BlockFilesOptions), so that a blocks directory with more
// files than the open-file limit can be read.
type BlockFiles struct {
	net      Network
	files    []*blkFile
	chain    []chainBlock
	problems []error
	orphans  int
	handles  handleCache
}

// BlockFilesOptions tunes OpenBlockFilesWithOptions. The zero value selects
// the defaults.
type BlockFilesOptions struct {
	// MaxOpenFiles bounds how many blk files ReadBlock keeps open at
	// once; the least recently used file is closed to open another, and
	// readers wait while all open files are being read. Zero means
	// DefaultMaxOpenFiles; it must not be negative.
	MaxOpenFiles int
}

// chainBlock is one block of the best chain.
type chainBlock struct {
	hash   chainhash.Hash
	file   int32
	size   uint32
	offset int64
}

// blkFile is one blk file, its size when it was scanned, and the key its
// bytes are obfuscated with.
type blkFile struct {
	path  string
	size  int64
	key   [8]byte
	xored bool
}

// OpenBlockFiles scans the given paths (each a directory holding blk*.dat,
// or a single file of any name) for framed blocks of network net and links
// them into the best chain starting at net.Params.GenesisHash. It is
// OpenBlockFilesWithOptions with the default options.
//
// In a directory only files named blk<digits>.dat are read, in numeric order.
// A file xor.dat in the directory, or next to a single file, holds the key
// Bitcoin Core 28 and later obfuscates blk files with. A frame that cannot
// be read ends the scan of its file and is reported by Problems; Open fails
// only on I/O errors, a malformed xor.dat, or when no block connected to
// the genesis block is found.
func OpenBlockFiles(ctx context.Context, net Network, paths ...string) (*BlockFiles, error) {
	return OpenBlockFilesWithOptions(ctx, net, BlockFilesOptions{}, paths...)
}

// OpenBlockFilesWithOptions is OpenBlockFiles with options. The scan opens
// one file at a time and closes it before the next; afterwards ReadBlock
// opens files as it needs them, keeping at most opts.MaxOpenFiles open.
func OpenBlockFilesWithOptions(ctx context.Context, net Network, opts BlockFilesOptions, paths ...string) (*BlockFiles, error) {
	if net.Params == nil || net.Params.GenesisHash == nil {
		return nil, fmt.Errorf("open block files: network %q has no parameters", net.Name)
	}
	if len(paths) == 0 {
		return nil, errors.New("open block files: no paths given")
	}
	if opts.MaxOpenFiles < 0 {
		return nil, fmt.Errorf("open block files: MaxOpenFiles %d is negative", opts.MaxOpenFiles)
	}
	maxOpen := opts.MaxOpenFiles
	if maxOpen == 0 {
		maxOpen = DefaultMaxOpenFiles
	}
	bf := &BlockFiles{net: net, handles: handleCache{max: maxOpen}}
	sc := &blockScan{
		net:   net,
		magic: magicBytes(net),
		index: newChainIndex(*net.Params.GenesisHash),
		buf:   make([]byte, scanChunk),
	}

	for _, p := range paths {
		names, key, err := listBlockFiles(p)
		if err != nil {
			return nil, err
		}
		for _, name := range names {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("open block files: %w", err)
			}
			if len(bf.files) >= math.MaxInt32 {
				return nil, errors.New("open block files: too many files")
			}
			f, err := sc.scanPath(ctx, int32(len(bf.files)), name, key)
			if err != nil {
				return nil, err
			}
			bf.files = append(bf.files, f)
		}
	}

	res := sc.index.link()
	bf.problems = sc.problems
	bf.orphans = res.orphans
	if res.orphans > 0 {
		e := sc.index.entries[res.firstOrphan]
		loc := sc.locs[res.firstOrphan]
		bf.problems = append(bf.problems, &FrameError{
			File:   bf.files[loc.file].path,
			Offset: loc.offset - framePrefixLen,
			Kind:   ErrOrphanBlocks,
			Detail: fmt.Sprintf("%d blocks not connected to genesis %s, for example block %s with parent %s",
				res.orphans, net.Params.GenesisHash, e.hash, e.prev),
		})
	}
	if len(res.chain) == 0 {
		msg := fmt.Sprintf("open block files: no %s block connected to genesis %s in %s (%d blocks scanned)",
			net.Name, net.Params.GenesisHash, strings.Join(paths, ", "), sc.index.len())
		if len(bf.problems) > 0 {
			return nil, fmt.Errorf("%s: %w", msg, errors.Join(bf.problems...))
		}
		return nil, errors.New(msg)
	}
	if len(res.chain) > math.MaxInt32 {
		return nil, fmt.Errorf("open block files: best chain of %d blocks exceeds the int32 height range", len(res.chain))
	}

	bf.chain = make([]chainBlock, len(res.chain))
	for h, i := range res.chain {
		loc := sc.locs[i]
		bf.chain[h] = chainBlock{hash: sc.index.entries[i].hash, file: loc.file, size: loc.size, offset: loc.offset}
	}
	return bf, nil
}

// Tip returns the height and hash of the last block of the best chain, or
// -1 and the zero hash when the chain is empty.
func (bf *BlockFiles) Tip() (height int32, hash chainhash.Hash) {
	if len(bf.chain) == 0 {
		return -1, chainhash.Hash{}
	}
	last := len(bf.chain) - 1
	return int32(last), bf.chain[last].hash
}

// HashAt returns the hash of the best-chain block at height.
func (bf *BlockFiles) HashAt(height int32) (chainhash.Hash, error) {
	b, err := bf.at(height)
	if err != nil {
		return chainhash.Hash{}, err
	}
	return b.hash, nil
}

// Location returns where the best-chain block at height is stored.
func (bf *BlockFiles) Location(height int32) (BlockLocation, error) {
	b, err := bf.at(height)
	if err != nil {
		return BlockLocation{}, err
	}
	return BlockLocation{File: bf.files[b.file].path, Offset: b.offset, Size: b.size}, nil
}

// ReadBlock returns the serialized best-chain block at height, with any
// obfuscation removed. It may be called from many goroutines at once. It
// opens the block's file unless it is open already, and waits, until ctx
// ends, while the most files allowed are open and all are being read.
// After Close it fails with ErrClosed.
func (bf *BlockFiles) ReadBlock(ctx context.Context, height int32) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("read block at height %d: %w", height, err)
	}
	b, err := bf.at(height)
	if err != nil {
		return nil, err
	}
	f := bf.files[b.file]
	h, err := bf.handles.acquire(ctx, b.file, f.path)
	if err != nil {
		return nil, fmt.Errorf("read block at height %d: %w", height, err)
	}
	defer bf.handles.release(h)
	buf := make([]byte, b.size)
	if err := f.readAt(h.f, buf, b.offset); err != nil {
		return nil, fmt.Errorf("read block at height %d: %w", height, err)
	}
	return buf, nil
}

// Problems returns the problems found by the scan that did not stop it:
// frames that ended the scan of their file, and blocks not connected to the
// genesis block. Each is a *FrameError naming a file and an offset.
func (bf *BlockFiles) Problems() []error { return slices.Clone(bf.problems) }

// Orphans returns the number of distinct blocks found that do not descend
// from the genesis block and so are not part of any chain.
func (bf *BlockFiles) Orphans() int { return bf.orphans }

// Close closes the open blk files, after waiting for the reads in progress
// to finish, and returns the errors of closing them joined. Later reads
// fail with ErrClosed. Calls after the first do nothing.
func (bf *BlockFiles) Close() error {
	return bf.handles.close()
}

// at returns the best-chain block at height.
func (bf *BlockFiles) at(height int32) (chainBlock, error) {
	if height < 0 || int(height) >= len(bf.chain) {
		return chainBlock{}, fmt.Errorf("height %d: best chain has heights 0 to %d: %w",
			height, len(bf.chain)-1, ErrHeightOutOfRange)
	}
	return bf.chain[height], nil
}

// magicBytes returns net's magic as it appears in a file.
func magicBytes(net Network) [4]byte {
	var m [4]byte
	binary.LittleEndian.PutUint32(m[:], uint32(net.Magic()))
	return m
}

// listBlockFiles returns the blk files a path stands for and the
// obfuscation key that applies to them (nil when there is none).
func listBlockFiles(path string) ([]string, *[8]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, nil, fmt.Errorf("open block files: %w", err)
	}
	dir := path
	var names []string
	if st.IsDir() {
		entries, err := os.ReadDir(path)
		if err != nil {
			return nil, nil, fmt.Errorf("open block files: %w", err)
		}
		type numbered struct{ name, num string }
		var found []numbered
		for _, e := range entries {
			if e.IsDir() {
				continue
			}
			if num, ok := blkFileNumber(e.Name()); ok {
				found = append(found, numbered{e.Name(), num})
			}
		}
		slices.SortFunc(found, func(a, b numbered) int {
			if c := compareDecimal(a.num, b.num); c != 0 {
				return c
			}
			return strings.Compare(a.name, b.name)
		})
		for _, n := range found {
			names = append(names, filepath.Join(path, n.name))
		}
		if len(names) == 0 {
			return nil, nil, fmt.Errorf("open block files: no blk*.dat files in directory %s", path)
		}
	} else {
		dir = filepath.Dir(path)
		names = []string{path}
	}
	key, err := readXorKey(dir)
	if err != nil {
		return nil, nil, err
	}
	return names, key, nil
}

// blkFileNumber returns the decimal number in a name of the form
// blk<digits>.dat without leading zeros.
func blkFileNumber(name string) (string, bool) {
	rest, ok := strings.CutPrefix(name, "blk")
	if !ok {
		return "", false
	}
	digits, ok := strings.CutSuffix(rest, ".dat")
	if !ok || digits == "" {
		return "", false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return "", false
		}
	}
	return strings.TrimLeft(digits, "0"), true
}

// compareDecimal compares two decimal numbers written without leading zeros.
func compareDecimal(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}

// readXorKey reads the obfuscation key in dir/xor.dat. It returns nil when
// the file does not exist or the key is all zero.
func readXorKey(dir string) (*[8]byte, error) {
	path := filepath.Join(dir, xorKeyFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open block files: read obfuscation key: %w", err)
	}
	if len(data) != 8 {
		return nil, fmt.Errorf("open block files: obfuscation key %s has %d bytes, want 8", path, len(data))
	}
	key := [8]byte(data)
	if key == [8]byte{} {
		return nil, nil
	}
	return &key, nil
}

// scanPath opens the blk file at path, scans it as file number index and
// closes it, so that only one file is open during OpenBlockFiles.
func (s *blockScan) scanPath(ctx context.Context, index int32, path string, key *[8]byte) (_ *blkFile, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open block files: %w", err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("open block files: %w", cerr)
		}
	}()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("open block files: %w", err)
	}
	if st.IsDir() {
		return nil, fmt.Errorf("open block files: %s is a directory, not a blk file", path)
	}
	b := &blkFile{path: path, size: st.Size()}
	if key != nil {
		b.key, b.xored = *key, true
	}
	if err := s.scanFile(ctx, index, b, f); err != nil {
		return nil, err
	}
	return b, nil
}

// readAt fills p from r, an open handle of the file, at off and removes the
// obfuscation. It fails unless all of p can be read.
func (b *blkFile) readAt(r io.ReaderAt, p []byte, off int64) error {
	n, err := r.ReadAt(p, off)
	if n == len(p) {
		err = nil
	} else if err == nil || errors.Is(err, io.EOF) {
		err = fmt.Errorf("file %s offset %d: read %d of %d bytes: %w", b.path, off, n, len(p), io.ErrUnexpectedEOF)
	} else {
		err = fmt.Errorf("file %s offset %d: %w", b.path, off, err)
	}
	b.unxor(p[:n], off)
	return err
}

// unxor removes the obfuscation from p, which was read at file offset off.
func (b *blkFile) unxor(p []byte, off int64) {
	if !b.xored {
		return
	}
	for i := range p {
		p[i] ^= b.key[(off+int64(i))&7]
	}
}

// isPad reports whether the de-obfuscated byte c at file offset off is
// padding: zero either before or after obfuscation, because Bitcoin Core
// pre-allocates files with plain zeros.
func (b *blkFile) isPad(c byte, off int64) bool {
	return c == 0 || (b.xored && c == b.key[off&7])
}

// frameLoc is where the scan found a block.
type frameLoc struct {
	file   int32
	size   uint32
	offset int64
}

// blockScan is the state of OpenBlockFiles' scan: headers found so far,
// their locations, and problems.
type blockScan struct {
	net      Network
	magic    [4]byte
	index    *chainIndex
	locs     []frameLoc // parallel to index.entries
	problems []error
	buf      []byte

	// The current file, an open handle of it, and the chunk of it held
	// in buf.
	file   *blkFile
	r      io.ReaderAt
	bufOff int64
	bufLen int
	// readLen is how much a read for a frame fetches, scanChunk or
	// scanPeek depending on the size of the previous block.
	readLen int
}

// window returns up to n de-obfuscated bytes of the current file at off;
// fewer only at the end of the file. The bytes are valid until the next
// call.
func (s *blockScan) window(off int64, n int) ([]byte, error) {
	if off >= s.bufOff && off+int64(n) <= s.bufOff+int64(s.bufLen) {
		start := off - s.bufOff
		return s.buf[start : start+int64(n)], nil
	}
	want := int64(min(max(n, s.readLen), len(s.buf)))
	if rest := s.file.size - off; rest < want {
		want = max(rest, 0)
	}
	s.bufOff, s.bufLen = off, 0
	if err := s.file.readAt(s.r, s.buf[:want], off); err != nil {
		return nil, err
	}
	s.bufLen = int(want)
	return s.buf[:min(n, s.bufLen)], nil
}

// skipPad returns the offset of the first byte after off that is not
// padding or could start a frame of the scanned network. The byte at off is
// taken to be padding.
func (s *blockScan) skipPad(off int64) (int64, error) {
	off++
	for off < s.file.size {
		p, err := s.window(off, len(s.buf))
		if err != nil {
			return 0, err
		}
		i := s.padWords(p, off)
		for ; i < len(p); i++ {
			if c := p[i]; c == s.magic[0] || !s.file.isPad(c, off+int64(i)) {
				return off + int64(i), nil
			}
		}
		off += int64(len(p))
	}
	return off, nil
}

// padWords returns the length of a prefix of p, read at file offset off,
// made of whole 8-byte words of padding without a byte that could start a
// frame. It lets skipPad pass megabytes of padding quickly.
func (s *blockScan) padWords(p []byte, off int64) int {
	f := s.file
	var keyWord uint64
	if f.xored {
		keyWord = binary.LittleEndian.Uint64(f.key[:])
	}
	if s.magic[0] == 0 || (f.xored && bytes.IndexByte(f.key[:], s.magic[0]) >= 0) {
		return 0
	}
	i := 0
	for ; i+8 <= len(p); i += 8 {
		w := binary.LittleEndian.Uint64(p[i:])
		// Plain zeros in an obfuscated file read back as the key,
		// rotated to the offset.
		if w != 0 && (!f.xored || w != bits.RotateLeft64(keyWord, -8*int((off+int64(i))&7))) {
			break
		}
	}
	return i
}

// problem records a frame error that ends the scan of the current file.
func (s *blockScan) problem(off int64, kind error, format string, args ...any) {
	s.problems = append(s.problems, &FrameError{File: s.file.path, Offset: off, Kind: kind, Detail: fmt.Sprintf(format, args...)})
}

// scanFile reads the frames of one file from r, recording each block's
// header and location. It returns only I/O errors and cancellation.
func (s *blockScan) scanFile(ctx context.Context, fileIndex int32, f *blkFile, r io.ReaderAt) error {
	s.file, s.r, s.bufOff, s.bufLen, s.readLen = f, r, 0, 0, scanChunk
	var frames int
	for off := int64(0); off < f.size; {
		if frames++; frames%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("open block files: %w", err)
			}
		}
		p, err := s.window(off, framePrefixLen)
		if err != nil {
			return fmt.Errorf("open block files: %w", err)
		}
		if len(p) >= 4 && [4]byte(p[:4]) == s.magic {
			if len(p) < framePrefixLen {
				s.problem(off, ErrTruncatedFrame, "file ends %d bytes into a frame prefix", len(p))
				return nil
			}
		} else if f.isPad(p[0], off) {
			if off, err = s.skipPad(off); err != nil {
				return fmt.Errorf("open block files: %w", err)
			}
			continue
		} else if len(p) < 4 {
			if bytes.HasPrefix(s.magic[:], p) {
				s.problem(off, ErrTruncatedFrame, "file ends %d bytes into a frame prefix", len(p))
			} else {
				s.problem(off, ErrBadMagic, "bad magic 0x%x at the end of the file, expected 0x%x (%s)", p, s.magic, s.net.Name)
			}
			return nil
		} else {
			m := binary.LittleEndian.Uint32(p[:4])
			if other, ok := NetworkByMagic(wire.BitcoinNet(m)); ok {
				s.problem(off, ErrWrongNetwork, "block of network %s, expected %s", other.Name, s.net.Name)
			} else {
				s.problem(off, ErrBadMagic, "bad magic 0x%x, expected 0x%x (%s)", p[:4], s.magic, s.net.Name)
			}
			return nil
		}

		length := binary.LittleEndian.Uint32(p[4:8])
		if length < blockHeaderLen || length > maxFrameLen {
			s.problem(off, ErrBadFrameLength, "frame length %d is not a block size (%d to %d bytes)", length, blockHeaderLen, maxFrameLen)
			return nil
		}
		body := off + framePrefixLen
		if end := body + int64(length); end > f.size {
			s.problem(off, ErrTruncatedFrame, "frame of %d bytes runs %d bytes past the end of the file", length, end-f.size)
			return nil
		}
		hdr, err := s.window(body, blockHeaderLen)
		if err != nil {
			return fmt.Errorf("open block files: %w", err)
		}
		e := headerEntry{
			hash: chainhash.DoubleHashH(hdr),
			prev: chainhash.Hash(hdr[4:36]),
			bits: binary.LittleEndian.Uint32(hdr[72:76]),
		}
		if _, added := s.index.add(e); added {
			s.locs = append(s.locs, frameLoc{file: fileIndex, size: length, offset: body})
		}
		off = body + int64(length)
		s.readLen = scanChunk
		if length > scanChunk/4 {
			s.readLen = scanPeek
		}
	}
	return nil
}
