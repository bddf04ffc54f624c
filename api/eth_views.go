package api

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	chain "github.com/spoorhq/spoor/chains/ethereum"
	"github.com/spoorhq/spoor/storage"
)

// EthReader is what the Ethereum views read from an Ethereum index.
type EthReader interface {
	EthState() (storage.EthState, error)
	Tip(index string) (storage.Tip, bool, error)
	EthBlock(h uint32) (storage.EthBlockRecord, error)
	EthTx(n storage.TxNum) (storage.EthTxRecord, error)
	LookupEthTx(hash [32]byte) (storage.TxNum, storage.EthTxRecord, error)
	EthTransfers(n storage.TxNum) ([]storage.EthTransferRecord, error)
	LookupEthAddr(addr [20]byte) (storage.AddrID, error)
	EthAddress(id storage.AddrID) ([20]byte, error)
	EthToken(id storage.AddrID) (storage.EthTokenRecord, error)
	EthPostings(id storage.AddrID, reverse bool, from *storage.EthPostingKey, fn func(storage.EthPostingKey) bool) error
	EthAllTotals(id storage.AddrID, fn func(storage.EthTotalsKey, storage.EthTotalsRecord) bool) error
}

// MaxCounterpartyScan bounds the address index rows an address view reads
// to count counterparties. Past it the count is a lower bound and the view
// says so; balances, totals and first and last sighting are exact at any
// size (they come from the totals table and the index's ends).
const MaxCounterpartyScan = 200_000

// Ethereum renders views of an Ethereum index.
type Ethereum struct {
	DB EthReader
}

// IsEthAddress reports whether s has the form of an Ethereum address:
// 0x and 40 hex digits.
func IsEthAddress(s string) bool {
	return len(s) == 42 && common.IsHexAddress(s) && strings.HasPrefix(s, "0x")
}

// IsEthHash reports whether s has the form of an Ethereum transaction
// hash: 0x and 64 hex digits.
func IsEthHash(s string) bool {
	if len(s) != 66 || !strings.HasPrefix(s, "0x") {
		return false
	}
	for _, c := range s[2:] {
		if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return false
		}
	}
	return true
}

// EthStats summarizes an Ethereum index.
type EthStats struct {
	Chain          string           `json:"chain"`
	Height         int64            `json:"height"`
	TipHash        string           `json:"tip_hash,omitempty"`
	TipTime        string           `json:"tip_time,omitempty"`
	Blocks         uint64           `json:"blocks"`
	Txs            uint64           `json:"txs"`
	FailedTxs      uint64           `json:"failed_txs"`
	Transfers      uint64           `json:"transfers"`
	Addresses      uint64           `json:"addresses"`
	Tokens         uint64           `json:"tokens"`
	SkippedLogs    uint64           `json:"skipped_token_logs"`
	UntracedBlocks uint64           `json:"untraced_blocks"`
	InternalTraces string           `json:"internal_transfers"`
	IndexTips      map[string]int64 `json:"index_tips"`
	DiskBytes      uint64           `json:"disk_bytes,omitempty"`
}

// Stats summarizes the index; indexes names the tips to report.
func (v Ethereum) Stats(chainName string, indexes ...string) (*EthStats, error) {
	st, err := v.DB.EthState()
	if err != nil {
		return nil, err
	}
	s := &EthStats{Chain: chainName, Height: -1, Blocks: st.Blocks, Txs: st.Txs, FailedTxs: st.FailedTxs, Transfers: st.Transfers,
		Addresses: st.Addresses, Tokens: st.Tokens, SkippedLogs: st.SkippedLogs, UntracedBlocks: st.UntracedBlocks,
		IndexTips: map[string]int64{}, InternalTraces: "complete"}
	if st.UntracedBlocks > 0 {
		s.InternalTraces = fmt.Sprintf("MISSING in %d blocks: the node offered no tracing API", st.UntracedBlocks)
	}
	for i, name := range indexes {
		tip, ok, err := v.DB.Tip(name)
		if err != nil {
			return nil, err
		}
		h := int64(-1)
		if ok {
			h = int64(tip.Height)
		}
		s.IndexTips[name] = h
		if i == 0 && ok {
			blk, err := v.DB.EthBlock(tip.Height)
			if err != nil {
				return nil, err
			}
			s.Height, s.TipHash, s.TipTime = h, common.Hash(tip.Hash).Hex(), blockTime(uint32(blk.Time))
		}
	}
	return s, nil
}

