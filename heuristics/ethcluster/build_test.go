package ethcluster

import (
	"context"
	"crypto/ecdsa"
	"math"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	chain "github.com/spoorhq/spoor/chains/ethereum"
	ethindex "github.com/spoorhq/spoor/indexer/ethereum"
	"github.com/spoorhq/spoor/internal/gethtest"
	"github.com/spoorhq/spoor/storage"
)

// milli returns n thousandths of an ether in wei.
func milli(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), big.NewInt(1e15)) }

// account is a test key with its address.
type account struct {
	key  *ecdsa.PrivateKey
	addr common.Address
}

// drive sends transactions to a real geth node and remembers their hashes.
type drive struct {
	t   *testing.T
	ctx context.Context
	n   *gethtest.Node
	tok *gethtest.Contract
}

func (d *drive) newAccount() account {
	d.t.Helper()
	k, a, err := gethtest.NewKey()
	if err != nil {
		d.t.Fatal(err)
	}
	return account{k, a}
}

func (d *drive) check(r *types.Receipt, err error) common.Hash {
	d.t.Helper()
	if err != nil {
		d.t.Fatal(err)
	}
	if r.Status != types.ReceiptStatusSuccessful {
		d.t.Fatalf("tx %s failed", r.TxHash)
	}
	return r.TxHash
}

// fund pays v from the developer account.
func (d *drive) fund(to common.Address, v *big.Int) common.Hash {
	d.t.Helper()
	return d.check(d.n.Send(d.ctx, gethtest.Tx{To: &to, Value: v}))
}

// pay sends v ether from a to b.
func (d *drive) pay(a account, b common.Address, v *big.Int) common.Hash {
	d.t.Helper()
	return d.check(d.n.Send(d.ctx, gethtest.Tx{Key: a.key, To: &b, Value: v, Gas: 21000}))
}

// token sends v units of the token at tok from a to b.
func (d *drive) token(tok common.Address, a account, b common.Address, v int64) common.Hash {
	d.t.Helper()
	return d.check(d.n.Invoke(d.ctx, gethtest.Tx{Key: a.key}, d.tok, tok, "transfer", b, big.NewInt(v)))
}

// filler mines k blocks with payments between two throwaway accounts.
func (d *drive) filler(from account, k int) {
	d.t.Helper()
	sink := d.newAccount().addr
	for range k {
		d.pay(from, sink, big.NewInt(1))
	}
}

