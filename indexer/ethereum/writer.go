package ethereum

import (
	"errors"
	"fmt"
	"log/slog"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	chain "github.com/spoorhq/spoor/chains/ethereum"
	"github.com/spoorhq/spoor/storage"
)

// ChainIndexName is the name under which the Ethereum chain tables
// (blocks, transactions, transfer edges) keep their tip.
const ChainIndexName = "chain"

// AddrIndexName is the name under which the Ethereum address index keeps
// its tip. It is written with the chain tables, in the same batch.
const AddrIndexName = "addresses"

// errNotConnecting reports a block whose parent is not the index's tip.
type errNotConnecting struct {
	height     uint64
	hash, prev common.Hash
	tip        common.Hash
}

func (e *errNotConnecting) Error() string {
	return fmt.Sprintf("block %s at height %d builds on %s, but the index tip is %s", e.hash, e.height, e.prev, e.tip)
}

// writer writes prepared blocks into the Ethereum tables. It owns the
// running state and caches and is used by one goroutine.
type writer struct {
	db       *storage.DB
	log      *slog.Logger
	from     uint64 // the first height of an empty index
	state    storage.EthState
	tip      storage.Tip
	hasTip   bool
	addrs    map[common.Address]storage.AddrID
	maxAddrs int
	tokens   map[storage.AddrID]bool // token contracts known to have a metadata row
	totals   map[storage.EthTotalsKey]storage.EthTotalsRecord
	out      *Block // the block being connected as the indexes see it, or nil
}

func (w *writer) tipHeight() int64 {
	if !w.hasTip {
		return int64(w.from) - 1
	}
	return int64(w.tip.Height)
}

// resetCaches forgets everything not read from committed rows.
func (w *writer) resetCaches() {
	w.addrs = map[common.Address]storage.AddrID{}
	w.tokens = map[storage.AddrID]bool{}
	w.totals = map[storage.EthTotalsKey]storage.EthTotalsRecord{}
}

// committed trims the caches after a commit; every entry is durable now.
func (w *writer) committed() {
	if len(w.addrs) > w.maxAddrs {
		w.addrs = map[common.Address]storage.AddrID{}
	}
	if len(w.tokens) > w.maxAddrs {
		w.tokens = map[storage.AddrID]bool{}
	}
	if len(w.totals) > w.maxAddrs {
		w.totals = map[storage.EthTotalsKey]storage.EthTotalsRecord{}
	}
}

// connect writes p into b on top of the tip and, when out is not nil,
// fills it with the block as the indexes see it. On error the batch may
// hold part of the block and must be discarded, and the writer reloaded.
func (w *writer) connect(b *storage.Batch, p *prepared, out *Block) error {
	blk := p.blk
	if int64(blk.Number) != w.tipHeight()+1 || (w.hasTip && blk.Parent != common.Hash(w.tip.Hash)) {
		return &errNotConnecting{height: blk.Number, hash: blk.Hash, prev: blk.Parent, tip: w.tip.Hash}
	}
	if blk.Number > 1<<32-2 {
		return fmt.Errorf("block %d: height does not fit the index's 32-bit heights", blk.Number)
	}
	h := uint32(blk.Number)
	w.out = out
	defer func() { w.out = nil }()
	undo := storage.EthUndoRecord{Before: w.state}
	rec := storage.EthBlockRecord{Hash: blk.Hash, Parent: blk.Parent, Time: blk.Time, FirstTxNum: w.state.NextTxNum,
		NumTx: uint32(len(blk.Txs)), FirstAddrID: w.state.NextAddrID, GasUsed: blk.GasUsed, BaseFee: blk.BaseFee,
		Traced: uint8(blk.Traced)}
	var err error
	if rec.Miner, err = w.addr(b, blk.Miner); err != nil {
		return err
	}
	txNums := make(map[common.Hash]storage.TxNum, len(blk.Txs))
	delta := storage.EthTotalsDelta{}
	for i := range blk.Txs {
		tx := &blk.Txs[i]
		n := w.state.NextTxNum
		w.state.NextTxNum++
		txNums[tx.Hash] = n
		rc := &tx.Receipt
		tr := storage.EthTxRecord{Hash: tx.Hash, Height: h, Index: uint32(i), Value: tx.Value, GasUsed: rc.GasUsed}
		price := rc.EffectiveGasPrice
		if price == nil {
			price = tx.GasPrice
		}
		if price != nil {
			tr.Fee = new(big.Int).Mul(new(big.Int).SetUint64(rc.GasUsed), price)
		}
		to := rc.ContractAddress
		if tx.To != nil {
			to = *tx.To
		} else {
			tr.Flags |= storage.EthTxCreate
		}
		if rc.Status != 1 {
			tr.Flags |= storage.EthTxFailed
			w.state.FailedTxs++
		}
		if tr.From, err = w.addr(b, tx.From); err != nil {
			return err
		}
		if tr.To, err = w.addr(b, to); err != nil {
			return err
		}
		edges, err := w.putEdges(b, p, n, p.dec.Txs[i], &undo, delta, out != nil)
		if err != nil {
			return fmt.Errorf("block %d: tx %s: %w", blk.Number, tx.Hash, err)
		}
		tr.Transfers = uint32(len(p.dec.Txs[i]))
		b.PutEthTx(n, &tr)
		if out != nil {
			out.Txs = append(out.Txs, Tx{Num: n, Record: tr, Transfers: edges})
		}
	}
	for _, s := range p.dec.Skips {
		b.PutEthSkip(txNums[s.TxHash], s.Log, s.Reason)
		w.log.Warn("skipped a token log that does not follow its standard", "block", blk.Number, "tx", s.TxHash.Hex(), "log", s.Log, "reason", s.Reason)
	}
	w.state.SkippedLogs += uint64(len(p.dec.Skips))
	if len(p.dec.Block) > 0 {
		rec.System = true
		n := w.state.NextTxNum
		w.state.NextTxNum++
		edges, err := w.putEdges(b, p, n, p.dec.Block, &undo, delta, out != nil)
		if err != nil {
			return fmt.Errorf("block %d: withdrawals and rewards: %w", blk.Number, err)
		}
		sys := storage.EthTxRecord{Hash: blk.Hash, Height: h, Index: uint32(len(blk.Txs)), Flags: storage.EthTxSystem,
			Transfers: uint32(len(p.dec.Block))}
		b.PutEthTx(n, &sys)
		if out != nil {
			out.Txs = append(out.Txs, Tx{Num: n, Record: sys, Transfers: edges})
		}
	}
	if err := w.putTotals(b, delta); err != nil {
		return fmt.Errorf("block %d: %w", blk.Number, err)
	}
	w.state.Blocks++
	w.state.Txs += uint64(len(blk.Txs))
	w.state.Transfers += uint64(p.dec.Edges())
	if blk.Traced == chain.TraceNone && len(blk.Txs) > 0 {
		w.state.UntracedBlocks++
	}
	b.PutEthBlock(h, &rec)
	b.PutEthUndo(h, &undo)
	if out != nil {
		out.Height, out.Record = h, rec
	}
	w.tip, w.hasTip = storage.Tip{Height: h, Hash: blk.Hash}, true
	return nil
}