// EthEdge is one transfer edge in a view. Amounts are decimal strings in
// the asset's base unit (wei for ether).
type EthEdge struct {
	TxHash   string `json:"tx_hash,omitempty"`
	Height   int64  `json:"height,omitempty"`
	Time     string `json:"time,omitempty"`
	Seq      uint32 `json:"seq"`
	Kind     string `json:"kind"`
	From     string `json:"from,omitempty"` // empty for a mint
	To       string `json:"to,omitempty"`   // empty for a sink (burnt fees, unwrapped ether)
	Asset    string `json:"asset"`          // "ETH" or the token contract
	Symbol   string `json:"symbol,omitempty"`
	Decimals *uint8 `json:"decimals,omitempty"`
	TokenID  string `json:"token_id,omitempty"`
	Amount   string `json:"amount"`
	// Direction is "in", "out" or "self" in an address view.
	Direction string `json:"direction,omitempty"`
}

// EthTx is the view of one Ethereum transaction and its transfer edges.
type EthTx struct {
	Hash      string    `json:"hash"`
	Height    int64     `json:"height"`
	Block     string    `json:"block_hash"`
	Time      string    `json:"time"`
	Index     uint32    `json:"index_in_block"`
	Status    string    `json:"status"` // "success", "failed" or "system" (a block's withdrawals and rewards)
	From      string    `json:"from,omitempty"`
	To        string    `json:"to,omitempty"`
	Create    bool      `json:"contract_creation,omitempty"`
	Value     string    `json:"value_wei"`
	GasUsed   uint64    `json:"gas_used"`
	FeeWei    string    `json:"fee_wei"`
	Transfers []EthEdge `json:"transfers"`
}

