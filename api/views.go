package api

import (
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/spoorhq/spoor/chains/bitcoin"
	"github.com/spoorhq/spoor/storage"
)

// Reader is what the views read from a chain index.
type Reader interface {
	State() (storage.ChainState, error)
	Tip(index string) (storage.Tip, bool, error)
	Block(h uint32) (storage.BlockRecord, error)
	BlockHeight(hash [32]byte) (uint32, error)
	Tx(n storage.TxNum) (storage.TxRecord, error)
	LookupTxid(txid [32]byte) (storage.TxNum, storage.TxRecord, error)
	Inputs(n storage.TxNum) (storage.InputsRecord, error)
	Outputs(n storage.TxNum) (storage.OutputsRecord, error)
	Spender(n storage.TxNum, vout uint32) (storage.Spender, error)
	LookupAddr(class uint8, payload []byte) (storage.AddrID, error)
	Address(id storage.AddrID) (storage.AddrRecord, error)
	Links(id storage.AddrID) ([]storage.AddrID, error)
	Postings(id storage.AddrID, after *storage.PostingKey, fn func(storage.Posting) bool) error
}

// Bitcoin renders views of a Bitcoin index on one network.
type Bitcoin struct {
	DB  Reader
	Net bitcoin.Network
}

// Stats summarizes an index.
type Stats struct {
	Chain          string           `json:"chain"`
	Height         int64            `json:"height"`
	TipHash        string           `json:"tip_hash,omitempty"`
	TipTime        string           `json:"tip_time,omitempty"`
	Blocks         uint64           `json:"blocks"`
	Txs            uint64           `json:"txs"`
	Inputs         uint64           `json:"inputs"`
	Outputs        uint64           `json:"outputs"`
	Addresses      uint64           `json:"addresses"`
	NullData       uint64           `json:"op_return_outputs"`
	NonStandard    uint64           `json:"nonstandard_outputs"`
	NoAddress      uint64           `json:"outputs_without_address"`
	FeesSat        uint64           `json:"fees_sat"`
	MintedSat      uint64           `json:"minted_sat"`
	UnspendableSat uint64           `json:"value_without_address_sat"`
	IndexTips      map[string]int64 `json:"index_tips"`
	DiskBytes      uint64           `json:"disk_bytes,omitempty"`
}

// Stats returns the summary of the index. indexes names the indexes whose
// tips to report.
func (v Bitcoin) Stats(chain string, indexes ...string) (*Stats, error) {
	st, err := v.DB.State()
	if err != nil {
		return nil, err
	}
	s := &Stats{
		Chain: chain, Height: -1, Blocks: st.Blocks, Txs: st.Txs, Inputs: st.Inputs, Outputs: st.Outputs,
		Addresses: st.Addresses, NullData: st.NullData, NonStandard: st.NonStandard, NoAddress: st.NoAddress,
		FeesSat: st.Fees, MintedSat: st.Minted, UnspendableSat: st.Unspendable, IndexTips: map[string]int64{},
	}
	for _, name := range indexes {
		tip, ok, err := v.DB.Tip(name)
		if err != nil {
			return nil, err
		}
		s.IndexTips[name] = -1
		if ok {
			s.IndexTips[name] = int64(tip.Height)
		}
	}
	if len(indexes) > 0 && s.IndexTips[indexes[0]] >= 0 {
		s.Height = s.IndexTips[indexes[0]]
		blk, err := v.DB.Block(uint32(s.Height))
		if err != nil {
			return nil, err
		}
		s.TipHash = hashString(blk.Hash)
		s.TipTime = blockTime(blk.Time)
	}
	return s, nil
}

// Address is the view of one address.
type Address struct {
	Address     string      `json:"address"`
	Type        string      `json:"type"`
	Linked      []string    `json:"linked_forms,omitempty"`
	BalanceSat  int64       `json:"balance_sat"`
	ReceivedSat uint64      `json:"received_sat"`
	SentSat     uint64      `json:"sent_sat"`
	TxCount     int         `json:"tx_count"`
	FirstSeen   int64       `json:"first_seen_height"`
	LastSeen    int64       `json:"last_seen_height"`
	Txs         []AddressTx `json:"txs"`
	NextCursor  string      `json:"next_cursor,omitempty"`
}

