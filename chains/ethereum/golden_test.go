package ethereum

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rlp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// gethDir returns the go-ethereum module directory from the module cache.
func gethDir(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/ethereum/go-ethereum").Output()
	if err != nil {
		t.Fatalf("locate go-ethereum module: %v", err)
	}
	dir := strings.TrimSpace(string(out))
	if dir == "" {
		t.Fatal("go-ethereum module is not downloaded: run go mod download")
	}
	return dir
}

// tracerFixture is one of go-ethereum's tracer test cases: a real signed
// transaction (mostly mainnet and Ropsten) and the tracer's output for it.
type tracerFixture struct {
	Genesis struct {
		Config struct {
			ChainID *big.Int `json:"chainId"`
		} `json:"config"`
	} `json:"genesis"`
	Input        string          `json:"input"`
	Result       json.RawMessage `json:"result"`
	TracerConfig struct {
		OnlyTopCall bool `json:"onlyTopCall"`
	} `json:"tracerConfig"`
}

func loadFixture(t *testing.T, path string) (tracerFixture, *types.Transaction, common.Address) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f tracerFixture
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var tx types.Transaction
	if err := tx.UnmarshalBinary(common.FromHex(f.Input)); err != nil {
		t.Fatalf("%s: input: %v", path, err)
	}
	from, err := types.Sender(types.NewPragueSigner(f.Genesis.Config.ChainID), &tx)
	if err != nil {
		t.Fatalf("%s: sender: %v", path, err)
	}
	return f, &tx, from
}

func edgeLines(edges []Transfer) string {
	var b strings.Builder
	for _, e := range edges {
		fmt.Fprintf(&b, "%s %s -> %s %s\n", e.Kind, e.From.Hex(), e.To.Hex(), e.Amount)
	}
	return b.String()
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file:\n got:\n%s\nwant:\n%s", name, got, want)
	}
}

// TestCallTracerFixtures decodes go-ethereum's callTracer fixtures. The
// top frame must be the signed transaction itself (sender recovered from
// the signature, recipient, value), and the internal edges are pinned by
// golden files.
func TestCallTracerFixtures(t *testing.T) {
	dir := filepath.Join(gethDir(t), "eth", "tracers", "internal", "tracetest", "testdata", "call_tracer")
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) < 10 {
		t.Fatalf("call tracer fixtures in %s: %d files, %v", dir, len(files), err)
	}
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".json")
		t.Run(name, func(t *testing.T) {
			f, tx, from := loadFixture(t, path)
			root, err := DecodeCallFrame(f.Result)
			if err != nil {
				t.Fatal(err)
			}
			if root.From != from {
				t.Errorf("top frame from %s, the signature says %s", root.From, from)
			}
			if tx.To() != nil && root.To != *tx.To() {
				t.Errorf("top frame to %s, the transaction's is %s", root.To, tx.To())
			}
			if root.Value == nil || root.Value.Cmp(tx.Value()) != 0 {
				t.Errorf("top frame value %v, the transaction's is %s", root.Value, tx.Value())
			}
			checkGolden(t, "call_"+name+".txt", edgeLines(appendInternal(nil, root.Calls)))
		})
	}
}

