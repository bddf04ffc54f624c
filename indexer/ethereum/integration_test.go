package ethereum

import (
	"bytes"
	"context"
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	chain "github.com/spoorhq/spoor/chains/ethereum"
	"github.com/spoorhq/spoor/internal/gethtest"
	"github.com/spoorhq/spoor/storage"
)

var ether = big.NewInt(1e18)

func eth(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), ether) }

// edge is a transfer in a form tests can compare: addresses as hex, ""
// for a mint's sender or a sink's receiver.
type edge struct {
	Kind     string
	From, To string
	Asset    string
	TokenID  string
	Amount   string
}

func (e edge) String() string {
	return fmt.Sprintf("%s %s->%s %s asset=%s id=%s", e.Kind, e.From, e.To, e.Amount, e.Asset, e.TokenID)
}

func mkEdge(k chain.Kind, from, to *common.Address, asset *common.Address, id, amount *big.Int) edge {
	e := edge{Kind: k.String(), Amount: amount.String()}
	if from != nil {
		e.From = from.Hex()
	}
	if to != nil {
		e.To = to.Hex()
	}
	if asset != nil {
		e.Asset = asset.Hex()
	}
	if id != nil {
		e.TokenID = id.String()
	}
	return e
}

// scenario drives a real geth node through every kind of value move and
// records, for each transaction, the edges the index must hold.
type scenario struct {
	t        *testing.T
	n        *gethtest.Node
	ctx      context.Context
	expected map[common.Hash][]edge
	receipts []*types.Receipt
	failed   map[common.Hash]bool
	oddTx    common.Hash
	token    common.Address
	weth     common.Address
	coll     common.Address
	holders  []common.Address
	miner    common.Address
}

func (s *scenario) must(r *types.Receipt, err error) *types.Receipt {
	s.t.Helper()
	if err != nil {
		s.t.Fatal(err)
	}
	s.receipts = append(s.receipts, r)
	return r
}

// record stores the expected edges of r: the given value moves, then the
// priority fee and the burnt base fee computed from the receipt and block.
func (s *scenario) record(r *types.Receipt, from common.Address, moves ...edge) {
	s.t.Helper()
	hdr, err := s.n.Eth.HeaderByHash(s.ctx, r.BlockHash)
	if err != nil {
		s.t.Fatal(err)
	}
	gas := new(big.Int).SetUint64(r.GasUsed)
	fee := new(big.Int).Mul(gas, r.EffectiveGasPrice)
	burnt := new(big.Int).Mul(gas, hdr.BaseFee)
	tip := new(big.Int).Sub(fee, burnt)
	if tip.Sign() > 0 {
		moves = append(moves, mkEdge(chain.KindFee, &from, &hdr.Coinbase, nil, nil, tip))
	}
	if burnt.Sign() > 0 {
		moves = append(moves, mkEdge(chain.KindBurn, &from, nil, nil, nil, burnt))
	}
	s.expected[r.TxHash] = moves
}

