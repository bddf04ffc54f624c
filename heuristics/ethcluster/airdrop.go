package ethcluster

import "slices"

// addTransfer adds a transfer at height to the counts n of a possible
// airdrop (its EthRuleAirdrop row: count, last height, then pairs of block
// gap and times seen, by gap) and returns the new counts; n is not changed.
func addTransfer(n []uint64, height uint32) []uint64 {
	if len(n) < 2 {
		return []uint64{1, uint64(height)}
	}
	out := slices.Clone(n)
	gap := uint64(height) - out[1]
	out[0]++
	out[1] = uint64(height)
	for i := 2; i+1 < len(out); i += 2 {
		switch {
		case out[i] == gap:
			out[i+1]++
			return out
		case out[i] > gap:
			return slices.Insert(out, i, gap, 1)
		}
	}
	return append(out, gap, 1)
}

// qualifies reports whether the counts n of a possible airdrop make it
// one so far: at least minRecipients transfers whose median block gap
// between consecutive transfers (the lower median for an even count) is
// at most maxGap. This is the batch rule of etherclust airdrop.py over the
// transfers up to now.
func qualifies(n []uint64, minRecipients int, maxGap uint64) bool {
	if len(n) < 2 || n[0] < uint64(max(minRecipients, 2)) {
		return false
	}
	mid := (n[0] - 1 - 1) / 2 // index of the lower median among n[0]-1 gaps
	seen := uint64(0)
	for i := 2; i+1 < len(n); i += 2 {
		seen += n[i+1]
		if seen > mid {
			return n[i] <= maxGap
		}
	}
	return false
}
