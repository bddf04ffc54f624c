package main

import (
	"context"
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/spoorhq/spoor/heuristics/ethcluster"
	"github.com/spoorhq/spoor/internal/gethtest"
)

// TestEthereumClusterCLI indexes a real geth node where two users pay one
// deposit address of a configured exchange, then runs "cluster build
// --chain ethereum", "why" and "cluster" on the 0x addresses.
func TestEthereumClusterCLI(t *testing.T) {
	n := gethtest.Start(t)
	ctx := context.Background()
	type acct struct {
		tx   gethtest.Tx
		addr string
	}
	newAcct := func() acct {
		k, a, err := gethtest.NewKey()
		if err != nil {
			t.Fatal(err)
		}
		return acct{gethtest.Tx{Key: k, Gas: 21000}, a.Hex()}
	}
	ex, u1, u2, dep := newAcct(), newAcct(), newAcct(), newAcct()
	pay := func(from *acct, to acct, v *big.Int) {
		t.Helper()
		tx := gethtest.Tx{Value: v}
		if from != nil {
			tx = from.tx
			tx.Value = v
		}
		addr := common.HexToAddress(to.addr)
		tx.To = &addr
		if _, err := n.Send(ctx, tx); err != nil {
			t.Fatal(err)
		}
	}
	eth := func(milli int64) *big.Int { return new(big.Int).Mul(big.NewInt(milli), big.NewInt(1e15)) }
	pay(nil, u1, eth(3000))
	pay(nil, u2, eth(3000))
	pay(&u1, dep, eth(1000))
	pay(&dep, ex, eth(999))
	pay(&u2, dep, eth(1500))
	pay(&dep, ex, eth(1499))

	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "spoor.yaml")
	if err := os.WriteFile(cfgPath, []byte("ethereum_cluster:\n  exchanges: [\""+ex.addr+"\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCLI(t, "--config", cfgPath, "--datadir", dir, "index", "ethereum", "--rpc", n.URL, "--progress", "none"); code != 0 {
		t.Fatalf("index ethereum: exit %d: %s", code, errOut)
	}
	code, out, errOut := runCLI(t, "--config", cfgPath, "--datadir", dir, "cluster", "build", "--chain", "ethereum")
	if code != 0 || !strings.Contains(out, "1 deposit addresses with 2 matched payments") {
		t.Fatalf("cluster build --chain ethereum: exit %d: %s %s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "--datadir", dir, "why", u1.addr, u2.addr, "--json")
	if code != 0 {
		t.Fatalf("why: exit %d: %s", code, errOut)
	}
	var w ethcluster.WhyView
	if err := json.Unmarshal([]byte(out), &w); err != nil {
		t.Fatal(err)
	}
	if !w.Same || len(w.Steps) != 2 || w.Steps[0].Rule != "deposit-reuse/1" || w.Steps[0].Hub != ex.addr || w.Steps[0].Amount != eth(1000).String() {
		t.Errorf("why U1 U2 = %+v", w)
	}
	code, out, errOut = runCLI(t, "--datadir", dir, "cluster", dep.addr, "--json")
	if code != 0 {
		t.Fatalf("cluster: exit %d: %s", code, errOut)
	}
	var cv ethcluster.ClusterView
	if err := json.Unmarshal([]byte(out), &cv); err != nil {
		t.Fatal(err)
	}
	if cv.Size != 3 || len(cv.Members) != 3 || cv.Stale {
		t.Errorf("cluster of the deposit address = %+v, want it with U1 and U2", cv)
	}
	code, out, _ = runCLI(t, "--datadir", dir, "why", u1.addr, ex.addr)
	if code != 0 || !strings.Contains(out, "different clusters") {
		t.Errorf("why U1 exchange: exit %d: %s; the exchange must stay out of its users' cluster", code, out)
	}
	if code, _, errOut = runCLI(t, "--datadir", dir, "why", u1.addr, "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"); code == 0 || !strings.Contains(errOut, "different chains") {
		t.Errorf("why across chains: exit %d: %s", code, errOut)
	}

	// "index ethereum" maintains the active clustering block by block: a
	// third user of the deposit address joins without another build.
	u3 := newAcct()
	pay(nil, u3, eth(3000))
	pay(&u3, dep, eth(700))
	pay(&dep, ex, eth(699))
	if code, _, errOut := runCLI(t, "--config", cfgPath, "--datadir", dir, "index", "ethereum", "--rpc", n.URL, "--progress", "none"); code != 0 {
		t.Fatalf("index ethereum again: exit %d: %s", code, errOut)
	}
	code, out, errOut = runCLI(t, "--datadir", dir, "cluster", dep.addr, "--json")
	if code != 0 {
		t.Fatalf("cluster: exit %d: %s", code, errOut)
	}
	cv = ethcluster.ClusterView{}
	if err := json.Unmarshal([]byte(out), &cv); err != nil {
		t.Fatal(err)
	}
	if cv.Size != 4 || cv.Stale || cv.Generation != w.Generation {
		t.Errorf("cluster of the deposit address after indexing on = %+v, want U3 in it, generation %d, not stale", cv, w.Generation)
	}

	// With ethereum_cluster.index set, indexing a new data directory
	// opens a clustering and maintains it: no build needed.
	dir2 := t.TempDir()
	cfg2 := filepath.Join(dir2, "spoor.yaml")
	if err := os.WriteFile(cfg2, []byte("ethereum_cluster:\n  index: true\n  exchanges: [\""+ex.addr+"\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCLI(t, "--config", cfg2, "--datadir", dir2, "index", "ethereum", "--rpc", n.URL, "--progress", "none"); code != 0 {
		t.Fatalf("index ethereum with ethereum_cluster.index: exit %d: %s", code, errOut)
	}
	code, out, errOut = runCLI(t, "--datadir", dir2, "cluster", dep.addr, "--json")
	if code != 0 {
		t.Fatalf("cluster: exit %d: %s", code, errOut)
	}
	cv = ethcluster.ClusterView{}
	if err := json.Unmarshal([]byte(out), &cv); err != nil {
		t.Fatal(err)
	}
	if cv.Size != 4 || cv.Stale {
		t.Errorf("cluster of the deposit address maintained from the first block = %+v, want U1, U2 and U3 in it", cv)
	}
}

// TestExampleConfigEthereumCluster loads config.example.yaml: its
// ethereum_cluster section must be the default set.
func TestExampleConfigEthereumCluster(t *testing.T) {
	cfg, err := LoadConfig(filepath.Join("..", "..", "config.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := ethcluster.NewSet(cfg.EthereumCluster)
	if err != nil {
		t.Fatal(err)
	}
	want, err := ethcluster.NewSet(ethcluster.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Spec() != want.Spec() {
		t.Fatalf("example ethereum_cluster section gives %s, want the defaults %s", got.Spec(), want.Spec())
	}
}