// AddressTx is one transaction in an address's history.
type AddressTx struct {
	Txid        string `json:"txid"`
	Height      int64  `json:"height"`
	Time        string `json:"time"`
	ReceivedSat uint64 `json:"received_sat"`
	SentSat     uint64 `json:"sent_sat"`

	num storage.TxNum
}

// ErrBadInput marks a query whose input cannot be understood.
var ErrBadInput = errors.New("bad input")

// Address returns the view of addr with its linked forms (a public key's
// P2PK and P2PKH forms count as one address), newest transactions first.
// cursor is "" for the first page or a previous view's NextCursor.
func (v Bitcoin) Address(addr string, limit int, cursor string) (*Address, error) {
	class, payload, err := bitcoin.ParseAddress(v.Net, addr)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadInput, err)
	}
	if limit <= 0 || limit > 10000 {
		return nil, fmt.Errorf("%w: limit %d is outside 1..10000", ErrBadInput, limit)
	}
	before := uint64(1<<64 - 1)
	if cursor != "" {
		if before, err = strconv.ParseUint(cursor, 10, 64); err != nil {
			return nil, fmt.Errorf("%w: cursor %q is not one this server gave out", ErrBadInput, cursor)
		}
	}
	id, err := v.DB.LookupAddr(uint8(class), payload)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, fmt.Errorf("address %s: never seen on %s: %w", addr, v.Net.Name, storage.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	view := &Address{Address: addr, Type: class.String(), FirstSeen: -1, LastSeen: -1}
	ids := []storage.AddrID{id}
	links, err := v.DB.Links(id)
	if err != nil {
		return nil, err
	}
	for _, l := range links {
		rec, err := v.DB.Address(l)
		if err != nil {
			return nil, err
		}
		s, err := bitcoin.EncodeAddress(v.Net, bitcoin.ScriptClass(rec.Class), rec.Payload)
		if err != nil {
			return nil, err
		}
		view.Linked = append(view.Linked, s)
		ids = append(ids, l)
	}
	type flow struct{ in, out uint64 }
	byTx := map[storage.TxNum]*flow{}
	for _, id := range ids {
		err := v.DB.Postings(id, nil, func(p storage.Posting) bool {
			f := byTx[p.TxNum]
			if f == nil {
				f = &flow{}
				byTx[p.TxNum] = f
			}
			if p.Role == storage.RoleReceive {
				f.in += p.Amount
			} else {
				f.out += p.Amount
			}
			return true
		})
		if err != nil {
			return nil, err
		}
	}
	nums := make([]storage.TxNum, 0, len(byTx))
	for n, f := range byTx {
		nums = append(nums, n)
		view.ReceivedSat += f.in
		view.SentSat += f.out
	}
	view.BalanceSat = int64(view.ReceivedSat) - int64(view.SentSat)
	view.TxCount = len(nums)
	sort.Slice(nums, func(i, j int) bool { return nums[i] > nums[j] })
	if len(nums) > 0 {
		last, err := v.DB.Tx(nums[0])
		if err != nil {
			return nil, err
		}
		first, err := v.DB.Tx(nums[len(nums)-1])
		if err != nil {
			return nil, err
		}
		view.FirstSeen, view.LastSeen = int64(first.Height), int64(last.Height)
	}
	view.Txs = []AddressTx{}
	for _, n := range nums {
		if uint64(n) >= before {
			continue
		}
		if len(view.Txs) == limit {
			view.NextCursor = strconv.FormatUint(uint64(view.Txs[len(view.Txs)-1].num), 10)
			break
		}
		tx, err := v.DB.Tx(n)
		if err != nil {
			return nil, err
		}
		blk, err := v.DB.Block(tx.Height)
		if err != nil {
			return nil, err
		}
		view.Txs = append(view.Txs, AddressTx{Txid: hashString(tx.Txid), Height: int64(tx.Height),
			Time: blockTime(blk.Time), ReceivedSat: byTx[n].in, SentSat: byTx[n].out, num: n})
	}
	return view, nil
}

