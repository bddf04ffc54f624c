package storage

import (
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// PutLabel writes a label and its row in the index of its pack. Writing a
// label with the same subject, entity, category and source as a stored
// one replaces it, so re-importing a file never duplicates labels.
//
// PutLabel panics if l.Validate fails: such a label is a programming
// error, and writing it would leave a row no reader can decode. Callers
// that take labels from outside validate them first.
func (b *Batch) PutLabel(l *Label) {
	if err := l.Validate(); err != nil {
		panic(err)
	}
	k := l.Key()
	b.key = k.Encode(b.key[:0])
	b.val = l.EncodeValue(b.val[:0])
	b.set(b.key, b.val)
	b.key = MakeLabelPackKey(l.Pack, k).Encode(b.key[:0])
	b.set(b.key, nil)
}

// DeleteLabelPack removes, in the batch, every committed label whose Pack
// is pack, and the pack's index rows, and returns how many labels it
// removes. A label a later import moved to another pack (same subject,
// entity, category and source) is kept: only the stale index row goes.
// Labels put in the same batch afterwards are kept, so a pack is replaced
// atomically by DeleteLabelPack followed by PutLabel for its new contents.
func (b *Batch) DeleteLabelPack(pack string) (int, error) {
	prefix := labelPackPrefix(pack)
	it, err := b.db.pdb.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixUpperBound(prefix)})
	if err != nil {
		return 0, err
	}
	defer it.Close()
	n := 0
	for it.First(); it.Valid(); it.Next() {
		pk, err := DecodeLabelPackKey(it.Key())
		if err != nil {
			return n, err
		}
		labelKey := pk.Label.Encode(nil)
		v, err := b.db.get(labelKey)
		switch {
		case errors.Is(err, ErrNotFound):
		case err != nil:
			return n, err
		default:
			l, err := DecodeLabel(labelKey, v)
			if err != nil {
				return n, fmt.Errorf("storage: replace label pack %q: %w", pack, err)
			}
			if l.Pack == pack {
				b.del(labelKey)
				n++
			}
		}
		b.del(append([]byte(nil), it.Key()...))
	}
	return n, it.Error()
}
