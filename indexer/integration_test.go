package indexer_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcjson"
	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/rpcclient"
	"github.com/btcsuite/btcd/wire/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/spoorhq/spoor/api"
	"github.com/spoorhq/spoor/chains/bitcoin"
	"github.com/spoorhq/spoor/indexer"
	"github.com/spoorhq/spoor/internal/btcdtest"
	"github.com/spoorhq/spoor/storage"
)

// These tests run the indexer against real btcd regtest nodes and check the
// index against what the node itself reports, never against values spoor
// computed.

// waitTimeout bounds every wait for the index to reach a node's tip.
const waitTimeout = 30 * time.Second

// regtestNet returns the regtest network.
func regtestNet(t testing.TB) bitcoin.Network {
	t.Helper()
	net, err := bitcoin.LookupNetwork("regtest")
	if err != nil {
		t.Fatal(err)
	}
	return net
}

// openRegtestDB opens an empty regtest index that is closed when the test
// ends.
func openRegtestDB(t testing.TB) *storage.DB {
	t.Helper()
	db, err := storage.Open(t.TempDir(), "bitcoin/regtest", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("close index: %v", err)
		}
	})
	return db
}

// startNode starts a btcd regtest node whose blocks pay miningAddr. Its
// UTXO cache is kept small: btcd fills the whole cache with zeroes at
// start, which takes seconds at the 250 MiB default.
func startNode(t testing.TB, miningAddr string, rejectNonStd bool) *btcdtest.Node {
	t.Helper()
	return btcdtest.Start(t, btcdtest.Options{MiningAddr: miningAddr, RejectNonStd: rejectNonStd,
		ExtraArgs: []string{"--utxocachemaxsize=8"}})
}

