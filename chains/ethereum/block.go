package ethereum

import (
	"math/big"

	"github.com/ethereum/go-ethereum/common"
)

// TraceMode says where a block's internal value transfers came from.
type TraceMode uint8

// The trace modes are stored with every block: never renumber them.
const (
	// TraceNone means the node offered no tracing API: the block's
	// internal transfers are missing from the index.
	TraceNone TraceMode = 0
	// TraceCall means debug_traceBlockByNumber with the callTracer.
	TraceCall TraceMode = 1
	// TraceParity means trace_block (OpenEthereum, Erigon, Nethermind).
	TraceParity TraceMode = 2
)

// String names the mode as the RPC method it came from.
func (m TraceMode) String() string {
	switch m {
	case TraceCall:
		return "debug_traceBlockByNumber/callTracer"
	case TraceParity:
		return "trace_block"
	}
	return "none"
}

// Block is one block with everything the decoder needs: its transactions
// with their receipts and call traces, and its withdrawals.
type Block struct {
	Number      uint64
	Hash        common.Hash
	Parent      common.Hash
	Time        uint64
	Miner       common.Address // the fee recipient
	BaseFee     *big.Int       // nil before London
	GasUsed     uint64
	Txs         []Tx
	Withdrawals []Withdrawal
	// Rewards are block and uncle rewards, known only from trace_block.
	Rewards []Reward
	// Traced says how the transactions' Trace fields were filled; it is
	// TraceNone for a block without transactions.
	Traced TraceMode
}

// Tx is a transaction with its receipt and, when the node traces, its
// call tree.
type Tx struct {
	Hash  common.Hash
	From  common.Address
	To    *common.Address // nil for a contract creation
	Value *big.Int
	// GasPrice is the transaction's gas price field, used for the fee when
	// the receipt has no effective gas price (nodes from before London).
	GasPrice *big.Int
	Receipt  Receipt
	// Trace is the root call frame; nil when the block was not traced.
	Trace *CallFrame
}

// Receipt is the part of a transaction receipt the decoder reads.
type Receipt struct {
	Status            uint64 // 1 success, 0 failure
	GasUsed           uint64
	EffectiveGasPrice *big.Int
	BlobGasUsed       uint64
	BlobGasPrice      *big.Int
	ContractAddress   common.Address
	Logs              []Log
}

// Log is one event log.
type Log struct {
	Address common.Address
	Topics  []common.Hash
	Data    []byte
	Index   uint32 // position in the block
}

// CallFrame is one frame of a call tree in the callTracer's shape: the
// call, create or self-destruct, whether it failed, and its sub-calls.
type CallFrame struct {
	Type  string // CALL, STATICCALL, DELEGATECALL, CALLCODE, CREATE, CREATE2, SELFDESTRUCT
	From  common.Address
	To    common.Address
	Value *big.Int // nil when the frame carries no value field
	Error string   // non-empty when the frame reverted or failed
	Calls []CallFrame
}

// Withdrawal is a beacon-chain withdrawal credited in the block.
type Withdrawal struct {
	Index   uint64
	Address common.Address
	Gwei    uint64
}

// Reward is a block or uncle reward reported by trace_block.
type Reward struct {
	Author common.Address
	Value  *big.Int
	Uncle  bool
}
