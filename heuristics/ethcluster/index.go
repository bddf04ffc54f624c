package ethcluster

import (
	"errors"
	"fmt"
	"log/slog"
	"math/big"

	chain "github.com/spoorhq/spoor/chains/ethereum"
	"github.com/spoorhq/spoor/heuristics/cluster"
	ethindex "github.com/spoorhq/spoor/indexer/ethereum"
	"github.com/spoorhq/spoor/storage"
)

// Index maintains one Ethereum cluster generation block by block. It is
// an ethindex.Index: the indexer connects every block to it in the same
// batch as the block, and disconnects blocks in a reorganization, which
// restores exactly the clusters, links, stats and rule state from before
// the block.
//
// The rules are causal: at block N they decide from blocks up to N only.
// A deposit address forwarding to an exchange within τ blocks of a
// payment is linked to the payer at the block of the forward; an airdrop
// forward is linked once its collector has gathered from enough claimers
// and the airdrop's transfers so far qualify. The exchanges and the
// blacklist are the generation's set (its spec lists the labelled
// exchanges as of the generation's opening); the blocks' fee recipients
// and the active addresses (those that sent a transaction) count from the
// block they are first seen in.
type Index struct {
	gen uint32
	set *Set
	db  *storage.DB
	st  *dbState
	log *slog.Logger

	// exchange and black hold the set's addresses; ids caches their
	// numbers once the index has seen them.
	exchange, black map[[20]byte]bool
	ids             map[storage.AddrID]uint8 // 1 exchange, 2 blacklisted

	// undone is set when a disconnect wrote rows behind the state's back:
	// its cache must go once they are committed.
	undone bool
	// err is a failure to renumber the set's addresses after a dropped
	// batch or a disconnect, returned by the next ConnectBlock.
	err  error
	sum  Summary
	seen map[storage.AddrID]bool // deposit addresses matched, for the summary
}

var (
	_ ethindex.Index         = (*Index)(nil)
	_ ethindex.BatchObserver = (*Index)(nil)
)

const (
	isExchange uint8 = 1
	isBlack    uint8 = 2
)

// NewIndex returns the index of generation gen of db, built with set,
// whose exchanges and blacklisted addresses are numbered by the index as
// they are first seen. log receives a warning for every merge the
// super-cluster guard reports; nil discards them.
func NewIndex(db *storage.DB, gen uint32, set *Set, log *slog.Logger) (*Index, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	x := &Index{gen: gen, set: set, db: db, st: newDBState(db, gen), log: log, exchange: map[[20]byte]bool{},
		black: map[[20]byte]bool{}, ids: map[storage.AddrID]uint8{}, seen: map[storage.AddrID]bool{}}
	for _, a := range set.Exchanges {
		x.exchange[a] = true
	}
	for _, a := range set.Blacklist {
		x.black[a] = true
	}
	if err := x.renumber(); err != nil {
		return nil, err
	}
	return x, nil
}

// renumber forgets the numbers of the set's addresses and reads them again
// from the committed index: after a dropped batch or a disconnect, the
// numbers of the addresses first seen in those blocks may go to others.
func (x *Index) renumber() error {
	x.ids = map[storage.AddrID]uint8{}
	for a := range x.exchange {
		if err := x.number(a); err != nil {
			return err
		}
	}
	for a := range x.black {
		if err := x.number(a); err != nil {
			return err
		}
	}
	return nil
}

// number caches the number of a set address the index has seen.
func (x *Index) number(a [20]byte) error {
	id, err := x.db.LookupEthAddr(a)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	x.learn(id, a)
	return nil
}

func (x *Index) learn(id storage.AddrID, a [20]byte) {
	if x.exchange[a] {
		x.ids[id] |= isExchange
	}
	if x.black[a] {
		x.ids[id] |= isBlack
	}
}

// Name returns "ethcluster/<generation>".
func (x *Index) Name() string { return IndexName(x.gen) }

// Summary returns what the index found since it was opened.
func (x *Index) Summary() Summary {
	s := x.sum
	s.Deposits = len(x.seen)
	return s
}

// Committed keeps the rows written since the last commit as a cache, or
// forgets them after a disconnect.
func (x *Index) Committed() {
	if x.undone {
		x.undone = false
		x.st.reset()
		x.err = x.renumber()
		return
	}
	x.st.committed()
}

// Discarded forgets the overlay: its rows were never committed.
func (x *Index) Discarded() {
	x.undone = false
	x.st.reset()
	x.err = x.renumber()
}