func runScenario(t *testing.T, n *gethtest.Node) *scenario {
	ctx := context.Background()
	s := &scenario{t: t, n: n, ctx: ctx, expected: map[common.Hash][]edge{}, failed: map[common.Hash]bool{}}
	load := func(name string) *gethtest.Contract {
		c, err := gethtest.LoadContract(name)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	tok, split, child, weth, coll := load("Token"), load("Splitter"), load("Child"), load("WETH"), load("Collectibles")
	aliceKey, alice, err := gethtest.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	_, bob, _ := gethtest.NewKey()
	_, carol, _ := gethtest.NewKey()
	_, s.miner, _ = gethtest.NewKey()
	dev := n.Dev
	zero := common.Address{}
	if err := n.SetFeeRecipient(ctx, s.miner); err != nil {
		t.Fatal(err)
	}

	// Plain ether: from the unlocked dev account and signed by a key.
	r := s.must(n.Send(ctx, gethtest.Tx{To: &alice, Value: eth(10)}))
	s.record(r, dev, mkEdge(chain.KindNative, &dev, &alice, nil, nil, eth(10)))
	r = s.must(n.Send(ctx, gethtest.Tx{Key: aliceKey, To: &bob, Value: eth(1)}))
	s.record(r, alice, mkEdge(chain.KindNative, &alice, &bob, nil, nil, eth(1)))

	// ERC-20: mint on deployment, transfer, approve, transferFrom, and a
	// Transfer log missing an indexed topic (skipped, never a balance).
	s.token, r, err = n.Deploy(ctx, tok, nil, big.NewInt(1_000_000))
	s.must(r, err)
	s.record(r, dev, mkEdge(chain.KindERC20, &zero, &dev, &s.token, nil, big.NewInt(1_000_000)))
	r = s.must(n.Invoke(ctx, gethtest.Tx{}, tok, s.token, "transfer", alice, big.NewInt(1000)))
	s.record(r, dev, mkEdge(chain.KindERC20, &dev, &alice, &s.token, nil, big.NewInt(1000)))
	r = s.must(n.Invoke(ctx, gethtest.Tx{Key: aliceKey}, tok, s.token, "approve", dev, big.NewInt(300)))
	s.record(r, alice)
	r = s.must(n.Invoke(ctx, gethtest.Tx{}, tok, s.token, "transferFrom", alice, carol, big.NewInt(200)))
	s.record(r, dev, mkEdge(chain.KindERC20, &alice, &carol, &s.token, nil, big.NewInt(200)))
	r = s.must(n.Invoke(ctx, gethtest.Tx{}, tok, s.token, "emitOdd"))
	s.record(r, dev)
	s.oddTx = r.TxHash

	// Internal calls: a split, a payment through a reverted call, a funded
	// child contract, its self-destruct, and a failed transaction.
	splitter, r, err := n.Deploy(ctx, split, nil)
	s.must(r, err)
	s.record(r, dev)
	r = s.must(n.Invoke(ctx, gethtest.Tx{Value: eth(3)}, split, splitter, "split", []common.Address{bob, carol, alice}))
	s.record(r, dev, mkEdge(chain.KindNative, &dev, &splitter, nil, nil, eth(3)),
		mkEdge(chain.KindInternal, &splitter, &bob, nil, nil, eth(1)),
		mkEdge(chain.KindInternal, &splitter, &carol, nil, nil, eth(1)),
		mkEdge(chain.KindInternal, &splitter, &alice, nil, nil, eth(1)))
	r = s.must(n.Invoke(ctx, gethtest.Tx{Value: eth(1), Gas: 200_000}, split, splitter, "tryPay", bob))
	if r.Status != types.ReceiptStatusSuccessful {
		t.Fatalf("tryPay failed: %+v", r)
	}
	s.record(r, dev, mkEdge(chain.KindNative, &dev, &splitter, nil, nil, eth(1)))
	r = s.must(n.Invoke(ctx, gethtest.Tx{Value: eth(2)}, split, splitter, "spawn"))
	kid := crypto.CreateAddress(splitter, 1) // the splitter's first creation
	s.record(r, dev, mkEdge(chain.KindNative, &dev, &splitter, nil, nil, eth(2)),
		mkEdge(chain.KindCreate, &splitter, &kid, nil, nil, eth(2)))
	r = s.must(n.Invoke(ctx, gethtest.Tx{}, child, kid, "kill", bob))
	s.record(r, dev, mkEdge(chain.KindSelfDestruct, &kid, &bob, nil, nil, eth(2)))
	r = s.must(n.Invoke(ctx, gethtest.Tx{Value: eth(1), Gas: 100_000}, split, splitter, "fail"))
	if r.Status != types.ReceiptStatusFailed {
		t.Fatalf("fail() did not fail: %+v", r)
	}
	s.failed[r.TxHash] = true
	s.record(r, dev)
	kid2, r, err := n.Deploy(ctx, child, eth(1))
	s.must(r, err)
	s.record(r, dev, mkEdge(chain.KindCreate, &dev, &kid2, nil, nil, eth(1)))

	// Wrapped ether.
	s.weth, r, err = n.Deploy(ctx, weth, nil)
	s.must(r, err)
	s.record(r, dev)
	r = s.must(n.Invoke(ctx, gethtest.Tx{Value: eth(5)}, weth, s.weth, "deposit"))
	s.record(r, dev, mkEdge(chain.KindNative, &dev, &s.weth, nil, nil, eth(5)),
		mkEdge(chain.KindWETHDeposit, nil, &dev, &s.weth, nil, eth(5)))
	r = s.must(n.Invoke(ctx, gethtest.Tx{}, weth, s.weth, "withdraw", eth(2)))
	s.record(r, dev, mkEdge(chain.KindInternal, &s.weth, &dev, nil, nil, eth(2)),
		mkEdge(chain.KindWETHWithdrawal, &dev, nil, &s.weth, nil, eth(2)))
	r = s.must(n.Invoke(ctx, gethtest.Tx{}, weth, s.weth, "transfer", alice, eth(1)))
	s.record(r, dev, mkEdge(chain.KindERC20, &dev, &alice, &s.weth, nil, eth(1)))

	// ERC-721 and ERC-1155.
	s.coll, r, err = n.Deploy(ctx, coll, nil)
	s.must(r, err)
	s.record(r, dev)
	r = s.must(n.Invoke(ctx, gethtest.Tx{}, coll, s.coll, "mintNFT", alice, big.NewInt(7)))
	s.record(r, dev, mkEdge(chain.KindERC721, &zero, &alice, &s.coll, big.NewInt(7), big.NewInt(1)))
	r = s.must(n.Invoke(ctx, gethtest.Tx{Key: aliceKey}, coll, s.coll, "moveNFT", bob, big.NewInt(7)))
	s.record(r, alice, mkEdge(chain.KindERC721, &alice, &bob, &s.coll, big.NewInt(7), big.NewInt(1)))
	r = s.must(n.Invoke(ctx, gethtest.Tx{}, coll, s.coll, "mint1155", dev, big.NewInt(1), big.NewInt(10)))
	s.record(r, dev, mkEdge(chain.KindERC1155, &zero, &dev, &s.coll, big.NewInt(1), big.NewInt(10)))
	r = s.must(n.Invoke(ctx, gethtest.Tx{}, coll, s.coll, "mint1155", dev, big.NewInt(2), big.NewInt(20)))
	s.record(r, dev, mkEdge(chain.KindERC1155, &zero, &dev, &s.coll, big.NewInt(2), big.NewInt(20)))
	r = s.must(n.Invoke(ctx, gethtest.Tx{}, coll, s.coll, "batch1155", bob, []*big.Int{big.NewInt(1), big.NewInt(2)}, []*big.Int{big.NewInt(3), big.NewInt(4)}))
	s.record(r, dev, mkEdge(chain.KindERC1155, &dev, &bob, &s.coll, big.NewInt(1), big.NewInt(3)),
		mkEdge(chain.KindERC1155, &dev, &bob, &s.coll, big.NewInt(2), big.NewInt(4)))

	// A beacon withdrawal: a mint.
	if err := n.AddWithdrawal(ctx, 0, carol, 1_000_000_000); err != nil {
		t.Fatal(err)
	}
	s.holders = []common.Address{dev, alice, bob, carol, s.miner, splitter, kid, kid2, s.weth, s.token, s.coll, zero}
	return s
}

// indexEdges returns the edges the index holds for a transaction.
func indexEdges(t *testing.T, db *storage.DB, hash common.Hash) ([]edge, storage.EthTxRecord) {
	t.Helper()
	n, rec, err := db.LookupEthTx(hash)
	if err != nil {
		t.Fatalf("tx %s: %v", hash, err)
	}
	ts, err := db.EthTransfers(n)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]edge, len(ts))
	for i, tr := range ts {
		e := edge{Kind: chain.Kind(tr.Kind).String(), Amount: tr.Amount.String()}
		if !tr.Mint {
			e.From = addrHex(t, db, tr.From)
		}
		if !tr.Sink {
			e.To = addrHex(t, db, tr.To)
		}
		if tr.Asset != 0 {
			e.Asset = addrHex(t, db, tr.Asset)
		}
		if tr.TokenID != nil {
			e.TokenID = tr.TokenID.String()
		}
		out[i] = e
	}
	return out, rec
}