// Tx is the view of one transaction.
type Tx struct {
	Txid     string     `json:"txid"`
	Height   int64      `json:"height"`
	Block    string     `json:"block_hash"`
	Time     string     `json:"time"`
	Index    uint32     `json:"index_in_block"`
	Coinbase bool       `json:"coinbase"`
	Size     uint32     `json:"size"`
	VSize    uint32     `json:"vsize"`
	FeeSat   uint64     `json:"fee_sat"`
	Inputs   []TxInput  `json:"inputs"`
	Outputs  []TxOutput `json:"outputs"`
}

// TxInput is one input of a transaction view, with the output it spends.
type TxInput struct {
	PrevTxid string `json:"prev_txid"`
	PrevVout uint32 `json:"prev_vout"`
	Address  string `json:"address,omitempty"`
	ValueSat uint64 `json:"value_sat"`
}

// TxOutput is one output of a transaction view, with its spender if spent.
type TxOutput struct {
	N         uint32   `json:"n"`
	ValueSat  uint64   `json:"value_sat"`
	Type      string   `json:"type"`
	Address   string   `json:"address,omitempty"`
	ScriptHex string   `json:"script_hex,omitempty"`
	SpentBy   *Spender `json:"spent_by,omitempty"`
}

// Spender names the input that spent an output.
type Spender struct {
	Txid   string `json:"txid"`
	Vin    uint32 `json:"vin"`
	Height int64  `json:"height"`
}

// Tx returns the view of the transaction with the given id.
func (v Bitcoin) Tx(txid string) (*Tx, error) {
	h, err := chainhash.NewHashFromStr(txid)
	if err != nil || len(txid) != 64 {
		return nil, fmt.Errorf("%w: %q is not a 64-digit hex txid", ErrBadInput, txid)
	}
	n, rec, err := v.DB.LookupTxid(*h)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, fmt.Errorf("transaction %s: not in the index: %w", txid, err)
	}
	if err != nil {
		return nil, err
	}
	blk, err := v.DB.Block(rec.Height)
	if err != nil {
		return nil, err
	}
	view := &Tx{Txid: txid, Height: int64(rec.Height), Block: hashString(blk.Hash), Time: blockTime(blk.Time),
		Index: rec.Index, Coinbase: rec.Flags&storage.TxCoinbase != 0, Size: rec.Size, VSize: rec.VSize,
		FeeSat: rec.Fee, Inputs: []TxInput{}, Outputs: []TxOutput{}}
	ins, err := v.DB.Inputs(n)
	if err != nil {
		return nil, err
	}
	for _, in := range ins {
		prev, err := v.DB.Tx(in.PrevTxNum)
		if err != nil {
			return nil, err
		}
		addr, err := v.addressString(in.AddrID)
		if err != nil {
			return nil, err
		}
		view.Inputs = append(view.Inputs, TxInput{PrevTxid: hashString(prev.Txid), PrevVout: in.PrevVout, Address: addr, ValueSat: in.Value})
	}
	outs, err := v.DB.Outputs(n)
	if err != nil {
		return nil, err
	}
	for i, o := range outs {
		out := TxOutput{N: uint32(i), ValueSat: o.Value, Type: bitcoin.ScriptClass(o.Class).String()}
		if out.Address, err = v.addressString(o.AddrID); err != nil {
			return nil, err
		}
		if o.AddrID == 0 {
			out.ScriptHex = hex.EncodeToString(o.Script)
		}
		sp, err := v.DB.Spender(n, uint32(i))
		switch {
		case err == nil:
			stx, err := v.DB.Tx(sp.TxNum)
			if err != nil {
				return nil, err
			}
			out.SpentBy = &Spender{Txid: hashString(stx.Txid), Vin: sp.Vin, Height: int64(stx.Height)}
		case !errors.Is(err, storage.ErrNotFound):
			return nil, err
		}
		view.Outputs = append(view.Outputs, out)
	}
	return view, nil
}

func (v Bitcoin) addressString(id storage.AddrID) (string, error) {
	if id == 0 {
		return "", nil
	}
	rec, err := v.DB.Address(id)
	if err != nil {
		return "", err
	}
	return bitcoin.EncodeAddress(v.Net, bitcoin.ScriptClass(rec.Class), rec.Payload)
}

// hashString renders a hash in Bitcoin's display byte order.
func hashString(h [32]byte) string { return chainhash.Hash(h).String() }

func blockTime(t uint32) string { return time.Unix(int64(t), 0).UTC().Format(time.RFC3339) }
