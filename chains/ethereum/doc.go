// Package ethereum reads Ethereum blocks from a node's JSON-RPC interface
// and decodes them into transfer edges: one edge per move of value, native
// ether (top-level and internal calls, contract creation, self-destruct),
// ERC-20, ERC-721 and ERC-1155 tokens, wrapped ether, gas fees (a sink),
// the burnt base fee and beacon withdrawals (mints). It holds no storage
// code; the indexer numbers and stores what it returns.
package ethereum