func addrHex(t *testing.T, db *storage.DB, id storage.AddrID) string {
	t.Helper()
	a, err := db.EthAddress(id)
	if err != nil {
		t.Fatal(err)
	}
	return common.Address(a).Hex()
}

// ledger sums every edge of the index per (address, asset, token id):
// received minus sent.
func ledger(t *testing.T, db *storage.DB) map[string]*big.Int {
	t.Helper()
	st, err := db.EthState()
	if err != nil {
		t.Fatal(err)
	}
	bal := map[string]*big.Int{}
	add := func(id storage.AddrID, asset, tokenID string, v *big.Int, sign int) {
		k := addrHex(t, db, id) + "/" + asset + "/" + tokenID
		if bal[k] == nil {
			bal[k] = new(big.Int)
		}
		if sign > 0 {
			bal[k].Add(bal[k], v)
		} else {
			bal[k].Sub(bal[k], v)
		}
	}
	for n := storage.TxNum(0); n < st.NextTxNum; n++ {
		ts, err := db.EthTransfers(n)
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range ts {
			asset, id := "", ""
			if tr.Asset != 0 {
				asset = addrHex(t, db, tr.Asset)
			}
			if tr.TokenID != nil {
				id = tr.TokenID.String()
			}
			if !tr.Mint {
				add(tr.From, asset, id, tr.Amount, -1)
			}
			if !tr.Sink {
				add(tr.To, asset, id, tr.Amount, +1)
			}
		}
	}
	return bal
}

