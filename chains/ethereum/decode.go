package ethereum

import (
	"fmt"
	"math/big"
)

// Decoded is a block turned into transfer edges.
type Decoded struct {
	// Txs holds each transaction's edges, in the block's order. Within a
	// transaction the order is: its own value (or creation endowment),
	// internal moves in call order, token logs in log order, then fees.
	Txs [][]Transfer
	// Block holds the edges that belong to no transaction: withdrawals
	// and rewards, all mints.
	Block []Transfer
	// Skips are the token logs that could not be decoded.
	Skips []Skip
}

// Edges returns the number of edges in the block.
func (d *Decoded) Edges() int {
	n := len(d.Block)
	for _, t := range d.Txs {
		n += len(t)
	}
	return n
}

var gweiWei = big.NewInt(1e9)

// DecodeBlock turns every move of value in b into a transfer edge. A
// failed transaction moves nothing but its fee. Reverted frames of a
// successful transaction, with everything below them, move nothing.
func (d *LogDecoder) DecodeBlock(b *Block) (*Decoded, error) {
	out := &Decoded{Txs: make([][]Transfer, len(b.Txs))}
	for i := range b.Txs {
		tx := &b.Txs[i]
		edges, skips, err := d.DecodeTx(b, tx)
		if err != nil {
			return nil, fmt.Errorf("block %d (%s): tx %s: %w", b.Number, b.Hash, tx.Hash, err)
		}
		out.Txs[i] = edges
		out.Skips = append(out.Skips, skips...)
	}
	for _, w := range b.Withdrawals {
		amt := new(big.Int).Mul(new(big.Int).SetUint64(w.Gwei), gweiWei)
		if amt.Sign() > 0 {
			out.Block = append(out.Block, Transfer{Kind: KindWithdrawal, Mint: true, To: w.Address, Amount: amt, Log: -1})
		}
	}
	for _, r := range b.Rewards {
		if r.Value != nil && r.Value.Sign() > 0 {
			out.Block = append(out.Block, Transfer{Kind: KindReward, Mint: true, To: r.Author, Amount: new(big.Int).Set(r.Value), Log: -1})
		}
	}
	return out, nil
}

// DecodeTx returns the edges of one transaction of block b and the logs it
// had to skip.
func (d *LogDecoder) DecodeTx(b *Block, tx *Tx) ([]Transfer, []Skip, error) {
	var edges []Transfer
	var skips []Skip
	rc := &tx.Receipt
	if rc.Status == 1 {
		if positive(tx.Value) {
			if tx.To == nil {
				edges = append(edges, Transfer{Kind: KindCreate, From: tx.From, To: rc.ContractAddress, Amount: tx.Value, Log: -1})
			} else {
				edges = append(edges, Transfer{Kind: KindNative, From: tx.From, To: *tx.To, Amount: tx.Value, Log: -1})
			}
		}
		if tx.Trace != nil {
			if tx.Trace.Error != "" {
				return nil, nil, fmt.Errorf("receipt says success but the trace's top frame failed: %s", tx.Trace.Error)
			}
			edges = appendInternal(edges, tx.Trace.Calls)
		}
		for j := range rc.Logs {
			l := &rc.Logs[j]
			ts, err := d.DecodeLog(l)
			if err != nil {
				skips = append(skips, Skip{TxHash: tx.Hash, Log: l.Index, Reason: err.Error()})
				continue
			}
			edges = append(edges, ts...)
		}
	}
	price := rc.EffectiveGasPrice
	if price == nil {
		price = tx.GasPrice
	}
	if price == nil {
		return nil, nil, fmt.Errorf("no effective gas price in the receipt and no gas price in the transaction")
	}
	gas := new(big.Int).SetUint64(rc.GasUsed)
	fee := new(big.Int).Mul(gas, price)
	burnt := new(big.Int)
	if b.BaseFee != nil {
		burnt.Mul(gas, b.BaseFee)
		if burnt.Cmp(fee) > 0 {
			return nil, nil, fmt.Errorf("effective gas price %s is below the base fee %s", price, b.BaseFee)
		}
	}
	tip := fee.Sub(fee, burnt)
	if rc.BlobGasUsed > 0 && rc.BlobGasPrice != nil {
		burnt.Add(burnt, new(big.Int).Mul(new(big.Int).SetUint64(rc.BlobGasUsed), rc.BlobGasPrice))
	}
	if tip.Sign() > 0 {
		edges = append(edges, Transfer{Kind: KindFee, From: tx.From, To: b.Miner, Amount: tip, Log: -1})
	}
	if burnt.Sign() > 0 {
		edges = append(edges, Transfer{Kind: KindBurn, From: tx.From, Sink: true, Amount: burnt, Log: -1})
	}
	return edges, skips, nil
}

// appendInternal appends the value moves of the successful frames among
// calls and their descendants, depth first in call order. A failed frame's
// whole subtree is reverted and moves nothing. DELEGATECALL and CALLCODE
// run code for the caller and move no ether between accounts; STATICCALL
// cannot carry value.
func appendInternal(edges []Transfer, calls []CallFrame) []Transfer {
	for i := range calls {
		f := &calls[i]
		if f.Error != "" {
			continue
		}
		if positive(f.Value) {
			switch f.Type {
			case "CALL":
				edges = append(edges, Transfer{Kind: KindInternal, From: f.From, To: f.To, Amount: f.Value, Log: -1})
			case "CREATE", "CREATE2":
				edges = append(edges, Transfer{Kind: KindCreate, From: f.From, To: f.To, Amount: f.Value, Log: -1})
			case "SELFDESTRUCT":
				edges = append(edges, Transfer{Kind: KindSelfDestruct, From: f.From, To: f.To, Amount: f.Value, Log: -1})
			}
		}
		edges = appendInternal(edges, f.Calls)
	}
	return edges
}

func positive(v *big.Int) bool { return v != nil && v.Sign() > 0 }
