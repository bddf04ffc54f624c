package cluster

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"
	"github.com/spoorhq/spoor/heuristics"
	"github.com/spoorhq/spoor/indexer"
	"github.com/spoorhq/spoor/storage"
)

// ConfidenceChangeSpend is the confidence of change-spend/1 merges, in
// percent: a payee whose wallet happens to build its transactions like the
// payer's, while another payee's does not, makes it wrong.
const ConfidenceChangeSpend = 80

// A wallet fingerprint is what a wallet's software writes the same way in
// every transaction it builds: the transaction version, whether a lock
// time is set and whether the inputs signal replace-by-fee (BIP 125). BIP
// 69 ordering is left out: with one or two outputs it is as often there by
// chance as not.
//
// Layout: version << 2 | lock time set << 1 | RBF.
func fingerprint(tx *wire.MsgTx) uint64 {
	fp := uint64(uint32(tx.Version)) << 2
	if tx.LockTime != 0 {
		fp |= 2
	}
	for _, in := range tx.TxIn {
		if in.Sequence < wire.MaxTxInSequenceNum-1 {
			fp |= 1
			break
		}
	}
	return fp
}

// sourceBlock reads and decodes blk from the chain source src and checks
// that it is the block the index has; who names the rule that needs it.
func sourceBlock(ctx context.Context, src BlockReader, blk *indexer.ConnectedBlock, who string) (*wire.MsgBlock, error) {
	raw, err := src.ReadBlock(ctx, int32(blk.Height))
	if err != nil {
		return nil, fmt.Errorf("%s: read block at height %d from the source: %w", who, blk.Height, err)
	}
	var mb wire.MsgBlock
	if err := mb.Deserialize(bytes.NewReader(raw)); err != nil {
		return nil, fmt.Errorf("%s: decode block at height %d: %w", who, blk.Height, err)
	}
	if h := mb.Header.BlockHash(); h != chainhash.Hash(blk.Block.Hash) {
		return nil, fmt.Errorf("%s: the source's block at height %d is %s, the index's is %s: the source serves another chain",
			who, blk.Height, h, chainhash.Hash(blk.Block.Hash))
	}
	if len(mb.Transactions) != len(blk.Txs) {
		return nil, fmt.Errorf("%s: block %s has %d transactions in the source and %d in the index", who, blk.Block.Hash, len(mb.Transactions), len(blk.Txs))
	}
	return &mb, nil
}

// blockFingerprints returns the wallet fingerprint of every transaction of
// blk, read from the chain source (the index keeps no versions, lock times
// or sequence numbers).
func blockFingerprints(ctx context.Context, src BlockReader, blk *indexer.ConnectedBlock) ([]uint64, error) {
	mb, err := sourceBlock(ctx, src, blk, ChangeSpend.String())
	if err != nil {
		return nil, err
	}
	out := make([]uint64, len(mb.Transactions))
	for i, tx := range mb.Transactions {
		out[i] = fingerprint(tx)
	}
	return out, nil
}

// plans keeps the change-spend/1 plans of transactions whose outputs are
// not all spent. plan returns a plan whose Outs the caller must not
// change; putPlan and deletePlan replace it.
type plans interface {
	plan(n storage.TxNum) (storage.SpendPlan, bool, error)
	putPlan(n storage.TxNum, p *storage.SpendPlan) error
	deletePlan(n storage.TxNum) error
}

// spendChange applies change-spend/1 to tx: it records how tx spends the
// outputs of planned transactions and returns the links of the plans tx
// completes, then plans tx itself if it is a candidate. A transaction's
// change is the output spent by a transaction with its own wallet
// fingerprint, once every other output with an address is spent by
// transactions with another fingerprint, provided the change pays an
// address first seen in the transaction (wallets send change to new
// addresses; a reused address is more likely a service's deposit address,
// and change back to an input address needs no rule). A spend by a
// transaction any CoinJoin detector flags cancels the plan, and such
// transactions are never planned: a CoinJoin or Whirlpool Tx0 is built by
// the coordinator's client, not the wallet, so its fingerprint says
// nothing of the owner (a wallet sending its change into a Tx0 would make
// a payee spending with the wallet's fingerprint look like the change).
// fp is tx's fingerprint and coinJoin whether a detector flags tx.
func spendChange(ps plans, tx *heuristics.Tx, fp uint64, coinJoin bool, out []link) ([]link, error) {
	if tx.Coinbase {
		return out, nil
	}
	for _, in := range tx.Ins {
		p, ok, err := ps.plan(in.PrevTx)
		if err != nil {
			return out, fmt.Errorf("tx %d: plan of spent tx %d: %w", tx.Num, in.PrevTx, err)
		}
		if !ok {
			continue
		}
		if coinJoin {
			if err := ps.deletePlan(in.PrevTx); err != nil {
				return out, err
			}
			continue
		}
		if int(in.PrevVout) >= len(p.Outs) || p.Outs[in.PrevVout].State != storage.SpendUnspent {
			continue
		}
		p.Outs = slices.Clone(p.Outs)
		if fp == p.Fingerprint {
			p.Outs[in.PrevVout].State = storage.SpendSame
		} else {
			p.Outs[in.PrevVout].State = storage.SpendDiffer
		}
		change, done := decideOutputs(p.Outs)
		if !done {
			if err := ps.putPlan(in.PrevTx, &p); err != nil {
				return out, err
			}
			continue
		}
		if err := ps.deletePlan(in.PrevTx); err != nil {
			return out, err
		}
		if change >= 0 && p.Outs[change].Fresh && p.Outs[change].Addr != p.Input {
			out = append(out, link{a: p.Input, b: p.Outs[change].Addr, ev: storage.Evidence{
				TxNum: in.PrevTx, Rule: uint8(ChangeSpend), Confidence: ConfidenceChangeSpend, Spender: tx.Num}})
		}
	}
	if coinJoin || len(tx.Ins) == 0 || tx.Ins[0].Addr == 0 {
		return out, nil
	}
	p := storage.SpendPlan{Fingerprint: fp, Input: tx.Ins[0].Addr, Outs: make([]storage.SpendPlanOutput, len(tx.Outs))}
	spendable := 0
	for i, o := range tx.Outs {
		if o.Spendable() {
			p.Outs[i] = storage.SpendPlanOutput{Addr: o.Addr, State: storage.SpendUnspent, Fresh: o.Addr >= tx.FreshFrom}
			spendable++
		}
	}
	if spendable < 2 {
		return out, nil
	}
	return out, ps.putPlan(tx.Num, &p)
}

// decideOutputs reports whether every output with an address is spent and,
// if so, the change output: the one output spent with the creating
// transaction's fingerprint when at least one other was spent without it,
// else -1.
func decideOutputs(outs []storage.SpendPlanOutput) (change int, done bool) {
	change = -1
	same, differ := 0, 0
	for i, o := range outs {
		switch o.State {
		case storage.SpendUnspent:
			return -1, false
		case storage.SpendSame:
			same++
			change = i
		case storage.SpendDiffer:
			differ++
		}
	}
	if same != 1 || differ == 0 {
		return -1, true
	}
	return change, true
}
