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
	"github.com/spoorhq/spoor/heuristics/detect"
	"github.com/spoorhq/spoor/internal/gethtest"
)

// TestEthereumDetectCLI indexes a real geth node where a designated
// address S pays A, which pays B, imports the sanction label as CSV, runs
// "detect --chain ethereum" and lists the findings and alerts as JSON.
func TestEthereumDetectCLI(t *testing.T) {
	n := gethtest.Start(t)
	ctx := context.Background()
	type acct struct {
		tx   gethtest.Tx
		addr common.Address
	}
	newAcct := func() acct {
		k, a, err := gethtest.NewKey()
		if err != nil {
			t.Fatal(err)
		}
		return acct{gethtest.Tx{Key: k, Gas: 21000}, a}
	}
	s, a, b := newAcct(), newAcct(), newAcct()
	pay := func(from *acct, to acct, v *big.Int) {
		t.Helper()
		tx := gethtest.Tx{Value: v}
		if from != nil {
			tx = from.tx
			tx.Value = v
		}
		tx.To = &to.addr
		if _, err := n.Send(ctx, tx); err != nil {
			t.Fatal(err)
		}
	}
	eth := func(milli int64) *big.Int { return new(big.Int).Mul(big.NewInt(milli), big.NewInt(1e15)) }
	pay(nil, s, eth(3000))
	pay(&s, a, eth(1000))
	pay(&a, b, eth(400))

	dir := t.TempDir()
	if code, _, errOut := runCLI(t, "--datadir", dir, "index", "ethereum", "--rpc", n.URL, "--progress", "none"); code != 0 {
		t.Fatalf("index ethereum: exit %d: %s", code, errOut)
	}
	csv := filepath.Join(dir, "labels.csv")
	rows := "address,chain,entity,category,source,confidence\n" +
		strings.ToLower(s.addr.Hex()) + ",ethereum,Test Designated,sanction,ofac-test,100\n" +
		strings.ToLower(n.Dev.Hex()) + ",ethereum,Test Exchange,exchange,test,50\n"
	if err := os.WriteFile(csv, []byte(rows), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runCLI(t, "--datadir", dir, "labels", "import", csv); code != 0 {
		t.Fatalf("labels import: exit %d: %s %s", code, out, errOut)
	}
	code, out, errOut := runCLI(t, "--datadir", dir, "detect", "--chain", "ethereum")
	if code != 0 || !strings.Contains(out, "sanctioned_contact") || !strings.Contains(out, "2 findings, 1 alerts") {
		t.Fatalf("detect --chain ethereum: exit %d: %s %s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "--datadir", dir, "findings", "--chain", "ethereum", "--json")
	if code != 0 {
		t.Fatalf("findings --chain ethereum: exit %d: %s", code, errOut)
	}
	var fs []detect.Finding
	if err := json.Unmarshal([]byte(out), &fs); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range fs {
		got[f.Subject] = f.Reason
	}
	if len(fs) != 2 || got[a.addr.Hex()] != "SANCTIONED_DIRECT" || got[b.addr.Hex()] != "SANCTIONED_INDIRECT" {
		t.Errorf("findings = %s", out)
	}
	code, out, errOut = runCLI(t, "--datadir", dir, "findings", "--chain", "ethereum", b.addr.Hex())
	if code != 0 || !strings.Contains(out, "SANCTIONED_INDIRECT") || !strings.Contains(out, "ETH") || !strings.Contains(out, "1 findings") {
		t.Errorf("findings --chain ethereum B: exit %d: %s %s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "--datadir", dir, "alerts", "--chain", "ethereum", "--json")
	if code != 0 {
		t.Fatalf("alerts --chain ethereum: exit %d: %s", code, errOut)
	}
	var al struct{ Alerts []detect.Alert }
	if err := json.Unmarshal([]byte(out), &al); err != nil {
		t.Fatal(err)
	}
	if len(al.Alerts) != 1 || al.Alerts[0].Subject != a.addr.Hex() {
		t.Errorf("alerts = %s", out)
	}
}
