// Package sim generates a synthetic Bitcoin regtest chain for tests and
// benchmarks of the indexer.
//
// Generate writes Bitcoin Core style block files (blk00000.dat, ...) whose
// blocks are fully consensus-valid on regtest: real proof of work against the
// regtest target, BIP34 heights, correct subsidies and fees, coinbase
// maturity, segwit witness commitments and real ECDSA and Schnorr signatures.
// btcd's own validation code accepts every block (see sim_test.go).
//
// The economy is a population of entities (ordinary wallets, miners,
// exchanges with deposit, hot, change and cold addresses, see exchange.go,
// merchants and payment processors, see commerce.go, an instant exchanger,
// see service.go, and CoinJoin coordinators whose Whirlpool, Wasabi 1 and 2
// and JoinMarket rounds some wallets join, see coinjoin.go) whose behaviour
// is drawn from a seed. Each block, every actor plans its transactions from a single seeded PRNG; signing then runs in parallel and
// cannot change the result, so the same options always produce the same
// bytes. Next to the block files, truth.jsonl names the owner of every address
// used, lists every CoinJoin transaction and every planted scenario instance
// (scenarios.go) and decoy (decoys.go, commerce.go, exchange.go) with its
// transactions and role-labelled addresses, which is the ground truth for
// clustering, tracing and detector tests; labels.csv holds what public
// sources would say (labels.go). docs/truth.md documents both files and
// the World configuration (world.go).
//
// New behaviours are added as further actors: an actor plans transactions
// against the shared ledger through a blockBuilder and the generator does
// the rest.
package sim
