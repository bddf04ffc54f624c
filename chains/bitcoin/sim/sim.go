package sim

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/btcsuite/btcd/chainhash/v2"
)

// Options configures Generate.
type Options struct {
	// Seed selects the simulated economy; equal seeds give equal files.
	Seed uint64
	// Txs is the number of non-coinbase transactions to generate. The
	// last block is cut short so the total is exactly Txs.
	Txs int
	// Wallets is the number of ordinary wallets. Zero means Txs/20, at
	// least 50.
	Wallets int
	// TxsPerBlock is the number of non-coinbase transactions per block
	// once the economy has ramped up. Zero means 2000, like mainnet. The
	// consensus weight limit may cut blocks shorter.
	TxsPerBlock int
	// Exchanges is the number of exchanges (see exchange.go). Zero means
	// the default: 3 when Txs is at least 10,000, otherwise 1. A negative
	// value means no exchanges at all.
	Exchanges int
	// CoinJoins is the number of CoinJoin transactions (Whirlpool Tx0s
	// and mixes, Wasabi 2 rounds and JoinMarket joins; see coinjoin.go)
	// per 1,000 transactions. Zero means the default: 10 when Txs is at
	// least 10,000, otherwise none. A negative value means none.
	CoinJoins int
	// World configures merchants, payment processors and the planted
	// scenarios and decoys; the zero World means the defaults.
	World World
	// Workers is the number of goroutines that derive keys and sign. Zero
	// means runtime.NumCPU(). It does not affect the output.
	Workers int
	// Progress, if not nil, is called after each block with the number of
	// blocks written (genesis included) and transactions generated so
	// far. It does not affect the output.
	Progress func(blocks, txs int)
}

// Summary describes what Generate wrote.
type Summary struct {
	// Blocks is the number of blocks written, the genesis block included.
	Blocks int
	// Height is the height of the last block.
	Height int32
	// Tip is the hash of the last block.
	Tip chainhash.Hash
	// Txs, Inputs and Outputs count non-coinbase transactions and their
	// inputs and outputs.
	Txs, Inputs, Outputs int
	// Addresses is the number of addresses created, one per address line
	// of the truth file (the file also has a line per CoinJoin).
	Addresses int
	// Bytes is the total size of the block files.
	Bytes int64
	// Files are the paths of the block files, in order.
	Files []string
	// Truth is the path of the ground-truth file.
	Truth string
	// Labels is the path of labels.csv, the public-source labels; empty
	// when Generate failed before writing it.
	Labels string
	// Scenarios is the number of scenario lines written (planted
	// instances and decoys).
	Scenarios int
}

const (
	// pcgStream is the second PCG seed word; the first is Options.Seed.
	pcgStream = 0x73706f6f72_73696d // "spoor" "sim"
	// blockSpacing is the target time between blocks.
	blockSpacing = 10 * time.Minute
	// maxTimeSpan bounds the time the whole chain covers, so that even
	// very long runs end in the past: blocks more than two hours in the
	// future of the validator's clock are invalid.
	maxTimeSpan = 2 * 365 * 24 * time.Hour
	// stallBlocks is how many empty blocks in a row after coinbase
	// maturity mean the economy cannot go on.
	stallBlocks = 1000
)

// startTime is the timestamp of block 1.
var startTime = time.Date(2024, time.January, 1, 0, 0, 0, 0, time.UTC)

// withDefaults validates o and fills in defaults.
func (o Options) withDefaults() (Options, error) {
	if o.Txs <= 0 {
		return o, fmt.Errorf("options: Txs must be positive, got %d", o.Txs)
	}
	if o.Wallets == 0 {
		o.Wallets = max(50, o.Txs/20)
	}
	if o.Wallets < 2 {
		return o, fmt.Errorf("options: Wallets must be at least 2, got %d", o.Wallets)
	}
	if o.TxsPerBlock == 0 {
		o.TxsPerBlock = 2000
	}
	if o.TxsPerBlock < 0 {
		return o, fmt.Errorf("options: TxsPerBlock must be positive, got %d", o.TxsPerBlock)
	}
	switch {
	case o.Exchanges == 0 && o.Txs >= 10_000:
		o.Exchanges = 3
	case o.Exchanges == 0:
		o.Exchanges = 1
	case o.Exchanges < 0:
		o.Exchanges = 0
	}
	switch {
	case o.CoinJoins == 0 && o.Txs >= 10_000:
		o.CoinJoins = defaultCoinJoins
	case o.CoinJoins < 0:
		o.CoinJoins = 0
	}
	if o.Workers <= 0 {
		o.Workers = runtime.NumCPU()
	}
	w, err := o.World.withDefaults(o.Txs)
	if err != nil {
		return o, err
	}
	o.World = w
	return o, nil
}

