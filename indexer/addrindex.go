package indexer

import (
	"sort"

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
// in key order.
func postingsOf(tx *ConnectedTx) []storage.Posting {
	type key struct {
		id   storage.AddrID
		role storage.Role
	}
	sums := make(map[key]*storage.PostingValue, len(tx.Inputs)+len(tx.Outputs))
	add := func(id storage.AddrID, role storage.Role, amount uint64) {
		if id == 0 {
			return
		}
		k := key{id, role}
		v := sums[k]
		if v == nil {
			v = &storage.PostingValue{}
			sums[k] = v
		}
		v.Amount += amount
		v.Count++
	}
	for _, in := range tx.Inputs {
		add(in.AddrID, storage.RoleSpend, in.Value)
	}
	for _, out := range tx.Outputs {
		add(out.AddrID, storage.RoleReceive, out.Value)
	}
	ps := make([]storage.Posting, 0, len(sums))
	for k, v := range sums {
		ps = append(ps, storage.Posting{PostingKey: storage.MakePostingKey(k.id, tx.TxNum, k.role), PostingValue: *v})
	}
	sort.Slice(ps, func(i, j int) bool {
		a, b := ps[i].PostingKey, ps[j].PostingKey
		if a.AddrID != b.AddrID {
			return a.AddrID < b.AddrID
		}
		return a.Role < b.Role
	})
	return ps
}
