package ethereum

import (
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
)

// Event signatures (topic 0) of the token events the decoder reads.
var (
	// TopicTransfer is Transfer(address,address,uint256), shared by ERC-20
	// (value in data) and ERC-721 (token id as the third indexed topic).
	TopicTransfer = common.HexToHash("0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef")
	// TopicTransferSingle is ERC-1155 TransferSingle(address,address,address,uint256,uint256).
	TopicTransferSingle = common.HexToHash("0xc3d58168c5ae7397731d063d5bbf3d657854427343f4c083240f7aacaa2d0f62")
	// TopicTransferBatch is ERC-1155 TransferBatch(address,address,address,uint256[],uint256[]).
	TopicTransferBatch = common.HexToHash("0x4a39dc06d4c0dbc64b70af90fd698a233a518aa5d07e595d983b8c0526c8f7fb")
	// TopicDeposit is WETH9 Deposit(address,uint256).
	TopicDeposit = common.HexToHash("0xe1fffcc4923d04b559f4d29a8bfc6cda04eb5b0d3c460751c2402c5c5cc9109c")
	// TopicWithdrawal is WETH9 Withdrawal(address,uint256).
	TopicWithdrawal = common.HexToHash("0x7fcf532c15f0a6db0bd6d0e038bea71d30d808c7d98cb3bf7268a95bf5081b65")
)

// MainnetWETH is the wrapped ether (WETH9) contract on mainnet.
var MainnetWETH = common.HexToAddress("0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2")

// maxBatchItems bounds the items of one TransferBatch log, so that a
// hostile log cannot make the decoder allocate without limit.
const maxBatchItems = 1 << 16

// LogDecoder turns token event logs into transfers.
type LogDecoder struct {
	// WETH lists the contracts whose Deposit and Withdrawal events are
	// wrapped-ether mints and burns. Other contracts use the same event
	// names for unrelated things, so only these are read.
	WETH map[common.Address]bool
}

// NewLogDecoder returns a decoder that treats the given contracts, and
// mainnet WETH, as wrapped ether.
func NewLogDecoder(weth ...common.Address) *LogDecoder {
	d := &LogDecoder{WETH: map[common.Address]bool{MainnetWETH: true}}
	for _, a := range weth {
		d.WETH[a] = true
	}
	return d
}

