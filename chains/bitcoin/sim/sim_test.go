package sim

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/spoorhq/spoor/chains/bitcoin"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil/v2"
	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/database"
	_ "github.com/btcsuite/btcd/database/ffldb"
	"github.com/btcsuite/btcd/txscript/v2"
	"github.com/btcsuite/btcd/wire/v2"
)

// chainOpts returns the options of the chain most tests share: about 300
// blocks, so the chain crosses the regtest halvings at 150 and 300, with a
// few thousand transactions (fewer under the race detector).
func chainOpts() Options {
	if raceEnabled {
		return Options{Seed: 7, Txs: 1000, TxsPerBlock: 5, Wallets: 60}
	}
	return Options{Seed: 7, Txs: 4000, TxsPerBlock: 20, Wallets: 200}
}

// generated caches chains by options for the whole test binary.
var generated struct {
	sync.Mutex
	dir    string
	chains map[string]*testChain
}

// testChain is a generated chain read back from its files.
type testChain struct {
	sum    Summary
	blocks []*wire.MsgBlock
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "simtest")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	generated.dir = dir
	generated.chains = make(map[string]*testChain)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// generate returns the chain for opts, generating it on first use.
func generate(t testing.TB, opts Options) *testChain {
	t.Helper()
	generated.Lock()
	defer generated.Unlock()
	key := fmt.Sprintf("%d/%d/%d/%d/%d/%d", opts.Seed, opts.Txs, opts.TxsPerBlock, opts.Wallets, opts.Exchanges, opts.CoinJoins)
	if c, ok := generated.chains[key]; ok {
		return c
	}
	dir := filepath.Join(generated.dir, fmt.Sprintf("chain%d", len(generated.chains)))
	sum, err := Generate(context.Background(), dir, opts)
	if err != nil {
		t.Fatalf("Generate(%+v): %v", opts, err)
	}
	c := &testChain{sum: sum, blocks: readBlocks(t, sum.Files)}
	generated.chains[key] = c
	return c
}

// readBlocks parses every frame of the block files.
func readBlocks(t testing.TB, files []string) []*wire.MsgBlock {
	t.Helper()
	magic := uint32(chaincfg.RegressionNetParams.Net)
	var blocks []*wire.MsgBlock
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for off := 0; off < len(data); {
			if len(data)-off < 8 {
				t.Fatalf("%s: truncated frame header at offset %d", path, off)
			}
			if m := binary.LittleEndian.Uint32(data[off:]); m != magic {
				t.Fatalf("%s: magic %#x at offset %d, want %#x", path, m, off, magic)
			}
			n := int(binary.LittleEndian.Uint32(data[off+4:]))
			if off+8+n > len(data) {
				t.Fatalf("%s: frame at offset %d overruns the file", path, off)
			}
			var blk wire.MsgBlock
			r := bytes.NewReader(data[off+8 : off+8+n])
			if err := blk.Deserialize(r); err != nil {
				t.Fatalf("%s: block at offset %d: %v", path, off, err)
			}
			if r.Len() != 0 {
				t.Fatalf("%s: block at offset %d has %d trailing bytes", path, off, r.Len())
			}
			blocks = append(blocks, &blk)
			off += 8 + n
		}
	}
	return blocks
}

// newChain returns a btcd block chain on regtest backed by a real ffldb
// database in a temporary directory, holding only the genesis block.
func newChain(t *testing.T) *blockchain.BlockChain {
	t.Helper()
	params := chaincfg.RegressionNetParams
	db, err := database.Create("ffldb", filepath.Join(t.TempDir(), "db"), params.Net)
	if err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	chain, err := blockchain.New(&blockchain.Config{
		DB:               db,
		ChainParams:      &params,
		TimeSource:       blockchain.NewMedianTime(),
		SigCache:         txscript.NewSigCache(1000),
		UtxoCacheMaxSize: 32 << 20,
	})
	if err != nil {
		t.Fatalf("create chain: %v", err)
	}
	return chain
}

// process submits blk with full validation and fails unless it extends the
// main chain.
func process(t *testing.T, chain *blockchain.BlockChain, height int, blk *wire.MsgBlock) {
	t.Helper()
	mainChain, orphan, err := chain.ProcessBlock(btcutil.NewBlock(blk), blockchain.BFNone)
	if err != nil {
		t.Fatalf("block %d (%s) rejected: %v", height, blk.BlockHash(), err)
	}
	if !mainChain || orphan {
		t.Fatalf("block %d (%s): main chain %v, orphan %v", height, blk.BlockHash(), mainChain, orphan)
	}
}

