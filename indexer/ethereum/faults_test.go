package ethereum

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	chain "github.com/spoorhq/spoor/chains/ethereum"
	"github.com/spoorhq/spoor/internal/gethtest"
	"github.com/spoorhq/spoor/storage"
)

// faultProxy forwards JSON-RPC requests to a real node, except the
// request that fetches one chosen block, which it answers badly. The
// faults (garbage, a hang, a dropped connection) are faked here because a
// real node does not produce them on demand; everything else is the real
// node's answer.
type faultProxy struct {
	target string
	mu     sync.Mutex
	height int64 // the block to break, or -1; with a "hide:" mode, any
	mode   string
}

// hide answers the calls of method in a batch as a node without that
// method would (JSON-RPC error -32601) and forwards the rest. It returns
// nil after answering itself.
func (p *faultProxy) hide(w http.ResponseWriter, body []byte, method string) []byte {
	var reqs []map[string]json.RawMessage
	if err := json.Unmarshal(body, &reqs); err != nil {
		return body // not a batch
	}
	var keep []map[string]json.RawMessage
	var out []json.RawMessage
	for _, r := range reqs {
		if string(r["method"]) == `"`+method+`"` {
			out = append(out, json.RawMessage(`{"jsonrpc":"2.0","id":`+string(r["id"])+`,"error":{"code":-32601,"message":"the method `+method+` does not exist/is not available"}}`))
			continue
		}
		keep = append(keep, r)
	}
	if len(out) == 0 {
		return body
	}
	if len(keep) > 0 {
		fwd, _ := json.Marshal(keep)
		resp, err := http.Post(p.target, "application/json", bytes.NewReader(fwd))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return nil
		}
		defer resp.Body.Close()
		var got []json.RawMessage
		if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return nil
		}
		out = append(out, got...)
	}
	w.Header().Set("Content-Type", "application/json")
	all, _ := json.Marshal(out)
	_, _ = w.Write(all)
	return nil
}

func (p *faultProxy) set(height int64, mode string) {
	p.mu.Lock()
	p.height, p.mode = height, mode
	p.mu.Unlock()
}