// nodeSource returns an RPC source for node n; cfg supplies everything but
// the endpoint and the credentials.
func nodeSource(t testing.TB, n *btcdtest.Node, cfg bitcoin.RPCConfig) *bitcoin.RPCSource {
	t.Helper()
	cfg.URL, cfg.User, cfg.Pass = n.RPCURL(), n.RPCUser, n.RPCPass
	src, err := bitcoin.NewRPCSource(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// indexOnce indexes src into db up to its tip (or cfg.StopHeight) and
// fails the test if the run fails.
func indexOnce(t testing.TB, db *storage.DB, src indexer.Source, cfg indexer.Config) {
	t.Helper()
	ix, err := indexer.New(db, src, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Run(t.Context()); err != nil {
		t.Fatalf("index run: %v", err)
	}
}

// dumpOf returns the logical dump of db.
func dumpOf(t testing.TB, db *storage.DB) string {
	t.Helper()
	var buf bytes.Buffer
	if err := db.Dump(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// requireSameDump fails the test, quoting the first differing row, unless
// the two indexes hold exactly the same rows.
func requireSameDump(t testing.TB, what string, got, want *storage.DB) {
	t.Helper()
	g, w := dumpOf(t, got), dumpOf(t, want)
	if g == w {
		return
	}
	gl, wl := strings.Split(g, "\n"), strings.Split(w, "\n")
	for i := 0; i < max(len(gl), len(wl)); i++ {
		var a, b string
		if i < len(gl) {
			a = gl[i]
		}
		if i < len(wl) {
			b = wl[i]
		}
		if a != b {
			t.Fatalf("%s: dumps differ (%d vs %d rows); first difference at row %d:\n got: %s\nwant: %s", what, len(gl), len(wl), i, a, b)
		}
	}
}

// indexTip returns the chain index's tip, failing the test if it has none.
func indexTip(t testing.TB, db *storage.DB) storage.Tip {
	t.Helper()
	tip, ok, err := db.Tip(indexer.ChainIndexName)
	if err != nil || !ok {
		t.Fatalf("chain index tip: %+v, present %v, error %v", tip, ok, err)
	}
	return tip
}

// sat converts a BTC amount as the node prints it to satoshi.
func sat(btc float64) int64 { return int64(math.Round(btc * 1e8)) }

// classOfNodeType maps the script type names btcd prints to spoor's script
// classes.
func classOfNodeType(typ string) (bitcoin.ScriptClass, bool) {
	switch typ {
	case "pubkey":
		return bitcoin.ClassP2PK, true
	case "pubkeyhash":
		return bitcoin.ClassP2PKH, true
	case "scripthash":
		return bitcoin.ClassP2SH, true
	case "witness_v0_keyhash":
		return bitcoin.ClassP2WPKH, true
	case "witness_v0_scripthash":
		return bitcoin.ClassP2WSH, true
	case "witness_v1_taproot":
		return bitcoin.ClassP2TR, true
	case "multisig":
		return bitcoin.ClassMultisig, true
	case "nulldata":
		return bitcoin.ClassNullData, true
	case "nonstandard":
		return bitcoin.ClassNonStandard, true
	}
	return 0, false
}

// nodeAddress is the address spoor should show for an output the node
// decoded: the node's own address for the hash and witness kinds, and
// spoor's documented forms, built from the node's script hex, for P2PK (the
// key in hex) and bare multisig. It is "" for outputs without an address.
func nodeAddress(t testing.TB, out btcjson.Vout) string {
	t.Helper()
	spk := out.ScriptPubKey
	switch spk.Type {
	case "pubkeyhash", "scripthash", "witness_v0_keyhash", "witness_v0_scripthash", "witness_v1_taproot":
		return spk.Address
	case "pubkey":
		// <33-byte push> <key> OP_CHECKSIG: the key is hex digits 2..68.
		if len(spk.Hex) != 70 {
			t.Fatalf("p2pk script %s is not a compressed key script", spk.Hex)
		}
		return spk.Hex[2:68]
	case "multisig":
		return multisigAddress(t, spk.Hex)
	}
	return ""
}

// multisigAddress renders spoor's form of a bare multisig script given in
// hex, counting m and n from the script's first and second to last opcodes.
func multisigAddress(t testing.TB, scriptHex string) string {
	t.Helper()
	s, err := hex.DecodeString(scriptHex)
	if err != nil || len(s) < 3 {
		t.Fatalf("multisig script %q: %v", scriptHex, err)
	}
	const op1 = 0x51
	m, n := int(s[0])-op1+1, int(s[len(s)-2])-op1+1
	return fmt.Sprintf("multisig:%d-of-%d:%s", m, n, scriptHex)
}

// walletAddress is the address spoor shows for the wallet's output of kind
// for key: the wallet's encoded address, or spoor's form for P2PK and bare
// multisig, which have none.
func walletAddress(t testing.TB, w *btcdtest.Wallet, kind btcdtest.Kind, key int) string {
	t.Helper()
	script := w.PkScript(kind, key)
	switch kind {
	case btcdtest.KindP2PK:
		return hex.EncodeToString(script[1:34])
	case btcdtest.KindMultisig:
		return multisigAddress(t, hex.EncodeToString(script))
	}
	return w.Address(kind, key)
}

// nodeTx is one transaction as the node reports it, with its position.
type nodeTx struct {
	height int64
	index  int
	raw    btcjson.TxRawResult
}

// outPoint names an output by txid (display order) and index.
type outPoint struct {
	txid string
	vout uint32
}

// spendRef names the input that spent an output.
type spendRef struct {
	txid   string
	vin    uint32
	height int64
}

// nodeChain is a node's best chain as getblock verbosity 2 reports it.
type nodeChain struct {
	tipHeight int64
	hashes    []string           // block hash by height
	order     []string           // every txid in chain order
	txs       map[string]*nodeTx // by txid
	spentBy   map[outPoint]spendRef
}

// readChain reads the node's whole best chain.
func readChain(t testing.TB, c *rpcclient.Client) *nodeChain {
	t.Helper()
	tip, err := c.GetBlockCount()
	if err != nil {
		t.Fatalf("getblockcount: %v", err)
	}
	ch := &nodeChain{tipHeight: tip, txs: map[string]*nodeTx{}, spentBy: map[outPoint]spendRef{}}
	for h := int64(0); h <= tip; h++ {
		hash, err := c.GetBlockHash(h)
		if err != nil {
			t.Fatalf("getblockhash %d: %v", h, err)
		}
		blk, err := c.GetBlockVerboseTx(hash)
		if err != nil {
			t.Fatalf("getblock %s 2 (height %d): %v", hash, h, err)
		}
		if blk.Height != h || blk.Hash != hash.String() {
			t.Fatalf("getblock %s reports height %d, hash %s", hash, blk.Height, blk.Hash)
		}
		ch.hashes = append(ch.hashes, blk.Hash)
		// btcd answers verbosity 2 with the transactions under "rawtx",
		// Bitcoin Core under "tx".
		txs := blk.Tx
		if len(txs) == 0 {
			txs = blk.RawTx
		}
		if len(txs) == 0 {
			t.Fatalf("getblock %s 2 (height %d) lists no transactions", hash, h)
		}
		for i, tx := range txs {
			ch.txs[tx.Txid] = &nodeTx{height: h, index: i, raw: tx}
			ch.order = append(ch.order, tx.Txid)
			for j, in := range tx.Vin {
				if !in.IsCoinBase() {
					ch.spentBy[outPoint{in.Txid, in.Vout}] = spendRef{txid: tx.Txid, vin: uint32(j), height: h}
				}
			}
		}
	}
	return ch
}

// prevValue returns the value of the output an input spends, from the
// node's data.
func (ch *nodeChain) prevValue(t testing.TB, in btcjson.Vin) int64 {
	t.Helper()
	prev := ch.txs[in.Txid]
	if prev == nil || int(in.Vout) >= len(prev.raw.Vout) {
		t.Fatalf("input spends %s:%d, which is not on the node's chain", in.Txid, in.Vout)
	}
	return sat(prev.raw.Vout[in.Vout].Value)
}

// payee is one output the test pays: to the wallet's key of some kind, or an
// OP_RETURN when kind is empty.
type payee struct {
	kind  btcdtest.Kind
	key   int
	value int64
	data  []byte // OP_RETURN payload
}

// sentTx is a transaction the test built, with what the wallet knows about
// it: the coins it spends and whom it pays.
type sentTx struct {
	tx     *wire.MsgTx
	spent  []btcdtest.Coin
	payees []payee
}

// txid returns the transaction's id in display order.
func (s *sentTx) txid() string { return s.tx.TxHash().String() }

// fee returns what the inputs hold beyond the outputs, by the wallet's own
// accounts.
func (s *sentTx) fee() int64 {
	var fee int64
	for _, c := range s.spent {
		fee += c.Value
	}
	for _, p := range s.payees {
		fee -= p.value
	}
	return fee
}

// coin returns output vout as a spendable coin.
func (s *sentTx) coin(t testing.TB, w *btcdtest.Wallet, vout uint32) btcdtest.Coin {
	t.Helper()
	p := s.payees[vout]
	c, err := w.CoinFromTx(s.tx, vout, p.kind, p.key)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// buildTx signs a transaction spending coins to payees.
func buildTx(t testing.TB, w *btcdtest.Wallet, coins []btcdtest.Coin, payees []payee) *sentTx {
	t.Helper()
	outs := make([]*wire.TxOut, len(payees))
	for i, p := range payees {
		if p.kind == "" {
			o, err := btcdtest.NullDataOutput(p.data)
			if err != nil {
				t.Fatal(err)
			}
			outs[i] = o
			continue
		}
		outs[i] = wire.NewTxOut(p.value, w.PkScript(p.kind, p.key))
	}
	tx, err := w.Spend(coins, outs)
	if err != nil {
		t.Fatal(err)
	}
	return &sentTx{tx: tx, spent: coins, payees: payees}
}

// sendTxs submits the transactions to the node, in order.
func sendTxs(t testing.TB, c *rpcclient.Client, txs ...*sentTx) {
	t.Helper()
	for _, s := range txs {
		if _, err := c.SendRawTransaction(s.tx, false); err != nil {
			t.Fatalf("sendrawtransaction %s: %v", s.txid(), err)
		}
	}
}

// mineWith mines one block on n and checks it holds every given
// transaction.
func mineWith(t testing.TB, n *btcdtest.Node, c *rpcclient.Client, txs ...*sentTx) *chainhash.Hash {
	t.Helper()
	hash := n.Generate(t, 1)[0]
	blk, err := c.GetBlock(hash)
	if err != nil {
		t.Fatalf("getblock %s: %v", hash, err)
	}
	in := map[chainhash.Hash]bool{}
	for _, tx := range blk.Transactions {
		in[tx.TxHash()] = true
	}
	for _, s := range txs {
		if !in[s.tx.TxHash()] {
			t.Fatalf("block %s does not hold tx %s", hash, s.txid())
		}
	}
	return hash
}

// account is the wallet's own record of one address.
type account struct {
	received, sent int64
	txs            map[string]bool
}

// ledger keeps the wallet's books per address, in the address forms spoor
// shows.
type ledger struct {
	accounts map[string]*account
	// links maps a public key's P2PK form to its P2PKH form and back, once
	// the P2PK form has been paid: spoor shows them as one address.
	links map[string]string
}

func newLedger() *ledger {
	return &ledger{accounts: map[string]*account{}, links: map[string]string{}}
}

func (l *ledger) add(addr, txid string, received, sent int64) {
	a := l.accounts[addr]
	if a == nil {
		a = &account{txs: map[string]bool{}}
		l.accounts[addr] = a
	}
	a.received += received
	a.sent += sent
	a.txs[txid] = true
}

// record books a transaction the wallet built.
func (l *ledger) record(t testing.TB, w *btcdtest.Wallet, s *sentTx) {
	t.Helper()
	for _, c := range s.spent {
		l.add(walletAddress(t, w, c.Kind, c.KeyIndex), s.txid(), 0, c.Value)
	}
	for _, p := range s.payees {
		if p.kind == "" {
			continue
		}
		addr := walletAddress(t, w, p.kind, p.key)
		l.add(addr, s.txid(), p.value, 0)
		if p.kind == btcdtest.KindP2PK {
			pkh := w.Address(btcdtest.KindP2PKH, p.key)
			l.links[addr], l.links[pkh] = pkh, addr
		}
	}
}

// view merges an address's account with its linked form's, as spoor's
// address view does.
func (l *ledger) view(addr string) account {
	v := account{txs: map[string]bool{}}
	for _, a := range []string{addr, l.links[addr]} {
		acc := l.accounts[a]
		if a == "" || acc == nil {
			continue
		}
		v.received += acc.received
		v.sent += acc.sent
		for txid := range acc.txs {
			v.txs[txid] = true
		}
	}
	return v
}

// TestIndexRegtestNode pays to every output kind on a real node, spends
// every one of them, indexes the chain over RPC and checks the index
// against the node's own view: tip, transactions, outputs, spenders, fees,
// the UTXO set and per-address balances.
func TestIndexRegtestNode(t *testing.T) {
	t.Parallel()
	net := regtestNet(t)
	w := btcdtest.NewWallet("spoor-indexer-regtest", net.Params)
	n := startNode(t, w.Address(btcdtest.KindP2PKH, 0), true)
	c := n.Client(t)
	n.Generate(t, 101)
	funding := n.MatureCoinbase(t, w, 2)

	// Block 102. tx1a pays one output of every kind (kind i to key 10+2i;
	// the multisig kinds also use key 11+2i), an OP_RETURN and change.
	// tx1b pays the P2WPKH address of tx1a a second time, the P2PKH form of
	// tx1a's P2PK key, and change to the same address as tx1a's change.
	kinds := btcdtest.Kinds()
	keyOf := map[btcdtest.Kind]int{}
	var p1a []payee
	var paid int64
	for i, kind := range kinds {
		keyOf[kind] = 10 + 2*i
		value := 1e8 + int64(i)*1_000_003
		p1a = append(p1a, payee{kind: kind, key: keyOf[kind], value: value})
		paid += value
	}
	p1a = append(p1a,
		payee{data: []byte("spoor integration test")},
		payee{kind: btcdtest.KindP2PKH, key: 1, value: funding[0].Value - paid - 10_000})
	tx1a := buildTx(t, w, funding[:1], p1a)
	p2pkKey, p2wpkhKey := keyOf[btcdtest.KindP2PK], keyOf[btcdtest.KindP2WPKH]
	tx1b := buildTx(t, w, funding[1:], []payee{
		{kind: btcdtest.KindP2WPKH, key: p2wpkhKey, value: 30_000_000},
		{kind: btcdtest.KindP2PKH, key: p2pkKey, value: 25_000_000},
		{kind: btcdtest.KindP2PKH, key: 1, value: funding[1].Value - 55_000_000 - 7_000},
	})
	sendTxs(t, c, tx1a, tx1b)
	mineWith(t, n, c, tx1a, tx1b)

	// Block 103. tx2 spends every output of every kind, and the second
	// P2WPKH output too: two inputs from one address. tx3 spends tx2's
	// first output in the same block.
	var coins []btcdtest.Coin
	var in2 int64
	for vout := range kinds {
		coin := tx1a.coin(t, w, uint32(vout))
		coins = append(coins, coin)
		in2 += coin.Value
	}
	coins = append(coins, tx1b.coin(t, w, 0))
	in2 += coins[len(coins)-1].Value
	tx2 := buildTx(t, w, coins, []payee{
		{kind: btcdtest.KindP2TR, key: 40, value: 50_000_000},
		{kind: btcdtest.KindP2SHP2WPKH, key: keyOf[btcdtest.KindP2SHP2WPKH], value: 20_000_000},
		{data: []byte("second")},
		{kind: btcdtest.KindP2WPKH, key: 41, value: in2 - 70_000_000 - 15_000},
	})
	tx3 := buildTx(t, w, []btcdtest.Coin{tx2.coin(t, w, 0)}, []payee{
		{kind: btcdtest.KindP2PK, key: p2pkKey, value: 40_000_000},
		{kind: btcdtest.KindP2PKH, key: keyOf[btcdtest.KindP2PKH], value: 50_000_000 - 40_000_000 - 5_000},
	})
	sendTxs(t, c, tx2, tx3)
	mineWith(t, n, c, tx2, tx3)

	// Block 104. tx4 spends both forms of one key and the two change
	// outputs of one address.
	coins4 := []btcdtest.Coin{tx1b.coin(t, w, 1), tx3.coin(t, w, 0), tx1a.coin(t, w, uint32(len(p1a)-1)), tx1b.coin(t, w, 2)}
	var in4 int64
	for _, coin := range coins4 {
		in4 += coin.Value
	}
	tx4 := buildTx(t, w, coins4, []payee{
		{kind: btcdtest.KindP2WSH, key: keyOf[btcdtest.KindP2WSH], value: 1e8},
		{kind: btcdtest.KindP2PKH, key: 1, value: in4 - 1e8 - 12_000},
	})
	sendTxs(t, c, tx4)
	mineWith(t, n, c, tx4)
	sent := []*sentTx{tx1a, tx1b, tx2, tx3, tx4}

	db := openRegtestDB(t)
	start := time.Now()
	indexOnce(t, db, nodeSource(t, n, bitcoin.RPCConfig{}), indexer.Config{Workers: 2})
	elapsed := time.Since(start)
	ch := readChain(t, c)
	t.Logf("indexed %d blocks over RPC in %s", len(ch.hashes), elapsed.Round(time.Millisecond))
	v := api.Bitcoin{DB: db, Net: net}

	// The tip is the node's.
	tip := indexTip(t, db)
	if int64(tip.Height) != ch.tipHeight || chainhash.Hash(tip.Hash).String() != ch.hashes[ch.tipHeight] {
		t.Fatalf("index tip %d %s, node tip %d %s", tip.Height, chainhash.Hash(tip.Hash), ch.tipHeight, ch.hashes[ch.tipHeight])
	}
	if at, ok, err := db.Tip(indexer.AddrIndexName); err != nil || !ok || at != tip {
		t.Fatalf("address index tip %+v (%v, %v), chain tip %+v", at, ok, err, tip)
	}
	for h, want := range ch.hashes {
		blk, err := db.Block(uint32(h))
		if err != nil {
			t.Fatal(err)
		}
		if got := chainhash.Hash(blk.Hash).String(); got != want {
			t.Fatalf("block at height %d: index %s, node %s", h, got, want)
		}
	}

	// Every transaction on the chain: position, outputs, inputs, spenders
	// and fee, all as the node decodes them.
	var nullData, inputs, outputs uint64
	var totalFees int64
	blockFees := make([]int64, len(ch.hashes))
	for _, txid := range ch.order {
		nt := ch.txs[txid]
		h, _ := chainhash.NewHashFromStr(txid)
		num, rec, err := db.LookupTxid(*h)
		if err != nil {
			t.Fatalf("tx %s (height %d): %v", txid, nt.height, err)
		}
		coinbase := nt.raw.Vin[0].IsCoinBase()
		wantIn := len(nt.raw.Vin)
		if coinbase {
			wantIn = 0
		}
		if int64(rec.Height) != nt.height || int(rec.Index) != nt.index || int(rec.NumIn) != wantIn ||
			int(rec.NumOut) != len(nt.raw.Vout) || (rec.Flags&storage.TxCoinbase != 0) != coinbase {
			t.Fatalf("tx %s: index record %+v, node: height %d index %d, %d inputs, %d outputs, coinbase %v",
				txid, rec, nt.height, nt.index, wantIn, len(nt.raw.Vout), coinbase)
		}
		outs, err := db.Outputs(num)
		if err != nil {
			t.Fatal(err)
		}
		if len(outs) != len(nt.raw.Vout) {
			t.Fatalf("tx %s: %d outputs in the index, %d at the node", txid, len(outs), len(nt.raw.Vout))
		}
		var outSum int64
		for i, vout := range nt.raw.Vout {
			class, ok := classOfNodeType(vout.ScriptPubKey.Type)
			if !ok {
				t.Fatalf("tx %s output %d: node script type %q is unknown to the test", txid, i, vout.ScriptPubKey.Type)
			}
			if int64(outs[i].Value) != sat(vout.Value) || bitcoin.ScriptClass(outs[i].Class) != class {
				t.Errorf("tx %s output %d: index %d sat %s, node %d sat %s", txid, i, outs[i].Value,
					bitcoin.ScriptClass(outs[i].Class), sat(vout.Value), vout.ScriptPubKey.Type)
			}
			outSum += sat(vout.Value)
			if class == bitcoin.ClassNullData {
				nullData++
			}
		}
		outputs += uint64(len(outs))
		if coinbase {
			if rec.Fee != 0 {
				t.Errorf("coinbase %s has fee %d", txid, rec.Fee)
			}
			continue
		}
		ins, err := db.Inputs(num)
		if err != nil {
			t.Fatal(err)
		}
		if len(ins) != len(nt.raw.Vin) {
			t.Fatalf("tx %s: %d inputs in the index, %d at the node", txid, len(ins), len(nt.raw.Vin))
		}
		var inSum int64
		for j, vin := range nt.raw.Vin {
			prevHash, _ := chainhash.NewHashFromStr(vin.Txid)
			prevNum, _, err := db.LookupTxid(*prevHash)
			if err != nil {
				t.Fatalf("tx %s input %d spends %s:%d: %v", txid, j, vin.Txid, vin.Vout, err)
			}
			value := ch.prevValue(t, vin)
			if ins[j].PrevTxNum != prevNum || ins[j].PrevVout != vin.Vout || int64(ins[j].Value) != value {
				t.Errorf("tx %s input %d: index %+v, node spends %s:%d (tx %d) worth %d sat", txid, j, ins[j], vin.Txid, vin.Vout, prevNum, value)
			}
			sp, err := db.Spender(prevNum, vin.Vout)
			if err != nil || sp.TxNum != num || sp.Vin != uint32(j) {
				t.Errorf("spender of %s:%d = %+v (%v), node says tx %s (number %d) input %d", vin.Txid, vin.Vout, sp, err, txid, num, j)
			}
			inSum += value
		}
		inputs += uint64(len(ins))
		if fee := inSum - outSum; int64(rec.Fee) != fee {
			t.Errorf("tx %s: index fee %d, node's inputs %d - outputs %d = %d", txid, rec.Fee, inSum, outSum, fee)
		}
		blockFees[nt.height] += inSum - outSum
		totalFees += inSum - outSum
	}
	for h, fee := range blockFees {
		blk, err := db.Block(uint32(h))
		if err != nil {
			t.Fatal(err)
		}
		if int64(blk.Fees) != fee {
			t.Errorf("block %d: index fees %d, node's transactions pay %d", h, blk.Fees, fee)
		}
	}
	st, err := db.State()
	if err != nil {
		t.Fatal(err)
	}
	if st.Blocks != uint64(len(ch.hashes)) || st.Txs != uint64(len(ch.order)) || st.Inputs != inputs ||
		st.Outputs != outputs || int64(st.Fees) != totalFees || st.NullData != nullData {
		t.Errorf("state %+v; node: %d blocks, %d txs, %d inputs, %d outputs, fees %d, %d OP_RETURN outputs",
			st, len(ch.hashes), len(ch.order), inputs, outputs, totalFees, nullData)
	}
	if nullData < 2 {
		t.Errorf("node reports %d OP_RETURN outputs, want at least the test's 2", nullData)
	}

	// The transactions the test sent, through the API: fees match the
	// wallet's books and the node's data, inputs and outputs name the
	// wallet's addresses, and spenders match the node's decoded inputs.
	for _, s := range sent {
		nt := ch.txs[s.txid()]
		if nt == nil {
			t.Fatalf("tx %s is not on the node's chain", s.txid())
		}
		view, err := v.Tx(s.txid())
		if err != nil {
			t.Fatal(err)
		}
		if int64(view.FeeSat) != s.fee() {
			t.Errorf("tx %s: API fee %d, the wallet paid %d", s.txid(), view.FeeSat, s.fee())
		}
		if len(view.Inputs) != len(s.spent) || len(view.Outputs) != len(s.payees) {
			t.Fatalf("tx %s: API shows %d inputs and %d outputs, want %d and %d", s.txid(), len(view.Inputs), len(view.Outputs), len(s.spent), len(s.payees))
		}
		for j, in := range view.Inputs {
			coin, vin := s.spent[j], nt.raw.Vin[j]
			want := walletAddress(t, w, coin.Kind, coin.KeyIndex)
			if in.PrevTxid != vin.Txid || in.PrevVout != vin.Vout || int64(in.ValueSat) != coin.Value || in.Address != want {
				t.Errorf("tx %s input %d: API %+v, node spends %s:%d, wallet coin %d sat at %s", s.txid(), j, in, vin.Txid, vin.Vout, coin.Value, want)
			}
		}
		for i, out := range view.Outputs {
			vout, p := nt.raw.Vout[i], s.payees[i]
			want := nodeAddress(t, vout)
			if p.kind != "" && want != walletAddress(t, w, p.kind, p.key) {
				t.Fatalf("tx %s output %d: node address %q is not the wallet's %s key %d", s.txid(), i, want, p.kind, p.key)
			}
			if out.Address != want || int64(out.ValueSat) != sat(vout.Value) {
				t.Errorf("tx %s output %d: API %q %d sat, node %q %d sat", s.txid(), i, out.Address, out.ValueSat, want, sat(vout.Value))
			}
			ref, spent := ch.spentBy[outPoint{s.txid(), uint32(i)}]
			switch {
			case spent && (out.SpentBy == nil || out.SpentBy.Txid != ref.txid || out.SpentBy.Vin != ref.vin || out.SpentBy.Height != ref.height):
				t.Errorf("tx %s output %d: API spender %+v, node: %+v", s.txid(), i, out.SpentBy, ref)
			case !spent && out.SpentBy != nil:
				t.Errorf("tx %s output %d: API spender %+v, node: unspent", s.txid(), i, out.SpentBy)
			}
		}
	}

	// The outputs the index holds unspent are exactly the node's UTXO set.
	// The genesis coinbase is left out: consensus never adds it to the
	// UTXO set, so gettxout knows nothing of it.
	var unspent int
	for _, txid := range ch.order {
		nt := ch.txs[txid]
		if nt.height == 0 {
			continue
		}
		h, _ := chainhash.NewHashFromStr(txid)
		num, _, err := db.LookupTxid(*h)
		if err != nil {
			t.Fatal(err)
		}
		for i, vout := range nt.raw.Vout {
			utxo, err := c.GetTxOut(h, uint32(i), false)
			if err != nil {
				t.Fatalf("gettxout %s:%d: %v", txid, i, err)
			}
			_, err = db.Spender(num, uint32(i))
			if err != nil && !errors.Is(err, storage.ErrNotFound) {
				t.Fatal(err)
			}
			indexUnspent := errors.Is(err, storage.ErrNotFound) && vout.ScriptPubKey.Type != "nulldata"
			if indexUnspent != (utxo != nil) {
				t.Errorf("output %s:%d (%s, height %d): unspent in the index %v, in the node's UTXO set %v",
					txid, i, vout.ScriptPubKey.Type, nt.height, indexUnspent, utxo != nil)
			}
			if utxo != nil {
				unspent++
			}
		}
	}
	if unspent < 100 {
		t.Errorf("node reports only %d unspent outputs; the test expects over 100 coinbases and change", unspent)
	}

	// Balances, totals, transaction counts and first and last heights per
	// address, from the wallet's books of its own transactions and of the
	// coinbases the node paid to the mining address.
	l := newLedger()
	for _, s := range sent {
		l.record(t, w, s)
	}
	minerScript := hex.EncodeToString(w.PkScript(btcdtest.KindP2PKH, 0))
	minerAddr := w.Address(btcdtest.KindP2PKH, 0)
	for _, txid := range ch.order {
		nt := ch.txs[txid]
		if nt.height == 0 || !nt.raw.Vin[0].IsCoinBase() {
			continue
		}
		for _, vout := range nt.raw.Vout {
			if vout.ScriptPubKey.Hex == minerScript {
				l.add(minerAddr, txid, sat(vout.Value), 0)
			}
		}
	}
	addrs := make([]string, 0, len(l.accounts))
	for a := range l.accounts {
		addrs = append(addrs, a)
	}
	slices.Sort(addrs)
	if len(addrs) < len(kinds)+4 {
		t.Fatalf("the books hold %d addresses, want at least %d", len(addrs), len(kinds)+4)
	}
	for _, addr := range addrs {
		want := l.view(addr)
		got, err := v.Address(addr, 10000, "")
		if err != nil {
			t.Errorf("address %s: %v", addr, err)
			continue
		}
		first, last := int64(math.MaxInt64), int64(-1)
		for txid := range want.txs {
			first, last = min(first, ch.txs[txid].height), max(last, ch.txs[txid].height)
		}
		if got.BalanceSat != want.received-want.sent || int64(got.ReceivedSat) != want.received || int64(got.SentSat) != want.sent ||
			got.TxCount != len(want.txs) || got.FirstSeen != first || got.LastSeen != last {
			t.Errorf("address %s: API balance %d, received %d, sent %d, %d txs, heights %d..%d; books: balance %d, received %d, sent %d, %d txs, heights %d..%d",
				addr, got.BalanceSat, got.ReceivedSat, got.SentSat, got.TxCount, got.FirstSeen, got.LastSeen,
				want.received-want.sent, want.received, want.sent, len(want.txs), first, last)
		}
		for _, tx := range got.Txs {
			if !want.txs[tx.Txid] {
				t.Errorf("address %s: API lists tx %s, which the books do not", addr, tx.Txid)
			}
		}
		if link := l.links[addr]; link != "" && !slices.Equal(got.Linked, []string{link}) {
			t.Errorf("address %s: linked forms %v, want [%s]", addr, got.Linked, link)
		}
	}
}

// indexRun is an indexer running in a goroutine.
type indexRun struct {
	cancel context.CancelFunc
	done   chan struct{}
	err    error // set before done is closed
}

// startFollow runs ix in a goroutine until stop is called or the test
// ends.
func startFollow(t testing.TB, ix *indexer.Indexer) *indexRun {
	ctx, cancel := context.WithCancel(context.Background())
	r := &indexRun{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.err = ix.Run(ctx)
	}()
	// Registered after the index was opened, so it runs before the
	// index is closed.
	t.Cleanup(func() { r.stop() })
	return r
}

// stop cancels the run and returns its result.
func (r *indexRun) stop() error {
	r.cancel()
	<-r.done
	return r.err
}

// waitIndexTip waits until the chain index's tip is hash at height,
// failing the test if the indexer stops first or waitTimeout passes.
func waitIndexTip(t testing.TB, db *storage.DB, r *indexRun, height int64, hash *chainhash.Hash) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		tip, ok, err := db.Tip(indexer.ChainIndexName)
		if err != nil {
			t.Fatal(err)
		}
		if ok && int64(tip.Height) == height && chainhash.Hash(tip.Hash) == *hash {
			return
		}
		select {
		case <-r.done:
			t.Fatalf("the indexer stopped (%v) at height %d before reaching height %d %s", r.err, tip.Height, height, hash)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("index tip still height %d %s (present %v) after %s, want height %d %s",
				tip.Height, chainhash.Hash(tip.Hash), ok, waitTimeout, height, hash)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// metricValue returns the value of the named counter or gauge in reg.
func metricValue(t testing.TB, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		ms := f.GetMetric()
		if len(ms) != 1 {
			t.Fatalf("metric %s has %d series, want 1", name, len(ms))
		}
		if c := ms[0].GetCounter(); c != nil {
			return c.GetValue()
		}
		return ms[0].GetGauge().GetValue()
	}
	t.Fatalf("metric %s is not registered", name)
	return 0
}

// TestFollowAndReorgOnRealNodes follows node A while it mines, then while
// it mines a private branch that spends an old output, and then while it
// reorganizes onto node B's longer branch. The index must end up holding
// exactly what a fresh index of A's final chain holds.
func TestFollowAndReorgOnRealNodes(t *testing.T) {
	t.Parallel()
	net := regtestNet(t)
	w := btcdtest.NewWallet("spoor-indexer-follow", net.Params)
	// Different mining addresses keep the two branches' coinbases apart.
	a := startNode(t, w.Address(btcdtest.KindP2PKH, 0), false)
	b := startNode(t, w.Address(btcdtest.KindP2PKH, 1), false)
	ca, cb := a.Client(t), b.Client(t)
	a.Generate(t, 101)
	a.Connect(t, b)

	db := openRegtestDB(t)
	reg := prometheus.NewRegistry()
	cfg := indexer.Config{Follow: true, PollInterval: 100 * time.Millisecond, FinalityDepth: 3, Workers: 2,
		Metrics: indexer.NewMetrics(reg)}
	ix, err := indexer.New(db, nodeSource(t, a, bitcoin.RPCConfig{}), cfg)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	run := startFollow(t, ix)

	// The index follows A as it mines.
	hashes := a.Generate(t, 3)
	btcdtest.WaitSameTip(t, a, b)
	waitIndexTip(t, db, run, 104, hashes[2])
	t.Logf("caught up with height 104 after %s", time.Since(start).Round(time.Millisecond))

	// Apart, A mines two blocks, the first spending the coinbase of block
	// 1, and B mines four.
	a.Disconnect(t, b)
	coin := a.MatureCoinbase(t, w, 1)[0]
	spend := buildTx(t, w, []btcdtest.Coin{coin}, []payee{{kind: btcdtest.KindP2WPKH, key: 5, value: coin.Value - 10_000}})
	sendTxs(t, ca, spend)
	aHashes := []*chainhash.Hash{mineWith(t, a, ca, spend), a.Generate(t, 1)[0]}
	bHashes := b.Generate(t, 4)
	waitIndexTip(t, db, run, 106, aHashes[1])

	coinNum, _, err := db.LookupTxid(coin.OutPoint.Hash)
	if err != nil {
		t.Fatal(err)
	}
	spendNum, spendRec, err := db.LookupTxid(spend.tx.TxHash())
	if err != nil || spendRec.Height != 105 {
		t.Fatalf("spending tx %s on A's branch: %+v, %v; want it at height 105", spend.txid(), spendRec, err)
	}
	if sp, err := db.Spender(coinNum, coin.OutPoint.Index); err != nil || sp.TxNum != spendNum || sp.Vin != 0 {
		t.Fatalf("spender of %s on A's branch = %+v, %v; want tx %d input 0", coin.OutPoint, sp, err, spendNum)
	}

	// Together again, A reorganizes onto B's longer branch.
	a.Connect(t, b)
	best, err := ca.GetBestBlockHash()
	if err != nil {
		t.Fatal(err)
	}
	if !best.IsEqual(bHashes[3]) {
		t.Fatalf("node A's tip is %s after reconnecting, want B's %s", best, bHashes[3])
	}
	waitIndexTip(t, db, run, 108, bHashes[3])
	if err := run.stop(); err != nil {
		t.Fatalf("follow run returned %v after cancellation, want nil", err)
	}
	t.Logf("followed the reorganization to height 108 after %s", time.Since(start).Round(time.Millisecond))

	// The disconnected spend is gone and the coinbase it spent is unspent
	// again, as the node says.
	if _, _, err := db.LookupTxid(spend.tx.TxHash()); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("tx %s of the abandoned branch: lookup error %v, want not found", spend.txid(), err)
	}
	if sp, err := db.Spender(coinNum, coin.OutPoint.Index); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("spender of %s after the reorganization = %+v, %v; want none", coin.OutPoint, sp, err)
	}
	if utxo, err := ca.GetTxOut(&coin.OutPoint.Hash, coin.OutPoint.Index, false); err != nil || utxo == nil {
		t.Errorf("node A: gettxout %s = %v, %v; want it unspent", coin.OutPoint, utxo, err)
	}
	for h := int64(0); h <= 108; h++ {
		want, err := cb.GetBlockHash(h)
		if err != nil {
			t.Fatal(err)
		}
		blk, err := db.Block(uint32(h))
		if err != nil {
			t.Fatal(err)
		}
		if chainhash.Hash(blk.Hash) != *want {
			t.Fatalf("block at height %d: index %s, node B %s", h, chainhash.Hash(blk.Hash), want)
		}
	}

	// The indexer noticed exactly one reorganization, two blocks deep: the
	// fork is at height 104 and A's branch had two blocks above it.
	if got := metricValue(t, reg, "spoor_index_reorgs_total"); got < 1 {
		t.Errorf("spoor_index_reorgs_total = %v, want at least 1", got)
	}
	if got := metricValue(t, reg, "spoor_index_disconnected_blocks_total"); got != 2 {
		t.Errorf("spoor_index_disconnected_blocks_total = %v, want 2", got)
	}
	if got := metricValue(t, reg, "spoor_index_height"); got != 108 {
		t.Errorf("spoor_index_height = %v, want 108", got)
	}

	// A fresh index of A's final chain holds exactly the same rows.
	fresh := openRegtestDB(t)
	indexOnce(t, fresh, nodeSource(t, a, bitcoin.RPCConfig{}), indexer.Config{FinalityDepth: 3, Workers: 2})
	requireSameDump(t, "followed index vs fresh index of node A's final chain", db, fresh)
}

// TestNodeDropsMidSync stops the node while the indexer is halfway through
// its chain. The run must fail naming the height it could not fetch and
// leave only whole blocks committed; once the same chain is back on a node
// the partial index equals a fresh one of the same
// heights, and resuming it gives the same index as a fresh full run.
func TestNodeDropsMidSync(t *testing.T) {
	t.Parallel()
	net := regtestNet(t)
	w := btcdtest.NewWallet("spoor-indexer-drop", net.Params)
	miner := w.Address(btcdtest.KindP2PKH, 0)
	n := startNode(t, miner, false)
	c := n.Client(t)

	// 300 blocks; block 151 spends a coinbase and block 251 spends that
	// spend's output, on the far side of where the node will drop.
	n.Generate(t, 150)
	coin := n.MatureCoinbase(t, w, 1)[0]
	tx1 := buildTx(t, w, []btcdtest.Coin{coin}, []payee{{kind: btcdtest.KindP2WPKH, key: 3, value: coin.Value - 10_000}})
	sendTxs(t, c, tx1)
	mineWith(t, n, c, tx1)
	n.Generate(t, 99)
	tx2 := buildTx(t, w, []btcdtest.Coin{tx1.coin(t, w, 0)}, []payee{{kind: btcdtest.KindP2TR, key: 4, value: coin.Value - 20_000}})
	sendTxs(t, c, tx2)
	mineWith(t, n, c, tx2)
	n.Generate(t, 49)
	tipHash, tipHeight, err := c.GetBestBlock()
	if err != nil || tipHeight != 300 {
		t.Fatalf("node tip %v at height %d (%v), want height 300", tipHash, tipHeight, err)
	}
	hashAt := func(h uint32) string {
		hash, err := c.GetBlockHash(int64(h))
		if err != nil {
			t.Fatalf("getblockhash %d: %v", h, err)
		}
		return hash.String()
	}
	// Read the chain before the node goes away: the checks and the node
	// that replaces it need it.
	nodeHashes := make([]string, 301)
	rawBlocks := make([]string, 301)
	for h := range nodeHashes {
		nodeHashes[h] = hashAt(uint32(h))
		param, err := json.Marshal(nodeHashes[h])
		if err != nil {
			t.Fatal(err)
		}
		reply, err := c.RawRequest("getblock", []json.RawMessage{param, json.RawMessage("0")})
		if err != nil {
			t.Fatalf("getblock %s 0: %v", nodeHashes[h], err)
		}
		if err := json.Unmarshal(reply, &rawBlocks[h]); err != nil {
			t.Fatalf("getblock %s 0: %v", nodeHashes[h], err)
		}
	}

	// Every block is its own commit (the finality depth exceeds the
	// chain). When block 200 is committed the node is stopped before the
	// writer goes on: OnCommit blocks the writer, which only tests may do.
	// Blocks already fetched are still written; the first one missing
	// fails the run.
	const dropAt = 200
	db := openRegtestDB(t)
	dropped := false
	cfg := indexer.Config{Workers: 2, FinalityDepth: 1000, OnCommit: func(p indexer.Progress) {
		if p.Height >= dropAt && !dropped {
			dropped = true
			n.Stop(t)
		}
	}}
	ix, err := indexer.New(db, nodeSource(t, n, bitcoin.RPCConfig{Retries: 1, RetryWait: 50 * time.Millisecond, Timeout: 2 * time.Second}), cfg)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	runErr := ix.Run(t.Context())
	t.Logf("run ended after %s: %v", time.Since(start).Round(time.Millisecond), runErr)
	if !dropped {
		t.Fatalf("the node was never stopped; run returned %v", runErr)
	}
	if runErr == nil {
		t.Fatal("Run returned nil although the node stopped mid-sync")
	}

	// Only whole blocks are committed, the last one the node's, and the
	// error names the next height.
	tip := indexTip(t, db)
	if tip.Height < dropAt || tip.Height >= 300 {
		t.Fatalf("index tip at height %d, want between %d and 299", tip.Height, dropAt)
	}
	if got := chainhash.Hash(tip.Hash).String(); got != nodeHashes[tip.Height] {
		t.Fatalf("index tip %s at height %d, node's block there is %s", got, tip.Height, nodeHashes[tip.Height])
	}
	if re := regexp.MustCompile(fmt.Sprintf(`\bheight %d\b`, tip.Height+1)); !re.MatchString(runErr.Error()) {
		t.Errorf("run error %q does not name height %d, the first block not indexed", runErr, tip.Height+1)
	}
	if at, ok, err := db.Tip(indexer.AddrIndexName); err != nil || !ok || at != tip {
		t.Errorf("address index tip %+v (%v, %v), chain tip %+v", at, ok, err, tip)
	}
	st, err := db.State()
	if err != nil {
		t.Fatal(err)
	}
	// One coinbase per block, plus tx1 at height 151.
	if wantTxs := uint64(tip.Height) + 2; st.Blocks != uint64(tip.Height)+1 || st.Txs != wantTxs {
		t.Errorf("state after the drop: %d blocks, %d txs; want %d and %d", st.Blocks, st.Txs, tip.Height+1, wantTxs)
	}

	// Bring the chain back on a new node. btcd cannot be restarted on the
	// stopped node's data directory: in regtest mode it deletes its block
	// database at every start. A fresh node is given the same blocks with
	// submitblock instead; to the indexer it is the node coming back on
	// another port.
	m := startNode(t, miner, false)
	cm := m.Client(t)
	for h := 1; h < len(rawBlocks); h++ {
		param, err := json.Marshal(rawBlocks[h])
		if err != nil {
			t.Fatal(err)
		}
		reply, err := cm.RawRequest("submitblock", []json.RawMessage{param})
		if err != nil || (string(reply) != "null" && len(reply) != 0) {
			t.Fatalf("submitblock %s (height %d): %s, %v", nodeHashes[h], h, reply, err)
		}
	}
	if hash, height, err := cm.GetBestBlock(); err != nil || height != 300 || !hash.IsEqual(tipHash) {
		t.Fatalf("new node's tip %v at height %d (%v), want the old tip %s at 300", hash, height, err, tipHash)
	}

	// The partial index equals a fresh index of the same heights.
	ref := openRegtestDB(t)
	indexOnce(t, ref, nodeSource(t, m, bitcoin.RPCConfig{}), indexer.Config{Workers: 2, StopHeight: int32(tip.Height)})
	requireSameDump(t, fmt.Sprintf("index cut off at height %d vs fresh index to that height", tip.Height), db, ref)

	// Resuming reaches the tip and equals a fresh full index; the input of
	// tx2 is resolved from what the interrupted run committed.
	indexOnce(t, db, nodeSource(t, m, bitcoin.RPCConfig{}), indexer.Config{Workers: 2})
	if got := indexTip(t, db); got.Height != 300 || chainhash.Hash(got.Hash) != *tipHash {
		t.Fatalf("resumed index tip %d %s, want 300 %s", got.Height, chainhash.Hash(got.Hash), tipHash)
	}
	full := openRegtestDB(t)
	indexOnce(t, full, nodeSource(t, m, bitcoin.RPCConfig{}), indexer.Config{Workers: 2})
	requireSameDump(t, "resumed index vs fresh full index", db, full)

	tx1Num, _, err := db.LookupTxid(tx1.tx.TxHash())
	if err != nil {
		t.Fatal(err)
	}
	tx2Num, _, err := db.LookupTxid(tx2.tx.TxHash())
	if err != nil {
		t.Fatal(err)
	}
	if sp, err := db.Spender(tx1Num, 0); err != nil || sp.TxNum != tx2Num || sp.Vin != 0 {
		t.Errorf("spender of %s:0 = %+v, %v; want tx %d input 0", tx1.txid(), sp, err, tx2Num)
	}
	tx1Hash := tx1.tx.TxHash()
	if utxo, err := cm.GetTxOut(&tx1Hash, 0, false); err != nil || utxo != nil {
		t.Errorf("node: gettxout %s:0 = %v, %v; want it spent", tx1Hash, utxo, err)
	}
}