// outputIndex maps every output of a chain to its value and script.
type outputIndex map[wire.OutPoint]*wire.TxOut

func indexOutputs(blocks []*wire.MsgBlock) outputIndex {
	idx := make(outputIndex)
	for _, blk := range blocks {
		for _, tx := range blk.Transactions {
			h := tx.TxHash()
			for i, out := range tx.TxOut {
				idx[wire.OutPoint{Hash: h, Index: uint32(i)}] = out
			}
		}
	}
	return idx
}

// TestConsensusValid feeds every generated block to btcd's blockchain
// package with full validation (scripts and signatures included) and checks
// that each extends the main chain, that every script type is spent and that
// coinbases claim exactly subsidy plus fees.
func TestConsensusValid(t *testing.T) {
	tests := []struct {
		name     string
		opts     Options
		minTip   int32 // lowest acceptable tip height
		minTxs   int   // fewest transactions wanted in the largest block
		skipRace bool
	}{
		// Small blocks: about 300 blocks cross the regtest halvings
		// at 150 and 300.
		{name: "small blocks across halvings", opts: chainOpts(), minTip: 300},
		// Mainnet-sized blocks of 2000 transactions.
		{name: "full blocks", opts: Options{Seed: 5, Txs: 30_000}, minTxs: 2000, skipRace: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.skipRace && (raceEnabled || testing.Short()) {
				t.Skip("large chain")
			}
			checkConsensus(t, tt.opts, tt.minTip, tt.minTxs)
		})
	}
}

func checkConsensus(t *testing.T, opts Options, minTip int32, minTxs int) {
	c := generate(t, opts)
	if len(c.blocks) != c.sum.Blocks {
		t.Fatalf("read %d blocks, summary says %d", len(c.blocks), c.sum.Blocks)
	}
	if got := c.blocks[0].BlockHash(); got != *chaincfg.RegressionNetParams.GenesisHash {
		t.Fatalf("first block is %s, want the regtest genesis", got)
	}
	if c.sum.Height < minTip {
		t.Fatalf("chain height %d, want at least %d", c.sum.Height, minTip)
	}

	chain := newChain(t)
	for h, blk := range c.blocks[1:] {
		process(t, chain, h+1, blk)
	}
	best := chain.BestSnapshot()
	if best.Hash != c.sum.Tip || best.Height != c.sum.Height {
		t.Fatalf("btcd tip %s at %d, summary tip %s at %d", best.Hash, best.Height, c.sum.Tip, c.sum.Height)
	}

	outs := indexOutputs(c.blocks)
	spent := make(map[txscript.ScriptClass]int)
	var txs, ins, nouts, largest int
	var heaviest int64
	for h, blk := range c.blocks[1:] {
		height := int32(h + 1)
		largest = max(largest, len(blk.Transactions)-1)
		heaviest = max(heaviest, blockchain.GetBlockWeight(btcutil.NewBlock(blk)))
		var fees int64
		for _, tx := range blk.Transactions[1:] {
			txs++
			ins += len(tx.TxIn)
			nouts += len(tx.TxOut)
			var in, out int64
			for _, txIn := range tx.TxIn {
				prev := outs[txIn.PreviousOutPoint]
				in += prev.Value
				spent[txscript.GetScriptClass(prev.PkScript)]++
			}
			for _, o := range tx.TxOut {
				out += o.Value
			}
			fees += in - out
		}
		var claimed int64
		for _, o := range blk.Transactions[0].TxOut {
			claimed += o.Value
		}
		if want := blockchain.CalcBlockSubsidy(height, &chaincfg.RegressionNetParams) + fees; claimed != want {
			t.Errorf("block %d: coinbase claims %d, subsidy plus fees is %d", height, claimed, want)
		}
	}
	for _, class := range []txscript.ScriptClass{
		txscript.PubKeyHashTy, txscript.ScriptHashTy, txscript.WitnessV0PubKeyHashTy, txscript.WitnessV1TaprootTy,
	} {
		if spent[class] == 0 {
			t.Errorf("no %v output spent", class)
		}
	}
	if txs != c.sum.Txs || txs != opts.Txs || ins != c.sum.Inputs || nouts != c.sum.Outputs {
		t.Errorf("counted %d txs, %d inputs, %d outputs; summary %+v", txs, ins, nouts, c.sum)
	}
	if largest < minTxs {
		t.Errorf("largest block has %d transactions, want %d", largest, minTxs)
	}
	t.Logf("%d blocks, %d txs, largest block %d txs, heaviest %d WU, spent by class %v",
		c.sum.Blocks, txs, largest, heaviest, spent)
}