// ConnectBlock applies the set to every transfer of blk in chain order.
func (x *Index) ConnectBlock(b *storage.Batch, blk *ethindex.Block) error {
	if x.err != nil {
		return x.err
	}
	for i, a := range blk.Addrs {
		if x.exchange[a] || x.black[a] {
			x.learn(blk.Record.FirstAddrID+storage.AddrID(i), a)
		}
	}
	x.st.begin(b)
	h := blk.Height
	if len(blk.Txs) > 0 {
		if err := x.mark(storage.EthRuleMiner, blk.Record.Miner, h); err != nil {
			return err
		}
	}
	for i := range blk.Txs {
		tx := &blk.Txs[i]
		if tx.Record.Flags&storage.EthTxSystem == 0 {
			x.sum.Txs++
			if err := x.mark(storage.EthRuleActive, tx.Record.From, h); err != nil {
				return err
			}
		}
		for j := range tx.Transfers {
			if err := x.transfer(tx.Num, h, &tx.Transfers[j]); err != nil {
				return fmt.Errorf("tx %d: %w", tx.Num, err)
			}
		}
	}
	x.st.end(h)
	x.sum.Tip = h
	return nil
}

// mark records that a is a miner or active from height h on.
func (x *Index) mark(kind storage.EthRuleKind, a storage.AddrID, h uint32) error {
	e, err := x.st.rule(storage.MakeEthRuleKey(x.gen, kind, a, 0, 0, nil))
	if err != nil || e.exists {
		return err
	}
	x.st.setRule(e, storage.EthRuleRow{N: []uint64{uint64(h)}})
	return nil
}

// has reports whether a is a miner or active.
func (x *Index) has(kind storage.EthRuleKind, a storage.AddrID) (bool, error) {
	e, err := x.st.rule(storage.MakeEthRuleKey(x.gen, kind, a, 0, 0, nil))
	if err != nil {
		return false, err
	}
	return e.exists, nil
}

func (x *Index) isExchange(a storage.AddrID) bool { return x.ids[a]&isExchange != 0 }

// barred reports whether a is neither a deposit address nor a user:
// exchanges, blacklisted addresses and miners.
func (x *Index) barred(a storage.AddrID) (bool, error) {
	if x.ids[a] != 0 {
		return true, nil
	}
	return x.has(storage.EthRuleMiner, a)
}

// transfer updates the stats with one edge and applies the rules to it.
func (x *Index) transfer(n storage.TxNum, h uint32, tr *storage.EthTransferRecord) error {
	if !tr.Mint {
		g := uint64(0)
		if tr.Asset == 0 {
			g = gweiOf(tr.Amount)
		}
		if err := x.st.flow(tr.From, g, h, false); err != nil {
			return err
		}
	}
	if !tr.Sink {
		g := uint64(0)
		if tr.Asset == 0 {
			g = gweiOf(tr.Amount)
		}
		if err := x.st.flow(tr.To, g, h, true); err != nil {
			return err
		}
	}
	if tr.Mint || tr.Sink || tr.Amount == nil || tr.Amount.Sign() == 0 {
		return nil
	}
	f := flow{tx: n, height: h, from: tr.From, to: tr.To, asset: tr.Asset, amount: tr.Amount}
	switch chain.Kind(tr.Kind) {
	case chain.KindNative, chain.KindInternal:
		if x.set.Has(DepositReuse) {
			return x.etherDeposit(f)
		}
	case chain.KindERC20:
		if x.set.Has(DepositReuseToken) {
			if err := x.tokenDeposit(f); err != nil {
				return err
			}
		}
		if x.set.Has(Airdrop) {
			return x.airdrop(f)
		}
	}
	return nil
}

func toFlow(f flow) storage.EthFlow {
	return storage.EthFlow{Tx: f.tx, Height: f.height, From: f.from, To: f.to, Amount: f.amount}
}

func fromFlow(f storage.EthFlow, asset storage.AddrID) flow {
	return flow{tx: f.Tx, height: f.Height, from: f.From, to: f.To, asset: asset, amount: f.Amount}
}

// etherDeposit applies deposit-reuse/1 (see findDeposits) to one ether
// move: it remembers a payment between two addresses that are not barred,
// and matches a forward to an exchange with the latest payment into its
// sender of the same tenth of an ether.
func (x *Index) etherDeposit(m flow) error {
	if miner, err := x.has(storage.EthRuleMiner, m.from); err != nil || miner {
		return err
	}
	fromBarred, err := x.barred(m.from)
	if err != nil || fromBarred {
		return err
	}
	tenths, _ := new(big.Int).SetString(roundTenth(m.amount), 10)
	if x.isExchange(m.to) {
		e, err := x.st.rule(storage.MakeEthRuleKey(x.gen, storage.EthRulePayment, m.from, 0, 0, tenths))
		if err != nil || !e.exists {
			return err
		}
		r := fromFlow(e.row.Flows[0], 0)
		gap := uint64(m.height - r.height)
		if gap > x.set.MaxBlockDiff {
			return nil
		}
		diff := new(big.Int).Sub(r.amount, m.amount)
		if diff.Sign() < 0 || diff.Cmp(x.set.MaxAmountDiff) > 0 {
			return nil
		}
		return x.deposit(DepositReuse, r, m, gap, depositConfidence(diff, x.set.MaxAmountDiff, gap, x.set.MaxBlockDiff))
	}
	if toBarred, err := x.barred(m.to); err != nil || toBarred {
		return err
	}
	e, err := x.st.rule(storage.MakeEthRuleKey(x.gen, storage.EthRulePayment, m.to, 0, 0, tenths))
	if err != nil {
		return err
	}
	x.st.setRule(e, storage.EthRuleRow{Flows: []storage.EthFlow{toFlow(m)}})
	return nil
}