// spacing returns the time between blocks: ten minutes, or less when the
// expected number of blocks would not fit in maxTimeSpan.
func spacing(o Options, maturity int32) time.Duration {
	blocks := int64(maturity) + 50 + int64(o.Txs/o.TxsPerBlock)*5/4
	if time.Duration(blocks)*blockSpacing <= maxTimeSpan {
		return blockSpacing
	}
	return max(time.Second, maxTimeSpan/time.Duration(blocks)/time.Second*time.Second)
}

// Generate writes a regtest chain with opts.Txs everyday transactions into
// dir: block files blk00000.dat, blk00001.dat, ... (at most 128 MiB each,
// frames of [magic][u32 LE length][block], starting with the regtest genesis
// block), truth.jsonl, which names the owner of every address, every
// CoinJoin and every planted scenario, and, when it succeeds, labels.csv,
// the public-source labels (docs/truth.md). dir is
// created if needed; existing block or truth files make Generate fail rather
// than mix runs. The same options, apart from Workers and Progress, produce
// byte-identical files. When ctx is cancelled, Generate returns ctx's error
// and the files hold the complete blocks written so far, a valid chain
// prefix that the summary describes.
func Generate(ctx context.Context, dir string, opts Options) (Summary, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return Summary{}, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Summary{}, fmt.Errorf("create output directory: %w", err)
	}
	truthPath := filepath.Join(dir, TruthFile)
	tw, err := newTruthWriter(truthPath)
	if err != nil {
		return Summary{}, err
	}
	bw := newBlockWriter(dir, chaincfg.RegressionNetParams.Net)
	g := newGenerator(opts, bw, tw)
	runErr := g.run(ctx)
	closeErr := errors.Join(bw.close(), tw.close())
	sum := g.sum
	sum.Files, sum.Bytes, sum.Truth = bw.files, bw.total, truthPath
	sum.Scenarios = g.env.log.written
	if runErr != nil {
		return sum, runErr
	}
	if closeErr != nil {
		return sum, closeErr
	}
	sum.Labels = filepath.Join(dir, LabelsFile)
	return sum, writeLabels(sum.Labels, g.ledger)
}

// generator holds the state of one Generate call.
type generator struct {
	opts     Options
	params   *chaincfg.Params
	rng      *rand.Rand
	ledger   *ledger
	signer   *signer
	actors   []actor
	env      *env
	bw       *blockWriter
	tw       *truthWriter
	spacing  time.Duration
	maturity int32
	sum      Summary
}

func newGenerator(opts Options, bw *blockWriter, tw *truthWriter) *generator {
	params := &chaincfg.RegressionNetParams
	rng := rand.New(rand.NewPCG(opts.Seed, pcgStream))
	l := newLedger(params, opts.Seed, rng, opts.Wallets, len(minerShares))
	maturity := int32(params.CoinbaseMaturity)
	w := opts.World
	e := &env{ledger: l, log: newScenarioLog()}
	e.exchanges = newExchanges(l, rng, opts.Exchanges)
	if *w.Scenarios.ExchangeBatch.Enabled {
		r := &batchRecorder{log: e.log, left: w.Scenarios.ExchangeBatch.Instances, min: w.Scenarios.ExchangeBatch.Size}
		for i := range scenarioKinds {
			if scenarioKinds[i].name == "exchange_batch" {
				r.kind = &scenarioKinds[i]
			}
		}
		for _, x := range e.exchanges {
			x.batches = r
		}
	}
	if *w.Scenarios.ChainHop.Enabled || opts.Txs >= 10_000 {
		e.service = newInstantExchanger(l, rng)
	}
	// Scenarios run first after the miners, so that the coins they wait
	// for are still there.
	actors := []actor{mining{maturity: maturity}, newScenarios(e, rng, w, opts.Txs, opts.TxsPerBlock)}
	for _, x := range e.exchanges {
		actors = append(actors, x)
	}
	if e.service != nil {
		actors = append(actors, e.service)
	}
	if c := newCommerce(l, rng, w, e.log); c != nil {
		actors = append(actors, c)
	}
	if cj := newCoinJoins(l, rng, opts.CoinJoins); cj != nil {
		actors = append(actors, cj)
	}
	actors = append(actors, everyday{})
	return &generator{
		opts:     opts,
		params:   params,
		rng:      rng,
		ledger:   l,
		signer:   &signer{params: params, keys: l.keys, workers: opts.Workers},
		actors:   actors,
		env:      e,
		bw:       bw,
		tw:       tw,
		spacing:  spacing(opts, maturity),
		maturity: maturity,
	}
}

