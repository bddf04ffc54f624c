package sim

import (
	"fmt"
	"math/rand/v2"

	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/btcsuite/btcd/chainhash/v2"
)

// entityKind is the role of an entity in the ground truth.
type entityKind uint8

const (
	// kindWallet is an ordinary user wallet.
	kindWallet entityKind = iota
	// kindMiner is a miner or mining pool that receives coinbases.
	kindMiner
	// kindExchange is one part (deposit, hot, cold or change wallet) of an
	// exchange; see exchange.go.
	kindExchange
	// kindCoordinator is a CoinJoin coordinator that collects fees; see
	// coinjoin.go.
	kindCoordinator
	// kindMerchant is a shop paid for goods, directly or through a
	// payment processor; see commerce.go.
	kindMerchant
	// kindProcessor is a payment processor; see commerce.go.
	kindProcessor
	// kindService is an instant exchanger (a swap service); see
	// service.go.
	kindService
	// kindSanctioned is a designated (sanctioned) entity; see
	// scenarios.go.
	kindSanctioned
	// kindBroker is a hawala-like broker or one of its settlement
	// counterparties; see scenarios.go.
	kindBroker
	// kindIllicit is any other entity a planted scenario creates
	// (collectors, aggregators, peelers, mules, smurfs); see
	// scenarios.go.
	kindIllicit
	// kindBusiness is a legitimate business of a decoy (an employer
	// paying salaries); see decoys.go.
	kindBusiness
)

// String returns the kind as written to truth.jsonl.
func (k entityKind) String() string {
	switch k {
	case kindMiner:
		return "miner"
	case kindExchange:
		return "exchange"
	case kindCoordinator:
		return "coordinator"
	case kindMerchant:
		return "merchant"
	case kindProcessor:
		return "processor"
	case kindService:
		return "service"
	case kindSanctioned:
		return "sanctioned"
	case kindBroker:
		return "broker"
	case kindIllicit:
		return "illicit"
	case kindBusiness:
		return "business"
	}
	return "wallet"
}

// txStyle is the wallet software fingerprint of an entity's transactions.
type txStyle uint8

const (
	// styleCore mimics Bitcoin Core: version 2, anti-fee-sniping lock time
	// (the tip height, sometimes up to 100 blocks earlier), RBF sequence
	// numbers and change at a random position.
	styleCore txStyle = iota
	// styleBIP69 mimics Electrum: version 2, lock time at the tip, RBF
	// sequence numbers and inputs and outputs sorted as in BIP 69.
	styleBIP69
	// stylePlain mimics simple or older wallets: version 1, lock time 0 and
	// final sequence numbers.
	stylePlain
)

// family is the behaviour of an entity, fixed when it is created.
type family struct {
	script      scriptType
	reuseRecv   bool // one receive address for every incoming payment
	freshChange bool // change to a new address; otherwise to the first input's address
	changeLast  bool // change is the last output; otherwise at a random position
	style       txStyle
}

// utxo is an unspent output owned by an entity.
type utxo struct {
	hash     chainhash.Hash
	index    uint32
	addr     uint32 // index into the owner's keys
	value    int64
	height   int32 // height of the block that created it
	coinbase bool
}

// entity is one owner of coins: a wallet or a miner.
type entity struct {
	id    int32
	name  string
	kind  entityKind
	fam   family
	keys  []keyMaterial // per address; filled in when the address is derived
	utxos []utxo
	recv  int32 // the reused receive address, or -1
	// funded is the entity's position in ledger.funded, or -1.
	funded int32
	// touched is the last height at which the entity's coins changed.
	touched int32
	// role is the part an exchange, processor, merchant or service
	// entity plays ("deposit", "hot", "cold", "change", "invoice",
	// "settlement", "sale", "treasury"); empty for other entities.
	role string
	// depositor holds, for an exchange's deposit entity, the customer
	// each address was handed out to, by address index.
	depositor []*entity
}

// addrRef names one address of one entity.
type addrRef struct {
	owner *entity
	index uint32
}

// ledger holds every entity and its coins. Only the planning goroutine
// mutates it, except that the signer fills in key material of addresses
// created in the current block, each element by exactly one goroutine.
type ledger struct {
	params   *chaincfg.Params
	keys     keyDeriver
	entities []*entity
	wallets  []*entity
	miners   []*entity
	// funded lists the wallets that own at least one coin at the start of
	// the block. Its first picked elements already sent in this round of
	// the block.
	funded []*entity
	picked int
	// fresh lists the addresses created in the current block, in order.
	fresh []addrRef
	// touched lists the entities whose coins changed in the current block.
	touched []*entity
}

// newLedger creates nWallets ordinary wallets and nMiners miners with
// behaviour drawn from rng.
func newLedger(params *chaincfg.Params, seed uint64, rng *rand.Rand, nWallets, nMiners int) *ledger {
	l := &ledger{params: params, keys: newKeyDeriver(seed)}
	for i := range nMiners {
		fam := drawFamily(rng)
		// Pools pay every coinbase to one well-known address and send
		// their change back to it.
		fam.reuseRecv, fam.freshChange, fam.changeLast = true, false, true
		fam.style = stylePlain
		l.miners = append(l.miners, l.addEntity(fmt.Sprintf("m%d", i), kindMiner, fam))
	}
	for i := range nWallets {
		l.wallets = append(l.wallets, l.addEntity(fmt.Sprintf("w%d", i), kindWallet, drawFamily(rng)))
	}
	return l
}

func (l *ledger) addEntity(name string, kind entityKind, fam family) *entity {
	e := &entity{
		id:      int32(len(l.entities)),
		name:    name,
		kind:    kind,
		fam:     fam,
		recv:    -1,
		funded:  -1,
		touched: -1,
	}
	l.entities = append(l.entities, e)
	return e
}

