// Package cluster groups Bitcoin addresses into clusters (wallets) with
// named, versioned heuristics and keeps, for every merge, the evidence that
// caused it: the transaction, the rule and a confidence.
//
// The clustering is a union-find over address numbers. It is kept in two
// ways that give the same result:
//
//   - Index, an indexer.Index maintained block by block in the same batch
//     as the block, with an undo record per block so that a reorganization
//     undoes exactly the merges its blocks made;
//   - Build, an in-memory union-find over the committed history, written
//     out at the end, for building a clustering of a long chain quickly.
//
// Both apply the rules of a Set in the same order, and both name a cluster
// after the root the union-by-size rule picks, so the tables they write are
// equal. Clusterings live in numbered generations; a new heuristic set is
// built as a new generation beside the active one and switched to in one
// commit.
package cluster
