package detect

import (
	"context"
	"encoding/hex"
	"fmt"
	"math/big"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	chain "github.com/spoorhq/spoor/chains/ethereum"
	"github.com/spoorhq/spoor/storage"
	"github.com/spoorhq/spoor/trace"
)

// EthTransfer is one Ethereum value movement as the Ethereum detectors
// see it: ether (Asset 0) or a token (Asset the token contract's number).
type EthTransfer struct {
	Hash     [32]byte
	Height   uint32
	Time     int64 // block time, Unix seconds
	From, To storage.AddrID
	Asset    storage.AddrID
	Amount   *big.Int
}

// EthWorld is the Ethereum index in memory: every transfer that moves
// value between two addresses, in chain order, with the address labels.
// Like World it is sized for test and simulated chains, not mainnet.
type EthWorld struct {
	Transfers []EthTransfer
	// In and Out list, per address, the indexes into Transfers of the
	// transfers paying it and paid by it, in chain order.
	In, Out map[storage.AddrID][]int
	Labels  trace.MapLabels

	names map[storage.AddrID]string
}

// EthSource is what loading an EthWorld reads. *storage.DB implements it.
type EthSource interface {
	EthState() (storage.EthState, error)
	EthBlock(h uint32) (storage.EthBlockRecord, error)
	EthTx(n storage.TxNum) (storage.EthTxRecord, error)
	EthTransfers(n storage.TxNum) ([]storage.EthTransferRecord, error)
	EthAddress(id storage.AddrID) ([20]byte, error)
	LookupEthAddr(addr [20]byte) (storage.AddrID, error)
	ScanLabels(fn func(*storage.Label) error) error
}

// movesValue reports whether a transfer is a movement between two
// holders that contact can follow: fees, burns, rewards, withdrawals,
// mints and zero amounts are not.
func movesValue(r *storage.EthTransferRecord) bool {
	switch chain.Kind(r.Kind) {
	case chain.KindFee, chain.KindBurn, chain.KindReward, chain.KindWithdrawal:
		return false
	}
	return !r.Mint && !r.Sink && r.From != 0 && r.To != 0 && r.From != r.To && r.Amount != nil && r.Amount.Sign() > 0
}

// LoadEth reads every transfer of the Ethereum index src and the labels of the addresses it has numbered. An index
// without transactions is an error: there is nothing to detect on.
func LoadEth(ctx context.Context, src EthSource) (*EthWorld, error) {
	st, err := src.EthState()
	if err != nil {
		return nil, fmt.Errorf("detect: read ethereum state: %w", err)
	}
	if st.Blocks == 0 || st.Txs == 0 {
		return nil, fmt.Errorf("detect: the ethereum index holds no transactions: index a chain first")
	}
	w := &EthWorld{In: map[storage.AddrID][]int{}, Out: map[storage.AddrID][]int{}, Labels: trace.MapLabels{}, names: map[storage.AddrID]string{}}
	for h := uint32(0); h < uint32(st.Blocks); h++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		blk, err := src.EthBlock(h)
		if err != nil {
			return nil, fmt.Errorf("detect: ethereum block %d: %w", h, err)
		}
		n := blk.NumTx
		if blk.System {
			n++
		}
		for i := range n {
			num := blk.FirstTxNum + storage.TxNum(i)
			tx, err := src.EthTx(num)
			if err != nil {
				return nil, fmt.Errorf("detect: ethereum block %d: %w", h, err)
			}
			if tx.Flags&storage.EthTxFailed != 0 || tx.Transfers == 0 {
				continue
			}
			trs, err := src.EthTransfers(num)
			if err != nil {
				return nil, fmt.Errorf("detect: ethereum tx %x: %w", tx.Hash, err)
			}
			for j := range trs {
				r := &trs[j]
				if !movesValue(r) {
					continue
				}
				k := len(w.Transfers)
				w.Transfers = append(w.Transfers, EthTransfer{Hash: tx.Hash, Height: h, Time: int64(blk.Time), From: r.From, To: r.To, Asset: r.Asset, Amount: r.Amount})
				w.Out[r.From] = append(w.Out[r.From], k)
				w.In[r.To] = append(w.In[r.To], k)
			}
		}
	}
	err = src.ScanLabels(func(l *storage.Label) error {
		if l.Subject != storage.SubjectAddress || l.AddrClass != 0 || len(l.AddrPayload) != 20 {
			return nil
		}
		id, err := src.LookupEthAddr([20]byte(l.AddrPayload))
		if err != nil {
			// A labelled address the index never saw has no contact.
			return nil
		}
		w.Labels[id] = append(w.Labels[id], trace.Tag{Entity: l.Entity, Category: l.Category, Source: l.Source, Confidence: l.Confidence})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("detect: read ethereum labels: %w", err)
	}
	for _, ids := range [][]storage.AddrID{keysOfEth(w.In), keysOfEth(w.Out), keysOfEth(w.Labels)} {
		for _, id := range ids {
			if _, ok := w.names[id]; ok {
				continue
			}
			a, err := src.EthAddress(id)
			if err != nil {
				return nil, fmt.Errorf("detect: ethereum address %d: %w", id, err)
			}
			w.names[id] = common.Address(a).Hex()
		}
	}
	for i := range w.Transfers {
		if a := w.Transfers[i].Asset; a != 0 {
			if _, ok := w.names[a]; !ok {
				b, err := src.EthAddress(a)
				if err != nil {
					return nil, fmt.Errorf("detect: ethereum token %d: %w", a, err)
				}
				w.names[a] = common.Address(b).Hex()
			}
		}
	}
	return w, nil
}

// keysOfEth returns the keys of m in ascending order.
func keysOfEth[V any](m map[storage.AddrID]V) []storage.AddrID {
	out := make([]storage.AddrID, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Name returns the checksummed hex of address a.
func (w *EthWorld) Name(a storage.AddrID) string {
	if s, ok := w.names[a]; ok {
		return s
	}
	return fmt.Sprintf("#%d", a)
}

// AssetName returns "ETH" for ether and the token contract's address
// otherwise.
func (w *EthWorld) AssetName(a storage.AddrID) string {
	if a == 0 {
		return "ETH"
	}
	return w.Name(a)
}

// tagOf returns the first label of a that match accepts.
func (w *EthWorld) tagOf(a storage.AddrID, match func(trace.Tag) bool) (trace.Tag, bool) {
	for _, t := range w.Labels[a] {
		if match(t) {
			return t, true
		}
	}
	return trace.Tag{}, false
}

// ethHash returns a transaction hash as 0x-prefixed hex.
func ethHash(h [32]byte) string { return "0x" + hex.EncodeToString(h[:]) }
