package ethereum

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"
)

// RPCOptions tunes an RPC source.
type RPCOptions struct {
	// Timeout bounds each round trip to the node (default 60s).
	Timeout time.Duration
	// Logger receives the source's warnings. Nil discards them.
	Logger *slog.Logger
	// Rewards is the chain's proof-of-work reward schedule, used when the
	// node traces with the callTracer (trace_block reports rewards
	// itself). Nil picks MainnetRewards on chain id 1 and no rewards on
	// any other chain.
	Rewards *RewardSchedule
}

// RPC reads blocks, receipts and call traces from a node's JSON-RPC
// interface. It is safe for concurrent use; each FetchBlock is one batch
// request.
type RPC struct {
	c       *rpc.Client
	url     string
	timeout time.Duration
	log     *slog.Logger

	noBlockReceipts atomic.Bool // the node lacks eth_getBlockReceipts
	mu              sync.Mutex
	trace           TraceMode // the tracing API in use, once known
	traceKnown      bool
	warnOnce        sync.Once

	rewards      *RewardSchedule
	rewardsKnown bool
}

// DialRPC connects to the node at url (http, ws or an IPC path).
func DialRPC(ctx context.Context, url string, opts RPCOptions) (*RPC, error) {
	c, err := rpc.DialContext(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("ethereum: dial %s: %w", url, err)
	}
	if opts.Timeout == 0 {
		opts.Timeout = 60 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &RPC{c: c, url: url, timeout: opts.Timeout, log: opts.Logger, rewards: opts.Rewards, rewardsKnown: opts.Rewards != nil}, nil
}

// Close closes the connection.
func (r *RPC) Close() { r.c.Close() }

// TraceMode returns the tracing API the source uses, and false while it
// has not yet fetched a block with transactions.
func (r *RPC) TraceMode() (TraceMode, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.trace, r.traceKnown
}

// ChainID returns the node's chain id.
func (r *RPC) ChainID(ctx context.Context) (uint64, error) {
	var id hexutil.Uint64
	if err := r.call(ctx, &id, "eth_chainId"); err != nil {
		return 0, fmt.Errorf("ethereum: eth_chainId from %s: %w", r.url, err)
	}
	return uint64(id), nil
}

// headerJSON is the part of a block header the source reads.
type headerJSON struct {
	Number *hexutil.Uint64 `json:"number"`
	Hash   *common.Hash    `json:"hash"`
}

// Tip returns the number and hash of the node's best block, from one call
// so that they agree.
func (r *RPC) Tip(ctx context.Context) (uint64, common.Hash, error) {
	var h *headerJSON
	if err := r.call(ctx, &h, "eth_getBlockByNumber", "latest", false); err != nil {
		return 0, common.Hash{}, fmt.Errorf("ethereum: latest block from %s: %w", r.url, err)
	}
	if h == nil || h.Number == nil || h.Hash == nil {
		return 0, common.Hash{}, fmt.Errorf("ethereum: latest block from %s has no number or hash", r.url)
	}
	return uint64(*h.Number), *h.Hash, nil
}

// HashAt returns the hash of the best-chain block at height n.
func (r *RPC) HashAt(ctx context.Context, n uint64) (common.Hash, error) {
	var h *headerJSON
	if err := r.call(ctx, &h, "eth_getBlockByNumber", hexutil.Uint64(n), false); err != nil {
		return common.Hash{}, fmt.Errorf("ethereum: block %d from %s: %w", n, r.url, err)
	}
	if h == nil || h.Hash == nil {
		return common.Hash{}, fmt.Errorf("ethereum: the node has no block at height %d", n)
	}
	return *h.Hash, nil
}

func (r *RPC) call(ctx context.Context, result any, method string, args ...any) error {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	return r.c.CallContext(ctx, result, method, args...)
}

func (r *RPC) batch(ctx context.Context, elems []rpc.BatchElem) error {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	return r.c.BatchCallContext(ctx, elems)
}

// blockJSON is eth_getBlockByNumber's result with full transactions.
type blockJSON struct {
	Number      hexutil.Uint64   `json:"number"`
	Hash        common.Hash      `json:"hash"`
	ParentHash  common.Hash      `json:"parentHash"`
	Timestamp   hexutil.Uint64   `json:"timestamp"`
	Miner       common.Address   `json:"miner"`
	BaseFee     *hexutil.Big     `json:"baseFeePerGas"`
	GasUsed     hexutil.Uint64   `json:"gasUsed"`
	Txs         []txJSON         `json:"transactions"`
	Uncles      []common.Hash    `json:"uncles"`
	Withdrawals []withdrawalJSON `json:"withdrawals"`
}

type txJSON struct {
	Hash     common.Hash     `json:"hash"`
	From     common.Address  `json:"from"`
	To       *common.Address `json:"to"`
	Value    *hexutil.Big    `json:"value"`
	GasPrice *hexutil.Big    `json:"gasPrice"`
}

type withdrawalJSON struct {
	Index   hexutil.Uint64 `json:"index"`
	Address common.Address `json:"address"`
	Amount  hexutil.Uint64 `json:"amount"`
}

type receiptJSON struct {
	TxHash            common.Hash     `json:"transactionHash"`
	BlockHash         common.Hash     `json:"blockHash"`
	Status            *hexutil.Uint64 `json:"status"`
	GasUsed           hexutil.Uint64  `json:"gasUsed"`
	EffectiveGasPrice *hexutil.Big    `json:"effectiveGasPrice"`
	BlobGasUsed       hexutil.Uint64  `json:"blobGasUsed"`
	BlobGasPrice      *hexutil.Big    `json:"blobGasPrice"`
	ContractAddress   *common.Address `json:"contractAddress"`
	Logs              []logJSON       `json:"logs"`
}

type logJSON struct {
	Address  common.Address `json:"address"`
	Topics   []common.Hash  `json:"topics"`
	Data     hexutil.Bytes  `json:"data"`
	LogIndex hexutil.Uint64 `json:"logIndex"`
}

// FetchBlock returns the block at height n with its receipts and, when the
// node can trace, its call traces. Block, receipts and traces come from
// one batch request and are checked to be of the same block; a node that
// reorganizes between them gives an error, and the caller tries again.
func (r *RPC) FetchBlock(ctx context.Context, n uint64) (*Block, error) {
	var rawBlock, rawReceipts, rawTrace json.RawMessage
	num := hexutil.Uint64(n)
	elems := []rpc.BatchElem{{Method: "eth_getBlockByNumber", Args: []any{num, true}, Result: &rawBlock}}
	wantReceipts := !r.noBlockReceipts.Load()
	if wantReceipts {
		elems = append(elems, rpc.BatchElem{Method: "eth_getBlockReceipts", Args: []any{num}, Result: &rawReceipts})
	}
	mode, known := r.TraceMode()
	traceAt := len(elems)
	switch {
	case !known || mode == TraceCall:
		elems = append(elems, rpc.BatchElem{Method: "debug_traceBlockByNumber", Args: []any{num, map[string]any{"tracer": "callTracer"}}, Result: &rawTrace})
	case mode == TraceParity:
		elems = append(elems, rpc.BatchElem{Method: "trace_block", Args: []any{num}, Result: &rawTrace})
	}
	if err := r.batch(ctx, elems); err != nil {
		return nil, fmt.Errorf("ethereum: block %d from %s: %w", n, r.url, err)
	}
	if err := elems[0].Error; err != nil {
		return nil, fmt.Errorf("ethereum: eth_getBlockByNumber(%d): %w", n, err)
	}
	if isNull(rawBlock) {
		return nil, fmt.Errorf("ethereum: the node has no block at height %d", n)
	}
	var bj blockJSON
	if err := json.Unmarshal(rawBlock, &bj); err != nil {
		return nil, fmt.Errorf("ethereum: block %d: malformed eth_getBlockByNumber result: %w", n, err)
	}
	if uint64(bj.Number) != n {
		return nil, fmt.Errorf("ethereum: asked for block %d, the node sent block %d", n, bj.Number)
	}
	b := &Block{Number: n, Hash: bj.Hash, Parent: bj.ParentHash, Time: uint64(bj.Timestamp), Miner: bj.Miner,
		BaseFee: bigOrNil(bj.BaseFee), GasUsed: uint64(bj.GasUsed), Txs: make([]Tx, len(bj.Txs))}
	hashes := make([]common.Hash, len(bj.Txs))
	for i, t := range bj.Txs {
		b.Txs[i] = Tx{Hash: t.Hash, From: t.From, To: t.To, Value: bigOrNil(t.Value), GasPrice: bigOrNil(t.GasPrice)}
		hashes[i] = t.Hash
	}
	for _, w := range bj.Withdrawals {
		b.Withdrawals = append(b.Withdrawals, Withdrawal{Index: uint64(w.Index), Address: w.Address, Gwei: uint64(w.Amount)})
	}
	if mode != TraceParity {
		if err := r.powRewards(ctx, b, bj.Uncles); err != nil {
			return nil, err
		}
	}
	if len(b.Txs) == 0 {
		// Nothing to trace (geth refuses to trace the genesis block), so
		// the block records no tracing API, whatever the node has: a block
		// reads the same whenever it is fetched. trace_block still reports
		// an empty proof-of-work block's reward.
		b.Traced = TraceNone
		if mode == TraceParity {
			if err := elems[traceAt].Error; err != nil {
				return nil, fmt.Errorf("ethereum: trace_block(%d): %w", n, err)
			}
			if !isNull(rawTrace) {
				_, rewards, err := DecodeParityTraces(rawTrace, nil)
				if err != nil {
					return nil, fmt.Errorf("ethereum: block %d: %w", n, err)
				}
				b.Rewards = rewards
			}
		}
		return b, nil
	}

	// Receipts.
	var receipts []receiptJSON
	if wantReceipts {
		err := elems[1].Error
		switch {
		case isMethodMissing(err):
			r.noBlockReceipts.Store(true)
			r.log.Warn("the node has no eth_getBlockReceipts; fetching receipts one transaction at a time", "node", r.url)
		case err != nil:
			return nil, fmt.Errorf("ethereum: eth_getBlockReceipts(%d): %w", n, err)
		default:
			if err := json.Unmarshal(rawReceipts, &receipts); err != nil {
				return nil, fmt.Errorf("ethereum: block %d: malformed eth_getBlockReceipts result: %w", n, err)
			}
		}
	}
	if receipts == nil {
		var err error
		if receipts, err = r.txReceipts(ctx, n, hashes); err != nil {
			return nil, err
		}
	}
	if len(receipts) != len(b.Txs) {
		return nil, fmt.Errorf("ethereum: block %d has %d transactions but %d receipts", n, len(b.Txs), len(receipts))
	}
	for i := range receipts {
		rc := &receipts[i]
		if rc.TxHash != hashes[i] || rc.BlockHash != b.Hash {
			return nil, fmt.Errorf("ethereum: block %d (%s): receipt %d is of tx %s in block %s, not of tx %s: the node reorganized during the fetch",
				n, b.Hash, i, rc.TxHash, rc.BlockHash, hashes[i])
		}
		out := Receipt{Status: 1, GasUsed: uint64(rc.GasUsed), EffectiveGasPrice: bigOrNil(rc.EffectiveGasPrice),
			BlobGasUsed: uint64(rc.BlobGasUsed), BlobGasPrice: bigOrNil(rc.BlobGasPrice), Logs: make([]Log, len(rc.Logs))}
		if rc.Status != nil {
			out.Status = uint64(*rc.Status)
		}
		if rc.ContractAddress != nil {
			out.ContractAddress = *rc.ContractAddress
		}
		for j, l := range rc.Logs {
			out.Logs[j] = Log{Address: l.Address, Topics: l.Topics, Data: l.Data, Index: uint32(l.LogIndex)}
		}
		b.Txs[i].Receipt = out
	}

	// Traces.
	roots, rewards, mode, err := r.traces(ctx, n, elems, traceAt, rawTrace, hashes)
	if err != nil {
		return nil, err
	}
	b.Traced = mode
	if mode == TraceParity {
		b.Rewards = rewards
	}
	for i := range roots {
		b.Txs[i].Trace = roots[i]
		if receipts[i].Status == nil && roots[i].Error != "" {
			// A receipt from before Byzantium has no status; the trace says
			// whether the transaction failed.
			b.Txs[i].Receipt.Status = 0
		}
	}
	return b, nil
}

// powRewards sets the block and uncle rewards of a proof-of-work block
// from the chain's schedule, fetching the uncles' headers.
func (r *RPC) powRewards(ctx context.Context, b *Block, uncles []common.Hash) error {
	r.mu.Lock()
	known, sched := r.rewardsKnown, r.rewards
	r.mu.Unlock()
	if !known {
		id, err := r.ChainID(ctx)
		if err != nil {
			return err
		}
		if id == 1 {
			sched = &MainnetRewards
		}
		r.mu.Lock()
		r.rewards, r.rewardsKnown = sched, true
		r.mu.Unlock()
	}
	if sched == nil || sched.BlockReward(b.Number) == nil {
		return nil
	}
	us := make([]Uncle, len(uncles))
	if len(uncles) > 0 {
		hdrs := make([]*struct {
			Number hexutil.Uint64 `json:"number"`
			Miner  common.Address `json:"miner"`
		}, len(uncles))
		elems := make([]rpc.BatchElem, len(uncles))
		for i := range uncles {
			elems[i] = rpc.BatchElem{Method: "eth_getUncleByBlockHashAndIndex", Args: []any{b.Hash, hexutil.Uint64(i)}, Result: &hdrs[i]}
		}
		if err := r.batch(ctx, elems); err != nil {
			return fmt.Errorf("ethereum: uncles of block %d: %w", b.Number, err)
		}
		for i := range elems {
			if elems[i].Error != nil || hdrs[i] == nil {
				return fmt.Errorf("ethereum: uncle %d of block %d (%s): %v", i, b.Number, b.Hash, elems[i].Error)
			}
			us[i] = Uncle{Number: uint64(hdrs[i].Number), Miner: hdrs[i].Miner}
		}
	}
	b.Rewards = sched.Rewards(b.Number, b.Miner, us)
	return nil
}

// traces decodes the batch's trace result, finding out on first use which
// tracing API the node offers.
func (r *RPC) traces(ctx context.Context, n uint64, elems []rpc.BatchElem, at int, raw json.RawMessage, hashes []common.Hash) ([]*CallFrame, []Reward, TraceMode, error) {
	mode, known := r.TraceMode()
	if known && mode == TraceNone {
		return nil, nil, TraceNone, nil
	}
	err := elems[at].Error
	if known || !isMethodMissing(err) {
		if err != nil {
			return nil, nil, mode, fmt.Errorf("ethereum: %s(%d): %w", elems[at].Method, n, err)
		}
		if !known {
			r.setTrace(TraceCall)
		}
		return decodeTraces(mode, TraceCall, n, raw, hashes)
	}
	// debug_traceBlockByNumber is missing: try trace_block once.
	var rawParity json.RawMessage
	perr := r.call(ctx, &rawParity, "trace_block", hexutil.Uint64(n))
	switch {
	case perr == nil:
		r.setTrace(TraceParity)
		return decodeTraces(TraceParity, TraceParity, n, rawParity, hashes)
	case isMethodMissing(perr):
		r.setTrace(TraceNone)
		r.warnOnce.Do(func() {
			r.log.Warn("the node offers neither debug_traceBlockByNumber nor trace_block: internal transfers (contract calls moving ether, self-destructs, contract-created endowments) will be MISSING from the index; run the node with the debug or trace API enabled to index them",
				"node", r.url)
		})
		return nil, nil, TraceNone, nil
	}
	return nil, nil, TraceNone, fmt.Errorf("ethereum: trace_block(%d): %w", n, perr)
}

func (r *RPC) setTrace(m TraceMode) {
	r.mu.Lock()
	r.trace, r.traceKnown = m, true
	r.mu.Unlock()
}

func decodeTraces(mode, parse TraceMode, n uint64, raw json.RawMessage, hashes []common.Hash) ([]*CallFrame, []Reward, TraceMode, error) {
	if mode == TraceNone {
		mode = parse
	}
	if mode == TraceParity {
		roots, rewards, err := DecodeParityTraces(raw, hashes)
		if err != nil {
			return nil, nil, mode, fmt.Errorf("ethereum: block %d: %w", n, err)
		}
		return roots, rewards, mode, nil
	}
	roots, err := DecodeBlockCallTraces(raw, hashes)
	if err != nil {
		return nil, nil, mode, fmt.Errorf("ethereum: block %d: %w", n, err)
	}
	return roots, nil, mode, nil
}

// txReceipts fetches receipts one transaction at a time, in one batch.
func (r *RPC) txReceipts(ctx context.Context, n uint64, hashes []common.Hash) ([]receiptJSON, error) {
	raws := make([]json.RawMessage, len(hashes))
	elems := make([]rpc.BatchElem, len(hashes))
	for i, h := range hashes {
		elems[i] = rpc.BatchElem{Method: "eth_getTransactionReceipt", Args: []any{h}, Result: &raws[i]}
	}
	if err := r.batch(ctx, elems); err != nil {
		return nil, fmt.Errorf("ethereum: receipts of block %d from %s: %w", n, r.url, err)
	}
	out := make([]receiptJSON, len(hashes))
	for i := range elems {
		if err := elems[i].Error; err != nil {
			return nil, fmt.Errorf("ethereum: receipt of tx %s in block %d: %w", hashes[i], n, err)
		}
		if isNull(raws[i]) {
			return nil, fmt.Errorf("ethereum: the node has no receipt of tx %s in block %d", hashes[i], n)
		}
		if err := json.Unmarshal(raws[i], &out[i]); err != nil {
			return nil, fmt.Errorf("ethereum: malformed receipt of tx %s in block %d: %w", hashes[i], n, err)
		}
	}
	return out, nil
}

// isMethodMissing reports whether err is the node saying it has no such
// method (JSON-RPC error -32601), as opposed to failing to run it.
func isMethodMissing(err error) bool {
	var re rpc.Error
	return errors.As(err, &re) && re.ErrorCode() == -32601
}

func isNull(raw json.RawMessage) bool { return len(raw) == 0 || string(raw) == "null" }

// TokenMeta is what a token contract says about itself. A contract that
// does not answer a call leaves the field empty.
type TokenMeta struct {
	Symbol      string
	Name        string
	Decimals    uint8
	HasDecimals bool
}

// Selectors of the ERC-20 metadata calls.
var (
	selName     = hexutil.Bytes{0x06, 0xfd, 0xde, 0x03}
	selSymbol   = hexutil.Bytes{0x95, 0xd8, 0x9b, 0x41}
	selDecimals = hexutil.Bytes{0x31, 0x3c, 0xe5, 0x67}
)

// TokenMeta asks a token contract for its symbol, name and decimals at
// the node's latest block. Calls that revert leave their field empty; a
// failure to reach the node is an error.
func (r *RPC) TokenMeta(ctx context.Context, token common.Address) (TokenMeta, error) {
	var res [3]hexutil.Bytes
	elems := make([]rpc.BatchElem, 3)
	for i, sel := range []hexutil.Bytes{selSymbol, selName, selDecimals} {
		elems[i] = rpc.BatchElem{Method: "eth_call", Args: []any{map[string]any{"to": token, "data": sel}, "latest"}, Result: &res[i]}
	}
	if err := r.batch(ctx, elems); err != nil {
		return TokenMeta{}, fmt.Errorf("ethereum: metadata of token %s: %w", token, err)
	}
	var m TokenMeta
	if elems[0].Error == nil {
		m.Symbol = DecodeABIString(res[0])
	}
	if elems[1].Error == nil {
		m.Name = DecodeABIString(res[1])
	}
	if elems[2].Error == nil && len(res[2]) == 32 {
		d := new(big.Int).SetBytes(res[2])
		if d.IsUint64() && d.Uint64() <= 255 {
			m.Decimals, m.HasDecimals = uint8(d.Uint64()), true
		}
	}
	return m, nil
}

// maxMetaLen bounds a token's symbol or name.
const maxMetaLen = 64

// DecodeABIString decodes a metadata call's return value: an ABI string,
// or (as some early tokens return) a bytes32 padded with zeros. Anything
// else decodes as "".
func DecodeABIString(b []byte) string {
	if len(b) == 32 {
		end := 0
		for end < 32 && b[end] != 0 {
			end++
		}
		return cleanMeta(b[:end])
	}
	if len(b) < 64 {
		return ""
	}
	off, ok := abiWord(b[:32])
	if !ok || off+32 > uint64(len(b)) {
		return ""
	}
	n, ok := abiWord(b[off : off+32])
	if !ok || off+32+n > uint64(len(b)) {
		return ""
	}
	return cleanMeta(b[off+32 : off+32+n])
}

// cleanMeta keeps printable UTF-8 only and bounds the length.
func cleanMeta(b []byte) string {
	out := make([]rune, 0, len(b))
	for _, r := range string(b) {
		if r == 0xfffd || r < 0x20 || r == 0x7f {
			continue
		}
		out = append(out, r)
		if len(out) == maxMetaLen {
			break
		}
	}
	return string(out)
}
