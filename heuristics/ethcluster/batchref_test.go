package ethcluster

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"slices"

	chain "github.com/spoorhq/spoor/chains/ethereum"
	ethindex "github.com/spoorhq/spoor/indexer/ethereum"
	"github.com/spoorhq/spoor/storage"
)

// This file keeps the batch form of the rules, as spoor ran them over the
// whole history before the clustering was maintained block by block: the
// tests use them as the reference the causal rules of index.go must agree
// with where the two coincide.

// DepositMatch is one payment into a deposit address matched with the
// deposit address's forward to an exchange: the user paid In, the deposit
// address forwarded Out to Exchange Gap blocks later.
type DepositMatch struct {
	User, Deposit, Exchange storage.AddrID
	In, Out                 flow
	Gap                     uint64
	Confidence              uint8
}

// depositKey is what a forward and its payment must share.
type depositKey struct {
	deposit storage.AddrID
	tenths  string
}

// findDeposits applies the deposit-address rule (Victor 2020, Algorithm 1
// as etherclust and Tutela implement it) to ether moves in chain order:
//
//   - moves sent by a block's fee recipient (miners) are dropped;
//   - a forward is a move to an exchange X; its sender, unless
//     blacklisted (exchanges and miners are), is a candidate deposit
//     address;
//   - a payment is a move into a candidate deposit address from a sender
//     not blacklisted;
//   - each forward f is matched with the latest payment r before it into
//     the same deposit address whose amount rounds to the same tenth of
//     an ether, no more than τ blocks earlier; the match holds if
//     0 <= r - f <= α (the deposit address forwards at most what it
//     received, less at most α of fees);
//   - confidence is Tutela's 1 - (½·(r-f)/α + ½·gap/τ), in percent and at
//     least 1.
//
// "Before" is chain order, so a payment in the forward's own block counts
// when its transaction comes first.
func findDeposits(moves []flow, exchange, black, miners map[storage.AddrID]bool, alpha *big.Int, tau uint64) []DepositMatch {
	barred := func(a storage.AddrID) bool { return black[a] || exchange[a] || miners[a] }
	deposits := map[storage.AddrID]bool{}
	for _, f := range moves {
		if exchange[f.to] && !miners[f.from] && !barred(f.from) {
			deposits[f.from] = true
		}
	}
	latest := map[depositKey]flow{}
	var out []DepositMatch
	for _, m := range moves {
		if miners[m.from] {
			continue
		}
		switch {
		case deposits[m.to] && !barred(m.from):
			latest[depositKey{m.to, roundTenth(m.amount)}] = m
		case deposits[m.from] && exchange[m.to]:
			r, ok := latest[depositKey{m.from, roundTenth(m.amount)}]
			if !ok || uint64(m.height-r.height) > tau {
				continue
			}
			diff := new(big.Int).Sub(r.amount, m.amount)
			if diff.Sign() < 0 || diff.Cmp(alpha) > 0 {
				continue
			}
			gap := uint64(m.height - r.height)
			out = append(out, DepositMatch{User: r.from, Deposit: m.from, Exchange: m.to, In: r, Out: m, Gap: gap,
				Confidence: depositConfidence(diff, alpha, gap, tau)})
		}
	}
	return out
}

// tokenKey is what a token forward and its payment must share: the
// deposit address, the token and the exact amount.
type tokenKey struct {
	deposit, token storage.AddrID
	amount         string
}

