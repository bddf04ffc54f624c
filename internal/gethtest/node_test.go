package gethtest

import (
	"context"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/core/types"
)

func TestNodeMinesTransfersAndContracts(t *testing.T) {
	n := Start(t)
	ctx := context.Background()
	_, to, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	r, err := n.Send(ctx, Tx{To: &to, Value: big.NewInt(12345)})
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != types.ReceiptStatusSuccessful {
		t.Fatalf("transfer failed: %+v", r)
	}
	bal, err := n.Eth.BalanceAt(ctx, to, nil)
	if err != nil || bal.Int64() != 12345 {
		t.Fatalf("balance of %s = %v, %v; want 12345", to, bal, err)
	}
	tok, err := LoadContract("Token")
	if err != nil {
		t.Fatal(err)
	}
	addr, _, err := n.Deploy(ctx, tok, nil, big.NewInt(1000))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Invoke(ctx, Tx{}, tok, addr, "transfer", to, big.NewInt(400)); err != nil {
		t.Fatal(err)
	}
	got, err := n.Read(ctx, tok, addr, "balanceOf", to)
	if err != nil {
		t.Fatal(err)
	}
	if got.(*big.Int).Int64() != 400 {
		t.Fatalf("token balance %v, want 400", got)
	}
}
