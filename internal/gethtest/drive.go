package gethtest

import (
	"context"
	"crypto/ecdsa"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

// contracts holds the test contracts compiled by testdata/build.sh.
//
//go:embed testdata/*.bin testdata/*.abi
var contracts embed.FS

// receiptTimeout bounds the wait for a transaction to be mined.
const receiptTimeout = 30 * time.Second

// Contract is a compiled test contract: Token, Splitter, Child, WETH or
// Collectibles (sources in testdata).
type Contract struct {
	Name string
	ABI  abi.ABI
	Code []byte
}

// LoadContract returns the compiled contract called name.
func LoadContract(name string) (*Contract, error) {
	bin, err := contracts.ReadFile("testdata/" + name + ".bin")
	if err != nil {
		return nil, fmt.Errorf("contract %s: %w", name, err)
	}
	code, err := hex.DecodeString(strings.TrimSpace(string(bin)))
	if err != nil {
		return nil, fmt.Errorf("contract %s bytecode: %w", name, err)
	}
	f, err := contracts.Open("testdata/" + name + ".abi")
	if err != nil {
		return nil, fmt.Errorf("contract %s: %w", name, err)
	}
	defer f.Close()
	a, err := abi.JSON(f)
	if err != nil {
		return nil, fmt.Errorf("contract %s ABI: %w", name, err)
	}
	return &Contract{Name: name, ABI: a, Code: code}, nil
}

// Pack encodes a call of method with args.
func (c *Contract) Pack(method string, args ...any) ([]byte, error) {
	data, err := c.ABI.Pack(method, args...)
	if err != nil {
		return nil, fmt.Errorf("%s.%s: %w", c.Name, method, err)
	}
	return data, nil
}

// Tx is a transaction for Send. With Key set it is signed locally and sent
// raw from Key's address; otherwise it is sent from From (the developer
// account when zero) by eth_sendTransaction.
type Tx struct {
	From  common.Address
	Key   *ecdsa.PrivateKey
	To    *common.Address
	Value *big.Int
	Data  []byte
	// Gas is the gas limit; zero asks the node to estimate it (which fails
	// for a transaction that reverts, so give one for those).
	Gas uint64
}

// Send sends tx and waits for it to be mined, returning its receipt. A
// mined transaction that failed is not an error: check the status.
func (n *Node) Send(ctx context.Context, tx Tx) (*types.Receipt, error) {
	var hash common.Hash
	if tx.Key != nil {
		signed, err := n.sendSigned(ctx, tx)
		if err != nil {
			return nil, err
		}
		hash = signed.Hash()
	} else {
		from := tx.From
		if from == (common.Address{}) {
			from = n.Dev
		}
		args := map[string]any{"from": from}
		if tx.To != nil {
			args["to"] = *tx.To
		}
		if tx.Value != nil {
			args["value"] = (*hexutil.Big)(tx.Value)
		}
		if len(tx.Data) > 0 {
			args["data"] = hexutil.Bytes(tx.Data)
		}
		if tx.Gas > 0 {
			args["gas"] = hexutil.Uint64(tx.Gas)
		}
		if err := n.RPC.CallContext(ctx, &hash, "eth_sendTransaction", args); err != nil {
			return nil, fmt.Errorf("eth_sendTransaction from %s: %w", from, err)
		}
	}
	return n.WaitMined(ctx, hash)
}

// sendSigned signs tx with its key and sends it. geth's transaction pool
// takes a new head asynchronously, after the receipts of that head are
// served: right after a receipt, the pool may still see the sender's old
// nonce or balance and refuse the transaction. Such a refusal is retried,
// re-signed with the pool's fresh view, until receiptTimeout; any other
// error is returned at once.
func (n *Node) sendSigned(ctx context.Context, tx Tx) (*types.Transaction, error) {
	deadline := time.Now().Add(receiptTimeout)
	for {
		signed, err := n.sign(ctx, tx)
		if err != nil {
			return nil, err
		}
		err = n.Eth.SendTransaction(ctx, signed)
		if err == nil || strings.Contains(err.Error(), "already known") {
			return signed, nil // "already known": this very transaction is in the pool
		}
		if !poolLag(err) || time.Now().After(deadline) {
			return nil, fmt.Errorf("send raw tx %s: %w", signed.Hash(), err)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("send raw tx %s: %w", signed.Hash(), ctx.Err())
		case <-time.After(pollInterval):
		}
	}
}

// poolLag reports whether err is a refusal the pool gives while it has not
// yet taken the newest head: a nonce or a balance it has not caught up with.
func poolLag(err error) bool {
	msg := err.Error()
	for _, s := range []string{"insufficient funds", "nonce too low", "replacement transaction underpriced"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

func (n *Node) sign(ctx context.Context, tx Tx) (*types.Transaction, error) {
	from := crypto.PubkeyToAddress(tx.Key.PublicKey)
	chainID, err := n.Eth.ChainID(ctx)
	if err != nil {
		return nil, err
	}
	nonce, err := n.Eth.PendingNonceAt(ctx, from)
	if err != nil {
		return nil, err
	}
	head, err := n.Eth.HeaderByNumber(ctx, nil)
	if err != nil {
		return nil, err
	}
	tip := big.NewInt(1e9)
	feeCap := new(big.Int).Add(new(big.Int).Mul(head.BaseFee, big.NewInt(2)), tip)
	value := tx.Value
	if value == nil {
		value = new(big.Int)
	}
	gas := tx.Gas
	if gas == 0 {
		gas, err = n.Eth.EstimateGas(ctx, ethereum.CallMsg{From: from, To: tx.To, Value: value, Data: tx.Data})
		if err != nil {
			return nil, fmt.Errorf("estimate gas from %s: %w", from, err)
		}
	}
	raw := &types.DynamicFeeTx{ChainID: chainID, Nonce: nonce, GasTipCap: tip, GasFeeCap: feeCap, Gas: gas, To: tx.To, Value: value, Data: tx.Data}
	return types.SignTx(types.NewTx(raw), types.LatestSignerForChainID(chainID), tx.Key)
}

// WaitMined waits until the transaction has a receipt.
func (n *Node) WaitMined(ctx context.Context, hash common.Hash) (*types.Receipt, error) {
	ctx, cancel := context.WithTimeout(ctx, receiptTimeout)
	defer cancel()
	for {
		r, err := n.Eth.TransactionReceipt(ctx, hash)
		if err == nil {
			return r, nil
		}
		// A fresh node answers "transaction indexing is in progress" until
		// its transaction index has started.
		if !errors.Is(err, ethereum.NotFound) && !strings.Contains(err.Error(), "indexing is in progress") {
			return nil, fmt.Errorf("receipt of %s: %w", hash, err)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("tx %s not mined: %w: %s", hash, ctx.Err(), n.Logs())
		case <-time.After(pollInterval):
		}
	}
}

// Deploy deploys c with constructor args from the developer account,
// endowing it with value (nil for none).
func (n *Node) Deploy(ctx context.Context, c *Contract, value *big.Int, args ...any) (common.Address, *types.Receipt, error) {
	ctor, err := c.ABI.Pack("", args...)
	if err != nil {
		return common.Address{}, nil, fmt.Errorf("%s constructor: %w", c.Name, err)
	}
	r, err := n.Send(ctx, Tx{Value: value, Data: append(append([]byte(nil), c.Code...), ctor...)})
	if err != nil {
		return common.Address{}, nil, fmt.Errorf("deploy %s: %w", c.Name, err)
	}
	if r.Status != types.ReceiptStatusSuccessful {
		return common.Address{}, r, fmt.Errorf("deploy %s: tx %s failed", c.Name, r.TxHash)
	}
	return r.ContractAddress, r, nil
}

// Invoke calls method of contract c at addr in a transaction.
func (n *Node) Invoke(ctx context.Context, tx Tx, c *Contract, addr common.Address, method string, args ...any) (*types.Receipt, error) {
	data, err := c.Pack(method, args...)
	if err != nil {
		return nil, err
	}
	tx.To, tx.Data = &addr, data
	return n.Send(ctx, tx)
}

// Read calls a view method of c at addr at the latest block and unpacks
// its single result.
func (n *Node) Read(ctx context.Context, c *Contract, addr common.Address, method string, args ...any) (any, error) {
	data, err := c.Pack(method, args...)
	if err != nil {
		return nil, err
	}
	out, err := n.Eth.CallContract(ctx, ethereum.CallMsg{To: &addr, Data: data}, nil)
	if err != nil {
		return nil, fmt.Errorf("call %s.%s: %w", c.Name, method, err)
	}
	vals, err := c.ABI.Unpack(method, out)
	if err != nil || len(vals) != 1 {
		return nil, fmt.Errorf("unpack %s.%s: %v (%d values)", c.Name, method, err, len(vals))
	}
	return vals[0], nil
}

// AddWithdrawal queues a beacon withdrawal of gwei to addr and waits for
// the block that credits it.
func (n *Node) AddWithdrawal(ctx context.Context, index uint64, addr common.Address, gwei uint64) error {
	before, err := n.Eth.BlockNumber(ctx)
	if err != nil {
		return err
	}
	w := map[string]any{"index": hexutil.Uint64(index), "validatorIndex": hexutil.Uint64(1), "address": addr, "amount": hexutil.Uint64(gwei)}
	if err := n.RPC.CallContext(ctx, nil, "dev_addWithdrawal", w); err != nil {
		return fmt.Errorf("dev_addWithdrawal: %w", err)
	}
	return n.waitHeight(ctx, before+1)
}

// SetFeeRecipient makes addr the fee recipient of the blocks mined next.
func (n *Node) SetFeeRecipient(ctx context.Context, addr common.Address) error {
	if err := n.RPC.CallContext(ctx, nil, "dev_setFeeRecipient", addr); err != nil {
		return fmt.Errorf("dev_setFeeRecipient: %w", err)
	}
	return nil
}

// SetHead rewinds the node's chain to height h (debug_setHead).
func (n *Node) SetHead(ctx context.Context, h uint64) error {
	if err := n.RPC.CallContext(ctx, nil, "debug_setHead", hexutil.Uint64(h)); err != nil {
		return fmt.Errorf("debug_setHead(%d): %w", h, err)
	}
	return nil
}

func (n *Node) waitHeight(ctx context.Context, h uint64) error {
	ctx, cancel := context.WithTimeout(ctx, receiptTimeout)
	defer cancel()
	for {
		got, err := n.Eth.BlockNumber(ctx)
		if err == nil && got >= h {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("height %d not reached: %w", h, ctx.Err())
		case <-time.After(pollInterval):
		}
	}
}

// NewKey returns a fresh private key and its address.
func NewKey() (*ecdsa.PrivateKey, common.Address, error) {
	k, err := crypto.GenerateKey()
	if err != nil {
		return nil, common.Address{}, err
	}
	return k, crypto.PubkeyToAddress(k.PublicKey), nil
}