func (p *faultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	height, mode := p.height, p.mode
	p.mu.Unlock()
	if height >= 0 && bytes.Contains(body, []byte("eth_getBlockReceipts")) && bytes.Contains(body, []byte(fmt.Sprintf(`"0x%x"`, height))) {
		switch mode {
		case "garbage":
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`[{"jsonrpc":"2.0","id":1,"result":{"number":"0x`))
			return
		case "wrong-block":
			// A syntactically valid answer for another block.
			body = bytes.ReplaceAll(body, []byte(fmt.Sprintf(`"0x%x"`, height)), []byte(`"0x1"`))
		case "hang":
			select {
			case <-r.Context().Done():
			case <-time.After(30 * time.Second):
			}
			return
		case "drop":
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
	}
	if strings.HasPrefix(mode, "hide:") {
		body = p.hide(w, body, strings.TrimPrefix(mode, "hide:"))
		if body == nil {
			return
		}
	}
	resp, err := http.Post(p.target, "application/json", bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

// simpleChain mines n blocks of plain transfers, with an ERC-20 move in
// every third, and returns the token contract.
func simpleChain(t *testing.T, n *gethtest.Node, blocks int) common.Address {
	t.Helper()
	ctx := context.Background()
	tok, err := gethtest.LoadContract("Token")
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := n.Deploy(ctx, tok, nil, big.NewInt(1_000_000))
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < blocks; i++ {
		_, to, err := gethtest.NewKey()
		if err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 {
			_, err = n.Invoke(ctx, gethtest.Tx{}, tok, token, "transfer", to, big.NewInt(int64(i)))
		} else {
			_, err = n.Send(ctx, gethtest.Tx{To: &to, Value: big.NewInt(int64(i) * 1e15)})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return token
}

func dump(t *testing.T, db *storage.DB) string {
	t.Helper()
	var b bytes.Buffer
	if err := db.DumpEthereum(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestSourceFaults(t *testing.T) {
	n := gethtest.Start(t)
	simpleChain(t, n, 12)
	ctx := context.Background()
	// geth --dev may add an empty block at any time: every index here
	// stops at the reference's height.
	reference, refIx := indexAll(t, n, t.TempDir(), common.Address{}, Config{})
	want := dump(t, reference)
	stop := refIx.Height()
	const bad = 7
	tests := []struct {
		mode    string
		timeout time.Duration
		wantErr string
	}{
		{"garbage", 0, "block 7"},
		{"wrong-block", 0, "asked for block 7"},
		{"hang", time.Second, "deadline exceeded"},
		{"drop", 0, "block 7"},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			proxy := &faultProxy{target: n.URL}
			proxy.set(bad, tt.mode)
			srv := httptest.NewServer(proxy)
			defer srv.Close()
			src, err := chain.DialRPC(ctx, srv.URL, chain.RPCOptions{Timeout: tt.timeout})
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			db, err := storage.Open(t.TempDir(), "ethereum", nil)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			cfg := Config{Workers: 2, FinalityDepth: 2, StopHeight: stop}
			ix, err := New(db, src, cfg)
			if err != nil {
				t.Fatal(err)
			}
			err = ix.Run(ctx)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Run error %v, want one containing %q", err, tt.wantErr)
			}
			// Every block before the bad one is committed, nothing of it.
			tip, ok, terr := db.Tip(ChainIndexName)
			if terr != nil || !ok || tip.Height != bad-1 {
				t.Fatalf("committed tip %+v (%v, %v), want height %d", tip, ok, terr, bad-1)
			}
			if _, err := db.EthBlock(bad); !errors.Is(err, storage.ErrNotFound) {
				t.Fatalf("block %d: %v, want not found", bad, err)
			}
			// Once the node behaves, a new run completes the index, equal to
			// one built without faults.
			proxy.set(-1, "")
			ix, err = New(db, src, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := ix.Run(ctx); err != nil {
				t.Fatal(err)
			}
			if got := dump(t, db); got != want {
				t.Errorf("index after recovery differs from a fresh index:\n%s", diffLines(got, want))
			}
		})
	}
}

// TestNodeWithoutTracing indexes from a real geth that does not serve the
// debug API: the indexer says so once, records it, and indexes the rest.
func TestNodeWithoutTracing(t *testing.T) {
	n := gethtest.StartWith(t, gethtest.Options{APIs: "eth,net,web3,dev"})
	simpleChain(t, n, 5)
	ctx := context.Background()
	var logs bytes.Buffer
	src, err := chain.DialRPC(ctx, n.URL, chain.RPCOptions{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	db, err := storage.Open(t.TempDir(), "ethereum", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ix, err := New(db, src, Config{Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Run(ctx); err != nil {
		t.Fatal(err)
	}
	st, err := db.EthState()
	if err != nil {
		t.Fatal(err)
	}
	if st.UntracedBlocks != 5 || st.Txs != 5 {
		t.Errorf("state %+v: want 5 transactions in 5 untraced blocks", st)
	}
	if mode, known := src.TraceMode(); !known || mode != chain.TraceNone {
		t.Errorf("trace mode %v (known %v), want none", mode, known)
	}
	if c := strings.Count(logs.String(), "neither debug_traceBlockByNumber nor trace_block"); c != 1 {
		t.Errorf("the missing tracing API was reported %d times, want once:\n%s", c, logs.String())
	}
	for h := uint32(1); h <= 5; h++ {
		rec, err := db.EthBlock(h)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Traced != uint8(chain.TraceNone) {
			t.Errorf("block %d traced %d", h, rec.Traced)
		}
	}
}

// diffLines returns the first lines where two dumps differ.
func diffLines(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	var b strings.Builder
	for i := 0; i < max(len(g), len(w)) && b.Len() < 2000; i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			fmt.Fprintf(&b, "line %d:\n got  %s\n want %s\n", i, gl, wl)
		}
	}
	return b.String()
}

// TestFollowerOutlivesNodeFailure follows a node whose connection drops
// while a block is fetched: the follower keeps what it committed, retries,
// and once the node answers again ends equal to a fresh index.
func TestFollowerOutlivesNodeFailure(t *testing.T) {
	n := gethtest.Start(t)
	simpleChain(t, n, 10)
	ctx := context.Background()
	tip, hash, err := mustDial(t, n).Tip(ctx)
	if err != nil {
		t.Fatal(err)
	}
	proxy := &faultProxy{target: n.URL}
	proxy.set(6, "drop")
	srv := httptest.NewServer(proxy)
	defer srv.Close()
	src, err := chain.DialRPC(ctx, srv.URL, chain.RPCOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	db, err := storage.Open(t.TempDir(), "ethereum", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var logs bytes.Buffer
	var mu sync.Mutex
	ix, err := New(db, src, Config{Workers: 2, Follow: true, PollInterval: 50 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, nil))})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- ix.Run(runCtx) }()
	// While the node fails, the follower holds the blocks before it.
	waitIndexed(t, db, 5, mustHash(t, n, 5))
	time.Sleep(300 * time.Millisecond)
	if h, ok, _ := db.Tip(ChainIndexName); !ok || h.Height != 5 {
		t.Errorf("tip during the failure %+v, want 5", h)
	}
	proxy.set(-1, "")
	waitIndexed(t, db, tip, hash)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("follower: %v", err)
	}
	mu.Lock()
	retried := strings.Contains(logs.String(), "source failed; retrying")
	mu.Unlock()
	if !retried {
		t.Errorf("the follower did not report the failure:\n%s", logs.String())
	}
	fresh, _ := indexAll(t, n, t.TempDir(), common.Address{}, Config{StopHeight: ix.Height()})
	if got, want := dump(t, db), dump(t, fresh); got != want {
		t.Errorf("index differs from a fresh one:\n%s", diffLines(got, want))
	}
}

func mustHash(t *testing.T, n *gethtest.Node, h uint64) common.Hash {
	t.Helper()
	hash, err := mustDial(t, n).HashAt(context.Background(), h)
	if err != nil {
		t.Fatal(err)
	}
	return hash
}

// lockedWriter serializes writes from the follower's goroutines.
type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestNodeWithoutBlockReceipts indexes through a proxy that answers
// eth_getBlockReceipts as a node without it would (the rest is the real
// geth's answer): receipts are fetched one transaction at a time and the
// index equals one built with block receipts.
func TestNodeWithoutBlockReceipts(t *testing.T) {
	n := gethtest.Start(t)
	simpleChain(t, n, 8)
	ctx := context.Background()
	reference, refIx := indexAll(t, n, t.TempDir(), common.Address{}, Config{})
	want := dump(t, reference)
	proxy := &faultProxy{target: n.URL}
	proxy.set(-1, "hide:eth_getBlockReceipts")
	srv := httptest.NewServer(proxy)
	defer srv.Close()
	var logs bytes.Buffer
	var mu sync.Mutex
	src, err := chain.DialRPC(ctx, srv.URL, chain.RPCOptions{Logger: slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	db, err := storage.Open(t.TempDir(), "ethereum", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ix, err := New(db, src, Config{Workers: 2, StopHeight: refIx.Height()})
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if got := dump(t, db); got != want {
		t.Errorf("index from per-transaction receipts differs:\n%s", diffLines(got, want))
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(logs.String(), "no eth_getBlockReceipts") {
		t.Errorf("the fallback was not reported:\n%s", logs.String())
	}
}
