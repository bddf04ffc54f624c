package labels

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/spoorhq/spoor/storage"
)

// Entry is one parsed label with the chain and network it belongs to.
type Entry struct {
	Chain   string // ChainBitcoin or ChainEthereum
	Network string // the Bitcoin network, or EthereumNetwork
	// Ref is the address or transaction hash as the source wrote it, for
	// messages.
	Ref   string
	Label storage.Label
}

// ChainName returns the entry's chain as the index stamps it:
// "bitcoin/<network>" or "ethereum".
func (e *Entry) ChainName() string {
	if e.Chain == ChainBitcoin {
		return ChainBitcoin + "/" + e.Network
	}
	return e.Chain
}

// Options says how to parse a label source.
type Options struct {
	// SkipInvalid counts bad rows (malformed or misplaced addresses, bad
	// field values) in Set.Invalid instead of failing on the first.
	SkipInvalid bool
	// Now is stamped on every label as its import time.
	Now time.Time
	// Actors resolves the actor ids of TagPack tags; nil if no ActorPack
	// was given.
	Actors map[string]*Actor
}

// Set is what one label source yields.
type Set struct {
	// File is the source's name as given; Format is the format read.
	File   string
	Format Format
	// Pack is the pack the labels are filed under: the TagPack title,
	// "OFAC SDN", or the CSV file's base name.
	Pack    string
	Entries []Entry
	// Skipped counts entries not imported on purpose, by reason (such as
	// "currency LTC is not indexed").
	Skipped map[string]int
	// Invalid lists the errors of the bad rows skipped under
	// Options.SkipInvalid.
	Invalid []error
}

// skip counts one skipped entry.
func (s *Set) skip(reason string) {
	if s.Skipped == nil {
		s.Skipped = map[string]int{}
	}
	s.Skipped[reason]++
}

// bad handles the error of one bad row: it is returned (ending the parse)
// unless opts.SkipInvalid, in which case it is kept and nil returned.
func (s *Set) bad(opts *Options, err error) error {
	if !opts.SkipInvalid {
		return err
	}
	s.Invalid = append(s.Invalid, err)
	return nil
}

// SkipReasons returns the skip reasons with their counts, sorted by
// reason, as "reason: n" strings.
func SkipReasons(m map[string]int) []string {
	var out []string
	for r, n := range m {
		out = append(out, fmt.Sprintf("%s: %d", r, n))
	}
	sort.Strings(out)
	return out
}

// newLabel returns a label with the import time set; its subject is set
// by Subject.apply.
func newLabel(opts *Options) storage.Label {
	var l storage.Label
	if !opts.Now.IsZero() {
		l.ImportedAt = opts.Now.Unix()
	}
	return l
}

// apply makes sub the subject of l.
func (sub Subject) apply(l *storage.Label) {
	if sub.IsTx {
		l.Subject, l.Txid, l.AddrClass, l.AddrPayload = storage.SubjectTx, sub.Txid, 0, nil
		return
	}
	l.Subject, l.AddrClass, l.AddrPayload, l.Txid = storage.SubjectAddress, sub.Class, sub.Payload, [32]byte{}
}

// parseDate reads a label date: YYYY-MM-DD, or an RFC 3339 time, or
// "YYYY-MM-DD hh:mm:ss" (UTC).
func parseDate(s string) (int64, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02", time.RFC3339Nano, "2006-01-02 15:04:05", "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Unix(), nil
		}
	}
	return 0, fmt.Errorf("date %q is not YYYY-MM-DD or an RFC 3339 time", s)
}

// addConcept appends c to list unless it is already there or is main.
func addConcept(list []string, main, c string) []string {
	if c == "" || c == main {
		return list
	}
	for _, x := range list {
		if x == c {
			return list
		}
	}
	return append(list, c)
}
