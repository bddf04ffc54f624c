package api_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/btcsuite/btcd/address/v2"
	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/btcsuite/btcd/txscript/v2"
	"github.com/btcsuite/btcd/wire/v2"
	"github.com/spoorhq/spoor/api"
	"github.com/spoorhq/spoor/chains/bitcoin"
	"github.com/spoorhq/spoor/indexer"
	"github.com/spoorhq/spoor/internal/chaindata"
	"github.com/spoorhq/spoor/storage"
)

// TestAddressesMatchIndependentScan indexes real mainnet blocks 0..14131,
// then recomputes every address's history with btcd's own script code
// (txscript.ExtractPkScriptAddrs, with P2PK keys folded into their P2PKH
// address as block explorers show them) straight from the raw blocks, and
// compares received, sent, balance and transaction count for every
// address.
func TestAddressesMatchIndependentScan(t *testing.T) {
	ctx := context.Background()
	path, err := chaindata.MainnetBlk0To14131(ctx)
	if err != nil {
		t.Fatal(err)
	}
	net, _ := bitcoin.LookupNetwork("mainnet")
	bf, err := bitcoin.OpenBlockFiles(ctx, net, path)
	if err != nil {
		t.Fatal(err)
	}
	defer bf.Close()
	db, err := storage.Open(t.TempDir(), "bitcoin/mainnet", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ix, err := indexer.New(db, bitcoin.FileSource{Files: bf}, indexer.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Run(ctx); err != nil {
		t.Fatal(err)
	}

	// The independent scan.
	type outInfo struct {
		addr  string
		value int64
	}
	type summary struct {
		received, sent int64
		txs            map[[32]byte]bool
	}
	outs := map[wire.OutPoint]outInfo{}
	sums := map[string]*summary{}
	touch := func(addr string, txid [32]byte) *summary {
		s := sums[addr]
		if s == nil {
			s = &summary{txs: map[[32]byte]bool{}}
			sums[addr] = s
		}
		s.txs[txid] = true
		return s
	}
	tip, _ := bf.Tip()
	for h := int32(0); h <= tip; h++ {
		raw, err := bf.ReadBlock(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		var mb wire.MsgBlock
		if err := mb.Deserialize(bytes.NewReader(raw)); err != nil {
			t.Fatal(err)
		}
		for i, tx := range mb.Transactions {
			txid := tx.TxHash()
			if i > 0 {
				for _, in := range tx.TxIn {
					prev, ok := outs[in.PreviousOutPoint]
					if !ok {
						t.Fatalf("height %d: input spends unknown %v", h, in.PreviousOutPoint)
					}
					if prev.addr != "" {
						touch(prev.addr, txid).sent += prev.value
					}
				}
			}
			for vout, o := range tx.TxOut {
				_, addrs, _, _ := txscript.ExtractPkScriptAddrs(o.PkScript, &chaincfg.MainNetParams)
				a := ""
				if len(addrs) == 1 {
					a = addrs[0].EncodeAddress()
					if pk, ok := addrs[0].(*address.AddressPubKey); ok {
						a = pk.AddressPubKeyHash().EncodeAddress()
					}
					touch(a, txid).received += o.Value
				}
				outs[wire.OutPoint{Hash: txid, Index: uint32(vout)}] = outInfo{addr: a, value: o.Value}
			}
		}
	}
	if len(sums) < 10000 {
		t.Fatalf("the scan found only %d addresses", len(sums))
	}
	v := api.Bitcoin{DB: db, Net: net}
	for addr, s := range sums {
		view, err := v.Address(addr, 1, "")
		if err != nil {
			t.Fatalf("%s: %v", addr, err)
		}
		if int64(view.ReceivedSat) != s.received || int64(view.SentSat) != s.sent ||
			view.BalanceSat != s.received-s.sent || view.TxCount != len(s.txs) {
			t.Fatalf("%s: index says received %d sent %d balance %d in %d txs; the scan says received %d sent %d in %d txs",
				addr, view.ReceivedSat, view.SentSat, view.BalanceSat, view.TxCount, s.received, s.sent, len(s.txs))
		}
	}
	t.Logf("%d addresses agree with the independent scan", len(sums))
}
