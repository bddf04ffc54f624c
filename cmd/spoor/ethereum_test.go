package main

import (
	"context"
	"encoding/json"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/spoorhq/spoor/api"
	"github.com/spoorhq/spoor/internal/gethtest"
)

// TestEthereumCLI indexes a real geth with "spoor index ethereum" and
// checks "spoor address", "spoor tx" and "spoor stats --chain ethereum"
// against the node.
func TestEthereumCLI(t *testing.T) {
	n := gethtest.Start(t)
	ctx := context.Background()
	tok, err := gethtest.LoadContract("Token")
	if err != nil {
		t.Fatal(err)
	}
	split, err := gethtest.LoadContract("Splitter")
	if err != nil {
		t.Fatal(err)
	}
	_, alice, _ := gethtest.NewKey()
	_, bob, _ := gethtest.NewKey()
	if _, err := n.Send(ctx, gethtest.Tx{To: &alice, Value: big.NewInt(3e18)}); err != nil {
		t.Fatal(err)
	}
	token, _, err := n.Deploy(ctx, tok, nil, big.NewInt(5000))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Invoke(ctx, gethtest.Tx{}, tok, token, "transfer", alice, big.NewInt(1200)); err != nil {
		t.Fatal(err)
	}
	splitter, _, err := n.Deploy(ctx, split, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := n.Invoke(ctx, gethtest.Tx{Value: big.NewInt(4e18)}, split, splitter, "split", []common.Address{alice, bob})
	if err != nil {
		t.Fatal(err)
	}

	// geth --dev may mine an empty block after the last transaction's, so
	// the index reaches at least this tip.
	tip, err := n.Eth.BlockNumber(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if code, _, errOut := runCLI(t, "--datadir", dir, "index", "ethereum", "--rpc", n.URL, "--progress", "none"); code != 0 {
		t.Fatalf("index ethereum: exit %d: %s", code, errOut)
	}

	code, out, errOut := runCLI(t, "--datadir", dir, "tx", r.TxHash.Hex(), "--json")
	if code != 0 {
		t.Fatalf("tx: exit %d: %s", code, errOut)
	}
	var tx api.EthTx
	if err := json.Unmarshal([]byte(out), &tx); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range tx.Transfers {
		kinds = append(kinds, e.Kind+":"+e.To)
	}
	want := []string{"native:" + splitter.Hex(), "internal:" + alice.Hex(), "internal:" + bob.Hex()}
	if len(kinds) < 3 || strings.Join(kinds[:3], ",") != strings.Join(want, ",") || tx.Status != "success" {
		t.Errorf("tx edges %v (status %s), want %v then fees", kinds, tx.Status, want)
	}

	code, out, errOut = runCLI(t, "--datadir", dir, "address", alice.Hex(), "--json")
	if code != 0 {
		t.Fatalf("address: exit %d: %s", code, errOut)
	}
	var a api.EthAddress
	if err := json.Unmarshal([]byte(out), &a); err != nil {
		t.Fatal(err)
	}
	bal, err := n.Eth.BalanceAt(ctx, alice, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, b := range a.Balances {
		got[b.Asset] = b.Balance
	}
	if got["ETH"] != bal.String() || got[token.Hex()] != "1200" {
		t.Errorf("balances %v, want ETH %s and %s 1200", got, bal, token.Hex())
	}
	// Alice received ether and tokens from the dev account and ether from
	// the splitter: two counterparties.
	if a.TransferCount != 3 || a.Counterparties != 2 || a.FirstSeen < 1 || a.LastSeen < a.FirstSeen {
		t.Errorf("alice: %d transfers, %d counterparties, seen %d..%d; want 3 and 2", a.TransferCount, a.Counterparties, a.FirstSeen, a.LastSeen)
	}

	// Paging one transfer at a time visits every transfer once, newest
	// first.
	var seen []string
	cursor := ""
	for i := 0; i < 10; i++ {
		args := []string{"--datadir", dir, "address", alice.Hex(), "--json", "--limit", "1"}
		if cursor != "" {
			args = append(args, "--cursor", cursor)
		}
		code, out, errOut := runCLI(t, args...)
		if code != 0 {
			t.Fatalf("address page: exit %d: %s", code, errOut)
		}
		var page api.EthAddress
		if err := json.Unmarshal([]byte(out), &page); err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Transfers {
			seen = append(seen, e.Kind)
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	if strings.Join(seen, ",") != "internal,erc20,native" {
		t.Errorf("pages gave %v, want internal, erc20, native", seen)
	}

	code, out, errOut = runCLI(t, "--datadir", dir, "stats", "--chain", "ethereum", "--json")
	if code != 0 {
		t.Fatalf("stats: exit %d: %s", code, errOut)
	}
	var s api.EthStats
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatal(err)
	}
	if s.Height < int64(tip) || s.Blocks != uint64(s.Height)+1 || s.Txs != 5 || s.InternalTraces != "complete" || s.Tokens != 1 {
		t.Errorf("stats %+v: want height at least %d, 5 txs, complete traces, 1 token", s, tip)
	}

	// The ingest benchmark measures the same node's blocks both ways.
	code, out, errOut = runCLI(t, "--datadir", dir, "bench", "ingest", "--chain", "ethereum", "--rpc", n.URL, "--runs", "1", "--json")
	if code != 0 {
		t.Fatalf("bench ingest: exit %d: %s", code, errOut)
	}
	var br EthIngestResult
	if err := json.Unmarshal([]byte(out), &br); err != nil {
		t.Fatal(err)
	}
	if br.Blocks < int64(tip)+1 || br.Txs != 5 || br.Transfers != s.Transfers || br.FetchSeconds <= 0 || br.IndexSeconds <= 0 {
		t.Errorf("bench result %+v: want %d blocks, 5 txs, %d transfers, positive times", br, tip+1, s.Transfers)
	}
}
