package cluster

import (
	"context"
	"errors"
	"testing"

	"github.com/btcsuite/btcd/rpcclient"
	"github.com/btcsuite/btcd/wire/v2"
	"github.com/spoorhq/spoor/chains/bitcoin"
	"github.com/spoorhq/spoor/indexer"
	"github.com/spoorhq/spoor/internal/btcdtest"
	"github.com/spoorhq/spoor/internal/chaindata"
	"github.com/spoorhq/spoor/storage"
)

func keySet(t testing.TB) *Set {
	t.Helper()
	s, err := NewSet(Config{Heuristics: []string{"address-equivalence/1", "multi-input/1", "key-equivalence/1"}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestKeyEquivalenceRegtest pays one key in its P2PKH, P2WPKH and
// P2SH-P2WPKH forms on a real btcd node, spends each form's coin alone
// (so that multi-input links nothing), and checks that the forms the
// index has are joined by key-equivalence/1 with the revealing
// transaction as evidence, that keys with one form stay alone, and that
// the block-by-block index (in one bulk batch) equals the in-memory build.
func TestKeyEquivalenceRegtest(t *testing.T) {
	ctx := context.Background()
	net, err := bitcoin.LookupNetwork("regtest")
	if err != nil {
		t.Fatal(err)
	}
	w := btcdtest.NewWallet("spoor-cluster-keys", net.Params)
	n := btcdtest.Start(t, btcdtest.Options{MiningAddr: w.Address(btcdtest.KindP2PKH, 0), RejectNonStd: true,
		ExtraArgs: []string{"--utxocachemaxsize=8"}})
	c := n.Client(t)
	n.Generate(t, 101)
	funding := n.MatureCoinbase(t, w, 1)[0]

	// Block 102 pays: key 5 in three forms; key 7 as P2PKH and P2WPKH; key
	// 9 as P2SH-P2WPKH and P2WPKH; keys 6 and 8 as P2WPKH only; change.
	type out struct {
		kind btcdtest.Kind
		key  int
	}
	outs := []out{{btcdtest.KindP2PKH, 5}, {btcdtest.KindP2WPKH, 5}, {btcdtest.KindP2SHP2WPKH, 5},
		{btcdtest.KindP2PKH, 7}, {btcdtest.KindP2WPKH, 7}, {btcdtest.KindP2SHP2WPKH, 9}, {btcdtest.KindP2WPKH, 9},
		{btcdtest.KindP2WPKH, 6}, {btcdtest.KindP2WPKH, 8}}
	var txOuts []*wire.TxOut
	for _, o := range outs {
		txOuts = append(txOuts, wire.NewTxOut(10_000_000, w.PkScript(o.kind, o.key)))
	}
	txOuts = append(txOuts, wire.NewTxOut(funding.Value-int64(len(outs))*10_000_000-20_000, w.PkScript(btcdtest.KindP2PKH, 1)))
	pay, err := w.Spend([]btcdtest.Coin{funding}, txOuts)
	if err != nil {
		t.Fatal(err)
	}
	send(t, c, pay)
	n.Generate(t, 1)

	// Block 103 spends, one per transaction: key 5's P2PKH coin, key 7's
	// P2WPKH coin, key 9's P2SH-P2WPKH coin, key 6's and key 8's coins.
	spends := map[string]*wire.MsgTx{}
	for i, o := range outs {
		if o == (out{btcdtest.KindP2WPKH, 5}) || o == (out{btcdtest.KindP2SHP2WPKH, 5}) || o == (out{btcdtest.KindP2PKH, 7}) ||
			o == (out{btcdtest.KindP2WPKH, 9}) {
			continue
		}
		coin, err := w.CoinFromTx(pay, uint32(i), o.kind, o.key)
		if err != nil {
			t.Fatal(err)
		}
		tx, err := w.Spend([]btcdtest.Coin{coin}, []*wire.TxOut{wire.NewTxOut(coin.Value-5_000, w.PkScript(btcdtest.KindP2TR, 100+i))})
		if err != nil {
			t.Fatal(err)
		}
		send(t, c, tx)
		spends[w.Address(o.kind, o.key)] = tx
	}
	n.Generate(t, 3) // blocks 104 and 105 put 102 and 103 below the finality depth of 1

	src, err := bitcoin.NewRPCSource(bitcoin.RPCConfig{URL: n.RPCURL(), User: n.RPCUser, Pass: n.RPCPass})
	if err != nil {
		t.Fatal(err)
	}
	set := keySet(t)
	// One bulk batch: block 103's spends must see the addresses block 102
	// numbered before they are committed.
	bulk := indexer.Config{FinalityDepth: 1, BulkBatchBytes: 1 << 30, BulkCommitInterval: 1 << 40}
	index := func(db *storage.DB, blocks BlockReader) error {
		idx, err := OpenIndex(db, set, nil)
		if err != nil {
			t.Fatal(err)
		}
		if blocks != nil {
			idx.ReadBlocksFrom(ctx, blocks)
		}
		ix, err := indexer.New(db, src, bulk, indexer.AddrIndex{}, idx)
		if err != nil {
			t.Fatal(err)
		}
		return ix.Run(ctx)
	}
	if err := index(openDB(t), nil); !errors.Is(err, errNoBlocks) {
		t.Fatalf("indexing with key-equivalence/1 and no block source: %v, want %v", err, errNoBlocks)
	}
	db := openDB(t)
	if err := index(db, src); err != nil {
		t.Fatal(err)
	}
	live := clusterDump(t, db, "CMVJH")

	v, err := NewViews(db, net)
	if err != nil {
		t.Fatal(err)
	}
	addr := func(kind btcdtest.Kind, key int) string { return w.Address(kind, key) }
	for _, c := range []struct {
		name     string
		a, b     string
		revealer string // the spent address whose transaction links them
	}{
		{"key 5 P2PKH-P2WPKH", addr(btcdtest.KindP2PKH, 5), addr(btcdtest.KindP2WPKH, 5), addr(btcdtest.KindP2PKH, 5)},
		{"key 5 P2PKH-P2SH", addr(btcdtest.KindP2PKH, 5), addr(btcdtest.KindP2SHP2WPKH, 5), addr(btcdtest.KindP2PKH, 5)},
		{"key 7 P2WPKH-P2PKH", addr(btcdtest.KindP2WPKH, 7), addr(btcdtest.KindP2PKH, 7), addr(btcdtest.KindP2WPKH, 7)},
		{"key 9 P2SH-P2WPKH", addr(btcdtest.KindP2SHP2WPKH, 9), addr(btcdtest.KindP2WPKH, 9), addr(btcdtest.KindP2SHP2WPKH, 9)},
	} {
		why, err := v.Why(c.a, c.b, 0)
		if err != nil {
			t.Fatal(err)
		}
		want := spends[c.revealer].TxHash().String()
		if !why.Same || len(why.Steps) != 1 || why.Steps[0].Rule != "key-equivalence/1" || why.Steps[0].Txid != want || why.Steps[0].Confidence != 100 {
			t.Errorf("%s: %+v, want one key-equivalence/1 step in tx %s", c.name, why, want)
		}
	}
	for _, a := range []string{addr(btcdtest.KindP2WPKH, 6), addr(btcdtest.KindP2WPKH, 8), addr(btcdtest.KindP2PKH, 1)} {
		cv, err := v.Cluster(a, 10, "")
		if err != nil {
			t.Fatal(err)
		}
		if cv.Size != 1 {
			t.Errorf("%s, the only form of its key the index has, is in a cluster of %d: %v", a, cv.Size, cv.Members)
		}
	}
	if why, err := v.Why(addr(btcdtest.KindP2PKH, 5), addr(btcdtest.KindP2PKH, 7), 0); err != nil || why.Same {
		t.Errorf("keys 5 and 7 share a cluster (%v)", err)
	}

	// The in-memory build gives the same tables, and refuses to run
	// without the source.
	if _, err := RebuildFrom(ctx, db, set, 0, nil, nil); !errors.Is(err, errNoBlocks) {
		t.Fatalf("rebuild without a source: %v, want %v", err, errNoBlocks)
	}
	sum, err := RebuildFrom(ctx, db, set, 0, src, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Merges != 5 {
		t.Errorf("build made %d merges, want the 4 key links and the genesis P2PK key's address-equivalence/1 link", sum.Merges)
	}
	if got := clusterDump(t, db, "CMVJH"); got != live {
		t.Fatalf("the in-memory build differs from the block-by-block index:\n%s", firstDiff(got, live))
	}
}

func send(t testing.TB, c *rpcclient.Client, tx *wire.MsgTx) {
	t.Helper()
	if _, err := c.SendRawTransaction(tx, false); err != nil {
		t.Fatalf("sendrawtransaction %s: %v", tx.TxHash(), err)
	}
}

// TestKeyEquivalenceEarlyMainnet clusters the real first 14,132 mainnet
// blocks with key-equivalence/1, reading the inputs' scriptSigs from the
// blk file. Nearly every spend of that era is a P2PK spend, which reveals
// no key; the few P2PKH spends of keys that also have a P2PK form reveal
// keys whose forms address equivalence already joined through the
// index's key links, so the rule must find such links and add no merge.
func TestKeyEquivalenceEarlyMainnet(t *testing.T) {
	ctx := context.Background()
	path, err := chaindata.MainnetBlk0To14131(ctx)
	if err != nil {
		t.Fatal(err)
	}
	net, _ := bitcoin.LookupNetwork("mainnet")
	bf, err := bitcoin.OpenBlockFiles(ctx, net, path)
	if err != nil {
		t.Fatal(err)
	}
	defer bf.Close()
	src := bitcoin.FileSource{Files: bf}
	db, err := storage.Open(t.TempDir(), "bitcoin/mainnet", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	runIndex(t, db, src, nil, indexer.Config{})
	tip, _, err := db.Tip(indexer.ChainIndexName)
	if err != nil {
		t.Fatal(err)
	}
	base, err := Build(ctx, db, 1, defaultSet(t), int32(tip.Height), 0)
	if err != nil {
		t.Fatal(err)
	}
	want := clusterDump(t, db, "CM")
	withKeys, err := BuildFrom(ctx, db, 2, keySet(t), int32(tip.Height), 0, src)
	if err != nil {
		t.Fatal(err)
	}
	if withKeys.Links <= base.Links {
		t.Fatalf("key-equivalence/1 found no link in 14,132 mainnet blocks (%d links with it, %d without)", withKeys.Links, base.Links)
	}
	if withKeys.Merges != base.Merges {
		t.Errorf("key-equivalence/1 made %d merges beyond the default set's %d: early mainnet has no key form address equivalence misses",
			withKeys.Merges-base.Merges, base.Merges)
	}
	b := db.NewBatch()
	if err := b.DeleteGeneration(1, IndexName(1)); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(true); err != nil {
		t.Fatal(err)
	}
	b.Close()
	if got := clusterDump(t, db, "CM"); got != want {
		t.Fatalf("clusters with key-equivalence/1 differ from the default set's:\n%s", firstDiff(got, want))
	}
}
