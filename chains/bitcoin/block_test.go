package bitcoin_test

import (
	"context"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/spoorhq/spoor/chains/bitcoin"
	"github.com/spoorhq/spoor/internal/chaindata"
)

// TestDecodeRealBlocks decodes real mainnet blocks from three eras and
// checks public facts: their hashes and transaction counts.
func TestDecodeRealBlocks(t *testing.T) {
	blocks, err := chaindata.LargeBlocks(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := map[int32]struct {
		hash string
		txs  int
	}{
		277647: {"", 213},
		540107: {"00000000000000000021868c2cefc52a480d173c849412fe81c4e5ab806f94ab", 230},
		574200: {"0000000000000000001602407ac49862a7bca9d00f7f402db20b7be2f5de59d2", 3315},
	}
	for _, b := range blocks {
		blk, err := bitcoin.DecodeBlock(b.Raw, b.Height)
		if err != nil {
			t.Fatalf("height %d: %v", b.Height, err)
		}
		w := want[b.Height]
		if len(blk.Txs) != w.txs || (w.hash != "" && blk.Hash.String() != w.hash) {
			t.Fatalf("height %d: hash %s with %d txs, want %s with %d", b.Height, blk.Hash, len(blk.Txs), w.hash, w.txs)
		}
		if !blk.Txs[0].Coinbase() || blk.Txs[1].Coinbase() {
			t.Fatalf("height %d: coinbase flags wrong", b.Height)
		}
		if blk.Size != uint32(len(b.Raw)) || blk.Weight < 3*blk.Size/4 || blk.Weight > 4*blk.Size {
			t.Fatalf("height %d: size %d weight %d", b.Height, blk.Size, blk.Weight)
		}
		for _, tx := range blk.Txs {
			if tx.VSize > tx.Size || (!tx.Witness && tx.VSize != tx.Size) {
				t.Fatalf("height %d: tx %s size %d vsize %d witness %v", b.Height, tx.Txid, tx.Size, tx.VSize, tx.Witness)
			}
		}
	}
}

func TestDecodeBlockRejects(t *testing.T) {
	blocks, err := chaindata.LargeBlocks(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	good := blocks[0].Raw
	badMerkle := append([]byte(nil), good...)
	badMerkle[36] ^= 1
	tests := []struct {
		name string
		raw  []byte
		want string
	}{
		{"merkle root", badMerkle, "merkle root"},
		{"truncated", good[:len(good)/2], "height 9"},
		{"empty", nil, "height 9"},
		{"header only", append(append([]byte(nil), good[:80]...), 0), "no transactions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := bitcoin.DecodeBlock(tt.raw, 9)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("DecodeBlock = %v, want an error with %q", err, tt.want)
			}
		})
	}
}

// BenchmarkDecodeBlock measures the decode stage (deserialize, txids,
// merkle check, script classes) on a full segwit-era block.
func BenchmarkDecodeBlock(b *testing.B) {
	blocks, err := chaindata.LargeBlocks(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	raw := blocks[len(blocks)-1].Raw
	b.SetBytes(int64(len(raw)))
	var txs int
	for b.Loop() {
		blk, err := bitcoin.DecodeBlock(raw, 574200)
		if err != nil {
			b.Fatal(err)
		}
		txs += len(blk.Txs)
	}
	b.ReportMetric(float64(txs)/b.Elapsed().Seconds(), "tx/s")
}

// FuzzDecodeBlock checks that arbitrary bytes never panic the decoder.
func FuzzDecodeBlock(f *testing.F) {
	blocks, err := chaindata.LargeBlocks(context.Background())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(blocks[0].Raw[:2000])
	f.Add(blocks[0].Raw)
	f.Fuzz(func(t *testing.T, raw []byte) {
		blk, err := bitcoin.DecodeBlock(raw, 1)
		if err == nil && (len(blk.Txs) == 0 || bitcoin.MerkleRoot(txids(blk)) != blk.Header.MerkleRoot) {
			t.Fatalf("decoded a block whose merkle root does not match")
		}
	})
}

func txids(b *bitcoin.Block) (ids []chainhash.Hash) {
	for _, tx := range b.Txs {
		ids = append(ids, tx.Txid)
	}
	return ids
}
