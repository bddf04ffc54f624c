package trace

import (
	"errors"
	"fmt"

	"github.com/spoorhq/spoor/storage"
)

// Chain is what the engine reads from a Bitcoin index. *storage.DB
// implements it.
type Chain interface {
	Block(h uint32) (storage.BlockRecord, error)
	Tx(n storage.TxNum) (storage.TxRecord, error)
	Inputs(n storage.TxNum) (storage.InputsRecord, error)
	Outputs(n storage.TxNum) (storage.OutputsRecord, error)
	Spender(n storage.TxNum, vout uint32) (storage.Spender, error)
	Postings(id storage.AddrID, after *storage.PostingKey, fn func(storage.Posting) bool) error
}

// Tag is a label as tracing and screening use it: who an address belongs
// to and what kind of entity that is.
type Tag struct {
	Entity     string `json:"entity"`
	Category   string `json:"category"`
	Source     string `json:"source"`
	Confidence uint8  `json:"confidence"`
	// Via is set when the tag is inherited from the address's cluster: it
	// names the clustered address that carries the label, the reason the
	// tag applies here.
	Via string `json:"via,omitempty"`
}

// Labeler returns the tags of an address. Implementations must be safe for
// concurrent use.
type Labeler interface {
	Tags(id storage.AddrID) []Tag
}

// NoLabels is a Labeler that knows no labels.
type NoLabels struct{}

// Tags returns nil.
func (NoLabels) Tags(storage.AddrID) []Tag { return nil }

// MapLabels is a Labeler backed by a map, for labels loaded in memory.
type MapLabels map[storage.AddrID][]Tag

// Tags returns the tags of id.
func (m MapLabels) Tags(id storage.AddrID) []Tag { return m[id] }

// Namer turns an address number into the address's text for results.
type Namer func(id storage.AddrID) (string, error)

// Outpoint names one transaction output by transaction number and index.
type Outpoint struct {
	TxNum storage.TxNum
	Vout  uint32
}

// reader wraps a Chain with the per-walk caches and error context the
// walks need.
type reader struct {
	c      Chain
	times  map[uint32]int64
	txs    map[storage.TxNum]storage.TxRecord
	names  Namer
	nameOf map[storage.AddrID]string
}

func newReader(c Chain, names Namer) *reader {
	return &reader{c: c, names: names, times: map[uint32]int64{}, txs: map[storage.TxNum]storage.TxRecord{}, nameOf: map[storage.AddrID]string{}}
}

func (r *reader) tx(n storage.TxNum) (storage.TxRecord, error) {
	if t, ok := r.txs[n]; ok {
		return t, nil
	}
	t, err := r.c.Tx(n)
	if err != nil {
		return t, fmt.Errorf("trace: transaction %d: %w", n, err)
	}
	r.txs[n] = t
	return t, nil
}

func (r *reader) blockTime(h uint32) (int64, error) {
	if t, ok := r.times[h]; ok {
		return t, nil
	}
	b, err := r.c.Block(h)
	if err != nil {
		return 0, fmt.Errorf("trace: block %d: %w", h, err)
	}
	r.times[h] = int64(b.Time)
	return int64(b.Time), nil
}

// txTime returns the time of the block holding transaction n.
func (r *reader) txTime(n storage.TxNum) (int64, error) {
	t, err := r.tx(n)
	if err != nil {
		return 0, err
	}
	return r.blockTime(t.Height)
}

func (r *reader) outputs(n storage.TxNum) (storage.OutputsRecord, error) {
	o, err := r.c.Outputs(n)
	if err != nil {
		return nil, fmt.Errorf("trace: outputs of transaction %d: %w", n, err)
	}
	return o, nil
}

// inputs returns the inputs of n, none for a coinbase.
func (r *reader) inputs(n storage.TxNum) (storage.InputsRecord, error) {
	in, err := r.c.Inputs(n)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("trace: inputs of transaction %d: %w", n, err)
	}
	return in, nil
}

// spender returns the transaction that spent op, or ok false if it is
// unspent.
func (r *reader) spender(op Outpoint) (storage.Spender, bool, error) {
	s, err := r.c.Spender(op.TxNum, op.Vout)
	if errors.Is(err, storage.ErrNotFound) {
		return s, false, nil
	}
	if err != nil {
		return s, false, fmt.Errorf("trace: spender of %d:%d: %w", op.TxNum, op.Vout, err)
	}
	return s, true, nil
}

func (r *reader) name(id storage.AddrID) (string, error) {
	if id == 0 || r.names == nil {
		return "", nil
	}
	if s, ok := r.nameOf[id]; ok {
		return s, nil
	}
	s, err := r.names(id)
	if err != nil {
		return "", fmt.Errorf("trace: address %d: %w", id, err)
	}
	r.nameOf[id] = s
	return s, nil
}