// fileDigests returns the SHA-256 of every file Generate wrote.
func fileDigests(t *testing.T, sum Summary) map[string][32]byte {
	t.Helper()
	d := make(map[string][32]byte)
	for _, p := range append(append([]string(nil), sum.Files...), sum.Truth) {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		d[filepath.Base(p)] = sha256.Sum256(data)
	}
	return d
}

func TestDeterminism(t *testing.T) {
	base := Options{Seed: 11, Txs: 600, TxsPerBlock: 50, Wallets: 80}
	if raceEnabled {
		base.Txs = 200
	}
	run := func(o Options) map[string][32]byte {
		sum, err := Generate(context.Background(), t.TempDir(), o)
		if err != nil {
			t.Fatal(err)
		}
		return fileDigests(t, sum)
	}
	want := run(base)
	tests := []struct {
		name string
		opts func(Options) Options
		same bool
	}{
		{"one worker", func(o Options) Options { o.Workers = 1; return o }, true},
		{"eight workers with progress", func(o Options) Options {
			o.Workers = 8
			o.Progress = func(int, int) {}
			return o
		}, true},
		{"other seed", func(o Options) Options { o.Seed++; return o }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := run(tt.opts(base))
			equal := len(got) == len(want)
			for name, d := range want {
				equal = equal && got[name] == d
			}
			if equal != tt.same {
				t.Errorf("files equal to the base run: %v, want %v", equal, tt.same)
			}
		})
	}
}

// corrupt flips one bit in the S value of the signature of input in of tx.
func corrupt(tx *wire.MsgTx, in int, class txscript.ScriptClass) {
	txIn := tx.TxIn[in]
	if class == txscript.PubKeyHashTy {
		// scriptSig: push(sig) push(pubkey); the byte before the sighash
		// type is the last byte of S.
		n := int(txIn.SignatureScript[0])
		txIn.SignatureScript[n-1] ^= 1
		return
	}
	sig := txIn.Witness[0]
	if class == txscript.WitnessV1TaprootTy {
		sig[len(sig)-1] ^= 1 // 64-byte signature, S last
		return
	}
	sig[len(sig)-2] ^= 1
}

// remine recomputes the witness commitment, the merkle root and the proof of
// work of blk after its transactions changed.
func remine(t *testing.T, blk *wire.MsgBlock) {
	t.Helper()
	cb := blk.Transactions[0]
	var wtxids []chainhash.Hash
	for _, tx := range blk.Transactions[1:] {
		wtxids = append(wtxids, tx.WitnessHash())
	}
	for _, o := range cb.TxOut {
		if bytes.HasPrefix(o.PkScript, witnessMagic[:]) {
			c := witnessCommitment(wtxids)
			copy(o.PkScript[len(witnessMagic):], c[:])
		}
	}
	var ids []chainhash.Hash
	for _, tx := range blk.Transactions {
		ids = append(ids, tx.TxHash())
	}
	blk.Header.MerkleRoot = bitcoin.MerkleRoot(ids)
	if err := solve(&blk.Header); err != nil {
		t.Fatal(err)
	}
}

// copyBlock returns a deep copy of blk.
func copyBlock(t *testing.T, blk *wire.MsgBlock) *wire.MsgBlock {
	t.Helper()
	var buf bytes.Buffer
	if err := blk.Serialize(&buf); err != nil {
		t.Fatal(err)
	}
	var cp wire.MsgBlock
	if err := cp.Deserialize(&buf); err != nil {
		t.Fatal(err)
	}
	return &cp
}

