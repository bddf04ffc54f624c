package sim

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"

	"github.com/btcsuite/btcd/wire/v2"
)

// maxBlockFileSize is Bitcoin Core's limit on the size of one blk*.dat file.
const maxBlockFileSize = 128 << 20

// blockWriter appends framed blocks to blk00000.dat, blk00001.dat, ... in a
// directory, starting a new file whenever the next frame would take the
// current one past maxBlockFileSize. Each frame is the network magic, the
// block length as a little-endian uint32 and the serialized block. Files are
// not padded.
type blockWriter struct {
	dir   string
	magic [4]byte
	limit int64

	f     *os.File
	w     *bufio.Writer
	size  int64 // bytes in the current file
	files []string
	total int64
	buf   bytes.Buffer
}

// newBlockWriter prepares writing files for network net into dir.
func newBlockWriter(dir string, net wire.BitcoinNet) *blockWriter {
	bw := &blockWriter{dir: dir, limit: maxBlockFileSize}
	binary.LittleEndian.PutUint32(bw.magic[:], uint32(net))
	return bw
}

// write appends blk to the current file.
func (bw *blockWriter) write(blk *wire.MsgBlock) error {
	bw.buf.Reset()
	if err := blk.Serialize(&bw.buf); err != nil {
		return fmt.Errorf("serialize block %s: %w", blk.BlockHash(), err)
	}
	frame := int64(8 + bw.buf.Len())
	if bw.f == nil || (bw.size > 0 && bw.size+frame > bw.limit) {
		if err := bw.next(); err != nil {
			return err
		}
	}
	var hdr [8]byte
	copy(hdr[:4], bw.magic[:])
	binary.LittleEndian.PutUint32(hdr[4:], uint32(bw.buf.Len()))
	if _, err := bw.w.Write(hdr[:]); err != nil {
		return fmt.Errorf("write %s at offset %d: %w", bw.f.Name(), bw.size, err)
	}
	if _, err := bw.w.Write(bw.buf.Bytes()); err != nil {
		return fmt.Errorf("write %s at offset %d: %w", bw.f.Name(), bw.size+8, err)
	}
	bw.size += frame
	bw.total += frame
	return nil
}

// next closes the current file and creates the next one.
func (bw *blockWriter) next() error {
	if err := bw.closeFile(); err != nil {
		return err
	}
	path := filepath.Join(bw.dir, fmt.Sprintf("blk%05d.dat", len(bw.files)))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("create block file: %w", err)
	}
	bw.f, bw.size = f, 0
	if bw.w == nil {
		bw.w = bufio.NewWriterSize(f, 1<<20)
	} else {
		bw.w.Reset(f)
	}
	bw.files = append(bw.files, path)
	return nil
}

// closeFile flushes and closes the current file, if any.
func (bw *blockWriter) closeFile() error {
	if bw.f == nil {
		return nil
	}
	f := bw.f
	bw.f = nil
	if err := bw.w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", f.Name(), err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", f.Name(), err)
	}
	return nil
}

// close flushes and closes the last file.
func (bw *blockWriter) close() error {
	return bw.closeFile()
}