// DecodeLog returns the transfers a log records. A log whose first topic
// is not a known event returns nothing and no error. A known event in a
// shape the standard does not allow returns an error saying why; the
// caller records it as a skip.
func (d *LogDecoder) DecodeLog(l *Log) ([]Transfer, error) {
	if len(l.Topics) == 0 {
		return nil, nil
	}
	at := int64(l.Index)
	switch l.Topics[0] {
	case TopicTransfer:
		switch {
		case len(l.Topics) == 3 && len(l.Data) == 32:
			return []Transfer{{Kind: KindERC20, From: topicAddr(l.Topics[1]), To: topicAddr(l.Topics[2]),
				Asset: l.Address, Amount: new(big.Int).SetBytes(l.Data), Log: at}}, nil
		case len(l.Topics) == 4 && len(l.Data) == 0:
			return []Transfer{{Kind: KindERC721, From: topicAddr(l.Topics[1]), To: topicAddr(l.Topics[2]),
				Asset: l.Address, TokenID: new(big.Int).SetBytes(l.Topics[3][:]), Amount: big.NewInt(1), Log: at}}, nil
		}
		return nil, fmt.Errorf("Transfer log with %d topics and %d data bytes is neither ERC-20 (3 topics, 32 bytes) nor ERC-721 (4 topics, no data)", len(l.Topics), len(l.Data))
	case TopicTransferSingle:
		if len(l.Topics) != 4 || len(l.Data) != 64 {
			return nil, fmt.Errorf("TransferSingle log with %d topics and %d data bytes (want 4 and 64)", len(l.Topics), len(l.Data))
		}
		return []Transfer{{Kind: KindERC1155, From: topicAddr(l.Topics[2]), To: topicAddr(l.Topics[3]), Asset: l.Address,
			TokenID: new(big.Int).SetBytes(l.Data[:32]), Amount: new(big.Int).SetBytes(l.Data[32:]), Log: at}}, nil
	case TopicTransferBatch:
		if len(l.Topics) != 4 {
			return nil, fmt.Errorf("TransferBatch log with %d topics (want 4)", len(l.Topics))
		}
		ids, err := abiUintArray(l.Data, 0)
		if err != nil {
			return nil, fmt.Errorf("TransferBatch ids: %w", err)
		}
		vals, err := abiUintArray(l.Data, 1)
		if err != nil {
			return nil, fmt.Errorf("TransferBatch values: %w", err)
		}
		if len(ids) != len(vals) {
			return nil, fmt.Errorf("TransferBatch with %d ids and %d values", len(ids), len(vals))
		}
		from, to := topicAddr(l.Topics[2]), topicAddr(l.Topics[3])
		out := make([]Transfer, len(ids))
		for i := range ids {
			out[i] = Transfer{Kind: KindERC1155, From: from, To: to, Asset: l.Address, TokenID: ids[i], Amount: vals[i], Log: at}
		}
		return out, nil
	case TopicDeposit, TopicWithdrawal:
		if !d.WETH[l.Address] {
			return nil, nil
		}
		if len(l.Topics) != 2 || len(l.Data) != 32 {
			return nil, fmt.Errorf("WETH %s log with %d topics and %d data bytes (want 2 and 32)", eventName(l.Topics[0]), len(l.Topics), len(l.Data))
		}
		who, amt := topicAddr(l.Topics[1]), new(big.Int).SetBytes(l.Data)
		if l.Topics[0] == TopicDeposit {
			return []Transfer{{Kind: KindWETHDeposit, Mint: true, To: who, Asset: l.Address, Amount: amt, Log: at}}, nil
		}
		return []Transfer{{Kind: KindWETHWithdrawal, Sink: true, From: who, Asset: l.Address, Amount: amt, Log: at}}, nil
	}
	return nil, nil
}

func eventName(topic common.Hash) string {
	if topic == TopicDeposit {
		return "Deposit"
	}
	return "Withdrawal"
}

// topicAddr reads an address from an indexed topic (the low 20 bytes).
func topicAddr(h common.Hash) common.Address { return common.BytesToAddress(h[12:]) }

// abiUintArray reads the arg-th head word of ABI data as the offset of a
// dynamic uint256[] and returns its elements, checking every bound.
func abiUintArray(data []byte, arg int) ([]*big.Int, error) {
	head := arg * 32
	if len(data) < head+32 {
		return nil, fmt.Errorf("data of %d bytes has no head word %d", len(data), arg)
	}
	off, ok := abiWord(data[head : head+32])
	if !ok || off%32 != 0 || off+32 > uint64(len(data)) {
		return nil, fmt.Errorf("array offset out of range in %d bytes", len(data))
	}
	n, ok := abiWord(data[off : off+32])
	if !ok || n > maxBatchItems || off+32+n*32 > uint64(len(data)) {
		return nil, fmt.Errorf("array length out of range in %d bytes", len(data))
	}
	out := make([]*big.Int, n)
	for i := range out {
		start := off + 32 + uint64(i)*32
		out[i] = new(big.Int).SetBytes(data[start : start+32])
	}
	return out, nil
}

// abiWord reads a 32-byte word as an integer that fits in 32 bits.
func abiWord(w []byte) (uint64, bool) {
	for _, b := range w[:28] {
		if b != 0 {
			return 0, false
		}
	}
	return uint64(w[28])<<24 | uint64(w[29])<<16 | uint64(w[30])<<8 | uint64(w[31]), true
}
