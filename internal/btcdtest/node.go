package btcdtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcjson"
	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/rpcclient"
)

const (
	// startTimeout bounds how long Start waits for RPC to answer.
	startTimeout = 20 * time.Second
	// stopTimeout is how long Stop waits after SIGINT before killing btcd.
	stopTimeout = 10 * time.Second
	// syncTimeout bounds how long Connect and Disconnect wait for the peers
	// to reach the expected state.
	syncTimeout = 30 * time.Second
	// pollInterval is the delay between two readiness or sync checks.
	pollInterval = 25 * time.Millisecond
	// probeTimeout bounds a single readiness probe request.
	probeTimeout = 2 * time.Second
	// startAttempts is how many times Start launches btcd when the process
	// exits early, which happens when a picked port was taken in between.
	startAttempts = 3
	// logTailBytes is how much of btcd's output an error message quotes.
	logTailBytes = 4096
	// rpcUser is the RPC user name of every node.
	rpcUser = "btcdtest"
	// envBinary names the variable that points at a btcd binary.
	envBinary = "SPOOR_BTCD"
	// envBinDir names the variable that points at the directory
	// scripts/install-nodes.sh installs into.
	envBinDir = "SPOOR_BIN"
)

// errExitedEarly reports that btcd stopped before its RPC server answered.
var errExitedEarly = errors.New("btcd exited before RPC became ready")

// Binary returns the path of the btcd executable. It looks, in order, at
// $SPOOR_BTCD, $SPOOR_BIN/btcd, <repo>/.bin/btcd where <repo> is the first
// directory at or above the working directory that holds go.mod, and
// finally $PATH. A set $SPOOR_BTCD that does not name an executable file is
// an error rather than a reason to keep looking.
func Binary() (string, error) {
	if p := os.Getenv(envBinary); p != "" {
		if err := checkExecutable(p); err != nil {
			return "", fmt.Errorf("$%s: %w", envBinary, err)
		}
		return p, nil
	}
	var tried []string
	if dir := os.Getenv(envBinDir); dir != "" {
		p := filepath.Join(dir, "btcd")
		if checkExecutable(p) == nil {
			return p, nil
		}
		tried = append(tried, p)
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find btcd: working directory: %w", err)
	}
	if root, ok := repoRoot(wd); ok {
		p := filepath.Join(root, ".bin", "btcd")
		if checkExecutable(p) == nil {
			return p, nil
		}
		tried = append(tried, p)
	}
	p, err := exec.LookPath("btcd")
	if err == nil {
		return p, nil
	}
	tried = append(tried, "$PATH")
	return "", fmt.Errorf("btcd not found (tried %s): %w", strings.Join(tried, ", "), err)
}

// checkExecutable returns an error unless path is a regular file with an
// execute bit set.
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

// repoRoot walks up from dir to the first directory holding go.mod.
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

// Require returns the path of the btcd binary. When no binary is found it
// skips the test, unless the environment variable CI is "true", in which
// case the missing node fails the test.
func Require(t testing.TB) string {
	t.Helper()
	p, err := Binary()
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("btcd is required when CI=true: %v; run scripts/install-nodes.sh", err)
	}
	t.Skipf("skipping: %v; run scripts/install-nodes.sh to install btcd", err)
	return ""
}

// Options configures a node started by Start.
type Options struct {
	// MiningAddr is the address that blocks mined by Generate pay to. When
	// empty, Start uses the P2PKH address of key 0 of
	// NewWallet(DefaultSeed, &chaincfg.RegressionNetParams).
	MiningAddr string
	// RejectNonStd makes the node refuse non-standard transactions
	// (--rejectnonstd). Without it regtest accepts them, as it does by
	// default.
	RejectNonStd bool
	// ExtraArgs are appended to btcd's command line.
	ExtraArgs []string
}

// Node is a btcd process running in regtest mode on loopback.
type Node struct {
	// RPCAddr is the host:port of the plain-HTTP JSON-RPC server.
	RPCAddr string
	// RPCUser is the JSON-RPC user name.
	RPCUser string
	// RPCPass is the JSON-RPC password, random per node.
	RPCPass string
	// P2PAddr is the host:port the node accepts peers on.
	P2PAddr string
	// DataDir is the node's working directory; the chain data, btcd's own
	// log directory and its captured output all live below it.
	DataDir string
	// OutputFile is the file that receives btcd's stdout and stderr.
	OutputFile string

	// tag is the user agent comment that identifies this node to peers.
	tag      string
	cmd      *exec.Cmd
	exited   chan struct{}
	waitErr  error
	rpc      *rpcclient.Client
	stopOnce sync.Once
}

