package ethcluster

import (
	"math/big"

	"github.com/spoorhq/spoor/storage"
)

// flow is one value move of the index, as the heuristics read it.
type flow struct {
	tx       storage.TxNum
	height   uint32
	from, to storage.AddrID
	asset    storage.AddrID // 0 for ether
	amount   *big.Int
}

var gwei = big.NewInt(1e9)

// gweiOf returns v wei in gwei, saturated at the largest uint64.
func gweiOf(v *big.Int) uint64 {
	g := new(big.Int).Quo(v, gwei)
	if !g.IsUint64() {
		return ^uint64(0)
	}
	return g.Uint64()
}
