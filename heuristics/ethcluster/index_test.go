package ethcluster

import (
	"bytes"
	"context"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	chain "github.com/spoorhq/spoor/chains/ethereum"
	ethindex "github.com/spoorhq/spoor/indexer/ethereum"
	"github.com/spoorhq/spoor/internal/gethtest"
	"github.com/spoorhq/spoor/storage"
)

// patterns drives a deposit-address pattern (two users of one deposit
// address of exchange ex), a token deposit and an airdrop (five claims,
// three forwarded to one collector) on a real geth node, and returns ex
// with the groups of addresses the rules must join.
func patterns(t *testing.T, d *drive) (ex common.Address, deposit account, groups [][]common.Address) {
	t.Helper()
	x, u1, u2, dep := d.newAccount(), d.newAccount(), d.newAccount(), d.newAccount()
	for _, a := range []account{u1, u2} {
		d.fund(a.addr, big.NewInt(5e18))
	}
	d.pay(u1, dep.addr, milli(1000))
	d.pay(dep, x.addr, milli(999))
	d.pay(u2, dep.addr, milli(2000))
	d.pay(dep, x.addr, milli(1999))

	tokAddr, _, err := d.n.Deploy(d.ctx, d.tok, nil, big.NewInt(1_000_000))
	if err != nil {
		t.Fatal(err)
	}
	dist, col, u6, d7 := d.newAccount(), d.newAccount(), d.newAccount(), d.newAccount()
	rs := []account{d.newAccount(), d.newAccount(), d.newAccount(), d.newAccount(), d.newAccount()}
	for _, a := range append([]account{dist, col, u6, d7}, rs...) {
		d.fund(a.addr, milli(100))
	}
	d.check(d.n.Invoke(d.ctx, gethtest.Tx{}, d.tok, tokAddr, "transfer", dist.addr, big.NewInt(10_000)))
	d.check(d.n.Invoke(d.ctx, gethtest.Tx{}, d.tok, tokAddr, "transfer", u6.addr, big.NewInt(1000)))
	d.token(tokAddr, u6, d7.addr, 250)
	d.token(tokAddr, d7, x.addr, 250)
	for _, r := range rs {
		d.token(tokAddr, dist, r.addr, 100)
	}
	d.pay(col, col.addr, big.NewInt(0))
	for _, r := range rs[:3] {
		d.token(tokAddr, r, col.addr, 100)
	}
	return x.addr, dep, [][]common.Address{{u1.addr, u2.addr, dep.addr}, {u6.addr, d7.addr},
		{rs[0].addr, rs[1].addr, rs[2].addr, col.addr}}
}

