package cluster

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"
	"github.com/spoorhq/spoor/chains/bitcoin"
	"github.com/spoorhq/spoor/chains/bitcoin/sim"
	"github.com/spoorhq/spoor/indexer"
	"github.com/spoorhq/spoor/storage"
)

// world is a simulated regtest chain shared by the tests of the package.
type world struct {
	dir    string
	blocks [][]byte
}

var (
	worldOnce sync.Once
	worldDir  string
	theWorld  *world
	worldErr  error
)

// simWorld generates, once per test binary, a chain of a few thousand
// transactions with CoinJoins of every simulated protocol and an exchange,
// about 200 blocks (fewer transactions under the race detector).
func simWorld(t testing.TB) *world {
	t.Helper()
	worldOnce.Do(func() {
		dir, err := os.MkdirTemp("", "clustertest")
		if err != nil {
			worldErr = err
			return
		}
		worldDir = dir
		out := filepath.Join(dir, "chain")
		ctx := context.Background()
		opts := sim.Options{Seed: 7, Txs: 6000, TxsPerBlock: 60, CoinJoins: 40}
		if raceEnabled {
			opts = sim.Options{Seed: 7, Txs: 2500, TxsPerBlock: 40, CoinJoins: 100}
		}
		if _, err := sim.Generate(ctx, out, opts); err != nil {
			worldErr = err
			return
		}
		net, _ := bitcoin.LookupNetwork("regtest")
		bf, err := bitcoin.OpenBlockFiles(ctx, net, out)
		if err != nil {
			worldErr = err
			return
		}
		defer bf.Close()
		w := &world{dir: out}
		for h := int32(0); ; h++ {
			raw, err := bf.ReadBlock(ctx, h)
			if err != nil {
				break
			}
			w.blocks = append(w.blocks, raw)
		}
		theWorld = w
	})
	if worldErr != nil {
		t.Fatal(worldErr)
	}
	return theWorld
}

func TestMain(m *testing.M) {
	code := m.Run()
	if worldDir != "" {
		os.RemoveAll(worldDir)
	}
	os.Exit(code)
}

// memSource serves raw blocks from memory.
type memSource struct {
	mu     sync.Mutex
	blocks [][]byte
}

func (m *memSource) Tip(context.Context) (int32, chainhash.Hash, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	h := int32(len(m.blocks) - 1)
	return h, blockHash(m.blocks[h]), nil
}

func (m *memSource) HashAt(_ context.Context, h int32) (chainhash.Hash, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if h < 0 || int(h) >= len(m.blocks) {
		return chainhash.Hash{}, fmt.Errorf("no block at %d", h)
	}
	return blockHash(m.blocks[h]), nil
}

func (m *memSource) ReadBlock(_ context.Context, h int32) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if h < 0 || int(h) >= len(m.blocks) {
		return nil, fmt.Errorf("no block at %d", h)
	}
	return m.blocks[h], nil
}

func blockHash(raw []byte) chainhash.Hash {
	var hdr wire.BlockHeader
	_ = hdr.Deserialize(bytes.NewReader(raw))
	return hdr.BlockHash()
}

// forkBlocks returns base[:from] followed by copies of base[from..to]
// whose coinbases (and so hashes) differ: a competing branch.
func forkBlocks(t testing.TB, base [][]byte, from, to int32) [][]byte {
	t.Helper()
	out := append([][]byte(nil), base[:from]...)
	prev := blockHash(out[from-1])
	for h := from; h <= to; h++ {
		var mb wire.MsgBlock
		if err := mb.Deserialize(bytes.NewReader(base[h])); err != nil {
			t.Fatal(err)
		}
		cb := mb.Transactions[0]
		cb.TxIn[0].SignatureScript = append([]byte{0x04, 'f', 'o', 'r', 'k'}, cb.TxIn[0].SignatureScript...)
		ids := make([]chainhash.Hash, len(mb.Transactions))
		for i, tx := range mb.Transactions {
			ids[i] = tx.TxHash()
		}
		mb.Header.MerkleRoot = bitcoin.MerkleRoot(ids)
		mb.Header.PrevBlock = prev
		var buf bytes.Buffer
		if err := mb.Serialize(&buf); err != nil {
			t.Fatal(err)
		}
		out = append(out, buf.Bytes())
		prev = mb.Header.BlockHash()
	}
	return out
}

func openDB(t testing.TB) *storage.DB {
	t.Helper()
	db, err := storage.Open(t.TempDir(), "bitcoin/regtest", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func defaultSet(t testing.TB) *Set {
	t.Helper()
	s, err := NewSet(Config{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// runIndex indexes src into db with the address index and, if set is not
// nil, the active clustering (created with set if there is none).
func runIndex(t testing.TB, db *storage.DB, src indexer.Source, set *Set, cfg indexer.Config) {
	t.Helper()
	indexes := []indexer.Index{indexer.AddrIndex{}}
	if set != nil {
		idx, err := OpenIndex(db, set, nil)
		if err != nil {
			t.Fatal(err)
		}
		indexes = append(indexes, idx)
	}
	ix, err := indexer.New(db, src, cfg, indexes...)
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// clusterDump returns the rows of the given cluster tables, with the
// generation number of each key masked so that two generations compare.
func clusterDump(t testing.TB, db *storage.DB, tags string) string {
	t.Helper()
	var buf bytes.Buffer
	if err := db.Dump(&buf); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(buf.String(), "\n") {
		if len(line) > 10 && strings.ContainsRune(tags, rune(line[0])) && line[1] == ' ' {
			out = append(out, line[:2]+"gen"+line[10:])
		}
	}
	return strings.Join(out, "\n")
}

func firstDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(la) && i < len(lb); i++ {
		if la[i] != lb[i] {
			return fmt.Sprintf("line %d:\n got  %.300s\n want %.300s", i+1, la[i], lb[i])
		}
	}
	return fmt.Sprintf("lengths %d vs %d lines", len(la), len(lb))
}
