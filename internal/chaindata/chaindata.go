// Package chaindata finds the real mainnet blocks that ship in the btcd
// modules' test data, for the demo, the benchmarks and the tests.
//
// The modules are dependencies of spoor, so the go command has them in its
// module cache; ModuleDir asks it where (downloading them if needed).
package chaindata

import (
	"bytes"
	"compress/bzip2"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
)

// Module versions whose test data spoor reads. They must match go.mod.
const (
	BtcdModule  = "github.com/btcsuite/btcd@v0.26.2"
	BtcdWireV2  = "github.com/btcsuite/btcd/wire/v2@v2.0.1"
	blk0To14131 = "blockchain/testdata/blk_0_to_14131.dat"
	block277647 = "blockchain/testdata/277647.dat.bz2"
	block574200 = "testdata/block-0000000000000000001602407ac49862a7bca9d00f7f402db20b7be2f5de59d2.blk"
	block540107 = "testdata/block-00000000000000000021868c2cefc52a480d173c849412fe81c4e5ab806f94ab.blk"
)

// ModuleDir returns the directory of module (path@version) in the module
// cache.
func ModuleDir(ctx context.Context, module string) (string, error) {
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", module)
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go mod download %s: %w: %s", module, err, out.String())
	}
	var info struct{ Dir, Error string }
	if err := json.Unmarshal(out.Bytes(), &info); err != nil {
		return "", fmt.Errorf("go mod download %s: %w", module, err)
	}
	if info.Error != "" || info.Dir == "" {
		return "", fmt.Errorf("go mod download %s: %s", module, info.Error)
	}
	return info.Dir, nil
}

// MainnetBlk0To14131 returns the path of a real Bitcoin Core blk file
// holding mainnet blocks 0 to 14131 (then zero padding, as Core leaves it).
func MainnetBlk0To14131(ctx context.Context) (string, error) {
	dir, err := ModuleDir(ctx, BtcdModule)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, blk0To14131), nil
}

// Block is one real mainnet block from the module test data.
type Block struct {
	Height int32
	Raw    []byte
}

// LargeBlocks returns real mainnet blocks from later eras: 277647 (2013,
// 213 transactions), 540107 (2018, 230 transactions with 7,033 inputs) and
// 574200 (2019, 3,315 transactions, segwit).
func LargeBlocks(ctx context.Context) ([]Block, error) {
	btcd, err := ModuleDir(ctx, BtcdModule)
	if err != nil {
		return nil, err
	}
	wire, err := ModuleDir(ctx, BtcdWireV2)
	if err != nil {
		return nil, err
	}
	framed, err := readBzip2(filepath.Join(btcd, block277647))
	if err != nil {
		return nil, err
	}
	if len(framed) < 8 {
		return nil, fmt.Errorf("%s: too short", block277647)
	}
	blocks := []Block{{Height: 277647, Raw: framed[8:]}}
	for _, b := range []struct {
		height int32
		path   string
	}{{540107, block540107}, {574200, block574200}} {
		raw, err := os.ReadFile(filepath.Join(wire, b.path))
		if err != nil {
			return nil, err
		}
		blocks = append(blocks, Block{Height: b.height, Raw: raw})
	}
	return blocks, nil
}

func readBzip2(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(bzip2.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return b, nil
}