// Start launches btcd in regtest mode and returns once its RPC server
// answers getblockcount. All listeners are bound to 127.0.0.1 on freshly
// picked ports, DNS seeding and onion routing are off, and data and logs go
// below t.TempDir(). The node is stopped when the test ends. Start fails the
// test, quoting the end of btcd's output, when the node does not come up
// within 20 seconds.
func Start(t testing.TB, opts Options) *Node {
	t.Helper()
	bin := Require(t)
	miningAddr := opts.MiningAddr
	if miningAddr == "" {
		miningAddr = NewWallet(DefaultSeed, &chaincfg.RegressionNetParams).Address(KindP2PKH, 0)
	}
	base := t.TempDir()
	var err error
	for attempt := 1; attempt <= startAttempts; attempt++ {
		dir := filepath.Join(base, "node"+strconv.Itoa(attempt))
		var n *Node
		n, err = launch(t.Context(), bin, dir, miningAddr, opts)
		if err == nil {
			t.Cleanup(func() { n.Stop(t) })
			return n
		}
		if !errors.Is(err, errExitedEarly) {
			break
		}
	}
	t.Fatalf("start btcd: %v", err)
	return nil
}

// launch starts one btcd process with its state in dir and waits until it
// is ready. On failure the process is gone and the error quotes its output.
func launch(ctx context.Context, bin, dir, miningAddr string, opts Options) (*Node, error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	pass, err := randomHex(16)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create node directory %s: %w", dir, err)
	}
	n := &Node{
		RPCAddr:    net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0])),
		RPCUser:    rpcUser,
		RPCPass:    pass,
		P2PAddr:    net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[1])),
		DataDir:    dir,
		OutputFile: filepath.Join(dir, "btcd.out"),
		tag:        "btcdtest-" + strconv.Itoa(ports[1]),
		exited:     make(chan struct{}),
	}
	args := []string{
		"--configfile=" + os.DevNull,
		"--regtest",
		"--datadir=" + filepath.Join(dir, "data"),
		"--logdir=" + filepath.Join(dir, "logs"),
		"--listen=" + n.P2PAddr,
		"--rpclisten=" + n.RPCAddr,
		"--rpcuser=" + n.RPCUser,
		"--rpcpass=" + n.RPCPass,
		"--notls",
		"--txindex",
		"--nodnsseed",
		"--noonion",
		"--nostalldetect",
		"--uacomment=" + n.tag,
		"--miningaddr=" + miningAddr,
	}
	if opts.RejectNonStd {
		args = append(args, "--rejectnonstd")
	}
	args = append(args, opts.ExtraArgs...)

	out, err := os.Create(n.OutputFile)
	if err != nil {
		return nil, fmt.Errorf("create btcd output file: %w", err)
	}
	n.cmd = exec.Command(bin, args...)
	n.cmd.Dir = dir
	n.cmd.Stdout = out
	n.cmd.Stderr = out
	err = n.cmd.Start()
	out.Close()
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", bin, err)
	}
	go func() {
		n.waitErr = n.cmd.Wait()
		close(n.exited)
	}()

	if err := n.waitReady(ctx); err != nil {
		n.halt()
		return nil, fmt.Errorf("btcd rpc %s, p2p %s: %w\n--- end of %s ---\n%s",
			n.RPCAddr, n.P2PAddr, err, n.OutputFile, n.logTail())
	}
	n.rpc, err = rpcclient.New(n.connConfig(), nil)
	if err != nil {
		n.halt()
		return nil, fmt.Errorf("rpc client for %s: %w", n.RPCAddr, err)
	}
	return n, nil
}

// waitReady polls getblockcount until it succeeds, the process exits or
// startTimeout passes.
func (n *Node) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	var lastErr error
	for {
		_, err := n.probe(ctx)
		if err == nil {
			return nil
		}
		lastErr = err
		select {
		case <-n.exited:
			return fmt.Errorf("%w: %v", errExitedEarly, n.waitErr)
		case <-ctx.Done():
			return fmt.Errorf("rpc not ready after %s: %w (last error: %v)", startTimeout, ctx.Err(), lastErr)
		case <-time.After(pollInterval):
		}
	}
}

