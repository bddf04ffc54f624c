package indexer

import (
	"cmp"
	"slices"

	"github.com/spoorhq/spoor/storage"
)

// AddrIndex is the address index: for every address, the transactions it
// received in and spent in, with the amounts. One row per (address,
// transaction, role) however many outputs or inputs it covers.
type AddrIndex struct{}

var _ Index = AddrIndex{}

// AddrIndexName is the name under which the address index keeps its tip.
const AddrIndexName = "addrindex"

// Name returns "addrindex".
func (AddrIndex) Name() string { return AddrIndexName }

// ConnectBlock writes the block's address index rows.
func (AddrIndex) ConnectBlock(b *storage.Batch, blk *ConnectedBlock) error {
	for i := range blk.Txs {
		for _, p := range postingsOf(&blk.Txs[i]) {
			b.PutPosting(p.PostingKey, p.PostingValue)
		}
	}
	return nil
}

// DisconnectBlock deletes the block's address index rows.
func (AddrIndex) DisconnectBlock(b *storage.Batch, blk *ConnectedBlock) error {
	for i := range blk.Txs {
		for _, p := range postingsOf(&blk.Txs[i]) {
			b.DeletePosting(p.PostingKey)
		}
	}
	return nil
}

// postingsOf sums a transaction's inputs and outputs per address and role,
// in key order. Most transactions touch few addresses, and their sums are
// found by searching a short slice; large ones index it with a map.
func postingsOf(tx *ConnectedTx) []storage.Posting {
	n := len(tx.Inputs) + len(tx.Outputs)
	ps := make([]storage.Posting, 0, n)
	type key struct {
		id   storage.AddrID
		role storage.Role
	}
	var index map[key]int
	if n > smallTx {
		index = make(map[key]int, n)
	}
	add := func(id storage.AddrID, role storage.Role, amount uint64) {
		if id == 0 {
			return
		}
		at := -1
		if index != nil {
			if i, ok := index[key{id, role}]; ok {
				at = i
			} else {
				index[key{id, role}] = len(ps)
			}
		} else {
			for i := range ps {
				if ps[i].AddrID == id && ps[i].Role == role {
					at = i
					break
				}
			}
		}
		if at >= 0 {
			ps[at].Amount += amount
			ps[at].Count++
			return
		}
		ps = append(ps, storage.Posting{PostingKey: storage.MakePostingKey(id, tx.TxNum, role), PostingValue: storage.PostingValue{Amount: amount, Count: 1}})
	}
	for _, in := range tx.Inputs {
		add(in.AddrID, storage.RoleSpend, in.Value)
	}
	for _, out := range tx.Outputs {
		add(out.AddrID, storage.RoleReceive, out.Value)
	}
	slices.SortFunc(ps, func(a, b storage.Posting) int {
		if c := cmp.Compare(a.AddrID, b.AddrID); c != 0 {
			return c
		}
		return cmp.Compare(a.Role, b.Role)
	})
	return ps
}

// smallTx is the most inputs and outputs a transaction may have for its
// postings to be summed without a map.
const smallTx = 32
