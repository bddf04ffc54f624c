package sim

import (
	"fmt"
	"github.com/spoorhq/spoor/chains/bitcoin"
	"testing"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil/v2"
	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"
)

// testTxs returns n distinct transactions, with witnesses when witness is
// set.
func testTxs(n int, witness bool) []*wire.MsgTx {
	var txs []*wire.MsgTx
	for i := range n {
		tx := &wire.MsgTx{Version: 2, LockTime: uint32(i)}
		in := &wire.TxIn{PreviousOutPoint: wire.OutPoint{Hash: chainhash.Hash{byte(i), 1}}}
		if witness {
			in.Witness = wire.TxWitness{{byte(i)}}
		}
		tx.TxIn = []*wire.TxIn{in}
		tx.TxOut = []*wire.TxOut{{Value: int64(i), PkScript: []byte{op1}}}
		txs = append(txs, tx)
	}
	return txs
}

func TestMerkleRootMatchesBtcd(t *testing.T) {
	for _, n := range []int{1, 2, 3, 4, 5, 7, 8, 9, 16, 17} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			var ids []chainhash.Hash
			var utxs []*btcutil.Tx
			for _, tx := range testTxs(n, false) {
				ids = append(ids, tx.TxHash())
				utxs = append(utxs, btcutil.NewTx(tx))
			}
			if got, want := bitcoin.MerkleRoot(ids), blockchain.CalcMerkleRoot(utxs, false); got != want {
				t.Errorf("merkle root %s, btcd says %s", got, want)
			}
		})
	}
}

// TestAssembleValidBlock assembles blocks with and without witness data and
// checks them with btcd's context-free block checks and witness commitment
// validation.
func TestAssembleValidBlock(t *testing.T) {
	params := &chaincfg.RegressionNetParams
	tests := []struct {
		name    string
		n       int
		witness bool
	}{
		{"coinbase only", 0, false},
		{"legacy", 3, false},
		{"witness", 5, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var plans []*txPlan
			var wtxids []chainhash.Hash
			for _, tx := range testTxs(tt.n, tt.witness) {
				p := &txPlan{msg: tx, txid: tx.TxHash(), wtxid: tx.WitnessHash()}
				plans = append(plans, p)
				wtxids = append(wtxids, p.wtxid)
			}
			var commitment *chainhash.Hash
			if tt.witness {
				c := witnessCommitment(wtxids)
				commitment = &c
			}
			cb, err := coinbaseTx(7, 50e8, []byte{op1}, commitment)
			if err != nil {
				t.Fatal(err)
			}
			blk, err := assemble(*params.GenesisHash, startTime, params.PowLimitBits, cb, plans)
			if err != nil {
				t.Fatal(err)
			}
			b := btcutil.NewBlock(blk)
			if err := blockchain.CheckProofOfWork(b, params.PowLimit); err != nil {
				t.Errorf("proof of work: %v", err)
			}
			if got, want := blk.Header.MerkleRoot, blockchain.CalcMerkleRoot(b.Transactions(), false); got != want {
				t.Errorf("merkle root %s, want %s", got, want)
			}
			if err := blockchain.ValidateWitnessCommitment(b); err != nil {
				t.Errorf("witness commitment: %v", err)
			}
			if got := blk.Header.Timestamp; !got.Equal(startTime) {
				t.Errorf("timestamp %v, want %v", got, startTime)
			}
		})
	}
}

func TestCoinbaseHeight(t *testing.T) {
	tests := []struct {
		name   string
		height int32
	}{
		{"one", 1},
		{"sixteen", 16},
		{"seventeen", 17},
		{"one byte", 127},
		{"two bytes", 128},
		{"two bytes max", 32767},
		{"three bytes", 32768},
		{"four bytes", 1 << 23},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cb, err := coinbaseTx(tt.height, 1, []byte{op1}, nil)
			if err != nil {
				t.Fatal(err)
			}
			tx := btcutil.NewTx(cb)
			if err := blockchain.CheckSerializedHeight(tx, tt.height); err != nil {
				t.Errorf("height %d: %v", tt.height, err)
			}
			if n := len(cb.TxIn[0].SignatureScript); n < 2 || n > blockchain.MaxCoinbaseScriptLen {
				t.Errorf("coinbase script length %d outside [2, %d]", n, blockchain.MaxCoinbaseScriptLen)
			}
			if err := blockchain.CheckTransactionSanity(tx); err != nil {
				t.Errorf("coinbase sanity: %v", err)
			}
		})
	}
}

func TestSpacing(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want time.Duration
	}{
		{"mainnet-like blocks", Options{Txs: 1_000_000, TxsPerBlock: 2000}, 10 * time.Minute},
		{"tiny blocks", Options{Txs: 10_000_000, TxsPerBlock: 10}, 50 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := spacing(tt.opts, 100)
			if got != tt.want {
				t.Errorf("spacing = %v, want %v", got, tt.want)
			}
			blocks := 100 + 50 + tt.opts.Txs/tt.opts.TxsPerBlock*5/4
			if end := time.Duration(blocks) * got; end > maxTimeSpan {
				t.Errorf("%d blocks span %v, more than %v", blocks, end, maxTimeSpan)
			}
		})
	}
}
