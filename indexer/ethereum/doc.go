// Package ethereum keeps an Ethereum index in step with a node. It follows
// the Bitcoin indexer's design: blocks are fetched, decoded into transfer
// edges and given their token metadata by parallel workers, then written in
// height order by one writer; below the finality depth many blocks share a
// batch, near the tip every block is its own synced commit; a
// reorganization is followed by disconnecting blocks with their undo
// records; a restart resumes from the committed tip. Indexes built from
// the chain tables (Index, such as the Ethereum clustering) are connected
// to every block in the batch that writes it, caught up from the stored
// blocks when they lag, and disconnected in the batch that disconnects a
// block.
package ethereum
