package api

import (
	"errors"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	chain "github.com/spoorhq/spoor/chains/ethereum"
	"github.com/spoorhq/spoor/storage"
)

// ethFixture writes a two-block Ethereum index through the storage batch
// API: A pays B ether, B pays itself, a token mint to A and a transfer to
// C, a fee and burn, and a withdrawal to A in a system transaction.
func ethFixture(t *testing.T) (*storage.DB, map[string]common.Address, common.Hash) {
	t.Helper()
	db, err := storage.Open(t.TempDir(), "ethereum", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	addrs := map[string]common.Address{
		"miner": common.HexToAddress("0x00000000000000000000000000000000000000aa"),
		"A":     common.HexToAddress("0x000000000000000000000000000000000000000a"),
		"B":     common.HexToAddress("0x000000000000000000000000000000000000000b"),
		"C":     common.HexToAddress("0x000000000000000000000000000000000000000c"),
		"token": common.HexToAddress("0x00000000000000000000000000000000000000cc"),
		"zero":  {},
	}
	ids := map[string]storage.AddrID{}
	b := db.NewBatch()
	defer b.Close()
	next := storage.AddrID(1)
	for _, name := range []string{"miner", "A", "B", "C", "token", "zero"} {
		ids[name] = next
		b.PutEthAddress(next, addrs[name])
		next++
	}
	b.PutEthToken(ids["token"], &storage.EthTokenRecord{Symbol: "TOK", Decimals: 6, HasDecimals: true})
	txHash := common.HexToHash("0x01")
	edges := [][]storage.EthTransferRecord{
		{ // tx 0 in block 1: A -> B 5, fee and burn
			{Kind: uint8(chain.KindNative), From: ids["A"], To: ids["B"], Amount: big.NewInt(5), Log: -1},
			{Kind: uint8(chain.KindFee), From: ids["A"], To: ids["miner"], Amount: big.NewInt(1), Log: -1},
			{Kind: uint8(chain.KindBurn), From: ids["A"], Sink: true, Amount: big.NewInt(2), Log: -1},
		},
		{ // tx 1 in block 2: B -> B 3 and token moves
			{Kind: uint8(chain.KindInternal), From: ids["B"], To: ids["B"], Amount: big.NewInt(3), Log: -1},
			{Kind: uint8(chain.KindERC20), From: ids["zero"], To: ids["A"], Asset: ids["token"], Amount: big.NewInt(100), Log: 0},
			{Kind: uint8(chain.KindERC20), From: ids["A"], To: ids["C"], Asset: ids["token"], Amount: big.NewInt(40), Log: 1},
		},
		{ // tx 2: block 2's system transaction
			{Kind: uint8(chain.KindWithdrawal), Mint: true, To: ids["A"], Amount: big.NewInt(1000), Log: -1},
		},
	}
	heights := []uint32{1, 2, 2}
	delta := storage.EthTotalsDelta{}
	for n, es := range edges {
		rec := storage.EthTxRecord{Hash: common.BigToHash(big.NewInt(int64(n + 1))), Height: heights[n], Index: 0, From: ids["A"], To: ids["B"], Transfers: uint32(len(es))}
		if n == 2 {
			rec.Flags, rec.Hash, rec.From, rec.To = storage.EthTxSystem, common.HexToHash("0xb2"), 0, 0
		}
		b.PutEthTx(storage.TxNum(n), &rec)
		for seq := range es {
			b.PutEthTransfer(storage.TxNum(n), uint32(seq), &es[seq])
			delta.ApplyEthEdge(&es[seq], +1)
		}
	}
	for k, d := range delta {
		r, err := d.Add(storage.EthTotalsRecord{Received: new(big.Int), Sent: new(big.Int)})
		if err != nil {
			t.Fatal(err)
		}
		b.PutEthTotals(k, &r)
	}
	b.PutEthBlock(1, &storage.EthBlockRecord{Hash: common.HexToHash("0xb1"), Time: 1000, FirstTxNum: 0, NumTx: 1, FirstAddrID: 1})
	b.PutEthBlock(2, &storage.EthBlockRecord{Hash: common.HexToHash("0xb2"), Time: 2000, FirstTxNum: 1, NumTx: 1, FirstAddrID: next, System: true})
	b.PutEthState(&storage.EthState{NextTxNum: 3, NextAddrID: next, Blocks: 2, Txs: 2, Transfers: 7, Addresses: uint64(next - 1), Tokens: 1})
	b.PutTip("chain", storage.Tip{Height: 2, Hash: common.HexToHash("0xb2")})
	if err := b.Commit(false); err != nil {
		t.Fatal(err)
	}
	return db, addrs, txHash
}

func TestEthereumAddressView(t *testing.T) {
	db, addrs, _ := ethFixture(t)
	v := Ethereum{DB: db}
	tests := []struct {
		name           string
		addr           string
		balances       map[string]string // asset -> balance
		transfers      uint64
		counterparties int
		first, last    int64
	}{
		{name: "sender, token holder and withdrawal recipient", addr: "A",
			balances: map[string]string{"ETH": "992", addrs["token"].Hex(): "60"}, transfers: 6, counterparties: 4, first: 1, last: 2},
		{name: "self payment counts once and nets to zero", addr: "B",
			balances: map[string]string{"ETH": "5"}, transfers: 2, counterparties: 1, first: 1, last: 2},
		{name: "fee recipient", addr: "miner", balances: map[string]string{"ETH": "1"}, transfers: 1, counterparties: 1, first: 1, last: 1},
		{name: "the zero address as a token's mint side", addr: "zero", balances: map[string]string{addrs["token"].Hex(): "-100"}, transfers: 1, counterparties: 1, first: 2, last: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := v.Address(addrs[tt.addr].Hex(), 100, "")
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, b := range a.Balances {
				got[b.Asset] = b.Balance
			}
			if len(got) != len(tt.balances) {
				t.Errorf("balances %v, want %v", got, tt.balances)
			}
			for k, want := range tt.balances {
				if got[k] != want {
					t.Errorf("balance of %s = %s, want %s", k, got[k], want)
				}
			}
			if a.TransferCount != tt.transfers || uint64(len(a.Transfers)) != tt.transfers || a.Counterparties != tt.counterparties || !a.CounterpartiesExact {
				t.Errorf("%d transfers (%d listed), %d counterparties; want %d and %d", a.TransferCount, len(a.Transfers), a.Counterparties, tt.transfers, tt.counterparties)
			}
			if a.FirstSeen != tt.first || a.LastSeen != tt.last {
				t.Errorf("seen %d..%d, want %d..%d", a.FirstSeen, a.LastSeen, tt.first, tt.last)
			}
		})
	}

	// Paging B one edge at a time: the self payment is one "self" entry.
	var dirs []string
	cursor := ""
	for range 5 {
		a, err := v.Address(addrs["B"].Hex(), 1, cursor)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range a.Transfers {
			dirs = append(dirs, e.Kind+"/"+e.Direction)
		}
		if cursor = a.NextCursor; cursor == "" {
			break
		}
	}
	if len(dirs) != 2 || dirs[0] != "internal/self" || dirs[1] != "native/in" {
		t.Errorf("pages of B: %v, want internal/self then native/in", dirs)
	}

	if _, err := v.Address("0x00000000000000000000000000000000000000ff", 10, ""); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("unknown address: %v, want not found", err)
	}
	for _, bad := range []string{"0x12", "1111111111111111111111111111111111111111", "0xzz00000000000000000000000000000000000000"} {
		if _, err := v.Address(bad, 10, ""); !errors.Is(err, ErrBadInput) {
			t.Errorf("address %q: %v, want bad input", bad, err)
		}
	}
	if _, err := v.Address(addrs["A"].Hex(), 10, "nonsense"); !errors.Is(err, ErrBadInput) {
		t.Errorf("bad cursor: %v, want bad input", err)
	}
}