// testSet is the set the tests cluster with: τ 5 blocks, airdrops of 5.
func testSet(t *testing.T, ex common.Address) *Set {
	t.Helper()
	set, err := NewSet(Config{Exchanges: []string{ex.Hex()}, MaxBlockDiff: 5, AirdropMinRecipients: 5})
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// openIndex opens an empty Ethereum index in a new directory.
func openIndex(t *testing.T) *storage.DB {
	t.Helper()
	db, err := storage.Open(t.TempDir(), "ethereum", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// index runs an Ethereum indexer over n into db with cfg and the given
// clustering index (nil for none).
func index(t *testing.T, n *gethtest.Node, db *storage.DB, idx *Index, cfg ethindex.Config) *ethindex.Indexer {
	t.Helper()
	ctx := context.Background()
	src, err := chain.DialRPC(ctx, n.URL, chain.RPCOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(src.Close)
	if idx != nil {
		cfg.Indexes = []ethindex.Index{idx}
	}
	ix, err := ethindex.New(db, src, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Run(ctx); err != nil {
		t.Fatal(err)
	}
	return ix
}

// clusterRows renders every row of the Ethereum clusterings of db (the
// generation, cluster, link, undo and rule tables and their tips).
func clusterRows(t *testing.T, db *storage.DB) string {
	t.Helper()
	var b bytes.Buffer
	if err := db.DumpEthereum(&b); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for line := range strings.Lines(b.String()) {
		if strings.ContainsRune("GCMVJKHehi", rune(line[0])) || strings.HasPrefix(line, "m ") && strings.Contains(line, "ethcluster") {
			out.WriteString(line)
		}
	}
	return out.String()
}

func diffRows(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	var out []string
	for i := 0; i < max(len(g), len(w)) && len(out) < 10; i++ {
		var a, b string
		if i < len(g) {
			a = g[i]
		}
		if i < len(w) {
			b = w[i]
		}
		if a != b {
			out = append(out, fmt.Sprintf("line %d:\n got  %s\n want %s", i, a, b))
		}
	}
	return strings.Join(out, "\n")
}

// sameCluster reports whether a and b share a cluster in db's active
// clustering.
func sameCluster(t *testing.T, db *storage.DB, a, b common.Address) bool {
	t.Helper()
	v, err := NewViews(db)
	if err != nil {
		t.Fatal(err)
	}
	w, err := v.Why(a.Hex(), b.Hex(), 0)
	if err != nil {
		t.Fatal(err)
	}
	return w.Same
}

// TestIndexMatchesBuild indexes a real geth node three times: with the
// clustering maintained block by block as each block is connected (one
// block per batch, then many blocks per batch), and without, clustering
// afterwards with Build. The three must hold the same rows, byte for byte,
// and the same partition as the batch rules of batchref_test.go.
func TestIndexMatchesBuild(t *testing.T) {
	n := gethtest.Start(t)
	ctx := context.Background()
	tok, err := gethtest.LoadContract("Token")
	if err != nil {
		t.Fatal(err)
	}
	d := &drive{t: t, ctx: ctx, n: n, tok: tok}
	ex, _, groups := patterns(t, d)
	set := testSet(t, ex)

	batch := openIndex(t)
	ix := index(t, n, batch, nil, ethindex.Config{})
	stop := ix.Height()
	if _, err := Build(ctx, batch, set, nil); err != nil {
		t.Fatal(err)
	}
	want := clusterRows(t, batch)
	for _, tag := range []string{"\nJ ", "\ne ", "\nh ", "\ni ", "\nK ", "\nV ", "\nm tip/ethcluster/"} {
		if !strings.Contains("\n"+want, tag) {
			t.Fatalf("the built clustering has no %q rows:\n%s", tag[1:], want)
		}
	}
	for _, g := range groups {
		for _, a := range g[1:] {
			if !sameCluster(t, batch, g[0], a) {
				t.Errorf("build: %s and %s are apart", g[0].Hex(), a.Hex())
			}
		}
	}

	for _, c := range []struct {
		name string
		cfg  ethindex.Config
	}{
		{"a block per batch", ethindex.Config{StopHeight: stop}},
		{"many blocks per batch", ethindex.Config{StopHeight: stop, FinalityDepth: 1, BulkCommitInterval: time.Hour}},
	} {
		t.Run(c.name, func(t *testing.T) {
			db := openIndex(t)
			idx, err := OpenIndex(db, set, nil)
			if err != nil {
				t.Fatal(err)
			}
			index(t, n, db, idx, c.cfg)
			if got := clusterRows(t, db); got != want {
				t.Errorf("the clustering maintained while indexing differs from Build's:\n%s", diffRows(got, want))
			}
		})
	}

	// The partition equals the batch rules' over the whole history.
	h, err := load(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	xid, err := batch.LookupEthAddr(ex)
	if err != nil {
		t.Fatal(err)
	}
	xs, none := map[storage.AddrID]bool{xid: true}, map[storage.AddrID]bool{}
	parent := map[storage.AddrID]storage.AddrID{}
	var find func(a storage.AddrID) storage.AddrID
	find = func(a storage.AddrID) storage.AddrID {
		if p, ok := parent[a]; ok && p != a {
			return find(p)
		}
		return a
	}
	join := func(a, b storage.AddrID) { parent[find(a)] = find(b) }
	for _, m := range findDeposits(h.ether, xs, none, h.miners, set.MaxAmountDiff, set.MaxBlockDiff) {
		join(m.Deposit, m.User)
	}
	for _, m := range findTokenDeposits(h.tokens, xs, none, h.miners, h.active, set.MaxBlockDiff) {
		join(m.Deposit, m.User)
	}
	for _, a := range findAirdrops(h.tokens, h.active, set.MinRecipients, set.MaxMedianGap, set.MinAggregations) {
		join(a.Collector, a.Claimer)
	}
	st, err := batch.EthState()
	if err != nil {
		t.Fatal(err)
	}
	gen, _, err := Active(batch)
	if err != nil {
		t.Fatal(err)
	}
	ref, got := map[storage.AddrID]storage.AddrID{}, map[storage.AddrID]storage.AddrID{}
	for a := storage.AddrID(1); a < st.NextAddrID; a++ {
		c, err := batch.ClusterOf(gen, a)
		if err != nil {
			t.Fatal(err)
		}
		r := find(a)
		if prev, ok := ref[r]; ok && prev != c {
			t.Errorf("address %d: in cluster %d, the batch rules put it with cluster %d", a, c, prev)
		}
		if prev, ok := got[c]; ok && prev != r {
			t.Errorf("address %d: cluster %d holds batch groups %d and %d", a, c, prev, r)
		}
		ref[r], got[c] = c, r
	}
}

// TestIndexFollowsReorg follows a real geth through a reorganization
// with the clustering maintained block by block: the node mines the
// deposit pattern's second forward, which merges U2, then is rewound with
// debug_setHead below it and mines another, longer branch. The follower
// must disconnect the abandoned blocks from the clustering by their undo
// records and end with the rows of a fresh index clustered by Build.
func TestIndexFollowsReorg(t *testing.T) {
	n := gethtest.Start(t)
	ctx := context.Background()
	tok, err := gethtest.LoadContract("Token")
	if err != nil {
		t.Fatal(err)
	}
	d := &drive{t: t, ctx: ctx, n: n, tok: tok}
	ex, depKey, _ := patterns(t, d)
	set := testSet(t, ex)
	// The branch to abandon: U3 pays the deposit address, which forwards.
	u3, dep := d.newAccount(), depKey.addr
	d.fund(u3.addr, big.NewInt(5e18))
	fork, err := n.Eth.BlockNumber(ctx)
	if err != nil {
		t.Fatal(err)
	}

	src, err := chain.DialRPC(ctx, n.URL, chain.RPCOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(src.Close)
	db := openIndex(t)
	idx, err := OpenIndex(db, set, nil)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := ethindex.New(db, src, ethindex.Config{Workers: 2, Follow: true, PollInterval: 50 * time.Millisecond,
		Indexes: []ethindex.Index{idx}})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- ix.Run(runCtx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("follower: %v", err)
		}
	}()
	payU3 := d.pay(u3, dep, milli(700))
	fwdU3 := d.pay(depKey, ex, milli(699))
	oldTip, oldHash, err := src.Tip(ctx)
	if err != nil {
		t.Fatal(err)
	}
	waitIndexed(t, db, oldTip, oldHash)
	if !sameCluster(t, db, u3.addr, dep) {
		t.Fatal("before the reorganization U3 is not with the deposit address")
	}

	if err := n.SetHead(ctx, fork); err != nil {
		t.Fatal(err)
	}
	other := d.newAccount()
	var newTip uint64
	var newHash common.Hash
	for i := 0; i < 30; i++ {
		d.fund(other.addr, big.NewInt(int64(i+1)*1e15))
		if newTip, newHash, err = src.Tip(ctx); err != nil {
			t.Fatal(err)
		}
		if newTip > oldTip && i >= 3 {
			break
		}
	}
	if newTip <= oldTip {
		t.Fatalf("the new branch ends at %d, not above the old tip %d", newTip, oldTip)
	}
	waitIndexed(t, db, newTip, newHash)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("follower: %v", err)
	}
	done <- nil

	fresh := openIndex(t)
	index(t, n, fresh, nil, ethindex.Config{StopHeight: ix.Height()})
	if _, err := Build(ctx, fresh, set, nil); err != nil {
		t.Fatal(err)
	}
	if got, want := clusterRows(t, db), clusterRows(t, fresh); got != want {
		t.Errorf("the clustering after the reorganization differs from a fresh build of the final chain:\n%s", diffRows(got, want))
	}
	// geth may mine the abandoned transactions again in the new branch;
	// when it has not, the merge they made must be gone.
	_, errPay := n.Eth.TransactionReceipt(ctx, payU3)
	_, errFwd := n.Eth.TransactionReceipt(ctx, fwdU3)
	remined := errPay == nil && errFwd == nil
	if same := sameCluster(t, db, u3.addr, dep); same != remined {
		t.Errorf("after the reorganization U3 with the deposit address: %v; its payment and forward on the final chain: %v", same, remined)
	}
	t.Logf("abandoned deposit pattern mined again: %v", remined)
}

// waitIndexed waits until the index holds the given block.
func waitIndexed(t *testing.T, db *storage.DB, height uint64, hash common.Hash) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		tip, ok, err := db.Tip(ethindex.ChainIndexName)
		if err != nil {
			t.Fatal(err)
		}
		if ok && uint64(tip.Height) >= height {
			if rec, err := db.EthBlock(uint32(height)); err == nil && common.Hash(rec.Hash) == hash {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("index tip %+v, want block %d %s", tip, height, hash)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