// Tx returns the view of the transaction with the given hash.
func (v Ethereum) Tx(hash string) (*EthTx, error) {
	if !IsEthHash(hash) {
		return nil, fmt.Errorf("%w: %q is not a 0x-prefixed 32-byte hash", ErrBadInput, hash)
	}
	h := common.HexToHash(hash)
	n, rec, err := v.DB.LookupEthTx(h)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, fmt.Errorf("tx %s: not in the index: %w", hash, storage.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	blk, err := v.DB.EthBlock(rec.Height)
	if err != nil {
		return nil, err
	}
	out := &EthTx{Hash: h.Hex(), Height: int64(rec.Height), Block: common.Hash(blk.Hash).Hex(), Time: blockTime(uint32(blk.Time)),
		Index: rec.Index, Status: "success", Create: rec.Flags&storage.EthTxCreate != 0, Value: bigString(rec.Value),
		GasUsed: rec.GasUsed, FeeWei: bigString(rec.Fee), Transfers: []EthEdge{}}
	switch {
	case rec.Flags&storage.EthTxSystem != 0:
		out.Status = "system"
	case rec.Flags&storage.EthTxFailed != 0:
		out.Status = "failed"
	}
	if rec.Flags&storage.EthTxSystem == 0 {
		if out.From, err = v.addr(rec.From); err != nil {
			return nil, err
		}
		if out.To, err = v.addr(rec.To); err != nil {
			return nil, err
		}
	}
	ts, err := v.DB.EthTransfers(n)
	if err != nil {
		return nil, err
	}
	tokens := map[storage.AddrID]*storage.EthTokenRecord{}
	for seq := range ts {
		e, err := v.edge(&ts[seq], uint32(seq), tokens)
		if err != nil {
			return nil, err
		}
		out.Transfers = append(out.Transfers, e)
	}
	return out, nil
}

func (v Ethereum) addr(id storage.AddrID) (string, error) {
	a, err := v.DB.EthAddress(id)
	if err != nil {
		return "", err
	}
	return common.Address(a).Hex(), nil
}

// edge renders a transfer, looking token metadata up once per view.
func (v Ethereum) edge(t *storage.EthTransferRecord, seq uint32, tokens map[storage.AddrID]*storage.EthTokenRecord) (EthEdge, error) {
	e := EthEdge{Seq: seq, Kind: chain.Kind(t.Kind).String(), Asset: "ETH", Amount: bigString(t.Amount)}
	var err error
	if !t.Mint {
		if e.From, err = v.addr(t.From); err != nil {
			return e, err
		}
	}
	if !t.Sink {
		if e.To, err = v.addr(t.To); err != nil {
			return e, err
		}
	}
	if t.TokenID != nil {
		e.TokenID = t.TokenID.String()
	}
	if t.Asset == 0 {
		e.Symbol, e.Decimals = "ETH", ptr(uint8(18))
		return e, nil
	}
	if e.Asset, err = v.addr(t.Asset); err != nil {
		return e, err
	}
	m, ok := tokens[t.Asset]
	if !ok {
		rec, err := v.DB.EthToken(t.Asset)
		switch {
		case err == nil:
			m = &rec
		case !errors.Is(err, storage.ErrNotFound):
			return e, err
		}
		tokens[t.Asset] = m
	}
	if m != nil {
		e.Symbol = m.Symbol
		if m.HasDecimals {
			e.Decimals = ptr(m.Decimals)
		}
	}
	return e, nil
}

func ptr[T any](v T) *T { return &v }

func bigString(v *big.Int) string {
	if v == nil {
		return "0"
	}
	return v.String()
}

// EthBalance is an address's position in one asset (one token id for
// ERC-721 and ERC-1155). Balance is received minus sent; for ether it
// leaves out genesis allocations, which no block records.
type EthBalance struct {
	Asset     string `json:"asset"`
	Symbol    string `json:"symbol,omitempty"`
	Decimals  *uint8 `json:"decimals,omitempty"`
	TokenID   string `json:"token_id,omitempty"`
	Balance   string `json:"balance"`
	Received  string `json:"received"`
	Sent      string `json:"sent"`
	Transfers int    `json:"transfers"`
}

// EthAddress is the view of an Ethereum address.
type EthAddress struct {
	Address        string       `json:"address"`
	Balances       []EthBalance `json:"balances"`
	Counterparties int          `json:"counterparties"`
	// CounterpartiesExact is false when the address has more than
	// MaxCounterpartyScan index rows: Counterparties is then a lower bound.
	CounterpartiesExact bool      `json:"counterparties_exact"`
	TransferCount       uint64    `json:"transfer_count"`
	FirstSeen           int64     `json:"first_seen_height"`
	LastSeen            int64     `json:"last_seen_height"`
	FirstSeenTime       string    `json:"first_seen_time,omitempty"`
	LastSeenTime        string    `json:"last_seen_time,omitempty"`
	Transfers           []EthEdge `json:"transfers"`
	NextCursor          string    `json:"next_cursor,omitempty"`
}

// Address returns the view of addr: per-asset balances and totals,
// counterparties, first and last sighting, and its transfers newest first,
// limit per page. cursor is "" for the first page or a previous view's
// NextCursor.
func (v Ethereum) Address(addr string, limit int, cursor string) (*EthAddress, error) {
	if !IsEthAddress(addr) {
		return nil, fmt.Errorf("%w: %q is not a 0x-prefixed 20-byte address", ErrBadInput, addr)
	}
	if limit <= 0 || limit > 10000 {
		return nil, fmt.Errorf("%w: limit %d is outside 1..10000", ErrBadInput, limit)
	}
	var from *storage.EthPostingKey
	a := common.HexToAddress(addr)
	id, err := v.DB.LookupEthAddr(a)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, fmt.Errorf("address %s: never seen in the index: %w", addr, storage.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	if cursor != "" {
		tx, seq, ok := strings.Cut(cursor, ":")
		n, err1 := strconv.ParseUint(tx, 10, 64)
		s, err2 := strconv.ParseUint(seq, 10, 32)
		if !ok || err1 != nil || err2 != nil {
			return nil, fmt.Errorf("%w: cursor %q is not one this server gave out", ErrBadInput, cursor)
		}
		from = &storage.EthPostingKey{AddrID: id, TxNum: storage.TxNum(n), Seq: uint32(s), Role: storage.RoleReceive}
	}
	view := &EthAddress{Address: a.Hex(), FirstSeen: -1, LastSeen: -1, Transfers: []EthEdge{}, Balances: []EthBalance{}}

	// Balances and totals per asset.
	tokens := map[storage.AddrID]*storage.EthTokenRecord{}
	var werr error
	err = v.DB.EthAllTotals(id, func(k storage.EthTotalsKey, r storage.EthTotalsRecord) bool {
		probe := storage.EthTransferRecord{Asset: k.Asset, Amount: new(big.Int), Mint: true, Sink: true}
		var e EthEdge
		if e, werr = v.edge(&probe, 0, tokens); werr != nil {
			return false
		}
		b := EthBalance{Asset: e.Asset, Symbol: e.Symbol, Decimals: e.Decimals,
			Balance: new(big.Int).Sub(r.Received, r.Sent).String(), Received: r.Received.String(), Sent: r.Sent.String(), Transfers: int(r.Edges)}
		if k.HasID {
			b.TokenID = k.TokenIDInt().String()
		}
		view.Balances = append(view.Balances, b)
		view.TransferCount += r.Edges
		return true
	})
	if err == nil {
		err = werr
	}
	if err != nil {
		return nil, err
	}

	// Counterparties, from a bounded scan of the address index.
	peers := map[storage.AddrID]bool{}
	scanned := 0
	view.CounterpartiesExact = true
	var cur storage.TxNum
	var curTs []storage.EthTransferRecord
	var scanErr error
	err = v.DB.EthPostings(id, false, nil, func(k storage.EthPostingKey) bool {
		if scanned == MaxCounterpartyScan {
			view.CounterpartiesExact = false
			return false
		}
		scanned++
		if curTs == nil || cur != k.TxNum {
			cur = k.TxNum
			if curTs, scanErr = v.DB.EthTransfers(k.TxNum); scanErr != nil {
				return false
			}
		}
		if int(k.Seq) >= len(curTs) {
			scanErr = fmt.Errorf("address %s: posting of tx %d transfer %d, which has %d: %w", addr, k.TxNum, k.Seq, len(curTs), storage.ErrCorruption)
			return false
		}
		t := &curTs[k.Seq]
		switch {
		case k.Role == storage.RoleReceive && !t.Mint && t.From != id:
			peers[t.From] = true
		case k.Role == storage.RoleSpend && !t.Sink && t.To != id:
			peers[t.To] = true
		}
		return true
	})
	if err == nil {
		err = scanErr
	}
	if err != nil {
		return nil, err
	}
	view.Counterparties = len(peers)

	// First and last sighting: the two ends of the address index.
	for i, reverse := range []bool{false, true} {
		var at *storage.TxNum
		if err := v.DB.EthPostings(id, reverse, nil, func(k storage.EthPostingKey) bool {
			n := k.TxNum
			at = &n
			return false
		}); err != nil {
			return nil, err
		}
		if at == nil {
			continue
		}
		tx, err := v.DB.EthTx(*at)
		if err != nil {
			return nil, err
		}
		blk, err := v.DB.EthBlock(tx.Height)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			view.FirstSeen, view.FirstSeenTime = int64(tx.Height), blockTime(uint32(blk.Time))
		} else {
			view.LastSeen, view.LastSeenTime = int64(tx.Height), blockTime(uint32(blk.Time))
		}
	}

	// One page, newest first. An edge from the address to itself has two
	// rows and is listed once, as "self".
	type row struct {
		n    storage.TxNum
		seq  uint32
		role storage.Role
	}
	var rows []row
	more := false
	err = v.DB.EthPostings(id, true, from, func(k storage.EthPostingKey) bool {
		if l := len(rows); l > 0 && rows[l-1].n == k.TxNum && rows[l-1].seq == k.Seq {
			rows[l-1].role = 2
			return true
		}
		if len(rows) == limit {
			more = true
			return false
		}
		rows = append(rows, row{n: k.TxNum, seq: k.Seq, role: k.Role})
		return true
	})
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		tx, err := v.DB.EthTx(r.n)
		if err != nil {
			return nil, err
		}
		blk, err := v.DB.EthBlock(tx.Height)
		if err != nil {
			return nil, err
		}
		ts, err := v.DB.EthTransfers(r.n)
		if err != nil {
			return nil, err
		}
		if int(r.seq) >= len(ts) {
			return nil, fmt.Errorf("address %s: tx %d has no transfer %d: %w", addr, r.n, r.seq, storage.ErrCorruption)
		}
		e, err := v.edge(&ts[r.seq], r.seq, tokens)
		if err != nil {
			return nil, err
		}
		e.TxHash, e.Height, e.Time = common.Hash(tx.Hash).Hex(), int64(tx.Height), blockTime(uint32(blk.Time))
		e.Direction = [...]string{"in", "out", "self"}[r.role]
		view.Transfers = append(view.Transfers, e)
	}
	if more && len(rows) > 0 {
		l := rows[len(rows)-1]
		view.NextCursor = fmt.Sprintf("%d:%d", l.n, l.seq)
	}
	return view, nil
}
