// Package btcdtest runs real btcd nodes in regtest mode for integration
// tests and provides a deterministic wallet that signs real transactions.
//
// Nodes are started with Start, which binds every listener to 127.0.0.1 on
// freshly picked ports, keeps all state under the test's temporary
// directory, and stops the process when the test ends. The btcd binary is
// found by Binary; scripts/install-nodes.sh installs the pinned version into
// <repo>/.bin. Tests call Require (or Start, which calls it) so that a
// missing binary skips the test locally but fails it when CI=true.
//
// Wallet derives keys from a seed string and can pay to and spend from every
// standard output type: P2PK, P2PKH, P2SH-P2WPKH, P2WPKH, P2WSH, P2TR (key
// path) and bare multisig, plus OP_RETURN data outputs. Every transaction it
// signs is checked with the script engine before it is returned.
package btcdtest
