// Package gethtest starts real geth nodes in --dev mode on loopback for
// spoor's Ethereum tests, and drives them: plain and signed transactions,
// contract deployment and calls, withdrawals and chain rewinds.
package gethtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"
)

const (
	startTimeout  = 60 * time.Second
	stopTimeout   = 15 * time.Second
	pollInterval  = 25 * time.Millisecond
	startAttempts = 3
	logTailBytes  = 4096
	envBinary     = "SPOOR_GETH"
	envBinDir     = "SPOOR_BIN"
)

// Binary returns the path of the geth executable: $SPOOR_GETH,
// $SPOOR_BIN/geth, <repo>/.bin/geth (where scripts/install-nodes.sh puts
// it), then $PATH.
func Binary() (string, error) {
	if p := os.Getenv(envBinary); p != "" {
		if err := checkExecutable(p); err != nil {
			return "", fmt.Errorf("$%s: %w", envBinary, err)
		}
		return p, nil
	}
	var tried []string
	if dir := os.Getenv(envBinDir); dir != "" {
		p := filepath.Join(dir, "geth")
		if checkExecutable(p) == nil {
			return p, nil
		}
		tried = append(tried, p)
	}
	if wd, err := os.Getwd(); err == nil {
		if root, ok := repoRoot(wd); ok {
			p := filepath.Join(root, ".bin", "geth")
			if checkExecutable(p) == nil {
				return p, nil
			}
			tried = append(tried, p)
		}
	}
	p, err := exec.LookPath("geth")
	if err == nil {
		return p, nil
	}
	tried = append(tried, "$PATH")
	return "", fmt.Errorf("geth not found (tried %s): %w", strings.Join(tried, ", "), err)
}

func checkExecutable(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%s is not an executable file", path)
	}
	return nil
}

func repoRoot(dir string) (string, bool) {
	for {
		if fi, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil && fi.Mode().IsRegular() {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// Require returns the geth binary's path. Without one it skips the test,
// unless CI is "true", where the missing node fails it.
func Require(t testing.TB) string {
	t.Helper()
	p, err := Binary()
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("geth is required when CI=true: %v; run scripts/install-nodes.sh", err)
	}
	t.Skipf("skipping: %v; run scripts/install-nodes.sh to install geth", err)
	return ""
}

// Node is a running geth --dev node. Blocks are mined on demand: one as
// soon as a transaction or withdrawal arrives (dev period 0).
type Node struct {
	// URL is the node's HTTP JSON-RPC endpoint on 127.0.0.1.
	URL string
	// RPC and Eth are clients connected to URL.
	RPC *rpc.Client
	Eth *ethclient.Client
	// Dev is the prefunded, unlocked developer account.
	Dev common.Address

	cmd     *exec.Cmd
	logs    *lockedBuffer
	exited  chan struct{}
	stopped sync.Once
}

// Options configures a node.
type Options struct {
	// APIs lists the HTTP JSON-RPC namespaces (default
	// "eth,debug,net,web3,dev"). Leave out debug for a node that cannot
	// trace.
	APIs string
}

// Start starts a node with a fresh data directory under t.TempDir and
// stops it when the test ends.
func Start(t testing.TB) *Node {
	t.Helper()
	return StartWith(t, Options{})
}

// StartWith is Start with options.
func StartWith(t testing.TB, opts Options) *Node {
	t.Helper()
	if opts.APIs == "" {
		opts.APIs = "eth,debug,net,web3,dev"
	}
	bin := Require(t)
	dir := t.TempDir()
	var n *Node
	var err error
	for attempt := 0; attempt < startAttempts; attempt++ {
		n, err = launch(context.Background(), bin, filepath.Join(dir, strconv.Itoa(attempt)), opts)
		if err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("start geth: %v", err)
	}
	t.Cleanup(n.Stop)
	return n
}

func launch(ctx context.Context, bin, dir string, opts Options) (*Node, error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	// An archive node with the hash state scheme keeps the state of every
	// block, so that debug_traceBlockByNumber works on old blocks too (the
	// path scheme answers "historical state is not available" past ~128).
	args := []string{"--dev", "--dev.period", "0", "--datadir", dir,
		"--http", "--http.addr", "127.0.0.1", "--http.port", strconv.Itoa(ports[0]),
		"--http.api", opts.APIs,
		"--authrpc.addr", "127.0.0.1", "--authrpc.port", strconv.Itoa(ports[1]),
		"--nodiscover", "--maxpeers", "0", "--port", "0", "--ipcdisable",
		"--syncmode", "full", "--gcmode", "archive", "--state.scheme", "hash", "--verbosity", "2"}
	logs := &lockedBuffer{}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("run %s: %w", bin, err)
	}
	n := &Node{URL: fmt.Sprintf("http://127.0.0.1:%d", ports[0]), cmd: cmd, logs: logs, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(n.exited) }()
	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-n.exited:
			return nil, fmt.Errorf("geth exited before its RPC answered: %s", logs.tail())
		default:
		}
		if err := n.connect(ctx); err == nil {
			return n, nil
		} else if time.Now().After(deadline) {
			n.Stop()
			return nil, fmt.Errorf("geth RPC at %s did not answer within %s: %w: %s", n.URL, startTimeout, err, logs.tail())
		}
		time.Sleep(pollInterval)
	}
}

func (n *Node) connect(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	c, err := rpc.DialContext(ctx, n.URL)
	if err != nil {
		return err
	}
	var accounts []common.Address
	if err := c.CallContext(ctx, &accounts, "eth_accounts"); err != nil {
		c.Close()
		return err
	}
	if len(accounts) == 0 {
		c.Close()
		return errors.New("no developer account yet")
	}
	n.RPC, n.Eth, n.Dev = c, ethclient.NewClient(c), accounts[0]
	return nil
}

// Stop interrupts the node and waits for it to exit, killing it if it
// takes too long. It is safe to call more than once.
func (n *Node) Stop() {
	n.stopped.Do(func() {
		if n.RPC != nil {
			n.RPC.Close()
		}
		_ = n.cmd.Process.Signal(os.Interrupt)
		select {
		case <-n.exited:
		case <-time.After(stopTimeout):
			_ = n.cmd.Process.Kill()
			<-n.exited
		}
	})
}

// Logs returns the tail of the node's output, for failure messages.
func (n *Node) Logs() string { return n.logs.tail() }

func freePorts(count int) ([]int, error) {
	ports := make([]int, 0, count)
	for range count {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("pick a free port on 127.0.0.1: %w", err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// lockedBuffer collects a process's output for error messages.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) tail() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.buf.Bytes()
	if len(s) > logTailBytes {
		s = s[len(s)-logTailBytes:]
	}
	return string(s)
}
