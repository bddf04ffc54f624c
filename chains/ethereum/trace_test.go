package ethereum

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

func TestDecodeParityTracesTree(t *testing.T) {
	tx := common.HexToHash("0x01")
	raw := `[
	 {"type":"call","action":{"callType":"call","from":"0x000000000000000000000000000000000000000a","to":"0x000000000000000000000000000000000000000b","value":"0x5"},"traceAddress":[],"transactionPosition":0,"transactionHash":"` + tx.Hex() + `"},
	 {"type":"call","action":{"callType":"call","from":"0x000000000000000000000000000000000000000b","to":"0x000000000000000000000000000000000000000c","value":"0x2"},"error":"Reverted","traceAddress":[0],"transactionPosition":0},
	 {"type":"call","action":{"callType":"call","from":"0x000000000000000000000000000000000000000c","to":"0x000000000000000000000000000000000000000d","value":"0x1"},"traceAddress":[0,0],"transactionPosition":0},
	 {"type":"create","action":{"from":"0x000000000000000000000000000000000000000b","value":"0x3","creationMethod":"create2"},"result":{"address":"0x00000000000000000000000000000000000000ee"},"traceAddress":[1],"transactionPosition":0},
	 {"type":"suicide","action":{"address":"0x00000000000000000000000000000000000000ee","refundAddress":"0x000000000000000000000000000000000000000a","balance":"0x3"},"traceAddress":[1,0],"transactionPosition":0},
	 {"type":"reward","action":{"author":"0x00000000000000000000000000000000000000ff","rewardType":"block","value":"0x1bc16d674ec80000"}}
	]`
	roots, rewards, err := DecodeParityTraces(json.RawMessage(raw), []common.Hash{tx})
	if err != nil {
		t.Fatal(err)
	}
	if len(rewards) != 1 || rewards[0].Value.String() != "2000000000000000000" || rewards[0].Uncle {
		t.Errorf("rewards %+v", rewards)
	}
	got := edgeLines(appendInternal(nil, roots[0].Calls))
	want := "create 0x000000000000000000000000000000000000000b -> 0x00000000000000000000000000000000000000EE 3\n" +
		"selfdestruct 0x00000000000000000000000000000000000000EE -> 0x000000000000000000000000000000000000000A 3\n"
	if !strings.EqualFold(got, want) {
		t.Errorf("edges:\n%s\nwant (the reverted call and its child move nothing):\n%s", got, want)
	}

	bad := []struct{ name, raw, want string }{
		{"child before root", `[{"type":"call","action":{"callType":"call"},"traceAddress":[0],"transactionPosition":0}]`, "before its root"},
		{"out of order", `[{"type":"call","action":{"callType":"call"},"traceAddress":[],"transactionPosition":0},{"type":"call","action":{"callType":"call"},"traceAddress":[1],"transactionPosition":0}]`, "out of order"},
		{"position past the block", `[{"type":"call","action":{"callType":"call"},"traceAddress":[],"transactionPosition":3}]`, "the block has 1"},
		{"unknown type", `[{"type":"teleport","action":{},"traceAddress":[],"transactionPosition":0}]`, "unknown type"},
		{"a transaction without traces", `[]`, "no trace of tx"},
		{"not JSON", `[{"type":`, "trace_block result"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := DecodeParityTraces(json.RawMessage(tt.raw), []common.Hash{tx})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// FuzzDecodeTraces feeds arbitrary JSON to both trace decoders: they must
// return an error or a tree, never panic, and the edges they yield must
// carry positive amounts.
func FuzzDecodeTraces(f *testing.F) {
	f.Add([]byte(`{"type":"CALL","from":"0x0a","to":"0x0b","value":"0x1","calls":[{"type":"CALL","value":"0x2"}]}`))
	f.Add([]byte(`[{"type":"call","action":{"callType":"call","value":"0x1"},"traceAddress":[],"transactionPosition":0},{"type":"call","action":{"callType":"call","value":"0x1"},"traceAddress":[0],"transactionPosition":0}]`))
	f.Add([]byte(`[{"txHash":"0x0000000000000000000000000000000000000000000000000000000000000001","result":{"type":"CALL"}}]`))
	tx := common.HexToHash("0x01")
	f.Fuzz(func(t *testing.T, raw []byte) {
		check := func(root *CallFrame) {
			for _, e := range appendInternal(nil, root.Calls) {
				if e.Amount == nil || e.Amount.Sign() <= 0 {
					t.Fatalf("edge %+v without a positive amount", e)
				}
			}
		}
		if root, err := DecodeCallFrame(raw); err == nil {
			check(root)
		}
		if roots, _, err := DecodeParityTraces(raw, []common.Hash{tx}); err == nil {
			check(roots[0])
		}
		if roots, err := DecodeBlockCallTraces(raw, []common.Hash{tx}); err == nil {
			check(roots[0])
		}
	})
}
