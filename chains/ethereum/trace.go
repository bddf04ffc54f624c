package ethereum

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

// callFrameJSON is a callTracer frame as geth writes it.
type callFrameJSON struct {
	Type  string          `json:"type"`
	From  common.Address  `json:"from"`
	To    *common.Address `json:"to"`
	Value *hexutil.Big    `json:"value"`
	Error string          `json:"error"`
	Calls []callFrameJSON `json:"calls"`
}

// maxCallDepth bounds the nesting of a decoded call tree. The EVM stops at
// 1024; anything deeper is not a real trace.
const maxCallDepth = 1100

func (f *callFrameJSON) frame(depth int) (CallFrame, error) {
	if depth > maxCallDepth {
		return CallFrame{}, fmt.Errorf("call tree deeper than %d frames", maxCallDepth)
	}
	out := CallFrame{Type: strings.ToUpper(f.Type), From: f.From, Error: f.Error}
	if f.To != nil {
		out.To = *f.To
	}
	if f.Value != nil {
		out.Value = f.Value.ToInt()
	}
	if len(f.Calls) > 0 {
		out.Calls = make([]CallFrame, len(f.Calls))
		for i := range f.Calls {
			c, err := f.Calls[i].frame(depth + 1)
			if err != nil {
				return CallFrame{}, err
			}
			out.Calls[i] = c
		}
	}
	return out, nil
}

// DecodeCallFrame decodes one callTracer result.
func DecodeCallFrame(raw json.RawMessage) (*CallFrame, error) {
	var f callFrameJSON
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, fmt.Errorf("callTracer frame: %w", err)
	}
	c, err := f.frame(0)
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// txTraceJSON is one element of debug_traceBlockByNumber's result.
type txTraceJSON struct {
	TxHash common.Hash     `json:"txHash"`
	Result json.RawMessage `json:"result"`
	Error  string          `json:"error"`
}

// DecodeBlockCallTraces decodes debug_traceBlockByNumber's result with the
// callTracer into one root frame per transaction, checking that it traces
// exactly the given transactions.
func DecodeBlockCallTraces(raw json.RawMessage, txs []common.Hash) ([]*CallFrame, error) {
	var items []txTraceJSON
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("debug_traceBlockByNumber result: %w", err)
	}
	if len(items) != len(txs) {
		return nil, fmt.Errorf("debug_traceBlockByNumber traced %d transactions, the block has %d", len(items), len(txs))
	}
	out := make([]*CallFrame, len(items))
	for i, it := range items {
		if it.TxHash != (common.Hash{}) && it.TxHash != txs[i] {
			return nil, fmt.Errorf("trace %d is of tx %s, the block's tx %d is %s", i, it.TxHash, i, txs[i])
		}
		if it.Error != "" {
			return nil, fmt.Errorf("tracing tx %s failed on the node: %s", txs[i], it.Error)
		}
		f, err := DecodeCallFrame(it.Result)
		if err != nil {
			return nil, fmt.Errorf("tx %s: %w", txs[i], err)
		}
		out[i] = f
	}
	return out, nil
}

// parityTraceJSON is one element of trace_block's result (the flat
// OpenEthereum format, also geth's flatCallTracer).
type parityTraceJSON struct {
	Type   string `json:"type"`
	Action struct {
		CallType      string          `json:"callType"`
		From          common.Address  `json:"from"`
		To            *common.Address `json:"to"`
		Value         *hexutil.Big    `json:"value"`
		Address       common.Address  `json:"address"`       // suicide: the destroyed contract
		RefundAddress common.Address  `json:"refundAddress"` // suicide: the beneficiary
		Balance       *hexutil.Big    `json:"balance"`       // suicide: the amount
		Author        common.Address  `json:"author"`        // reward
		RewardType    string          `json:"rewardType"`    // reward: block or uncle
		Creation      string          `json:"creationMethod"`
	} `json:"action"`
	Result *struct {
		Address *common.Address `json:"address"`
	} `json:"result"`
	Error               string       `json:"error"`
	TraceAddress        []int        `json:"traceAddress"`
	TransactionHash     *common.Hash `json:"transactionHash"`
	TransactionPosition *int         `json:"transactionPosition"`
}

