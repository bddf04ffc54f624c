package api

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/spoorhq/spoor/chains/bitcoin"
	"github.com/spoorhq/spoor/indexer"
	"github.com/spoorhq/spoor/internal/chaindata"
	"github.com/spoorhq/spoor/internal/simindex"
	"github.com/spoorhq/spoor/storage"
)

// The real index shared by this package's tests: mainnet blocks 0..14131
// from the btcd module's test data, built once per test binary.
var shared struct {
	once sync.Once
	dir  string
	db   *storage.DB
	err  error
}

// testIndex returns the shared index, building it on first use.
func testIndex(tb testing.TB) *storage.DB {
	tb.Helper()
	shared.once.Do(func() {
		ctx := context.Background()
		shared.dir, shared.err = os.MkdirTemp("", "spoor-api-")
		if shared.err != nil {
			return
		}
		var path string
		if path, shared.err = chaindata.MainnetBlk0To14131(ctx); shared.err != nil {
			return
		}
		net, _ := bitcoin.LookupNetwork("mainnet")
		bf, err := bitcoin.OpenBlockFiles(ctx, net, path)
		if err != nil {
			shared.err = err
			return
		}
		defer bf.Close()
		db, err := storage.Open(filepath.Join(shared.dir, "db"), "bitcoin/mainnet", nil)
		if err != nil {
			shared.err = err
			return
		}
		ix, err := indexer.New(db, bitcoin.FileSource{Files: bf}, indexer.Config{})
		if err == nil {
			err = ix.Run(ctx)
		}
		if err != nil {
			db.Close()
			shared.err = err
			return
		}
		shared.db = db
	})
	if shared.err != nil {
		tb.Fatal(shared.err)
	}
	return shared.db
}

// testSchema returns the Bitcoin schema over the shared index.
func testSchema(tb testing.TB) *Schema {
	tb.Helper()
	db := testIndex(tb)
	net, _ := bitcoin.LookupNetwork("mainnet")
	s, err := NewSchema(SchemaOptions{Log: slog.New(slog.NewTextHandler(io.Discard, nil))},
		BitcoinArea(Bitcoin{DB: db, Net: net}, db.Chain(), []string{indexer.ChainIndexName, indexer.AddrIndexName}))
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func TestMain(m *testing.M) {
	code := m.Run()
	closeDetectWorld()
	if goldenOnce.w != nil {
		closeSimWorld(goldenOnce.w.x)
	}
	closeSimWorld(simWorld.x)
	if shared.db != nil {
		shared.db.Close()
	}
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

// closeSimWorld closes a simulated world's index and removes its
// directory (the parent of its blocks), if the world was built.
func closeSimWorld(x *simindex.Index) {
	if x == nil {
		return
	}
	x.DB.Close()
	os.RemoveAll(filepath.Dir(x.Blocks))
}

func mustNet(tb testing.TB) bitcoin.Network {
	net, err := bitcoin.LookupNetwork("mainnet")
	if err != nil {
		tb.Fatal(err)
	}
	return net
}