// tokenDeposit applies deposit-reuse-token/1 (see findTokenDeposits) to
// one ERC-20 transfer.
func (x *Index) tokenDeposit(m flow) error {
	fromBarred, err := x.barred(m.from)
	if err != nil || fromBarred {
		return err
	}
	if x.isExchange(m.to) {
		e, err := x.st.rule(storage.MakeEthRuleKey(x.gen, storage.EthRuleTokenPayment, m.from, m.asset, 0, m.amount))
		if err != nil || !e.exists {
			return err
		}
		r := fromFlow(e.row.Flows[0], m.asset)
		gap := uint64(m.height - r.height)
		if gap > x.set.MaxBlockDiff {
			return nil
		}
		return x.deposit(DepositReuseToken, r, m, gap, depositConfidence(new(big.Int), big.NewInt(1), gap, x.set.MaxBlockDiff))
	}
	if toBarred, err := x.barred(m.to); err != nil || toBarred {
		return err
	}
	if active, err := x.has(storage.EthRuleActive, m.from); err != nil || !active {
		return err
	}
	e, err := x.st.rule(storage.MakeEthRuleKey(x.gen, storage.EthRuleTokenPayment, m.to, m.asset, 0, m.amount))
	if err != nil {
		return err
	}
	x.st.setRule(e, storage.EthRuleRow{Flows: []storage.EthFlow{toFlow(m)}})
	return nil
}

// deposit links deposit address out.from with the user r.from who paid
// it r, forwarded by out to the exchange.
func (x *Index) deposit(rule Rule, r, out flow, gap uint64, conf uint8) error {
	x.seen[out.from] = true
	x.sum.DepositTx++
	return x.union(link{a: out.from, b: r.from,
		ev: storage.Evidence{TxNum: r.tx, Rule: uint8(rule), Confidence: conf},
		detail: storage.EthLinkDetail{Rule: uint8(rule), Tx: r.tx, Via: out.tx, Hub: out.to, Asset: out.asset,
			In: r.amount, Out: out.amount, Gap: gap}})
}

// airdrop applies airdrop/1 (see findAirdrops) to one ERC-20 transfer t:
// as a forward of a claim its sender received, then as a transfer of the
// possible airdrop (token, sender, amount) and a claim of its receiver.
func (x *Index) airdrop(t flow) error {
	claims, err := x.st.rule(storage.MakeEthRuleKey(x.gen, storage.EthRuleClaim, t.from, t.asset, 0, t.amount))
	if err != nil {
		return err
	}
	if claims.exists && t.to != t.from {
		if err := x.forward(t, claims.row.Flows); err != nil {
			return err
		}
	}
	// The transfer counts towards the airdrop (token, sender, amount).
	sig, err := x.st.rule(storage.MakeEthRuleKey(x.gen, storage.EthRuleAirdrop, t.asset, t.from, 0, t.amount))
	if err != nil {
		return err
	}
	x.st.setRule(sig, storage.EthRuleRow{N: addTransfer(sig.row.N, t.height)})
	// And it is the receiver's latest claim of that airdrop.
	rc, err := x.st.rule(storage.MakeEthRuleKey(x.gen, storage.EthRuleClaim, t.to, t.asset, 0, t.amount))
	if err != nil {
		return err
	}
	fs := make([]storage.EthFlow, 0, len(rc.row.Flows)+1)
	replaced := false
	for _, c := range rc.row.Flows {
		if c.From == t.from {
			c, replaced = toFlow(t), true
		}
		fs = append(fs, c)
	}
	if !replaced {
		fs = append(fs, toFlow(t))
	}
	x.st.setRule(rc, storage.EthRuleRow{Flows: fs})
	return nil
}