// findTokenDeposits applies the token variant of the deposit-address rule
// (etherclust deposittoken.py) to ERC-20 transfers in chain order: a
// forward is a transfer to an exchange, its sender (unless barred) a
// candidate deposit address; each forward is matched with the latest
// payment into the deposit address of the same token and exactly the same
// amount, no more than τ blocks earlier, from an active address (one that
// sent a transaction) that is not barred. Confidence is 1 - ½·gap/τ.
func findTokenDeposits(transfers []flow, exchange, black, miners, active map[storage.AddrID]bool, tau uint64) []DepositMatch {
	barred := func(a storage.AddrID) bool { return black[a] || exchange[a] || miners[a] }
	deposits := map[storage.AddrID]bool{}
	for _, f := range transfers {
		if exchange[f.to] && !barred(f.from) {
			deposits[f.from] = true
		}
	}
	latest := map[tokenKey]flow{}
	var out []DepositMatch
	for _, m := range transfers {
		switch {
		case deposits[m.to] && !barred(m.from) && active[m.from]:
			latest[tokenKey{m.to, m.asset, m.amount.String()}] = m
		case deposits[m.from] && exchange[m.to]:
			r, ok := latest[tokenKey{m.from, m.asset, m.amount.String()}]
			if !ok || uint64(m.height-r.height) > tau {
				continue
			}
			gap := uint64(m.height - r.height)
			out = append(out, DepositMatch{User: r.from, Deposit: m.from, Exchange: m.to, In: r, Out: m, Gap: gap,
				Confidence: depositConfidence(new(big.Int), big.NewInt(1), gap, tau)})
		}
	}
	return out
}

// AirdropLink is one claimer of an airdrop forwarding the airdropped
// amount to a collector: Claim is the distributor's transfer to the
// claimer, Forward the claimer's transfer to the collector.
type AirdropLink struct {
	Claimer, Collector storage.AddrID
	Distributor        storage.AddrID
	Claim, Forward     flow
}

// signature names an airdrop: one token, one distributor, one amount.
type signature struct {
	token, distributor storage.AddrID
	amount             string
}

// findAirdrops applies the multiple-airdrop-participation rule (Victor
// 2020, etherclust airdrop.py) to ERC-20 transfers in chain order:
//
//   - an airdrop is a (token, distributor, amount) with at least
//     minRecipients transfers whose median block gap between consecutive
//     transfers is at most maxGap;
//   - E are the transfers of that token of exactly that amount whose
//     receiver is an active EOA (it sent a transaction);
//   - the claimers are the receivers of E-transfers from the
//     distributor; the edges claimer → target of E with target not the
//     distributor are kept for targets that receive from at least
//     minAggregations distinct claimers, and every kept edge links its
//     claimer and target.
//
// The claim paired with a forward is the claimer's latest claim of that
// airdrop before the forward.
func findAirdrops(tokens []flow, active map[storage.AddrID]bool, minRecipients int, maxGap uint64, minAggregations int) []AirdropLink {
	groups := map[signature][]int{}
	for i, t := range tokens {
		s := signature{t.asset, t.from, t.amount.String()}
		groups[s] = append(groups[s], i)
	}
	var sigs []signature
	for s, idx := range groups {
		if len(idx) >= minRecipients && medianGap(tokens, idx) <= maxGap {
			sigs = append(sigs, s)
		}
	}
	slices.SortFunc(sigs, func(a, b signature) int { return groups[a][0] - groups[b][0] })
	var out []AirdropLink
	for _, s := range sigs {
		claims := map[storage.AddrID]flow{} // claimer -> its latest claim so far
		type fwd struct {
			claim, forward flow
		}
		byTarget := map[storage.AddrID][]fwd{}
		var targets []storage.AddrID
		for _, t := range tokens {
			if t.asset != s.token || t.amount.String() != s.amount || !active[t.to] {
				continue
			}
			if t.from == s.distributor {
				claims[t.to] = t
				continue
			}
			c, ok := claims[t.from]
			if !ok || t.to == s.distributor || t.to == t.from {
				continue
			}
			if byTarget[t.to] == nil {
				targets = append(targets, t.to)
			}
			byTarget[t.to] = append(byTarget[t.to], fwd{c, t})
		}
		for _, target := range targets {
			fs := byTarget[target]
			distinct := map[storage.AddrID]bool{}
			for _, f := range fs {
				distinct[f.forward.from] = true
			}
			if len(distinct) < minAggregations {
				continue
			}
			for _, f := range fs {
				out = append(out, AirdropLink{Claimer: f.forward.from, Collector: target, Distributor: s.distributor, Claim: f.claim, Forward: f.forward})
			}
		}
	}
	return out
}

