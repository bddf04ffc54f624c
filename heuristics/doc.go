// Package heuristics holds the chain-neutral view of a Bitcoin transaction
// that the clustering, CoinJoin and change heuristics read. Each heuristic
// lives in its own sub-package (coinjoin, change, cluster) and is named and
// versioned, so that a result records exactly which rules produced it.
package heuristics
