package sim

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/btcsuite/btcd/wire/v2"
)

func TestBlockWriterRollover(t *testing.T) {
	params := &chaincfg.RegressionNetParams
	genesis := params.GenesisBlock
	frame := int64(8 + genesis.SerializeSize())
	tests := []struct {
		name      string
		limit     int64
		blocks    int
		wantFiles int
	}{
		{"all in one file", 10 * frame, 10, 1},
		{"exactly full files", 2 * frame, 6, 3},
		{"one frame short", 3*frame - 1, 6, 3},
		{"frame larger than the limit", frame / 2, 3, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			bw := newBlockWriter(dir, params.Net)
			bw.limit = tt.limit
			for range tt.blocks {
				if err := bw.write(genesis); err != nil {
					t.Fatal(err)
				}
			}
			if err := bw.close(); err != nil {
				t.Fatal(err)
			}
			if len(bw.files) != tt.wantFiles {
				t.Fatalf("%d files, want %d", len(bw.files), tt.wantFiles)
			}
			var total int64
			for i, p := range bw.files {
				if want := filepath.Join(dir, fmt.Sprintf("blk%05d.dat", i)); p != want {
					t.Errorf("file %d is %s, want %s", i, p, want)
				}
				st, err := os.Stat(p)
				if err != nil {
					t.Fatal(err)
				}
				if st.Size() > max(tt.limit, frame) {
					t.Errorf("%s has %d bytes, limit %d", p, st.Size(), tt.limit)
				}
				total += st.Size()
			}
			if total != bw.total || total != int64(tt.blocks)*frame {
				t.Errorf("files hold %d bytes, writer counted %d, want %d", total, bw.total, int64(tt.blocks)*frame)
			}
			got := readBlocks(t, bw.files)
			if len(got) != tt.blocks {
				t.Fatalf("read %d blocks, want %d", len(got), tt.blocks)
			}
			for _, b := range got {
				if b.BlockHash() != *params.GenesisHash {
					t.Fatalf("read block %s, want genesis", b.BlockHash())
				}
			}
		})
	}
}

func TestBlockWriterMagic(t *testing.T) {
	dir := t.TempDir()
	bw := newBlockWriter(dir, wire.TestNet)
	if err := bw.write(chaincfg.RegressionNetParams.GenesisBlock); err != nil {
		t.Fatal(err)
	}
	if err := bw.close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(bw.files[0])
	if err != nil {
		t.Fatal(err)
	}
	// Bitcoin Core's regtest message start, as it appears on disk.
	if want := []byte{0xfa, 0xbf, 0xb5, 0xda}; string(data[:4]) != string(want) {
		t.Errorf("file starts with %x, want %x", data[:4], want)
	}
}