// probe sends one getblockcount request without retries and returns the
// height it reports.
func (n *Node) probe(ctx context.Context) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	body := []byte(`{"jsonrpc":"1.0","id":1,"method":"getblockcount","params":[]}`)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.RPCURL(), bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.SetBasicAuth(n.RPCUser, n.RPCPass)
	req.Header.Set("Content-Type", "application/json")
	req.Close = true
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, fmt.Errorf("getblockcount on %s: read response: %w", n.RPCAddr, err)
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("getblockcount on %s: http status %s", n.RPCAddr, resp.Status)
	}
	var reply struct {
		Result *int64            `json:"result"`
		Error  *btcjson.RPCError `json:"error"`
	}
	if err := json.Unmarshal(raw, &reply); err != nil {
		return 0, fmt.Errorf("getblockcount on %s: decode %q: %w", n.RPCAddr, raw, err)
	}
	if reply.Error != nil {
		return 0, fmt.Errorf("getblockcount on %s: %w", n.RPCAddr, reply.Error)
	}
	if reply.Result == nil {
		return 0, fmt.Errorf("getblockcount on %s: no result in %q", n.RPCAddr, raw)
	}
	return *reply.Result, nil
}

// halt stops the process: SIGINT first, SIGKILL after stopTimeout. It
// reports whether the kill was needed and returns once the process is gone.
func (n *Node) halt() (killed bool) {
	if n.rpc != nil {
		n.rpc.Shutdown()
	}
	select {
	case <-n.exited:
		return false
	default:
	}
	_ = n.cmd.Process.Signal(os.Interrupt)
	select {
	case <-n.exited:
		return false
	case <-time.After(stopTimeout):
	}
	_ = n.cmd.Process.Kill()
	<-n.exited
	return true
}

// logTail returns the last logTailBytes of btcd's captured output.
func (n *Node) logTail() string {
	b, err := os.ReadFile(n.OutputFile)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", n.OutputFile, err)
	}
	if len(b) > logTailBytes {
		b = b[len(b)-logTailBytes:]
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	return string(b)
}

// freePorts picks count distinct TCP ports on 127.0.0.1 by listening on
// port 0 and closing the listeners again.
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

// randomHex returns n random bytes, hex encoded.
func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random rpc password: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// connConfig is the rpcclient configuration for this node.
func (n *Node) connConfig() *rpcclient.ConnConfig {
	return &rpcclient.ConnConfig{
		Host:         n.RPCAddr,
		User:         n.RPCUser,
		Pass:         n.RPCPass,
		HTTPPostMode: true,
		DisableTLS:   true,
	}
}

// RPCURL returns the node's JSON-RPC endpoint, "http://127.0.0.1:port".
func (n *Node) RPCURL() string {
	return "http://" + n.RPCAddr
}

// Client returns a new HTTP POST mode RPC client for the node that is shut
// down when the test ends. Note that rpcclient retries failed requests for
// up to about 20 seconds before it reports an error.
func (n *Node) Client(t testing.TB) *rpcclient.Client {
	t.Helper()
	c, err := rpcclient.New(n.connConfig(), nil)
	if err != nil {
		t.Fatalf("rpc client for %s: %v", n.RPCAddr, err)
	}
	t.Cleanup(c.Shutdown)
	return c
}

// Generate mines count blocks paying to the node's mining address and
// returns their hashes in chain order.
func (n *Node) Generate(t testing.TB, count uint32) []*chainhash.Hash {
	t.Helper()
	hashes, err := n.rpc.Generate(count)
	if err != nil {
		t.Fatalf("generate %d blocks on %s: %v", count, n.RPCAddr, err)
	}
	if len(hashes) != int(count) {
		t.Fatalf("generate %d blocks on %s: got %d hashes", count, n.RPCAddr, len(hashes))
	}
	return hashes
}

// Connect makes n open a one-shot peer connection to other (addnode
// onetry) and waits until the two nodes see each other and report the same
// best block. Whichever chain has more work wins on both nodes, so
// connecting nodes that mined competing branches causes a reorg on one.
func (n *Node) Connect(t testing.TB, other *Node) {
	t.Helper()
	if err := n.rpc.AddNode(other.P2PAddr, rpcclient.ANOneTry); err != nil {
		t.Fatalf("addnode %s onetry on %s: %v", other.P2PAddr, n.RPCAddr, err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), syncTimeout)
	defer cancel()
	err := poll(ctx, func() (bool, error) {
		a, err := n.peerIDs(other)
		if err != nil || len(a) == 0 {
			return false, err
		}
		b, err := other.peerIDs(n)
		return err == nil && len(b) > 0, err
	})
	if err != nil {
		t.Fatalf("connect %s to %s: peers never saw each other: %v", n.P2PAddr, other.P2PAddr, err)
	}
	WaitSameTip(t, n, other)
}

