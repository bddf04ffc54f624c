package detect

import (
	"context"
	"crypto/ecdsa"
	"math/big"
	"slices"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	chain "github.com/spoorhq/spoor/chains/ethereum"
	ethindex "github.com/spoorhq/spoor/indexer/ethereum"
	"github.com/spoorhq/spoor/internal/gethtest"
	"github.com/spoorhq/spoor/storage"
)

// ethMilli returns n thousandths of an ether in wei.
func ethMilli(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), big.NewInt(1e15)) }

// ethAccount is a test key with its address.
type ethAccount struct {
	key  *ecdsa.PrivateKey
	addr common.Address
}

// ethDrive sends transactions to a real geth node.
type ethDrive struct {
	t   *testing.T
	ctx context.Context
	n   *gethtest.Node
	tok *gethtest.Contract
}

func (d *ethDrive) account() ethAccount {
	d.t.Helper()
	k, a, err := gethtest.NewKey()
	if err != nil {
		d.t.Fatal(err)
	}
	return ethAccount{k, a}
}

func (d *ethDrive) check(r *types.Receipt, err error) string {
	d.t.Helper()
	if err != nil {
		d.t.Fatal(err)
	}
	if r.Status != types.ReceiptStatusSuccessful {
		d.t.Fatalf("tx %s failed", r.TxHash)
	}
	return r.TxHash.Hex()
}

// pay sends v wei from a (the developer account when a.key is nil) to b.
func (d *ethDrive) pay(a ethAccount, b common.Address, v *big.Int) string {
	d.t.Helper()
	tx := gethtest.Tx{Key: a.key, To: &b, Value: v}
	if a.key != nil {
		tx.Gas = 21000
	}
	return d.check(d.n.Send(d.ctx, tx))
}

// token sends v units of the token at tok from a to b.
func (d *ethDrive) token(tok common.Address, a ethAccount, b common.Address, v int64) string {
	d.t.Helper()
	return d.check(d.n.Invoke(d.ctx, gethtest.Tx{Key: a.key}, d.tok, tok, "transfer", b, big.NewInt(v)))
}

// ethContactWorld is the indexed chain of TestEthSanctionedContactRealGeth
// with the hashes and addresses the test checks.
type ethContactWorld struct {
	db                  *storage.DB
	s, a, b, c, d, e, x ethAccount
	tok                 common.Address
	sA, aB, sC, cD, sTk string
}