// forward handles t as a claimer's forward of the claims it received to
// a collector.
func (x *Index) forward(t flow, claims []storage.EthFlow) error {
	if ok, err := x.has(storage.EthRuleActive, t.to); err != nil || !ok {
		return err
	}
	if ok, err := x.has(storage.EthRuleActive, t.from); err != nil || !ok {
		return err
	}
	for _, c := range claims {
		dist := c.From
		if t.to == dist {
			continue
		}
		sig, err := x.st.rule(storage.MakeEthRuleKey(x.gen, storage.EthRuleAirdrop, t.asset, dist, 0, t.amount))
		if err != nil {
			return err
		}
		if !qualifies(sig.row.N, x.set.MinRecipients, x.set.MaxMedianGap) {
			continue
		}
		col, err := x.st.rule(storage.MakeEthRuleKey(x.gen, storage.EthRuleCollect, t.asset, dist, t.to, t.amount))
		if err != nil {
			return err
		}
		claim := fromFlow(c, t.asset)
		if col.exists && len(col.row.N) > 0 && col.row.N[0] == 1 {
			if err := x.airdropLink(dist, claim, t); err != nil {
				return err
			}
			continue
		}
		pending := append(append(make([]storage.EthFlow, 0, len(col.row.Flows)+2), col.row.Flows...), c, toFlow(t))
		claimers := map[storage.AddrID]bool{}
		for i := 1; i < len(pending); i += 2 {
			claimers[pending[i].From] = true
		}
		if len(claimers) < x.set.MinAggregations {
			x.st.setRule(col, storage.EthRuleRow{N: []uint64{0}, Flows: pending})
			continue
		}
		x.st.setRule(col, storage.EthRuleRow{N: []uint64{1}})
		for i := 0; i+1 < len(pending); i += 2 {
			if err := x.airdropLink(dist, fromFlow(pending[i], t.asset), fromFlow(pending[i+1], t.asset)); err != nil {
				return err
			}
		}
	}
	return nil
}

// airdropLink links the claimer and the collector of forward fwd of the
// airdrop of distributor dist claimed in claim.
func (x *Index) airdropLink(dist storage.AddrID, claim, fwd flow) error {
	x.sum.Airdrops++
	return x.union(link{a: fwd.to, b: fwd.from,
		ev: storage.Evidence{TxNum: fwd.tx, Rule: uint8(Airdrop), Confidence: ConfidenceAirdrop},
		detail: storage.EthLinkDetail{Rule: uint8(Airdrop), Tx: fwd.tx, Via: claim.tx, Hub: dist,
			Asset: fwd.asset, In: fwd.amount, Out: claim.amount, Gap: uint64(fwd.height - claim.height)}})
}

// union joins the clusters of l.a and l.b unless they are one already or
// the super-cluster guard refuses. The larger cluster absorbs the
// smaller; on a tie the one with the smaller number does.
func (x *Index) union(l link) error {
	x.sum.Links++
	ra, sa, err := x.st.find(l.a)
	if err != nil {
		return err
	}
	rb, sb, err := x.st.find(l.b)
	if err != nil {
		return err
	}
	if ra == rb {
		return nil
	}
	if bound := x.set.MaxClusterSize; bound > 0 && sa+sb > bound && (x.set.RefuseOversize || (sa <= bound && sb <= bound)) {
		g := storage.GuardEvent{A: l.a, B: l.b, Rule: l.ev.Rule, SizeA: sa, SizeB: sb, Refused: x.set.RefuseOversize}
		x.sum.Guards = append(x.sum.Guards, g)
		x.log.Warn("super-cluster guard", "tx", l.ev.TxNum, "rule", Rule(l.ev.Rule).String(), "a", l.a, "b", l.b,
			"size_a", sa, "size_b", sb, "refused", g.Refused)
		if x.set.RefuseOversize {
			return nil
		}
	}
	x.sum.Merges++
	if sb > sa || (sb == sa && rb < ra) {
		l.a, l.b = l.b, l.a
		return x.st.merge(rb, ra, &l)
	}
	return x.st.merge(ra, rb, &l)
}

// DisconnectBlock undoes blk's merges in reverse order, restores the
// stats of the clusters it touched and the rule state it changed.
func (x *Index) DisconnectBlock(b *storage.Batch, blk *ethindex.Block) error {
	x.undone = true
	u, err := x.db.ClusterUndo(x.gen, blk.Height)
	if err != nil {
		return fmt.Errorf("ethereum cluster generation %d: %w", x.gen, err)
	}
	ru, err := x.db.EthRuleUndo(x.gen, blk.Height)
	if err != nil {
		return fmt.Errorf("ethereum cluster generation %d: %w", x.gen, err)
	}
	cluster.UndoBlock(b, x.gen, &u, func(a, c storage.AddrID) { b.DeleteEthLinkDetail(x.gen, a, c) })
	for i := range ru.Rows {
		r := &ru.Rows[i]
		if r.Had {
			b.PutEthRule(r.Key, &r.Row)
		} else {
			b.DeleteEthRule(r.Key)
		}
	}
	b.DeleteClusterUndo(x.gen, blk.Height)
	b.DeleteEthRuleUndo(x.gen, blk.Height)
	return nil
}
