package indexer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"
	"github.com/spoorhq/spoor/chains/bitcoin"
	"github.com/spoorhq/spoor/internal/chaindata"
	"github.com/spoorhq/spoor/storage"
)

// openMainnetFiles opens the real mainnet blocks 0..14131.
func openMainnetFiles(t testing.TB) *bitcoin.BlockFiles {
	t.Helper()
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
	t.Cleanup(func() { bf.Close() })
	return bf
}

func openDB(t testing.TB) *storage.DB {
	t.Helper()
	db, err := storage.Open(t.TempDir(), "bitcoin/mainnet", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func runIndexer(t testing.TB, db *storage.DB, src Source, cfg Config) {
	t.Helper()
	ix, err := New(db, src, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func mustHash(t testing.TB, s string) [32]byte {
	t.Helper()
	h, err := chainhash.NewHashFromStr(s)
	if err != nil {
		t.Fatal(err)
	}
	return *h
}

func dump(t testing.TB, db *storage.DB) string {
	t.Helper()
	var buf bytes.Buffer
	if err := db.Dump(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// TestIndexMainnetHistory indexes the real first 14,132 mainnet blocks and
// checks facts about them that are public record.
func TestIndexMainnetHistory(t *testing.T) {
	db := openDB(t)
	runIndexer(t, db, bitcoin.FileSource{Files: openMainnetFiles(t)}, Config{})

	tip, ok, err := db.Tip(ChainIndexName)
	if err != nil || !ok || tip.Height != 14131 {
		t.Fatalf("chain tip = %+v %v %v, want height 14131", tip, ok, err)
	}
	if at, _, _ := db.Tip(AddrIndexName); at != tip {
		t.Fatalf("address index tip %+v differs from chain tip %+v", at, tip)
	}
	b11111, err := db.Block(11111)
	if err != nil {
		t.Fatal(err)
	}
	if b11111.Hash != mustHash(t, "0000000069e244f73d78e8fd29ba2fd2ed618bd6fa2ee92559f542fdb26e7c1d") {
		t.Fatalf("block 11111 hash %x is not the checkpoint", b11111.Hash)
	}
	if h, err := db.BlockHeight(b11111.Hash); err != nil || h != 11111 {
		t.Fatalf("height of the block 11111 hash = %d %v", h, err)
	}
	if _, err := db.BlockHeight([32]byte{1}); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("height of an unknown hash: %v, want ErrNotFound", err)
	}
	st, err := db.State()
	if err != nil {
		t.Fatal(err)
	}
	// 14,132 blocks with 14,247 transactions, 115 of which are not coinbases;
	// every coinbase of the era paid the 50 BTC subsidy plus fees.
	if st.Blocks != 14132 || st.Txs != 14247 || uint64(st.NextTxNum) != 14247 {
		t.Fatalf("state %+v: want 14132 blocks and 14247 txs", st)
	}
	if st.Minted != 14132*50e8+st.Fees {
		t.Fatalf("minted %d sat, want 14132 × 50 BTC + fees %d", st.Minted, st.Fees)
	}

	// Block 170: Satoshi pays Hal Finney 10 BTC, the first transaction
	// between two people, spending the coinbase of block 9.
	n, tx, err := db.LookupTxid(mustHash(t, "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16"))
	if err != nil {
		t.Fatal(err)
	}
	if tx.Height != 170 || tx.Index != 1 || tx.Fee != 0 || tx.NumIn != 1 || tx.NumOut != 2 {
		t.Fatalf("tx f4184fc5… = %+v", tx)
	}
	outs, err := db.Outputs(n)
	if err != nil {
		t.Fatal(err)
	}
	if len(outs) != 2 || outs[0].Value != 10e8 || outs[1].Value != 40e8 || outs[0].Class != uint8(bitcoin.ClassP2PK) {
		t.Fatalf("outputs of f4184fc5… = %+v", outs)
	}
	ins, err := db.Inputs(n)
	if err != nil {
		t.Fatal(err)
	}
	coinbase9, prev, err := db.LookupTxid(mustHash(t, "0437cd7f8525ceed2324359c2d0ba26006d92d856a9c20fa0241106ee5a597c9"))
	if err != nil {
		t.Fatal(err)
	}
	if prev.Height != 9 || len(ins) != 1 || ins[0].PrevTxNum != coinbase9 || ins[0].PrevVout != 0 || ins[0].Value != 50e8 {
		t.Fatalf("input of f4184fc5… = %+v, block 9 coinbase is tx %d %+v", ins, coinbase9, prev)
	}
	sp, err := db.Spender(coinbase9, 0)
	if err != nil || sp.TxNum != n || sp.Vin != 0 {
		t.Fatalf("spender of block 9 coinbase = %+v %v, want tx %d", sp, err, n)
	}
	// The change went back to the block 9 key: same address as the input.
	if outs[1].AddrID != ins[0].AddrID {
		t.Fatalf("change address %d differs from the spent address %d", outs[1].AddrID, ins[0].AddrID)
	}
	// The block 9 key's P2PKH form is 12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S.
	links, err := db.Links(ins[0].AddrID)
	if err != nil || len(links) != 1 {
		t.Fatalf("links of the block 9 key = %v %v", links, err)
	}
	rec, err := db.Address(links[0])
	if err != nil {
		t.Fatal(err)
	}
	net, _ := bitcoin.LookupNetwork("mainnet")
	addr, err := bitcoin.EncodeAddress(net, bitcoin.ScriptClass(rec.Class), rec.Payload)
	if err != nil || addr != "12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S" {
		t.Fatalf("P2PKH form of the block 9 key = %q %v", addr, err)
	}
	// The address index holds the receive in block 9 and the spend in 170.
	var roles []string
	err = db.Postings(ins[0].AddrID, nil, func(p storage.Posting) bool {
		if p.TxNum == coinbase9 || p.TxNum == n {
			roles = append(roles, fmt.Sprintf("%d:%s:%d", p.TxNum, p.Role, p.Amount))
		}
		return true
	})
	want := []string{fmt.Sprintf("%d:receive:5000000000", coinbase9), fmt.Sprintf("%d:receive:4000000000", n), fmt.Sprintf("%d:spend:5000000000", n)}
	if err != nil || fmt.Sprint(roles) != fmt.Sprint(want) {
		t.Fatalf("postings = %v %v, want %v", roles, err, want)
	}
}

// TestRestartResumes indexes in two runs and compares with one run.
func TestRestartResumes(t *testing.T) {
	src := bitcoin.FileSource{Files: openMainnetFiles(t)}
	one := openDB(t)
	runIndexer(t, one, src, Config{StopHeight: 3000})
	two := openDB(t)
	runIndexer(t, two, src, Config{StopHeight: 1200})
	runIndexer(t, two, src, Config{StopHeight: 3000, Workers: 1, Window: 1})
	if a, b := dump(t, one), dump(t, two); a != b {
		t.Fatalf("a restarted index differs from an uninterrupted one (%d vs %d bytes of dump)", len(a), len(b))
	}
}

// memSource serves blocks from memory and can switch branches, to cause a
// reorganization deterministically.
type memSource struct {
	mu     sync.Mutex
	blocks [][]byte
	fail   map[int32]error
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
	if err := m.fail[h]; err != nil {
		delete(m.fail, h) // fail once
		return nil, err
	}
	if h < 0 || int(h) >= len(m.blocks) {
		return nil, fmt.Errorf("no block at %d", h)
	}
	return m.blocks[h], nil
}

func (m *memSource) set(blocks [][]byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.blocks = blocks
}

func blockHash(raw []byte) chainhash.Hash {
	var hdr wire.BlockHeader
	_ = hdr.Deserialize(bytes.NewReader(raw))
	return hdr.BlockHash()
}

func realBlocks(t testing.TB, bf *bitcoin.BlockFiles, n int32) [][]byte {
	t.Helper()
	out := make([][]byte, n)
	for h := range n {
		raw, err := bf.ReadBlock(context.Background(), h)
		if err != nil {
			t.Fatal(err)
		}
		out[h] = raw
	}
	return out
}

// forkBlocks builds a competing branch on top of base: each block copies
// the real block at its height but changes the coinbase's script, so every
// txid and block hash differs. Proof of work is not valid; the indexer
// trusts its source for that.
func forkBlocks(t testing.TB, base [][]byte, real [][]byte, from, to int32) [][]byte {
	t.Helper()
	out := append([][]byte(nil), base[:from]...)
	prev := blockHash(out[from-1])
	for h := from; h <= to; h++ {
		var mb wire.MsgBlock
		if err := mb.Deserialize(bytes.NewReader(real[h])); err != nil {
			t.Fatal(err)
		}
		cb := mb.Transactions[0]
		cb.TxIn[0].SignatureScript = append([]byte{0x04, 0x66, 0x6f, 0x72, 0x6b}, cb.TxIn[0].SignatureScript...)
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

// TestReorgEqualsFreshIndex switches the source to a competing branch and
// checks that the index, after disconnecting and reconnecting, equals a
// fresh index of the final chain.
func TestReorgEqualsFreshIndex(t *testing.T) {
	real := realBlocks(t, openMainnetFiles(t), 400)
	// Block 170 spends block 9's coinbase; the fork starts below it, so the
	// disconnect must restore spent outputs and addresses.
	final := forkBlocks(t, real, real, 150, 190)
	src := &memSource{blocks: real[:300]}
	db := openDB(t)
	runIndexer(t, db, src, Config{FinalityDepth: 1000})
	src.set(final)
	runIndexer(t, db, src, Config{})

	fresh := openDB(t)
	runIndexer(t, fresh, &memSource{blocks: final}, Config{})
	if a, b := dump(t, db), dump(t, fresh); a != b {
		t.Fatalf("index after reorg differs from a fresh index of the final chain:\n%s", firstDiff(a, b))
	}
}

// TestFetchErrorKeepsGoodBlocks makes the source fail at one height: the
// blocks before it are committed, nothing after, and the error names it.
func TestFetchErrorKeepsGoodBlocks(t *testing.T) {
	real := realBlocks(t, openMainnetFiles(t), 200)
	errDrop := errors.New("connection reset by peer")
	src := &memSource{blocks: real, fail: map[int32]error{120: errDrop}}
	db := openDB(t)
	ix, err := New(db, src, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Run(context.Background()); !errors.Is(err, errDrop) {
		t.Fatalf("Run = %v, want the source's error", err)
	}
	tip, _, _ := db.Tip(ChainIndexName)
	if tip.Height != 119 {
		t.Fatalf("tip after a failure at 120 = %d, want 119", tip.Height)
	}
	delete(src.fail, 120)
	runIndexer(t, db, src, Config{})
	fresh := openDB(t)
	runIndexer(t, fresh, &memSource{blocks: real}, Config{})
	if a, b := dump(t, db), dump(t, fresh); a != b {
		t.Fatalf("resumed index differs:\n%s", firstDiff(a, b))
	}
}

// TestFollowRetriesSourceErrors makes the source fail once while the
// indexer follows it: the follower logs, waits and carries on.
func TestFollowRetriesSourceErrors(t *testing.T) {
	real := realBlocks(t, openMainnetFiles(t), 200)
	src := &memSource{blocks: real, fail: map[int32]error{120: errors.New("connection reset by peer")}}
	db := openDB(t)
	reached := make(chan struct{})
	var once sync.Once
	ix, err := New(db, src, Config{Follow: true, PollInterval: 10 * time.Millisecond, OnCommit: func(p Progress) {
		if p.Height == 199 {
			once.Do(func() { close(reached) })
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ix.Run(ctx) }()
	select {
	case <-reached:
	case err := <-done:
		t.Fatalf("Run stopped before the tip: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the follower did not recover from a source error")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run after cancel = %v, want nil", err)
	}
	fresh := openDB(t)
	runIndexer(t, fresh, &memSource{blocks: real}, Config{})
	if a, b := dump(t, db), dump(t, fresh); a != b {
		t.Fatalf("followed index differs:\n%s", firstDiff(a, b))
	}
}

// TestSourceServingDisconnectedBlock serves a block whose parent is not the
// source's own previous block: the indexer must give up with an error, not
// retry forever.
func TestSourceServingDisconnectedBlock(t *testing.T) {
	real := realBlocks(t, openMainnetFiles(t), 60)
	bad := forkBlocks(t, real, real, 50, 50)[50]
	var hdr wire.BlockHeader
	if err := hdr.Deserialize(bytes.NewReader(bad)); err != nil {
		t.Fatal(err)
	}
	// Point block 50 at block 48 and keep it otherwise valid.
	hdr.PrevBlock = blockHash(real[48])
	var buf bytes.Buffer
	if err := hdr.Serialize(&buf); err != nil {
		t.Fatal(err)
	}
	blocks := append([][]byte(nil), real[:50]...)
	blocks = append(blocks, append(buf.Bytes(), bad[80:]...))
	db := openDB(t)
	ix, err := New(db, &memSource{blocks: blocks}, Config{PollInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	err = ix.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "does not build on its own chain") {
		t.Fatalf("Run = %v", err)
	}
	if tip, _, _ := db.Tip(ChainIndexName); tip.Height != 49 {
		t.Fatalf("tip = %d, want 49", tip.Height)
	}
}

// TestCorruptBlockNamesHeight corrupts one block's merkle root.
func TestCorruptBlockNamesHeight(t *testing.T) {
	real := realBlocks(t, openMainnetFiles(t), 100)
	bad := append([]byte(nil), real[60]...)
	bad[40] ^= 0xff // inside the merkle root
	real[60] = bad
	db := openDB(t)
	ix, err := New(db, &memSource{blocks: real}, Config{})
	if err != nil {
		t.Fatal(err)
	}
	err = ix.Run(context.Background())
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("height 60")) || !bytes.Contains([]byte(err.Error()), []byte("merkle root")) {
		t.Fatalf("Run = %v, want a merkle root error naming height 60", err)
	}
	if tip, _, _ := db.Tip(ChainIndexName); tip.Height != 59 {
		t.Fatalf("tip = %d, want 59", tip.Height)
	}
}

func firstDiff(a, b string) string {
	la, lb := bytes.Split([]byte(a), []byte("\n")), bytes.Split([]byte(b), []byte("\n"))
	for i := 0; i < len(la) && i < len(lb); i++ {
		if !bytes.Equal(la[i], lb[i]) {
			return fmt.Sprintf("line %d:\n got  %s\n want %s", i+1, la[i], lb[i])
		}
	}
	return fmt.Sprintf("lengths %d vs %d lines", len(la), len(lb))
}