// putEdges writes the edges of transaction n, numbering their addresses
// and writing the metadata of tokens seen for the first time. With keep
// set it returns the records written.
func (w *writer) putEdges(b *storage.Batch, p *prepared, n storage.TxNum, edges []chain.Transfer, undo *storage.EthUndoRecord,
	delta storage.EthTotalsDelta, keep bool) ([]storage.EthTransferRecord, error) {
	var out []storage.EthTransferRecord
	if keep {
		out = make([]storage.EthTransferRecord, 0, len(edges))
	}
	for seq := range edges {
		e := &edges[seq]
		r := storage.EthTransferRecord{Kind: uint8(e.Kind), Mint: e.Mint, Sink: e.Sink, Amount: e.Amount, TokenID: e.TokenID, Log: e.Log}
		var err error
		if !e.Mint {
			if r.From, err = w.addr(b, e.From); err != nil {
				return nil, err
			}
		}
		if !e.Sink {
			if r.To, err = w.addr(b, e.To); err != nil {
				return nil, err
			}
		}
		if e.Kind.Token() {
			if r.Asset, err = w.addr(b, e.Asset); err != nil {
				return nil, err
			}
			known, err := w.tokenKnown(r.Asset)
			if err != nil {
				return nil, err
			}
			if !known {
				m, ok := p.meta[e.Asset]
				if !ok {
					return nil, fmt.Errorf("no metadata fetched for token %s", e.Asset)
				}
				b.PutEthToken(r.Asset, &storage.EthTokenRecord{Symbol: m.Symbol, Name: m.Name, Decimals: m.Decimals, HasDecimals: m.HasDecimals})
				w.tokens[r.Asset] = true
				undo.Tokens = append(undo.Tokens, r.Asset)
				w.state.Tokens++
			}
		}
		b.PutEthTransfer(n, uint32(seq), &r)
		delta.ApplyEthEdge(&r, +1)
		if keep {
			out = append(out, r)
		}
	}
	return out, nil
}

// putTotals adds a block's edges to the totals of every address and asset
// they touch.
func (w *writer) putTotals(b *storage.Batch, delta storage.EthTotalsDelta) error {
	for k, d := range delta {
		base, ok := w.totals[k]
		if !ok {
			var err error
			if base, err = w.db.EthTotals(k); err != nil {
				return err
			}
		}
		next, err := d.Add(base)
		if err != nil {
			return fmt.Errorf("totals of address %d in asset %d: %w", k.AddrID, k.Asset, err)
		}
		w.totals[k] = next
		b.PutEthTotals(k, &next)
	}
	return nil
}

// tokenKnown reports whether token id already has a metadata row.
func (w *writer) tokenKnown(id storage.AddrID) (bool, error) {
	if w.tokens[id] {
		return true, nil
	}
	_, err := w.db.EthToken(id)
	switch {
	case err == nil:
		w.tokens[id] = true
		return true, nil
	case errors.Is(err, storage.ErrNotFound):
		return false, nil
	}
	return false, err
}

// addr returns an address's number, numbering it if it is new.
func (w *writer) addr(b *storage.Batch, a common.Address) (storage.AddrID, error) {
	if id, ok := w.addrs[a]; ok {
		return id, nil
	}
	id, err := w.db.LookupEthAddr(a)
	switch {
	case err == nil:
		w.addrs[a] = id
		return id, nil
	case !errors.Is(err, storage.ErrNotFound):
		return 0, fmt.Errorf("address %s: %w", a, err)
	}
	id = w.state.NextAddrID
	w.state.NextAddrID++
	w.state.Addresses++
	b.PutEthAddress(id, a)
	w.addrs[a] = id
	if w.out != nil {
		w.out.Addrs = append(w.out.Addrs, a)
	}
	return id, nil
}
