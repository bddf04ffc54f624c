package bitcoin

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/btcsuite/btcd/chainhash/v2"
)

// RPCConfig says how to reach a node's JSON-RPC interface.
type RPCConfig struct {
	// URL is the node's RPC endpoint, such as http://127.0.0.1:8332.
	URL string
	// User and Pass are the RPC credentials. When both are empty and
	// CookieFile is set, the credentials are read from the cookie file
	// Bitcoin Core writes.
	User, Pass string
	CookieFile string
	// Timeout bounds one call. Zero means 60 seconds.
	Timeout time.Duration
	// Retries is how many times a call that failed for a transport reason
	// (connection refused, reset, timeout, HTTP 5xx) is repeated before the
	// error is returned. Zero means 5; negative means none.
	Retries int
	// RetryWait is the pause before the first retry; it doubles up to 10
	// seconds. Zero means 500 ms.
	RetryWait time.Duration
}

// RPCSource reads blocks from a Bitcoin Core or btcd node. It is safe for
// concurrent use; callers bound the concurrency.
type RPCSource struct {
	cfg    RPCConfig
	url    string
	user   string
	pass   string
	client *http.Client
	nextID atomic.Uint64
}

// NewRPCSource returns a source for the node described by cfg. It does not
// contact the node.
func NewRPCSource(cfg RPCConfig) (*RPCSource, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("rpc url %q: want http://host:port", cfg.URL)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 60 * time.Second
	}
	if cfg.Retries == 0 {
		cfg.Retries = 5
	}
	if cfg.RetryWait == 0 {
		cfg.RetryWait = 500 * time.Millisecond
	}
	s := &RPCSource{cfg: cfg, url: u.String(), user: cfg.User, pass: cfg.Pass,
		client: &http.Client{Timeout: cfg.Timeout}}
	if s.user == "" && s.pass == "" && cfg.CookieFile != "" {
		b, err := os.ReadFile(cfg.CookieFile)
		if err != nil {
			return nil, fmt.Errorf("rpc cookie: %w", err)
		}
		user, pass, ok := strings.Cut(strings.TrimSpace(string(b)), ":")
		if !ok {
			return nil, fmt.Errorf("rpc cookie %s: not user:password", cfg.CookieFile)
		}
		s.user, s.pass = user, pass
	}
	return s, nil
}

// RPCError is an error the node returned for a call.
type RPCError struct {
	Method  string
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *RPCError) Error() string {
	return fmt.Sprintf("rpc %s: node error %d: %s", e.Method, e.Code, e.Message)
}

// errTransport marks failures worth retrying.
var errTransport = errors.New("transport failure")

// call makes one JSON-RPC call, retrying transport failures, and decodes
// the result into out.
func (s *RPCSource) call(ctx context.Context, method string, out any, params ...any) error {
	wait := s.cfg.RetryWait
	for attempt := 0; ; attempt++ {
		err := s.callOnce(ctx, method, out, params)
		if err == nil || !errors.Is(err, errTransport) || attempt >= s.cfg.Retries || ctx.Err() != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (gave up: %w)", err, ctx.Err())
		case <-time.After(wait):
		}
		wait = min(wait*2, 10*time.Second)
	}
}

func (s *RPCSource) callOnce(ctx context.Context, method string, out any, params []any) error {
	if params == nil {
		params = []any{}
	}
	body, err := json.Marshal(map[string]any{"jsonrpc": "1.0", "id": s.nextID.Add(1), "method": method, "params": params})
	if err != nil {
		return fmt.Errorf("rpc %s: %w", method, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("rpc %s: %w", method, err)
	}
	req.Header.Set("Content-Type", "application/json")
	if s.user != "" || s.pass != "" {
		req.SetBasicAuth(s.user, s.pass)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("rpc %s to %s: %w", method, s.url, ctx.Err())
		}
		return fmt.Errorf("rpc %s to %s: %w: %w", method, s.url, errTransport, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("rpc %s to %s: read reply: %w: %w", method, s.url, errTransport, err)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return fmt.Errorf("rpc %s to %s: %s: check the rpc user and password", method, s.url, resp.Status)
	case len(data) == 0:
		// A node shutting down can answer with an empty body, whatever
		// the status.
		return fmt.Errorf("rpc %s to %s: %s with an empty reply: %w", method, s.url, resp.Status, errTransport)
	}
	var reply struct {
		Result json.RawMessage `json:"result"`
		Error  *RPCError       `json:"error"`
	}
	if err := json.Unmarshal(data, &reply); err != nil {
		return fmt.Errorf("rpc %s to %s: reply is not JSON-RPC (%s, %d bytes, starts %q): %w", method, s.url, resp.Status, len(data), truncate(data, 40), err)
	}
	if reply.Error != nil {
		reply.Error.Method = method
		return reply.Error
	}
	if err := json.Unmarshal(reply.Result, out); err != nil {
		return fmt.Errorf("rpc %s to %s: unexpected result %q: %w", method, s.url, truncate(reply.Result, 40), err)
	}
	return nil
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

// Tip returns the height and hash of the node's best block. Both come from
// the same block, even while the node reorganizes.
func (s *RPCSource) Tip(ctx context.Context) (int32, chainhash.Hash, error) {
	var str string
	if err := s.call(ctx, "getbestblockhash", &str); err != nil {
		return 0, chainhash.Hash{}, err
	}
	hash, err := chainhash.NewHashFromStr(str)
	if err != nil {
		return 0, chainhash.Hash{}, fmt.Errorf("rpc getbestblockhash: bad hash %q: %w", str, err)
	}
	var hdr struct {
		Height *int32 `json:"height"`
	}
	if err := s.call(ctx, "getblockheader", &hdr, str, true); err != nil {
		return 0, chainhash.Hash{}, fmt.Errorf("header of best block %s: %w", str, err)
	}
	if hdr.Height == nil || *hdr.Height < 0 {
		return 0, chainhash.Hash{}, fmt.Errorf("rpc getblockheader %s: reply has no height", str)
	}
	return *hdr.Height, *hash, nil
}

// HashAt returns the hash of the node's best-chain block at height.
func (s *RPCSource) HashAt(ctx context.Context, height int32) (chainhash.Hash, error) {
	var str string
	if err := s.call(ctx, "getblockhash", &str, height); err != nil {
		return chainhash.Hash{}, fmt.Errorf("hash of height %d: %w", height, err)
	}
	h, err := chainhash.NewHashFromStr(str)
	if err != nil {
		return chainhash.Hash{}, fmt.Errorf("rpc getblockhash for height %d: bad hash %q: %w", height, str, err)
	}
	return *h, nil
}

// ReadBlock returns the raw serialized block at height on the node's best
// chain. If the node reorganizes between the two calls this makes, the
// block returned may not sit on the chain the caller saw before; callers
// check the previous-block hash.
func (s *RPCSource) ReadBlock(ctx context.Context, height int32) ([]byte, error) {
	hash, err := s.HashAt(ctx, height)
	if err != nil {
		return nil, err
	}
	var str string
	if err := s.call(ctx, "getblock", &str, hash.String(), 0); err != nil {
		return nil, fmt.Errorf("block %s at height %d: %w", hash, height, err)
	}
	raw, err := hex.DecodeString(str)
	if err != nil {
		return nil, fmt.Errorf("rpc getblock %s at height %d: reply is not hex: %w", hash, height, err)
	}
	return raw, nil
}
