// Package ethcluster groups Ethereum addresses into clusters (entities)
// with the account-model heuristics of Victor, "Address Clustering
// Heuristics for Ethereum" (FC 2020), and keeps for every merge the
// evidence that caused it:
//
//   - deposit-reuse/1: an address that forwards what it received to a
//     labelled exchange hot wallet, within a block window and an amount
//     tolerance, is a deposit address of that exchange, and every address
//     that paid it is one user of it (the etherclust and Tutela
//     "Algorithm 1", reproduced rule for rule in deposit.go);
//   - deposit-reuse-token/1: the same for ERC-20 transfers forwarded
//     with exactly the amount received (etherclust deposittoken.py);
//   - airdrop/1: addresses that received the same airdrop (one token, one
//     distributor, one amount, many recipients in consecutive blocks) and
//     forwarded that amount to one collector are one participant
//     (etherclust airdrop.py, in airdrop.go).
//
// A clustering is a generation of the cluster tables, maintained block by
// block (index.go): the rules are causal, deciding at block N from blocks
// up to N only, and keep their state (payments waiting for a forward,
// airdrop counts, claims) in the index with an exact undo per block, so
// the indexer connects every block to the active generation in the batch
// that writes the block and disconnects it in a reorganization. The batch
// rules the causal ones follow are kept in batchref_test.go, where the
// tests compare the two. Build opens a new generation beside the active
// one, catches it up from the stored blocks and switches to it in one
// commit, as the Bitcoin clusters are; the Ethereum index is its own
// database, so the tables do not collide.
package ethcluster
