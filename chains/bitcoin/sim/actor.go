package sim

import (
	"math/rand/v2"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"
)

// actor is one kind of participant in the simulated economy. For every block
// the generator calls each actor in a fixed order; the actor plans its
// transactions against the ledger and adds them to the block. Actors must draw
// all randomness from b.rng and must not start goroutines, so that planning is
// deterministic. Exchanges, CoinJoin coordinators and laundering scenarios
// fit the same shape.
type actor interface {
	// planBlock adds the actor's transactions for the block being built.
	planBlock(b *blockBuilder) error
}

// plannedInput is a coin spent by a planned transaction.
type plannedInput struct {
	owner *entity
	coin  utxo
}

// plannedOutput is an output of a planned transaction. An output without
// owner is an OP_RETURN output carrying data.
type plannedOutput struct {
	owner  *entity
	addr   uint32
	value  int64
	change bool // the output returns change to the owner of the first input
	// fresh asks for a new address of owner even when its family reuses
	// its receive address.
	fresh bool
	// addrFn, if set, chooses the address once the block has accepted the
	// plan (an exchange deposit address, a stable counterparty address).
	addrFn func(l *ledger) uint32
	// data is the payload of an OP_RETURN output (owner nil).
	data []byte
}

// txPlan is a transaction decided by an actor but not yet signed. Inputs may
// belong to different owners (as in a CoinJoin); each is signed with its
// owner's key.
type txPlan struct {
	version  int32
	lockTime uint32
	sequence uint32
	bip69    bool // sort inputs and outputs as in BIP 69 when building
	ins      []plannedInput
	outs     []plannedOutput
	// protocol names the CoinJoin protocol of the transaction for the
	// ground truth (see coinjoin.go); empty for other transactions.
	protocol string

	// Set by the signer.
	msg         *wire.MsgTx
	txid, wtxid chainhash.Hash
}

// shape returns the size-relevant summary of p.
func (p *txPlan) shape() txShape {
	var s txShape
	for _, in := range p.ins {
		s.addInput(in.owner.fam.script)
	}
	for _, out := range p.outs {
		if out.owner == nil {
			s.addDataOutput(len(out.data))
			continue
		}
		s.addOutput(out.owner.fam.script)
	}
	return s
}

// fee returns the fee p pays.
func (p *txPlan) fee() int64 {
	var f int64
	for _, in := range p.ins {
		f += in.coin.value
	}
	for _, out := range p.outs {
		f -= out.value
	}
	return f
}

// blockBuilder collects the planned transactions of one block and enforces
// the block's transaction target and consensus weight and sigop limits.
type blockBuilder struct {
	height int32
	rng    *rand.Rand
	ledger *ledger
	// maxTxs is the number of non-coinbase transactions wanted.
	maxTxs int
	// progress is the number of transactions in earlier blocks.
	progress int
	plans    []*txPlan
	weight   int
	sigOps   int
}

// newBlockBuilder starts the block at height.
func newBlockBuilder(height int32, rng *rand.Rand, l *ledger, maxTxs int) *blockBuilder {
	return &blockBuilder{
		height: height,
		rng:    rng,
		ledger: l,
		maxTxs: maxTxs,
		// Header and transaction count, plus the coinbase.
		weight: coinbaseWeightReserve,
		sigOps: coinbaseSigOpsReserve,
	}
}

// room returns how many more transactions the block wants.
func (b *blockBuilder) room() int { return b.maxTxs - len(b.plans) }

// add appends p to the block if it fits the weight and sigop limits and
// reports whether it did. A caller whose plan does not fit must return the
// plan's coins to their owners.
func (b *blockBuilder) add(p *txPlan) bool {
	s := p.shape()
	w := s.weight()
	if b.weight+w > maxBlockWeight || b.sigOps+s.sigOpCost > maxBlockSigOpsCost {
		return false
	}
	b.weight += w
	b.sigOps += s.sigOpCost
	b.plans = append(b.plans, p)
	return true
}

// full reports whether the block cannot take even a small transaction.
func (b *blockBuilder) full() bool {
	return b.room() <= 0 || b.weight+minTxWeight > maxBlockWeight
}

// minTxWeight is roughly the weight of the smallest transaction actors build.
const minTxWeight = 4 * 110