// buildEthContactWorld drives a geth --dev node: designated S pays A
// ether (direct), A pays B (2 hops); S sends C tokens, and C later pays D
// ether (the asset changes: no contact for D); E, unrelated, pays D too;
// A paid X before S paid it (no contact for X: paths go forward in time).
// The developer account funds everyone and is labelled an exchange; S is
// labelled sanction. It returns the indexed, labelled database.
func buildEthContactWorld(t *testing.T, dir string) *ethContactWorld {
	n := gethtest.Start(t)
	ctx := context.Background()
	tok, err := gethtest.LoadContract("Token")
	if err != nil {
		t.Fatal(err)
	}
	d := &ethDrive{t: t, ctx: ctx, n: n, tok: tok}
	dev := ethAccount{addr: n.Dev}
	w := &ethContactWorld{s: d.account(), a: d.account(), b: d.account(), c: d.account(), d: d.account(), e: d.account(), x: d.account()}
	for _, x := range []ethAccount{w.s, w.a, w.c, w.e} {
		d.pay(dev, x.addr, ethMilli(5000))
	}
	if w.tok, _, err = n.Deploy(ctx, tok, nil, big.NewInt(1_000_000)); err != nil {
		t.Fatal(err)
	}
	w.sTk = d.token(w.tok, dev, w.s.addr, 1000)
	// A pays X before S pays A: not money from S, so no contact for X.
	d.pay(w.a, w.x.addr, ethMilli(100))
	w.sA = d.pay(w.s, w.a.addr, ethMilli(1000))
	w.aB = d.pay(w.a, w.b.addr, ethMilli(500))
	w.sC = d.token(w.tok, w.s, w.c.addr, 100)
	w.cD = d.pay(w.c, w.d.addr, ethMilli(200))
	d.pay(w.e, w.d.addr, ethMilli(100))

	src, err := chain.DialRPC(ctx, n.URL, chain.RPCOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(src.Close)
	db, err := storage.Open(dir, "ethereum", nil)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := ethindex.New(db, src, ethindex.Config{})
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	if err := ix.Run(ctx); err != nil {
		db.Close()
		t.Fatal(err)
	}
	b := db.NewBatch()
	b.PutLabel(&storage.Label{Subject: storage.SubjectAddress, AddrPayload: w.s.addr[:], Entity: "Test Designated",
		Category: "sanction", Source: "ofac-test", Confidence: 100, Pack: "test"})
	b.PutLabel(&storage.Label{Subject: storage.SubjectAddress, AddrPayload: n.Dev[:], Entity: "Test Exchange",
		Category: "exchange", Source: "test", Confidence: 50, Pack: "test"})
	if err := b.Commit(true); err != nil {
		db.Close()
		t.Fatal(err)
	}
	b.Close()
	w.db = db
	return w
}

// TestEthSanctionedContactRealGeth checks the exact findings and alerts
// of sanctioned_contact on a real geth chain, that a path never switches
// asset, and that the stored run reads back.
func TestEthSanctionedContactRealGeth(t *testing.T) {
	w := buildEthContactWorld(t, t.TempDir())
	defer w.db.Close()
	ctx := context.Background()
	ew, err := LoadEth(ctx, w.db)
	if err != nil {
		t.Fatal(err)
	}
	res, err := RunEthereum(ctx, ew, Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		subject, reason string
		hops            float64
		txs             []string
		assets          []string
		values          []string
	}
	tokName := w.tok.Hex()
	wants := map[string]want{
		w.a.addr.Hex(): {w.a.addr.Hex(), "SANCTIONED_DIRECT", 1, []string{w.sA}, []string{"ETH"}, []string{ethMilli(1000).String()}},
		w.b.addr.Hex(): {w.b.addr.Hex(), "SANCTIONED_INDIRECT", 2, []string{w.sA, w.aB}, []string{"ETH", "ETH"}, []string{ethMilli(1000).String(), ethMilli(500).String()}},
		w.c.addr.Hex(): {w.c.addr.Hex(), "SANCTIONED_DIRECT", 1, []string{w.sC}, []string{tokName}, []string{"100"}},
	}
	if len(res.Findings) != len(wants) {
		for _, f := range res.Findings {
			t.Logf("finding %s %s: %s", f.Reason, f.Subject, f.Summary)
		}
		t.Fatalf("%d findings, want %d", len(res.Findings), len(wants))
	}
	for _, f := range res.Findings {
		wt, ok := wants[f.Subject]
		if !ok {
			t.Errorf("unexpected finding on %s: %s", f.Subject, f.Summary)
			continue
		}
		if f.Detector != "sanctioned_contact/1" || f.Reason != wt.reason || f.Measured["hops"] != wt.hops || f.Entity != "Test Designated" {
			t.Errorf("finding on %s: %s %s hops %v entity %q", f.Subject, f.Detector, f.Reason, f.Measured["hops"], f.Entity)
		}
		if !slices.Equal(f.Txids, lower(wt.txs)) {
			t.Errorf("finding on %s: txids %v, want %v", f.Subject, f.Txids, wt.txs)
		}
		if len(f.Evidence) != len(wt.assets) {
			t.Fatalf("finding on %s: %d evidence, want %d", f.Subject, len(f.Evidence), len(wt.assets))
		}
		for i, e := range f.Evidence {
			if e.Asset != wt.assets[i] || e.Value != wt.values[i] || e.Time == 0 || e.Height == 0 || e.From == "" || e.To == "" {
				t.Errorf("finding on %s evidence %d: %+v", f.Subject, i, e)
			}
		}
		if f.Evidence[0].From != w.s.addr.Hex() || f.Evidence[len(f.Evidence)-1].To != f.Subject {
			t.Errorf("finding on %s: path %+v does not run from the designated address to the subject", f.Subject, f.Evidence)
		}
	}
	for _, no := range []common.Address{w.d.addr, w.e.addr, w.x.addr, w.tok, w.s.addr} {
		for _, f := range res.Findings {
			if f.Subject == no.Hex() {
				t.Errorf("finding on %s, which has no same-asset contact: %s", no.Hex(), f.Summary)
			}
		}
	}
	// Direct contact alerts alone; the 2-hop contact of B does not.
	var alerted []string
	for _, a := range res.Alerts {
		alerted = append(alerted, a.Subject)
	}
	slices.Sort(alerted)
	wantAl := []string{w.a.addr.Hex(), w.c.addr.Hex()}
	slices.Sort(wantAl)
	if !slices.Equal(alerted, wantAl) {
		t.Errorf("alerts on %v, want %v", alerted, wantAl)
	}
	// With max_hops 1, B is no longer reached.
	res1, err := RunEthereum(ctx, ew, Config{Sanctioned: SanctionedConfig{MaxHops: 1}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res1.Findings) != 2 {
		t.Errorf("max_hops 1: %d findings, want 2", len(res1.Findings))
	}
	if err := Store(w.db, res); err != nil {
		t.Fatal(err)
	}
	id, err := w.db.LookupEthAddr(w.b.addr)
	if err != nil {
		t.Fatal(err)
	}
	page, _, err := ReadFindings(w.db, FindingFilter{Addrs: []storage.AddrID{id}}, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 1 || page[0].Subject != w.b.addr.Hex() || len(page[0].Evidence) != 2 {
		t.Errorf("stored findings naming B: %+v", page)
	}
}

// lower returns the hashes in lower case, as findings print them.
func lower(hs []string) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = common.HexToHash(h).Hex()
	}
	return out
}