// DecodeParityTraces decodes trace_block's result (or geth's
// flatCallTracer output for one transaction, with txs of length one and
// no position fields) into one root frame per transaction, plus the
// block's rewards.
func DecodeParityTraces(raw json.RawMessage, txs []common.Hash) ([]*CallFrame, []Reward, error) {
	var items []parityTraceJSON
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, nil, fmt.Errorf("trace_block result: %w", err)
	}
	roots := make([]*CallFrame, len(txs))
	var rewards []Reward
	for i := range items {
		it := &items[i]
		if it.Type == "reward" {
			if it.Action.Value == nil {
				return nil, nil, fmt.Errorf("reward trace %d has no value", i)
			}
			rewards = append(rewards, Reward{Author: it.Action.Author, Value: it.Action.Value.ToInt(), Uncle: it.Action.RewardType == "uncle"})
			continue
		}
		pos := 0
		if it.TransactionPosition != nil {
			pos = *it.TransactionPosition
		} else if len(txs) != 1 {
			return nil, nil, fmt.Errorf("trace %d has no transaction position", i)
		}
		if pos < 0 || pos >= len(txs) {
			return nil, nil, fmt.Errorf("trace %d is of transaction %d, the block has %d", i, pos, len(txs))
		}
		if it.TransactionHash != nil && *it.TransactionHash != txs[pos] {
			return nil, nil, fmt.Errorf("trace %d is of tx %s, the block's tx %d is %s", i, it.TransactionHash, pos, txs[pos])
		}
		f := CallFrame{Error: it.Error}
		switch it.Type {
		case "call":
			f.Type, f.From = strings.ToUpper(it.Action.CallType), it.Action.From
			if it.Action.To != nil {
				f.To = *it.Action.To
			}
			if it.Action.Value != nil {
				f.Value = it.Action.Value.ToInt()
			}
		case "create":
			f.Type, f.From = "CREATE", it.Action.From
			if it.Action.Creation == "create2" {
				f.Type = "CREATE2"
			}
			if it.Result != nil && it.Result.Address != nil {
				f.To = *it.Result.Address
			}
			if it.Action.Value != nil {
				f.Value = it.Action.Value.ToInt()
			}
		case "suicide", "selfdestruct":
			f.Type, f.From, f.To = "SELFDESTRUCT", it.Action.Address, it.Action.RefundAddress
			if it.Action.Balance != nil {
				f.Value = it.Action.Balance.ToInt()
			} else if it.Action.Value != nil {
				f.Value = it.Action.Value.ToInt()
			}
		default:
			return nil, nil, fmt.Errorf("trace %d of tx %s has unknown type %q", i, txs[pos], it.Type)
		}
		if len(it.TraceAddress) == 0 {
			if roots[pos] != nil {
				return nil, nil, fmt.Errorf("tx %s has two root traces", txs[pos])
			}
			roots[pos] = &f
			continue
		}
		if len(it.TraceAddress) > maxCallDepth {
			return nil, nil, fmt.Errorf("tx %s: trace address deeper than %d", txs[pos], maxCallDepth)
		}
		parent := roots[pos]
		if parent == nil {
			return nil, nil, fmt.Errorf("tx %s: trace %v comes before its root", txs[pos], it.TraceAddress)
		}
		for _, idx := range it.TraceAddress[:len(it.TraceAddress)-1] {
			if idx < 0 || idx >= len(parent.Calls) {
				return nil, nil, fmt.Errorf("tx %s: trace %v comes before its parent", txs[pos], it.TraceAddress)
			}
			parent = &parent.Calls[idx]
		}
		if last := it.TraceAddress[len(it.TraceAddress)-1]; last != len(parent.Calls) {
			return nil, nil, fmt.Errorf("tx %s: trace %v is out of order", txs[pos], it.TraceAddress)
		}
		parent.Calls = append(parent.Calls, f)
	}
	for i, r := range roots {
		if r == nil {
			return nil, nil, fmt.Errorf("trace_block has no trace of tx %s", txs[i])
		}
	}
	// In the flat format a child's failure is only on the child; a failed
	// parent already marks its whole subtree as reverted in appendInternal.
	return roots, rewards, nil
}

// bigOrNil returns the value of a hex big, or nil.
func bigOrNil(b *hexutil.Big) *big.Int {
	if b == nil {
		return nil
	}
	return b.ToInt()
}