func get(m map[string]*big.Int, k string) *big.Int {
	if v := m[k]; v != nil {
		return v
	}
	return new(big.Int)
}

func indexAll(t *testing.T, n *gethtest.Node, dir string, weth common.Address, cfg Config) (*storage.DB, *Indexer) {
	t.Helper()
	ctx := context.Background()
	src, err := chain.DialRPC(ctx, n.URL, chain.RPCOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(src.Close)
	db, err := storage.Open(dir, "ethereum", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cfg.WETH = []common.Address{weth}
	ix, err := New(db, src, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Run(ctx); err != nil {
		t.Fatal(err)
	}
	return db, ix
}

func TestIndexRealGeth(t *testing.T) {
	n := gethtest.Start(t)
	s := runScenario(t, n)
	ctx := context.Background()
	// geth --dev may mine an empty block after the last transaction's, so
	// the index reaches at least this tip.
	tip, err := n.Eth.BlockNumber(ctx)
	if err != nil {
		t.Fatal(err)
	}
	db, ix := indexAll(t, n, t.TempDir(), s.weth, Config{Workers: 3})
	if ix.Height() < int64(tip) {
		t.Fatalf("index height %d, node tip %d", ix.Height(), tip)
	}
	if mode, known := ix.src.(*chain.RPC).TraceMode(); !known || mode != chain.TraceCall {
		t.Errorf("trace mode %v (known %v), want the callTracer", mode, known)
	}

	// Every edge of every transaction.
	for _, r := range s.receipts {
		got, rec := indexEdges(t, db, r.TxHash)
		want := s.expected[r.TxHash]
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("tx %s edges:\n got  %v\n want %v", r.TxHash, got, want)
		}
		if failed := rec.Flags&storage.EthTxFailed != 0; failed != s.failed[r.TxHash] {
			t.Errorf("tx %s failed flag %v, want %v", r.TxHash, failed, s.failed[r.TxHash])
		}
	}

	// Balances: ether against the node (less the genesis allocation, which
	// no block records), tokens against the contracts' own state.
	bal := ledger(t, db)
	for _, a := range s.holders {
		now, err := n.Eth.BalanceAt(ctx, a, nil)
		if err != nil {
			t.Fatal(err)
		}
		genesis, err := n.Eth.BalanceAt(ctx, a, big.NewInt(0))
		if err != nil {
			t.Fatal(err)
		}
		want := new(big.Int).Sub(now, genesis)
		if got := get(bal, a.Hex()+"//"); got.Cmp(want) != 0 {
			t.Errorf("ether balance of %s: index %s, node %s", a, got, want)
		}
	}
	tok, _ := gethtest.LoadContract("Token")
	weth, _ := gethtest.LoadContract("WETH")
	coll, _ := gethtest.LoadContract("Collectibles")
	for _, a := range s.holders {
		if a == (common.Address{}) {
			continue // the zero address is the mint side of token logs
		}
		for _, c := range []struct {
			ct   *gethtest.Contract
			addr common.Address
		}{{tok, s.token}, {weth, s.weth}} {
			v, err := n.Read(ctx, c.ct, c.addr, "balanceOf", a)
			if err != nil {
				t.Fatal(err)
			}
			if got := get(bal, a.Hex()+"/"+c.addr.Hex()+"/"); got.Cmp(v.(*big.Int)) != 0 {
				t.Errorf("%s balance of %s: index %s, contract %s", c.ct.Name, a, got, v)
			}
		}
		for _, id := range []int64{1, 2} {
			v, err := n.Read(ctx, coll, s.coll, "balanceOf", big.NewInt(id), a)
			if err != nil {
				t.Fatal(err)
			}
			if got := get(bal, fmt.Sprintf("%s/%s/%d", a.Hex(), s.coll.Hex(), id)); got.Cmp(v.(*big.Int)) != 0 {
				t.Errorf("ERC-1155 id %d balance of %s: index %s, contract %s", id, a, got, v)
			}
		}
		owner, err := n.Read(ctx, coll, s.coll, "ownerOf", big.NewInt(7))
		if err != nil {
			t.Fatal(err)
		}
		want := int64(0)
		if owner.(common.Address) == a {
			want = 1
		}
		if got := get(bal, fmt.Sprintf("%s/%s/7", a.Hex(), s.coll.Hex())); got.Int64() != want {
			t.Errorf("NFT 7 held by %s: index %s, contract owner %s", a, got, owner)
		}
	}

	// The totals rows agree with the edges, for every address and asset.
	st, err := db.EthState()
	if err != nil {
		t.Fatal(err)
	}
	fromTotals := map[string]*big.Int{}
	for id := storage.AddrID(1); id < st.NextAddrID; id++ {
		if err := db.EthAllTotals(id, func(k storage.EthTotalsKey, r storage.EthTotalsRecord) bool {
			key := addrHex(t, db, id) + "/"
			if k.Asset != 0 {
				key += addrHex(t, db, k.Asset)
			}
			key += "/"
			if k.HasID {
				key += k.TokenIDInt().String()
			}
			fromTotals[key] = new(big.Int).Sub(r.Received, r.Sent)
			return true
		}); err != nil {
			t.Fatal(err)
		}
	}
	if len(fromTotals) != len(bal) {
		t.Errorf("%d totals rows, %d (address, asset) pairs in the edges", len(fromTotals), len(bal))
	}
	for k, v := range bal {
		if got := get(fromTotals, k); got.Cmp(v) != 0 {
			t.Errorf("totals of %s: %s, edges say %s", k, got, v)
		}
	}

	// The withdrawal is a mint in a system transaction.
	st, err = db.EthState()
	if err != nil {
		t.Fatal(err)
	}
	if st.SkippedLogs != 1 || st.UntracedBlocks != 0 || st.FailedTxs != 1 {
		t.Errorf("state %+v: want 1 skipped log, 0 untraced blocks, 1 failed tx", st)
	}
	var skips []string
	if err := db.EthSkips(func(k storage.EthSkipKey, reason string) bool {
		tx, err := db.EthTx(k.TxNum)
		if err != nil {
			t.Fatal(err)
		}
		skips = append(skips, common.Hash(tx.Hash).Hex()+": "+reason)
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if len(skips) != 1 || !strings.HasPrefix(skips[0], s.oddTx.Hex()) {
		t.Errorf("skipped logs %v, want one of tx %s", skips, s.oddTx)
	}
	for _, a := range []common.Address{s.token, s.weth} {
		id, err := db.LookupEthAddr(a)
		if err != nil {
			t.Fatal(err)
		}
		m, err := db.EthToken(id)
		if err != nil {
			t.Fatalf("token %s metadata: %v", a, err)
		}
		if m.Symbol == "" || !m.HasDecimals {
			t.Errorf("token %s metadata %+v", a, m)
		}
	}

	// Resume: a second run over the same node adds nothing and changes
	// nothing.
	var before bytes.Buffer
	if err := db.DumpEthereum(&before); err != nil {
		t.Fatal(err)
	}
	ix2, err := New(db, mustDial(t, n), Config{WETH: []common.Address{s.weth}})
	if err != nil {
		t.Fatal(err)
	}
	if err := ix2.Run(ctx); err != nil {
		t.Fatal(err)
	}
	var after bytes.Buffer
	if err := db.DumpEthereum(&after); err != nil {
		t.Fatal(err)
	}
	if before.String() != after.String() {
		t.Errorf("a resumed run changed the index")
	}
}

func mustDial(t *testing.T, n *gethtest.Node) *chain.RPC {
	t.Helper()
	src, err := chain.DialRPC(context.Background(), n.URL, chain.RPCOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(src.Close)
	return src
}

// TestIndexFromHeight starts an empty index at a later block: the blocks
// before it are not read, the numbering starts there, and a restart
// resumes from the tip whatever From says.
func TestIndexFromHeight(t *testing.T) {
	n := gethtest.Start(t)
	simpleChain(t, n, 6)
	ctx := context.Background()
	tip, err := n.Eth.BlockNumber(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	db, ix := indexAll(t, n, dir, common.Address{}, Config{From: 3})
	if ix.Height() < int64(tip) {
		t.Fatalf("height %d, want at least %d", ix.Height(), tip)
	}
	tip = uint64(ix.Height())
	if _, err := db.EthBlock(2); err == nil {
		t.Error("block 2 is in an index that starts at 3")
	}
	st, err := db.EthState()
	if err != nil {
		t.Fatal(err)
	}
	var txs uint64
	for h := uint64(3); h <= tip; h++ {
		blk, err := n.Eth.BlockByNumber(ctx, new(big.Int).SetUint64(h))
		if err != nil {
			t.Fatal(err)
		}
		txs += uint64(len(blk.Transactions()))
	}
	if st.Blocks != tip-2 || st.Txs != txs {
		t.Errorf("state %+v: want %d blocks and %d transactions", st, tip-2, txs)
	}
	first, err := db.EthBlock(3)
	if err != nil || first.FirstTxNum != 0 || first.FirstAddrID != 1 {
		t.Errorf("first block %+v (%v): numbering must start at it", first, err)
	}
	ix2, err := New(db, mustDial(t, n), Config{From: 0})
	if err != nil {
		t.Fatal(err)
	}
	if ix2.Height() != ix.Height() {
		t.Errorf("a restarted indexer is at %d, want the tip %d", ix2.Height(), tip)
	}
	if err := ix2.Run(ctx); err != nil {
		t.Fatal(err)
	}
}
