// Package bitcoin decodes Bitcoin blocks into the form the indexer stores.
//
// It knows the networks spoor indexes, reads blocks from Bitcoin Core's
// blk*.dat files or from a node's JSON-RPC interface, classifies output
// scripts into address types, and turns a wire.MsgBlock into a Block with
// transaction ids, outpoints and classified outputs. It has no storage code.
package bitcoin
