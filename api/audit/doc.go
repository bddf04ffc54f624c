// Package audit keeps spoor's append-only, hash-chained audit log: one
// JSON line per query, export or label import, saying who (the API key's
// id and role, never the key), what (the operation, the query text and its
// SHA-256, the variables), when, how much came back and how it ended.
//
// # Chain
//
// Every entry carries the hash of the entry before it (prev; the first
// entry's prev is 64 zeros) and its own hash: the SHA-256, in hex, of the
// entry's canonical JSON encoding with hash set to "". The canonical
// encoding is Go's encoding/json rendering of Entry: fields in declaration
// order, no spaces, variables re-encoded with sorted keys. A line must be
// byte-for-byte its canonical encoding, so editing any byte, inserting,
// removing or reordering lines breaks the chain, and Verify says where.
//
// # Head
//
// Removing entries from the end leaves a valid chain, so the log keeps a
// head file (audit.head, beside audit.log) with the sequence number and
// hash of the last entry known to be on disk; Open writes it before the
// first entry. Verify fails when the log ends before the head, and when
// the log holds entries but the head is gone. Someone able to rewrite both files can still cut
// the tail; against that, copy the head printed by "spoor audit verify"
// somewhere else (a ticket, another machine) and check it later with
// Verify's anchor.
//
// # Durability
//
// With SyncAlways (the default) Append returns only after the entry has
// been written and fsynced; concurrent appends share one fsync (group
// commit), and the head is replaced (write, rename) after each fsync. With
// SyncNone entries are written before Append returns (concurrent appends
// share one write) but left to the operating system to flush, and the head is written when the log is closed: a machine
// crash can then lose the newest entries. A crash in the middle of a write
// leaves a torn last line without a newline; it was never acknowledged,
// and Open cuts it off and reports it in Log.Recovered.
package audit