// run writes the genesis block and then blocks until enough transactions
// have been generated.
func (g *generator) run(ctx context.Context) error {
	genesis := g.params.GenesisBlock
	if err := g.bw.write(genesis); err != nil {
		return err
	}
	g.sum.Blocks, g.sum.Tip = 1, *g.params.GenesisHash
	empty := 0
	for height := int32(1); g.sum.Txs < g.opts.Txs; height++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := g.block(ctx, height)
		if err != nil {
			return fmt.Errorf("block %d: %w", height, err)
		}
		if n == 0 && height > g.maturity {
			if empty++; empty >= stallBlocks {
				return fmt.Errorf("block %d: no transactions in %d blocks; the economy has stalled", height, empty)
			}
		} else {
			empty = 0
		}
		if g.opts.Progress != nil {
			g.opts.Progress(g.sum.Blocks, g.sum.Txs)
		}
	}
	return nil
}

// block plans, signs, assembles and writes the block at height and returns
// its number of non-coinbase transactions.
func (g *generator) block(ctx context.Context, height int32) (int, error) {
	l := g.ledger
	b := newBlockBuilder(height, g.rng, l, min(g.opts.TxsPerBlock, g.opts.Txs-g.sum.Txs))
	b.progress = g.sum.Txs
	miner := pickMiner(l, g.rng)
	payTo := l.receiveAddress(miner)
	for _, a := range g.actors {
		if err := a.planBlock(b); err != nil {
			return 0, err
		}
	}

	names := make([]string, len(l.fresh))
	if err := g.signer.deriveAddresses(ctx, l.fresh, names); err != nil {
		return 0, err
	}
	if err := g.signer.signAll(ctx, b.plans); err != nil {
		return 0, err
	}

	// Coinbase: subsidy plus fees, and a witness commitment when any
	// transaction carries witness data.
	value := blockchain.CalcBlockSubsidy(height, g.params)
	var commitment *chainhash.Hash
	var wtxids []chainhash.Hash
	for _, p := range b.plans {
		value += p.fee()
		if p.msg.HasWitness() {
			commitment = &chainhash.Hash{}
		}
		wtxids = append(wtxids, p.wtxid)
	}
	if commitment != nil {
		*commitment = witnessCommitment(wtxids)
	}
	cb, err := coinbaseTx(height, value, pkScript(miner.fam.script, &miner.keys[payTo]), commitment)
	if err != nil {
		return 0, err
	}
	ts := startTime.Add(time.Duration(height-1) * g.spacing)
	blk, err := assemble(g.sum.Tip, ts, g.params.PowLimitBits, cb, b.plans)
	if err != nil {
		return 0, err
	}
	if err := g.bw.write(blk); err != nil {
		return 0, err
	}
	for i, r := range l.fresh {
		if err := g.tw.write(names[i], r); err != nil {
			return 0, err
		}
	}
	for _, p := range b.plans {
		if p.protocol != "" {
			if err := g.tw.writeTx(p.txid.String(), p.protocol); err != nil {
				return 0, err
			}
		}
	}
	if err := g.env.log.flush(g.tw, g.params); err != nil {
		return 0, err
	}

	// The block's outputs become coins of their owners.
	cbHash := cb.TxHash()
	l.addCoin(miner, utxo{hash: cbHash, addr: payTo, value: value, height: height, coinbase: true})
	for _, p := range b.plans {
		for i, o := range p.outs {
			if o.owner == nil {
				continue // OP_RETURN
			}
			l.addCoin(o.owner, utxo{hash: p.txid, index: uint32(i), addr: o.addr, value: o.value, height: height})
		}
		g.sum.Inputs += len(p.ins)
		g.sum.Outputs += len(p.outs)
	}
	g.sum.Addresses += len(l.fresh)
	l.endBlock()

	g.sum.Blocks++
	g.sum.Height = height
	g.sum.Tip = blk.BlockHash()
	g.sum.Txs += len(b.plans)
	return len(b.plans), nil
}