// TestFlatTracerAgreesWithCallTracer decodes the fixtures go-ethereum
// ships for both its callTracer and its parity-format flatCallTracer for
// the same transaction: both decoders must find the same internal edges.
func TestFlatTracerAgreesWithCallTracer(t *testing.T) {
	base := filepath.Join(gethDir(t), "eth", "tracers", "internal", "tracetest", "testdata")
	flat, err := filepath.Glob(filepath.Join(base, "call_tracer_flat", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	compared := 0
	for _, fp := range flat {
		name := filepath.Base(fp)
		t.Run(strings.TrimSuffix(name, ".json"), func(t *testing.T) {
			ff, ftx, _ := loadFixture(t, fp)
			roots, _, err := DecodeParityTraces(withoutPositions(t, ff.Result), []common.Hash{ftx.Hash()})
			if err != nil {
				t.Fatal(err)
			}
			flatEdges := edgeLines(appendInternal(nil, roots[0].Calls))
			checkGolden(t, "flat_"+strings.TrimSuffix(name, ".json")+".txt", flatEdges)
			cp := filepath.Join(base, "call_tracer", name)
			if _, err := os.Stat(cp); err != nil {
				return
			}
			cf, ctx, _ := loadFixture(t, cp)
			if ctx.Hash() != ftx.Hash() || cf.TracerConfig.OnlyTopCall {
				return // another transaction, or a trace without sub-calls
			}
			root, err := DecodeCallFrame(cf.Result)
			if err != nil {
				t.Fatal(err)
			}
			if got := edgeLines(appendInternal(nil, root.Calls)); got != flatEdges {
				t.Errorf("callTracer edges:\n%s\nflatCallTracer edges:\n%s", got, flatEdges)
			}
			compared++
		})
	}
	if compared < 5 {
		t.Errorf("compared only %d transactions traced both ways", compared)
	}
}

// withoutPositions drops transactionPosition from flat traces of a single
// transaction, so that they decode as that one transaction's traces.
func withoutPositions(t *testing.T, raw json.RawMessage) json.RawMessage {
	t.Helper()
	var items []map[string]any
	if err := json.Unmarshal(raw, &items); err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		delete(it, "transactionPosition")
		delete(it, "transactionHash")
	}
	out, err := json.Marshal(items)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestStoredReceiptsGolden decodes the 348 receipts of a real block that
// go-ethereum ships (core/rawdb/testdata/stored_receipts.bin). Every
// Transfer log is either an ERC-20 or ERC-721 edge or a counted skip, and
// the decoded edges are pinned by a golden file.
func TestStoredReceiptsGolden(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(gethDir(t), "core", "rawdb", "testdata", "stored_receipts.bin"))
	if err != nil {
		t.Fatal(err)
	}
	var stored []*types.ReceiptForStorage
	if err := rlp.DecodeBytes(raw, &stored); err != nil {
		t.Fatal(err)
	}
	if len(stored) != 348 {
		t.Fatalf("%d receipts, want 348", len(stored))
	}
	d := NewLogDecoder()
	var b strings.Builder
	var transferLogs, edges, skips int
	kinds := map[Kind]int{}
	idx := uint32(0)
	for i, r := range stored {
		for _, l := range r.Logs {
			lg := Log{Address: l.Address, Topics: l.Topics, Data: l.Data, Index: idx}
			idx++
			if len(l.Topics) > 0 && l.Topics[0] == TopicTransfer {
				transferLogs++
			}
			ts, err := d.DecodeLog(&lg)
			if err != nil {
				skips++
				fmt.Fprintf(&b, "receipt %d log %d skipped: %v\n", i, lg.Index, err)
				continue
			}
			for _, e := range ts {
				edges++
				kinds[e.Kind]++
				fmt.Fprintf(&b, "receipt %d log %d %s %s: %s -> %s %s", i, lg.Index, e.Kind, e.Asset.Hex(), e.From.Hex(), e.To.Hex(), e.Amount)
				if e.TokenID != nil {
					fmt.Fprintf(&b, " id %s", e.TokenID)
				}
				b.WriteString("\n")
			}
		}
	}
	if n := kinds[KindERC20] + kinds[KindERC721]; n+skips < transferLogs {
		t.Errorf("%d Transfer logs but %d ERC-20/721 edges and %d skips", transferLogs, n, skips)
	}
	var ks []string
	for k, n := range kinds {
		ks = append(ks, fmt.Sprintf("%s=%d", k, n))
	}
	sort.Strings(ks)
	t.Logf("%d logs, %d Transfer logs, %d edges (%s), %d skips", idx, transferLogs, edges, strings.Join(ks, " "), skips)
	checkGolden(t, "stored_receipts.txt", b.String())
}
