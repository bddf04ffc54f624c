package ethereum

import (
	"context"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/spoorhq/spoor/internal/gethtest"
	"github.com/spoorhq/spoor/storage"
)

// probe is an Index that writes one row per block (a tip named after the
// height) and remembers the blocks it was given and the batches it was
// told about.
type probe struct {
	blocks     map[uint32]*Block
	committed  int
	discarded  int
	disconnect []uint32
}

func (p *probe) Name() string { return "probe" }

func probeRow(h uint32) string { return fmt.Sprintf("probe/%d", h) }

func (p *probe) ConnectBlock(b *storage.Batch, blk *Block) error {
	p.blocks[blk.Height] = blk
	b.PutTip(probeRow(blk.Height), blk.Tip())
	return nil
}

func (p *probe) DisconnectBlock(b *storage.Batch, blk *Block) error {
	p.disconnect = append(p.disconnect, blk.Height)
	delete(p.blocks, blk.Height)
	b.DeleteTip(probeRow(blk.Height))
	return nil
}

func (p *probe) Committed() { p.committed++ }
func (p *probe) Discarded() { p.discarded++ }

// checkProbe checks that db holds a probe row for exactly the blocks of
// the chain tables, each naming its block, and that the blocks the probe
// was given equal the stored ones.
func checkProbe(t *testing.T, db *storage.DB, p *probe, tip uint32) {
	t.Helper()
	if it, ok, err := db.Tip(p.Name()); err != nil || !ok || it.Height != tip {
		t.Fatalf("probe tip %+v %v %v, want height %d", it, ok, err, tip)
	}
	for h := uint32(0); h <= tip+2; h++ {
		row, ok, err := db.Tip(probeRow(h))
		if err != nil {
			t.Fatal(err)
		}
		if h > tip {
			if ok {
				t.Errorf("a probe row for height %d above the tip %d", h, tip)
			}
			continue
		}
		stored, err := LoadBlock(db, h)
		if err != nil {
			t.Fatal(err)
		}
		if !ok || row != stored.Tip() {
			t.Errorf("height %d: probe row %+v %v, want %+v", h, row, ok, stored.Tip())
		}
		if got := p.blocks[h]; got != nil && blockBytes(got) != blockBytes(stored) {
			t.Errorf("height %d: the block given while connecting\n%+v\ndiffers from the stored one\n%+v", h, got, stored)
		}
	}
}

// TestIndexHook connects an index to a real geth's blocks: block by block
// with the chain tables, caught up from stored blocks when added to an
// existing index, and disconnected block by block in a reorganization.
func TestIndexHook(t *testing.T) {
	n := gethtest.Start(t)
	ctx := context.Background()
	simpleChain(t, n, 8)
	_, lost, _ := gethtest.NewKey()
	if err := n.AddWithdrawal(ctx, 0, lost, 5_000_000_000); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Send(ctx, gethtest.Tx{To: &lost, Value: big.NewInt(1e16)}); err != nil {
		t.Fatal(err)
	}

	// Indexed with the probe from the start: every block it was given
	// equals the stored block, and every batch was committed.
	p := &probe{blocks: map[uint32]*Block{}}
	db, ix := indexAll(t, n, t.TempDir(), common.Address{}, Config{Indexes: []Index{p}})
	checkProbe(t, db, p, uint32(ix.Height()))
	if p.committed == 0 || p.discarded != 0 {
		t.Errorf("probe told of %d commits and %d discards", p.committed, p.discarded)
	}
	if len(p.blocks) != int(ix.Height()+1) {
		t.Errorf("probe was given %d blocks, want %d", len(p.blocks), ix.Height()+1)
	}

	// Added to an index built without it: caught up from stored blocks.
	late, _ := indexAll(t, n, t.TempDir(), common.Address{}, Config{StopHeight: 3})
	q := &probe{blocks: map[uint32]*Block{}}
	src := mustDial(t, n)
	ix2, err := New(late, src, Config{StopHeight: ix.Height(), Indexes: []Index{q}})
	if err != nil {
		t.Fatal(err)
	}
	if err := ix2.Run(ctx); err != nil {
		t.Fatal(err)
	}
	checkProbe(t, late, q, uint32(ix.Height()))

	// Followed through a reorganization: the abandoned blocks are
	// disconnected from the probe in the batches that disconnect them.
	fork := uint64(ix.Height()) - 2
	f := &probe{blocks: map[uint32]*Block{}}
	fdb, err := storage.Open(t.TempDir(), "ethereum", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer fdb.Close()
	fix, err := New(fdb, src, Config{Workers: 2, Follow: true, PollInterval: 50 * time.Millisecond, Indexes: []Index{f}})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- fix.Run(runCtx) }()
	oldTip, oldHash, err := src.Tip(ctx)
	if err != nil {
		t.Fatal(err)
	}
	waitIndexed(t, fdb, oldTip, oldHash)
	if err := n.SetHead(ctx, fork); err != nil {
		t.Fatal(err)
	}
	_, other, _ := gethtest.NewKey()
	var newTip uint64
	var newHash common.Hash
	for i := 0; i < 30; i++ {
		if _, err := n.Send(ctx, gethtest.Tx{To: &other, Value: big.NewInt(1e16)}); err != nil {
			t.Fatal(err)
		}
		if newTip, newHash, err = src.Tip(ctx); err != nil {
			t.Fatal(err)
		}
		if newTip > oldTip && i >= 3 {
			break
		}
	}
	waitIndexed(t, fdb, newTip, newHash)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("follower: %v", err)
	}
	if len(f.disconnect) == 0 {
		t.Fatal("no block was disconnected from the probe")
	}
	for _, h := range f.disconnect {
		if uint64(h) <= fork || uint64(h) > oldTip {
			t.Errorf("disconnected %v: outside the abandoned blocks %d..%d", f.disconnect, fork+1, oldTip)
		}
	}
	checkProbe(t, fdb, f, uint32(fix.Height()))
}

// blockBytes renders a Block by its records' encodings, so that two equal
// blocks compare equal whatever their big.Int and slice internals.
func blockBytes(b *Block) string {
	out := fmt.Sprintf("%d %x %d %x\n", b.Height, b.Record.Encode(nil), len(b.Txs), b.Addrs)
	for _, tx := range b.Txs {
		out += fmt.Sprintf("%d %x", tx.Num, tx.Record.Encode(nil))
		for _, tr := range tx.Transfers {
			out += fmt.Sprintf(" %x", tr.Encode(nil))
		}
		out += "\n"
	}
	return out
}