// TestRejectsCorruptSignature is the negative control of TestConsensusValid:
// a block whose only fault is one flipped bit in one signature, with merkle
// root, witness commitment and proof of work recomputed, must be rejected
// for failing script validation, while the original block is accepted.
func TestRejectsCorruptSignature(t *testing.T) {
	c := generate(t, chainOpts())
	outs := indexOutputs(c.blocks)
	tests := []struct {
		name  string
		class txscript.ScriptClass
	}{
		{"p2pkh", txscript.PubKeyHashTy},
		{"p2sh-p2wpkh", txscript.ScriptHashTy},
		{"p2wpkh", txscript.WitnessV0PubKeyHashTy},
		{"p2tr", txscript.WitnessV1TaprootTy},
	}
	type target struct{ height, tx, in int }
	// find returns the first spend of class at or after height from, in the
	// last third of the chain so that many valid blocks precede it.
	find := func(class txscript.ScriptClass, from int) (target, bool) {
		for h := max(from, len(c.blocks)*2/3); h < len(c.blocks); h++ {
			for i, tx := range c.blocks[h].Transactions[1:] {
				for j, in := range tx.TxIn {
					if txscript.GetScriptClass(outs[in.PreviousOutPoint].PkScript) == class {
						return target{h, i + 1, j}, true
					}
				}
			}
		}
		return target{}, false
	}
	chain := newChain(t)
	next := 1 // next block to submit to chain
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tgt, ok := find(tt.class, next)
			if !ok {
				t.Fatalf("no %v input after block %d", tt.class, next)
			}
			for ; next < tgt.height; next++ {
				process(t, chain, next, c.blocks[next])
			}
			// Re-mining an unchanged copy reproduces the block, so
			// remine itself introduces no fault.
			same := copyBlock(t, c.blocks[tgt.height])
			remine(t, same)
			if same.BlockHash() != c.blocks[tgt.height].BlockHash() {
				t.Fatalf("re-mined copy of block %d differs", tgt.height)
			}
			bad := copyBlock(t, c.blocks[tgt.height])
			corrupt(bad.Transactions[tgt.tx], tgt.in, tt.class)
			remine(t, bad)
			_, _, err := chain.ProcessBlock(btcutil.NewBlock(bad), blockchain.BFNone)
			var rerr blockchain.RuleError
			if !errors.As(err, &rerr) || rerr.ErrorCode != blockchain.ErrScriptValidation {
				t.Fatalf("corrupt block %d: got error %v, want ErrScriptValidation", tgt.height, err)
			}
			process(t, chain, tgt.height, c.blocks[tgt.height])
			next = tgt.height + 1
		})
	}
}

// TestCancel checks that Generate stops when its context is cancelled.
func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	opts := Options{Seed: 1, Txs: 1_000_000, TxsPerBlock: 100, Progress: func(blocks, _ int) {
		if blocks == 150 {
			cancel()
		}
	}}
	sum, err := Generate(ctx, t.TempDir(), opts)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Generate: error %v, want context.Canceled", err)
	}
	if sum.Blocks != 150 {
		t.Errorf("wrote %d blocks, want 150", sum.Blocks)
	}
	// What was written is a valid prefix.
	if got := len(readBlocks(t, sum.Files)); got != sum.Blocks {
		t.Errorf("files hold %d blocks, summary says %d", got, sum.Blocks)
	}
}

func TestGenerateRefusesExistingFiles(t *testing.T) {
	dir := t.TempDir()
	opts := Options{Seed: 1, Txs: 10, TxsPerBlock: 10}
	if _, err := Generate(context.Background(), dir, opts); err != nil {
		t.Fatal(err)
	}
	if _, err := Generate(context.Background(), dir, opts); !errors.Is(err, os.ErrExist) {
		t.Fatalf("second Generate into %s: error %v, want os.ErrExist", dir, err)
	}
}

func TestOptionsValidation(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{"no txs", Options{}},
		{"negative txs per block", Options{Txs: 10, TxsPerBlock: -1}},
		{"one wallet", Options{Txs: 10, Wallets: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Generate(context.Background(), t.TempDir(), tt.opts); err == nil {
				t.Fatal("Generate succeeded")
			}
		})
	}
}

// BenchmarkGenerate reports generation throughput. SIM_BENCH_TXS overrides
// the number of transactions per run (default 20,000).
func BenchmarkGenerate(b *testing.B) {
	txs := 20_000
	if s := os.Getenv("SIM_BENCH_TXS"); s != "" {
		if _, err := fmt.Sscan(s, &txs); err != nil {
			b.Fatalf("SIM_BENCH_TXS=%q: %v", s, err)
		}
	}
	var total time.Duration
	var sum Summary
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		var err error
		sum, err = Generate(context.Background(), b.TempDir(), Options{Seed: uint64(i), Txs: txs})
		if err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
	}
	b.ReportMetric(float64(txs)*float64(b.N)/total.Seconds(), "tx/s")
	b.ReportMetric(float64(sum.Inputs)/float64(sum.Txs), "inputs/tx")
	b.ReportMetric(float64(sum.Outputs)/float64(sum.Txs), "outputs/tx")
	b.ReportMetric(float64(sum.Bytes)/float64(sum.Txs), "bytes/tx")
}