func TestEthereumTxView(t *testing.T) {
	db, addrs, hash := ethFixture(t)
	v := Ethereum{DB: db}
	tx, err := v.Tx(hash.Hex())
	if err != nil {
		t.Fatal(err)
	}
	if len(tx.Transfers) != 3 || tx.Transfers[2].To != "" || tx.Transfers[2].Kind != "burn" || tx.Transfers[1].To != addrs["miner"].Hex() {
		t.Errorf("transfers %+v", tx.Transfers)
	}
	tx2, err := v.Tx(common.BigToHash(big.NewInt(2)).Hex())
	if err != nil {
		t.Fatal(err)
	}
	tok := tx2.Transfers[2]
	if tok.Symbol != "TOK" || tok.Decimals == nil || *tok.Decimals != 6 || tok.Asset != addrs["token"].Hex() || tok.Amount != "40" {
		t.Errorf("token edge %+v", tok)
	}
	if _, err := v.Tx(common.HexToHash("0xb2").Hex()); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("a system transaction is looked up by hash: %v", err)
	}
	if _, err := v.Tx("0x1234"); !errors.Is(err, ErrBadInput) {
		t.Errorf("short hash: %v, want bad input", err)
	}
	s, err := v.Stats("ethereum", "chain")
	if err != nil {
		t.Fatal(err)
	}
	if s.Height != 2 || s.Transfers != 7 || s.InternalTraces != "complete" {
		t.Errorf("stats %+v", s)
	}
}
