package ethcluster

import (
	"context"
	"errors"
	"fmt"
	"math/big"

	chain "github.com/spoorhq/spoor/chains/ethereum"
	ethindex "github.com/spoorhq/spoor/indexer/ethereum"
	"github.com/spoorhq/spoor/storage"
)

// flow is one value move of the index, as the heuristics read it.
type flow struct {
	tx       storage.TxNum
	height   uint32
	from, to storage.AddrID
	asset    storage.AddrID // 0 for ether
	amount   *big.Int
}

// history is what the heuristics read from an Ethereum index, in chain
// order.
type history struct {
	ether  []flow                     // native and internal ether moves
	tokens []flow                     // ERC-20 transfers
	active map[storage.AddrID]bool    // addresses that sent a transaction (EOAs)
	miners map[storage.AddrID]bool    // the blocks' fee recipients
	stats  map[storage.AddrID]*totals // per address, every transfer edge
	tip    storage.Tip
	hasTip bool
	txs    uint64
}

// totals are one address's own counts, summed per cluster when written.
type totals struct {
	recvGwei, sentGwei uint64
	in, out            uint64
	first, last        uint32
}

var gwei = big.NewInt(1e9)

func (h *history) touch(a storage.AddrID, height uint32) *totals {
	t := h.stats[a]
	if t == nil {
		t = &totals{first: height, last: height}
		h.stats[a] = t
	}
	t.first, t.last = min(t.first, height), max(t.last, height)
	return t
}

func gweiOf(v *big.Int) uint64 {
	g := new(big.Int).Quo(v, gwei)
	if !g.IsUint64() {
		return ^uint64(0)
	}
	return g.Uint64()
}

// load reads every transaction of db's Ethereum index.
func load(ctx context.Context, db *storage.DB) (*history, error) {
	st, err := db.EthState()
	if err != nil {
		return nil, err
	}
	h := &history{active: map[storage.AddrID]bool{}, miners: map[storage.AddrID]bool{}, stats: map[storage.AddrID]*totals{}}
	if h.tip, h.hasTip, err = db.Tip(ethindex.ChainIndexName); err != nil {
		return nil, err
	}
	lastBlock := int64(-1)
	for n := storage.TxNum(0); n < st.NextTxNum; n++ {
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		tx, err := db.EthTx(n)
		if errors.Is(err, storage.ErrNotFound) {
			continue // below the height the index started at
		}
		if err != nil {
			return nil, err
		}
		if int64(tx.Height) != lastBlock {
			blk, err := db.EthBlock(tx.Height)
			if err != nil {
				return nil, fmt.Errorf("tx %d: %w", n, err)
			}
			h.miners[blk.Miner] = true
			lastBlock = int64(tx.Height)
		}
		if tx.Flags&storage.EthTxSystem == 0 {
			h.active[tx.From] = true
			h.txs++
		}
		if tx.Transfers == 0 {
			continue
		}
		trs, err := db.EthTransfers(n)
		if err != nil {
			return nil, err
		}
		for _, tr := range trs {
			if !tr.Mint {
				t := h.touch(tr.From, tx.Height)
				t.out++
				if tr.Asset == 0 {
					t.sentGwei += gweiOf(tr.Amount)
				}
			}
			if !tr.Sink {
				t := h.touch(tr.To, tx.Height)
				t.in++
				if tr.Asset == 0 {
					t.recvGwei += gweiOf(tr.Amount)
				}
			}
			if tr.Mint || tr.Sink || tr.Amount == nil || tr.Amount.Sign() == 0 {
				continue
			}
			f := flow{tx: n, height: tx.Height, from: tr.From, to: tr.To, asset: tr.Asset, amount: tr.Amount}
			switch chain.Kind(tr.Kind) {
			case chain.KindNative, chain.KindInternal:
				h.ether = append(h.ether, f)
			case chain.KindERC20:
				h.tokens = append(h.tokens, f)
			}
		}
	}
	return h, nil
}
