package ethcluster

import (
	"slices"

	"github.com/spoorhq/spoor/storage"
)

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
