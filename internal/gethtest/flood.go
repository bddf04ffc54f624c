package gethtest

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

// Sender signs transactions for one key with consecutive nonces, without
// waiting for them to be mined, so that many land in each block.
type Sender struct {
	n      *Node
	key    *ecdsa.PrivateKey
	signer types.Signer
	nonce  uint64
	tip    *big.Int
	feeCap *big.Int
	last   common.Hash
}

// NewSender returns a sender for key starting at its pending nonce.
func (n *Node) NewSender(ctx context.Context, key *ecdsa.PrivateKey) (*Sender, error) {
	chainID, err := n.Eth.ChainID(ctx)
	if err != nil {
		return nil, err
	}
	from := crypto.PubkeyToAddress(key.PublicKey)
	nonce, err := n.Eth.PendingNonceAt(ctx, from)
	if err != nil {
		return nil, err
	}
	head, err := n.Eth.HeaderByNumber(ctx, nil)
	if err != nil {
		return nil, err
	}
	tip := big.NewInt(1e9)
	// A fee cap well above the base fee keeps a flood of transactions
	// valid while the base fee rises.
	feeCap := new(big.Int).Add(new(big.Int).Mul(head.BaseFee, big.NewInt(50)), tip)
	return &Sender{n: n, key: key, signer: types.LatestSignerForChainID(chainID), nonce: nonce, tip: tip, feeCap: feeCap}, nil
}

// Send signs and submits a transaction and returns its hash; it does not
// wait for it to be mined.
func (s *Sender) Send(ctx context.Context, to common.Address, value *big.Int, data []byte, gas uint64) (common.Hash, error) {
	if value == nil {
		value = new(big.Int)
	}
	tx, err := types.SignTx(types.NewTx(&types.DynamicFeeTx{ChainID: s.signer.ChainID(), Nonce: s.nonce, GasTipCap: s.tip,
		GasFeeCap: s.feeCap, Gas: gas, To: &to, Value: value, Data: data}), s.signer, s.key)
	if err != nil {
		return common.Hash{}, err
	}
	if err := s.n.Eth.SendTransaction(ctx, tx); err != nil {
		return common.Hash{}, fmt.Errorf("send tx with nonce %d: %w", s.nonce, err)
	}
	s.nonce++
	s.last = tx.Hash()
	return s.last, nil
}

// Last returns the hash of the last transaction sent.
func (s *Sender) Last() common.Hash { return s.last }
