package bitcoin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// These tests use an HTTP server that answers like a broken node: garbage
// bodies, wrong types, server errors, refused connections. A real node
// cannot be made to send those, so this is the one place a fake stands in
// for it; the real-node path is covered by the indexer's integration tests.

func fakeNode(t *testing.T, handler func(method string, params string) (int, string)) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s := string(body)
		method := s[strings.Index(s, `"method":"`)+10:]
		method = method[:strings.Index(method, `"`)]
		status, reply := handler(method, s)
		w.WriteHeader(status)
		io.WriteString(w, reply)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestRPCSourceBadReplies(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		reply   string
		want    string
		retries int32 // calls expected
	}{
		{"garbage", 200, "<html>oops</html>", "reply is not JSON-RPC", 1},
		{"wrong type", 200, `{"result":{"a":1},"error":null,"id":1}`, "unexpected result", 1},
		{"node error", 200, `{"result":null,"error":{"code":-8,"message":"Block height out of range"},"id":1}`, "node error -8: Block height out of range", 1},
		{"unauthorized", 401, "", "check the rpc user and password", 1},
		{"server error retried", 503, "", "503", 3},
		{"bad hash", 200, `{"result":"zz","error":null,"id":1}`, `bad hash "zz"`, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := fakeNode(t, func(string, string) (int, string) {
				calls.Add(1)
				return tt.status, tt.reply
			})
			src, err := NewRPCSource(RPCConfig{URL: srv.URL, Retries: 2, RetryWait: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			_, err = src.HashAt(context.Background(), 7)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "height 7") {
				t.Fatalf("HashAt = %v, want an error naming height 7 with %q", err, tt.want)
			}
			if calls.Load() != tt.retries {
				t.Fatalf("%d calls, want %d", calls.Load(), tt.retries)
			}
		})
	}
}

func TestRPCSourceBlockNotHex(t *testing.T) {
	srv := fakeNode(t, func(method, _ string) (int, string) {
		if method == "getblockhash" {
			return 200, `{"result":"000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f","error":null,"id":1}`
		}
		return 200, `{"result":"not hex at all","error":null,"id":2}`
	})
	src, err := NewRPCSource(RPCConfig{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	_, err = src.ReadBlock(context.Background(), 0)
	if err == nil || !strings.Contains(err.Error(), "not hex") || !strings.Contains(err.Error(), "height 0") {
		t.Fatalf("ReadBlock = %v", err)
	}
}

// TestRPCSourceRefused points at a port nobody listens on: the call is
// retried, then fails naming the address.
func TestRPCSourceRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	src, err := NewRPCSource(RPCConfig{URL: "http://" + addr, Retries: 2, RetryWait: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = src.Tip(context.Background())
	if err == nil || !errors.Is(err, errTransport) || !strings.Contains(err.Error(), addr) {
		t.Fatalf("Tip = %v", err)
	}
	// Cancellation stops the retries at once.
	src, _ = NewRPCSource(RPCConfig{URL: "http://" + addr, Retries: 100, RetryWait: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, _, err := src.Tip(ctx); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Fatalf("Tip with a deadline = %v after %v", err, time.Since(start))
	}
}

func TestNewRPCSourceRejects(t *testing.T) {
	for _, u := range []string{"", "localhost:8332", "ftp://x", "http://"} {
		if _, err := NewRPCSource(RPCConfig{URL: u}); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%q", u)) {
			t.Errorf("NewRPCSource(%q) = %v", u, err)
		}
	}
}