// medianGap returns the median block gap between consecutive transfers
// idx of tokens (in chain order); the lower median for an even count.
func medianGap(tokens []flow, idx []int) uint64 {
	if len(idx) < 2 {
		return ^uint64(0)
	}
	gaps := make([]uint64, 0, len(idx)-1)
	for i := 1; i < len(idx); i++ {
		gaps = append(gaps, uint64(tokens[idx[i]].height-tokens[idx[i-1]].height))
	}
	slices.Sort(gaps)
	return gaps[(len(gaps)-1)/2]
}

// history is what the heuristics read from an Ethereum index, in chain
// order.
type history struct {
	ether  []flow                     // native and internal ether moves
	tokens []flow                     // ERC-20 transfers
	active map[storage.AddrID]bool    // addresses that sent a transaction (EOAs)
	miners map[storage.AddrID]bool    // the blocks' fee recipients
	stats  map[storage.AddrID]*totals // per address, every transfer edge
	tip    storage.Tip
	hasTip bool
	txs    uint64
}

// totals are one address's own counts, summed per cluster when written.
type totals struct {
	recvGwei, sentGwei uint64
	in, out            uint64
	first, last        uint32
}

func (h *history) touch(a storage.AddrID, height uint32) *totals {
	t := h.stats[a]
	if t == nil {
		t = &totals{first: height, last: height}
		h.stats[a] = t
	}
	t.first, t.last = min(t.first, height), max(t.last, height)
	return t
}

// load reads every transaction of db's Ethereum index.
func load(ctx context.Context, db *storage.DB) (*history, error) {
	st, err := db.EthState()
	if err != nil {
		return nil, err
	}
	h := &history{active: map[storage.AddrID]bool{}, miners: map[storage.AddrID]bool{}, stats: map[storage.AddrID]*totals{}}
	if h.tip, h.hasTip, err = db.Tip(ethindex.ChainIndexName); err != nil {
		return nil, err
	}
	lastBlock := int64(-1)
	for n := storage.TxNum(0); n < st.NextTxNum; n++ {
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		tx, err := db.EthTx(n)
		if errors.Is(err, storage.ErrNotFound) {
			continue // below the height the index started at
		}
		if err != nil {
			return nil, err
		}
		if int64(tx.Height) != lastBlock {
			blk, err := db.EthBlock(tx.Height)
			if err != nil {
				return nil, fmt.Errorf("tx %d: %w", n, err)
			}
			h.miners[blk.Miner] = true
			lastBlock = int64(tx.Height)
		}
		if tx.Flags&storage.EthTxSystem == 0 {
			h.active[tx.From] = true
			h.txs++
		}
		if tx.Transfers == 0 {
			continue
		}
		trs, err := db.EthTransfers(n)
		if err != nil {
			return nil, err
		}
		for _, tr := range trs {
			if !tr.Mint {
				t := h.touch(tr.From, tx.Height)
				t.out++
				if tr.Asset == 0 {
					t.sentGwei += gweiOf(tr.Amount)
				}
			}
			if !tr.Sink {
				t := h.touch(tr.To, tx.Height)
				t.in++
				if tr.Asset == 0 {
					t.recvGwei += gweiOf(tr.Amount)
				}
			}
			if tr.Mint || tr.Sink || tr.Amount == nil || tr.Amount.Sign() == 0 {
				continue
			}
			f := flow{tx: n, height: tx.Height, from: tr.From, to: tr.To, asset: tr.Asset, amount: tr.Amount}
			switch chain.Kind(tr.Kind) {
			case chain.KindNative, chain.KindInternal:
				h.ether = append(h.ether, f)
			case chain.KindERC20:
				h.tokens = append(h.tokens, f)
			}
		}
	}
	return h, nil
}
