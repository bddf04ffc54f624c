// Package indexer moves blocks from a source into storage.
//
// The pipeline fetches and decodes blocks in parallel, ahead of the tip,
// and hands them in height order to a single writer. The writer numbers
// transactions and addresses, resolves every input to the output it spends
// (from a cache of recent outputs, falling back to the index), and writes
// each block with its undo record and the tips of every index into one
// batch. Below the finality depth many blocks share a batch and commits do
// not wait for the disk; at the tip every block is its own synced commit.
//
// A restart resumes after the last committed block. When the source's
// chain no longer contains the index's tip, blocks are disconnected one by
// one, newest first, using their undo records, until the chains agree.
package indexer
