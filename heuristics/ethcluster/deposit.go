package ethcluster

import (
	"math"
	"math/big"
)

// tenth is 0.1 ether in wei: the deposit rule matches a forward only with
// payments that round to the same tenth of an ether.
var tenth = big.NewInt(1e17)

// roundTenth returns v rounded to the nearest tenth of an ether, in
// tenths (half up), as the key the deposit rule matches on.
func roundTenth(v *big.Int) string {
	q := new(big.Int).Add(v, new(big.Int).Rsh(tenth, 1))
	return q.Quo(q, tenth).String()
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