// drawFamily draws a wallet behaviour. The script type mix follows recent
// mainnet output shares (about 20% P2PKH, 15% P2SH-P2WPKH, 50% P2WPKH, 15%
// P2TR); older script types reuse addresses more often. The remaining
// probabilities are modelling choices, not measurements.
func drawFamily(rng *rand.Rand) family {
	var f family
	var reuse float64
	switch u := rng.Float64(); {
	case u < 0.20:
		f.script, reuse = p2pkh, 0.45
	case u < 0.35:
		f.script, reuse = p2shP2wpkh, 0.25
	case u < 0.85:
		f.script, reuse = p2wpkh, 0.12
	default:
		f.script, reuse = p2tr, 0.05
	}
	f.reuseRecv = rng.Float64() < reuse
	if f.reuseRecv {
		f.freshChange = rng.Float64() < 0.4
	} else {
		f.freshChange = rng.Float64() < 0.93
	}
	switch u := rng.Float64(); {
	case u < 0.45:
		f.style = styleCore
	case u < 0.60:
		f.style = styleBIP69
	default:
		f.style = stylePlain
	}
	f.changeLast = f.style == stylePlain && rng.Float64() < 0.7
	return f
}

// newAddress creates a new address for e. Its key material is derived later,
// in parallel, by the signer.
func (l *ledger) newAddress(e *entity) uint32 {
	idx := uint32(len(e.keys))
	e.keys = append(e.keys, keyMaterial{})
	l.fresh = append(l.fresh, addrRef{owner: e, index: idx})
	return idx
}

// receiveAddress returns the address e gives out for an incoming payment.
func (l *ledger) receiveAddress(e *entity) uint32 {
	if !e.fam.reuseRecv {
		return l.newAddress(e)
	}
	if e.recv < 0 {
		e.recv = int32(l.newAddress(e))
	}
	return uint32(e.recv)
}

// changeAddress returns the address e sends change to in a transaction whose
// first input is spent from address first.
func (l *ledger) changeAddress(e *entity, first uint32) uint32 {
	if e.fam.freshChange {
		return l.newAddress(e)
	}
	return first
}

// touch records that e's coins changed in the block at height.
func (l *ledger) touch(e *entity, height int32) {
	if e.touched != height {
		e.touched = height
		l.touched = append(l.touched, e)
	}
}

// takeCoin removes a random coin of e and returns it.
func (l *ledger) takeCoin(e *entity, rng *rand.Rand, height int32) utxo {
	i := rng.IntN(len(e.utxos))
	c := e.utxos[i]
	last := len(e.utxos) - 1
	e.utxos[i] = e.utxos[last]
	e.utxos = e.utxos[:last]
	l.touch(e, height)
	return c
}

// returnCoin gives a coin taken by takeCoin back to e.
func (l *ledger) returnCoin(e *entity, c utxo) {
	e.utxos = append(e.utxos, c)
}

// addCoin gives e a new coin.
func (l *ledger) addCoin(e *entity, c utxo) {
	e.utxos = append(e.utxos, c)
	l.touch(e, c.height)
}

// pickSender returns a random funded wallet that has not sent yet in this
// block, or nil when every funded wallet has.
func (l *ledger) pickSender(rng *rand.Rand) *entity {
	n := len(l.funded) - l.picked
	if n <= 0 {
		return nil
	}
	j := l.picked + rng.IntN(n)
	l.swapFunded(l.picked, j)
	e := l.funded[l.picked]
	l.picked++
	return e
}

// newRound lets every funded wallet send again in the current block.
func (l *ledger) newRound() { l.picked = 0 }

func (l *ledger) swapFunded(i, j int) {
	l.funded[i], l.funded[j] = l.funded[j], l.funded[i]
	l.funded[i].funded = int32(i)
	l.funded[j].funded = int32(j)
}

// endBlock updates the funded set for the coins that changed owners in the
// block and clears the per-block state.
func (l *ledger) endBlock() {
	for _, e := range l.touched {
		if e.kind != kindWallet {
			continue
		}
		switch {
		case len(e.utxos) > 0 && e.funded < 0:
			e.funded = int32(len(l.funded))
			l.funded = append(l.funded, e)
		case len(e.utxos) == 0 && e.funded >= 0:
			last := len(l.funded) - 1
			l.swapFunded(int(e.funded), last)
			l.funded = l.funded[:last]
			e.funded = -1
		}
	}
	l.touched = l.touched[:0]
	l.fresh = l.fresh[:0]
	l.picked = 0
}

// takeCoinAt removes and returns e's coin created by transaction hash at
// address addr, and reports whether there was one.
func (l *ledger) takeCoinAt(e *entity, hash chainhash.Hash, addr uint32, height int32) (utxo, bool) {
	for i, c := range e.utxos {
		if c.hash == hash && c.addr == addr {
			last := len(e.utxos) - 1
			e.utxos[i] = e.utxos[last]
			e.utxos = e.utxos[:last]
			l.touch(e, height)
			return c, true
		}
	}
	return utxo{}, false
}

// takeAll removes and returns up to n of e's coins, oldest first.
func (l *ledger) takeAll(e *entity, n int, height int32) []utxo {
	n = min(n, len(e.utxos))
	if n == 0 {
		return nil
	}
	out := append([]utxo(nil), e.utxos[:n]...)
	e.utxos = append(e.utxos[:0], e.utxos[n:]...)
	l.touch(e, height)
	return out
}

// balance returns the value of e's coins.
func (e *entity) balance() int64 {
	var v int64
	for _, c := range e.utxos {
		v += c.value
	}
	return v
}
