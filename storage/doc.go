// Package storage keeps one chain's index in an embedded Pebble database.
//
// Every logical table is a key range that starts with a one-byte tag. Keys
// carry fixed-width big-endian numbers (heights, transaction numbers,
// address ids) so that byte order is numeric order and every table can be
// scanned by prefix; values are compact per-transaction or per-block records.
// The full layout, with every field's width, is in docs/format.md; the code
// that writes it is keys.go (keys) and records.go (values).
//
// Writes go through a Batch that holds whole blocks: a block is committed
// with everything it touches, its undo record and the index tips, or not at
// all. Readers see only committed blocks.
package storage
