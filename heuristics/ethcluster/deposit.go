package ethcluster

import (
	"math"
	"math/big"

	"github.com/spoorhq/spoor/storage"
)

// DepositMatch is one payment into a deposit address matched with the
// deposit address's forward to an exchange: the user paid In, the deposit
// address forwarded Out to Exchange Gap blocks later.
type DepositMatch struct {
	User, Deposit, Exchange storage.AddrID
	In, Out                 flow
	Gap                     uint64
	Confidence              uint8
}

// tenth is 0.1 ether in wei: the deposit rule matches a forward only with
// payments that round to the same tenth of an ether.
var tenth = big.NewInt(1e17)

// roundTenth returns v rounded to the nearest tenth of an ether, in
// tenths (half up), as the key the deposit rule matches on.
func roundTenth(v *big.Int) string {
	q := new(big.Int).Add(v, new(big.Int).Rsh(tenth, 1))
	return q.Quo(q, tenth).String()
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

// depositConfidence is 1 - (½·diff/α + ½·gap/τ) in percent, at least 1.
func depositConfidence(diff, alpha *big.Int, gap, tau uint64) uint8 {
	a := 0.0
	if alpha.Sign() > 0 {
		a, _ = new(big.Rat).SetFrac(diff, alpha).Float64()
	}
	t := float64(gap) / float64(tau)
	c := int(math.Round(100 * (1 - (a/2 + t/2))))
	return uint8(max(1, min(100, c)))
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