// TestBuildRealGeth drives a geth --dev node through deposit-address and
// airdrop patterns and look-alikes of each, indexes it, clusters it and
// checks every merge, the evidence of each, and that no look-alike merged.
func TestBuildRealGeth(t *testing.T) {
	n := gethtest.Start(t)
	ctx := context.Background()
	tok, err := gethtest.LoadContract("Token")
	if err != nil {
		t.Fatal(err)
	}
	d := &drive{t: t, ctx: ctx, n: n, tok: tok}
	acct := func() account { return d.newAccount() }

	// Exchanges: X1 is labelled in the index, X2 configured.
	x1, x2 := acct(), acct()
	// Deposit-address pattern: users U1 and U2 pay deposit D1 of X1, which
	// forwards each payment less 0.001 ether; U3 pays D2 of X2.
	u1, u2, u3, d1, d2 := acct(), acct(), acct(), acct(), acct()
	// Look-alikes: N1 forwards to an unlabelled address; D3 forwards after
	// the window; D4 forwards another tenth; D5 forwards more than it got;
	// D6 forwards the same tenth but 0.03 less (more than α).
	l1, n1, y := acct(), acct(), acct()
	l2, d3, l3, d4, l4, d5, l5, d6 := acct(), acct(), acct(), acct(), acct(), acct(), acct(), acct()
	filler := acct()
	for _, a := range []account{u1, u2, u3, l1, l2, l3, l4, l5, filler} {
		d.fund(a.addr, big.NewInt(5e18))
	}
	d.fund(d5.addr, milli(100))

	pU1 := d.pay(u1, d1.addr, milli(1000))
	fU1 := d.pay(d1, x1.addr, milli(999))
	pU2 := d.pay(u2, d1.addr, milli(2000))
	fU2 := d.pay(d1, x1.addr, milli(1999))
	pU3 := d.pay(u3, d2.addr, milli(500))
	fU3 := d.pay(d2, x2.addr, milli(499))

	d.pay(l1, n1.addr, milli(1000))
	d.pay(n1, y.addr, milli(999))
	d.pay(l2, d3.addr, milli(1000))
	d.filler(filler, 6) // τ is 5 blocks in this test
	d.pay(d3, x1.addr, milli(999))
	d.pay(l3, d4.addr, milli(1000))
	d.pay(d4, x1.addr, milli(500))
	d.pay(l4, d5.addr, milli(1000))
	d.pay(d5, x1.addr, milli(1040))
	d.pay(l5, d6.addr, milli(1000))
	d.pay(d6, x1.addr, milli(970))

	// Airdrop pattern: distributor Dist sends 100 units to R1..R8 in
	// consecutive blocks; R1, R2 and R3 forward theirs to collector C1.
	// Look-alikes: R4 alone forwards to C2; R5 forwards another amount to
	// C1; R6 and R7 forward to C4, which never sent a transaction; Dist2
	// sends 100 units to only 3 addresses, two of which forward to C3.
	dist, dist2 := acct(), acct()
	rs := make([]account, 8)
	for i := range rs {
		rs[i] = acct()
	}
	c1, c2, c3, c4 := acct(), acct(), acct(), acct()
	ss := []account{acct(), acct(), acct()}
	for _, a := range append(append([]account{dist, dist2, c1, c2, c3}, rs...), ss...) {
		d.fund(a.addr, milli(100))
	}
	tokAddr, _, err := n.Deploy(ctx, tok, nil, big.NewInt(1_000_000))
	if err != nil {
		t.Fatal(err)
	}
	d.check(n.Invoke(ctx, gethtest.Tx{}, tok, tokAddr, "transfer", dist.addr, big.NewInt(10_000)))
	d.check(n.Invoke(ctx, gethtest.Tx{}, tok, tokAddr, "transfer", dist2.addr, big.NewInt(10_000)))
	// Token deposit pattern: U6 pays deposit D7 of X1 250 units, which D7
	// forwards exactly; look-alike: D8 forwards 249 of U7's 250.
	u6, d7, u7, d8 := acct(), acct(), acct(), acct()
	for _, a := range []account{u6, d7, u7, d8} {
		d.fund(a.addr, milli(100))
	}
	d.check(n.Invoke(ctx, gethtest.Tx{}, tok, tokAddr, "transfer", u6.addr, big.NewInt(1000)))
	d.check(n.Invoke(ctx, gethtest.Tx{}, tok, tokAddr, "transfer", u7.addr, big.NewInt(1000)))
	pU6 := d.token(tokAddr, u6, d7.addr, 250)
	fU6 := d.token(tokAddr, d7, x1.addr, 250)
	d.token(tokAddr, u7, d8.addr, 250)
	d.token(tokAddr, d8, x1.addr, 249)

	claim := map[common.Address]common.Hash{}
	for _, r := range rs {
		claim[r.addr] = d.token(tokAddr, dist, r.addr, 100)
	}
	for _, s := range ss {
		d.token(tokAddr, dist2, s.addr, 100)
	}
	// The collectors that must count as active EOAs send a transaction.
	for _, c := range []account{c1, c2, c3} {
		d.pay(c, c.addr, big.NewInt(0))
	}
	fwd := map[common.Address]common.Hash{}
	for _, r := range rs[:3] {
		fwd[r.addr] = d.token(tokAddr, r, c1.addr, 100)
	}
	d.token(tokAddr, rs[3], c2.addr, 100)
	d.token(tokAddr, rs[4], c1.addr, 50)
	d.token(tokAddr, rs[5], c4.addr, 100)
	d.token(tokAddr, rs[6], c4.addr, 100)
	d.token(tokAddr, ss[0], c3.addr, 100)
	d.token(tokAddr, ss[1], c3.addr, 100)

	// Index the node, label X1, cluster.
	src, err := chain.DialRPC(ctx, n.URL, chain.RPCOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(src.Close)
	db, err := storage.Open(t.TempDir(), "ethereum", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ix, err := ethindex.New(db, src, ethindex.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Run(ctx); err != nil {
		t.Fatal(err)
	}
	b := db.NewBatch()
	b.PutLabel(&storage.Label{Subject: storage.SubjectAddress, AddrClass: 0, AddrPayload: x1.addr[:], Entity: "Test Exchange",
		Category: "exchange", Source: "test", Confidence: 50, Pack: "test"})
	if err := b.Commit(true); err != nil {
		t.Fatal(err)
	}
	b.Close()
	set, err := NewSet(Config{Exchanges: []string{x2.addr.Hex()}, MaxBlockDiff: 5, AirdropMinRecipients: 5})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := Build(ctx, db, set, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Deposits != 3 || sum.DepositTx != 4 || sum.Airdrops != 3 {
		t.Errorf("summary %+v: want 3 deposit addresses, 4 matched payments, 3 airdrop forwards", sum)
	}
	v, err := NewViews(db)
	if err != nil {
		t.Fatal(err)
	}

	type member struct {
		name string
		a    common.Address
	}
	groups := [][]member{
		{{"U1", u1.addr}, {"U2", u2.addr}, {"D1", d1.addr}},
		{{"U3", u3.addr}, {"D2", d2.addr}},
		{{"U6", u6.addr}, {"D7", d7.addr}},
		{{"R1", rs[0].addr}, {"R2", rs[1].addr}, {"R3", rs[2].addr}, {"C1", c1.addr}},
	}
	alone := []member{{"X1", x1.addr}, {"X2", x2.addr}, {"L1", l1.addr}, {"N1", n1.addr}, {"Y", y.addr},
		{"L2", l2.addr}, {"D3", d3.addr}, {"L3", l3.addr}, {"D4", d4.addr}, {"L4", l4.addr}, {"D5", d5.addr},
		{"L5", l5.addr}, {"D6", d6.addr}, {"R4", rs[3].addr}, {"C2", c2.addr}, {"R5", rs[4].addr},
		{"R6", rs[5].addr}, {"R7", rs[6].addr}, {"C4", c4.addr}, {"Dist", dist.addr}, {"Dist2", dist2.addr},
		{"S1", ss[0].addr}, {"S2", ss[1].addr}, {"C3", c3.addr}, {"U7", u7.addr}, {"D8", d8.addr}}
	for _, g := range groups {
		cv, err := v.Cluster(g[0].a.Hex(), 100, "")
		if err != nil {
			t.Fatal(err)
		}
		if cv.Size != uint64(len(g)) {
			t.Errorf("cluster of %s has %d addresses %v, want %d", g[0].name, cv.Size, cv.Members, len(g))
		}
		for _, m := range g[1:] {
			w, err := v.Why(g[0].a.Hex(), m.a.Hex(), 0)
			if err != nil {
				t.Fatal(err)
			}
			if !w.Same {
				t.Errorf("%s and %s are not in one cluster", g[0].name, m.name)
			}
		}
	}
	for _, m := range alone {
		cv, err := v.Cluster(m.a.Hex(), 10, "")
		if err != nil {
			t.Fatal(err)
		}
		if cv.Size != 1 {
			t.Errorf("look-alike %s was merged into %v", m.name, cv.Members)
		}
	}

	// Evidence of the deposit merges: the payment, the forward, the
	// exchange, the amounts and the block gap.
	height := func(h common.Hash) uint32 {
		r, err := n.Eth.TransactionReceipt(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		return uint32(r.BlockNumber.Uint64())
	}
	for _, c := range []struct {
		user, deposit, hub common.Address
		pay, fwd           common.Hash
		in, out            *big.Int
	}{
		{u1.addr, d1.addr, x1.addr, pU1, fU1, milli(1000), milli(999)},
		{u2.addr, d1.addr, x1.addr, pU2, fU2, milli(2000), milli(1999)},
		{u3.addr, d2.addr, x2.addr, pU3, fU3, milli(500), milli(499)},
	} {
		w, err := v.Why(c.user.Hex(), c.deposit.Hex(), 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(w.Steps) != 1 {
			t.Fatalf("why %s %s: %d steps, want 1", c.user.Hex(), c.deposit.Hex(), len(w.Steps))
		}
		s := w.Steps[0]
		gap := uint64(height(c.fwd) - height(c.pay))
		// Confidence is 1 - (½·0.001/0.01 + ½·gap/5).
		conf := uint8(math.Round(100 * (1 - (0.05 + float64(gap)/10))))
		if s.Rule != "deposit-reuse/1" || s.Tx != c.pay.Hex() || s.ViaTx != c.fwd.Hex() || s.Hub != c.hub.Hex() ||
			s.Amount != c.in.String() || s.ViaAmount != c.out.String() || s.BlockGap != gap || s.Confidence != conf {
			t.Errorf("why %s %s: step %+v; want payment %s, forward %s to %s, %s then %s, gap %d, confidence %d",
				c.user.Hex(), c.deposit.Hex(), s, c.pay.Hex(), c.fwd.Hex(), c.hub.Hex(), c.in, c.out, gap, conf)
		}
	}
	// Evidence of the token deposit merge.
	if w, err := v.Why(u6.addr.Hex(), d7.addr.Hex(), 0); err != nil {
		t.Fatal(err)
	} else if len(w.Steps) != 1 || w.Steps[0].Rule != "deposit-reuse-token/1" || w.Steps[0].Tx != pU6.Hex() || w.Steps[0].ViaTx != fU6.Hex() ||
		w.Steps[0].Hub != x1.addr.Hex() || w.Steps[0].Token != tokAddr.Hex() || w.Steps[0].Amount != "250" || w.Steps[0].ViaAmount != "250" {
		t.Errorf("why U6 D7: %+v", w.Steps)
	}
	// Evidence of the airdrop merges.
	for _, r := range rs[:3] {
		w, err := v.Why(r.addr.Hex(), c1.addr.Hex(), 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(w.Steps) != 1 {
			t.Fatalf("why %s C1: %d steps, want 1", r.addr.Hex(), len(w.Steps))
		}
		s := w.Steps[0]
		if s.Rule != "airdrop/1" || s.Tx != fwd[r.addr].Hex() || s.ViaTx != claim[r.addr].Hex() || s.Hub != dist.addr.Hex() ||
			s.Token != tokAddr.Hex() || s.Amount != "100" || s.ViaAmount != "100" || s.BlockGap != uint64(height(fwd[r.addr])-height(claim[r.addr])) {
			t.Errorf("why %s C1: step %+v", r.addr.Hex(), s)
		}
	}
	// U1 and U2 are linked through D1: two steps.
	w, err := v.Why(u1.addr.Hex(), u2.addr.Hex(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Steps) != 2 || w.Steps[0].From != u1.addr.Hex() || w.Steps[1].To != u2.addr.Hex() {
		t.Errorf("why U1 U2: %+v, want U1 - D1 - U2", w.Steps)
	}
	if stale, err := v.Stale(); err != nil || stale {
		t.Errorf("a clustering built at the tip reports stale %v (%v)", stale, err)
	}

	// Rebuilding with one rule replaces the generation atomically.
	only, err := NewSet(Config{Heuristics: []string{"airdrop/1"}, AirdropMinRecipients: 5})
	if err != nil {
		t.Fatal(err)
	}
	sum2, err := Build(ctx, db, only, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum2.Previous != sum.Generation || sum2.Generation == sum.Generation {
		t.Errorf("rebuild: generation %d replacing %d, want a new one replacing %d", sum2.Generation, sum2.Previous, sum.Generation)
	}
	gens, err := db.Generations()
	if err != nil {
		t.Fatal(err)
	}
	if len(gens) != 1 || gens[0] != sum2.Generation {
		t.Errorf("generations after the rebuild: %v, want only %d", gens, sum2.Generation)
	}
	v2, err := NewViews(db)
	if err != nil {
		t.Fatal(err)
	}
	if w, err := v2.Why(u1.addr.Hex(), d1.addr.Hex(), 0); err != nil || w.Same {
		t.Errorf("without deposit-reuse/1 U1 and D1 share a cluster (%v)", err)
	}
	if w, err := v2.Why(rs[0].addr.Hex(), c1.addr.Hex(), 0); err != nil || !w.Same {
		t.Errorf("airdrop/1 alone does not join R1 and C1 (%v)", err)
	}
	if _, err := v2.DB.EthLinkDetail(sum.Generation, u1.addr2id(t, db), d1.addr2id(t, db)); err == nil {
		t.Errorf("the old generation's link details survived the rebuild")
	}
}

func (a account) addr2id(t *testing.T, db *storage.DB) storage.AddrID {
	t.Helper()
	id, err := db.LookupEthAddr(a.addr)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