// Disconnect drops every peer connection between n and other, in either
// direction, and waits until neither node lists the other as a peer.
func (n *Node) Disconnect(t testing.TB, other *Node) {
	t.Helper()
	for _, pair := range [][2]*Node{{n, other}, {other, n}} {
		a, b := pair[0], pair[1]
		ids, err := a.peerIDs(b)
		if err != nil {
			t.Fatalf("disconnect %s from %s: %v", a.P2PAddr, b.P2PAddr, err)
		}
		for _, id := range ids {
			target := strconv.Itoa(int(id))
			err := a.rpc.Node(btcjson.NDisconnect, target, nil)
			if err != nil {
				// Permanent peers (addnode add) must be removed instead.
				err = a.rpc.Node(btcjson.NRemove, target, nil)
			}
			if err != nil && a.hasPeer(id) {
				// Not an error when the peer went away on its own,
				// e.g. because the other side dropped it first.
				t.Fatalf("disconnect peer %s (%s) on %s: %v", target, b.P2PAddr, a.RPCAddr, err)
			}
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), syncTimeout)
	defer cancel()
	err := poll(ctx, func() (bool, error) {
		a, err := n.peerIDs(other)
		if err != nil || len(a) > 0 {
			return false, err
		}
		b, err := other.peerIDs(n)
		return err == nil && len(b) == 0, err
	})
	if err != nil {
		t.Fatalf("disconnect %s from %s: still peers: %v", n.P2PAddr, other.P2PAddr, err)
	}
}

// peerIDs returns the ids under which n knows peer connections to other,
// recognised by other's user agent comment.
func (n *Node) peerIDs(other *Node) ([]int32, error) {
	peers, err := n.rpc.GetPeerInfo()
	if err != nil {
		return nil, fmt.Errorf("getpeerinfo on %s: %w", n.RPCAddr, err)
	}
	var ids []int32
	for _, p := range peers {
		if strings.Contains(p.SubVer, "("+other.tag+")") {
			ids = append(ids, p.ID)
		}
	}
	return ids, nil
}

// hasPeer reports whether n still lists a peer with the given id. It
// answers true when getpeerinfo fails, so callers keep their error.
func (n *Node) hasPeer(id int32) bool {
	peers, err := n.rpc.GetPeerInfo()
	if err != nil {
		return true
	}
	for _, p := range peers {
		if p.ID == id {
			return true
		}
	}
	return false
}

// WaitSameTip waits, for at most 30 seconds, until all nodes report the
// same best block hash, and fails the test with every node's tip otherwise.
func WaitSameTip(t testing.TB, nodes ...*Node) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), syncTimeout)
	defer cancel()
	var tips []string
	err := poll(ctx, func() (bool, error) {
		tips = tips[:0]
		var first *chainhash.Hash
		same := true
		for _, n := range nodes {
			h, height, err := n.rpc.GetBestBlock()
			if err != nil {
				return false, fmt.Errorf("getbestblock on %s: %w", n.RPCAddr, err)
			}
			tips = append(tips, fmt.Sprintf("%s at height %d: %s", n.P2PAddr, height, h))
			if first == nil {
				first = h
			}
			same = same && h.IsEqual(first)
		}
		return same, nil
	})
	if err != nil {
		t.Fatalf("nodes did not reach the same tip: %v; tips: %s", err, strings.Join(tips, "; "))
	}
}

// poll calls check every pollInterval until it reports done, returns an
// error, or ctx ends.
func poll(ctx context.Context, check func() (bool, error)) error {
	for {
		done, err := check()
		if err != nil {
			return err
		}
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pollInterval):
		}
	}
}

// Stop shuts the node down with SIGINT, killing it if it has not exited
// after 10 seconds. It is safe to call more than once; Start registers it
// as a test cleanup.
func (n *Node) Stop(t testing.TB) {
	t.Helper()
	n.stopOnce.Do(func() {
		if n.halt() {
			t.Errorf("btcd %s did not exit within %s of SIGINT and was killed\n--- end of %s ---\n%s",
				n.RPCAddr, stopTimeout, n.OutputFile, n.logTail())
		}
	})
}
