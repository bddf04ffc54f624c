package labels

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"
)

// csvRequired are the columns every label CSV has, in this order.
func csvRequired() []string {
	return []string{"address", "chain", "entity", "category", "source", "confidence"}
}

// csvOptional are the columns a label CSV may add after the required ones,
// in any order.
func csvOptional() map[string]bool {
	return map[string]bool{"concepts": true, "date": true, "cluster_definer": true}
}

// ParseCSV reads labels from CSV. The header is address, chain, entity,
// category, source, confidence, optionally followed by concepts
// (semicolon-separated concept ids), date (YYYY-MM-DD or RFC 3339) and
// cluster_definer (true or false). chain is bitcoin (mainnet),
// bitcoin-<network> or ethereum; confidence a number from 0 to 100 or a
// TagPack level name. Errors name the file, line and column. The labels
// are filed under the file's base name as their pack.
func ParseCSV(ctx context.Context, file string, r io.Reader, opts Options) (*Set, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		if err == io.EOF {
			return nil, invalidf("%s: empty file (want the header %s)", file, strings.Join(csvRequired(), ","))
		}
		return nil, invalidf("%s: %w", file, err)
	}
	cols := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if i < len(csvRequired()) {
			if h != csvRequired()[i] {
				return nil, invalidf("%s:1:%d: header column %d is %q, want %q (the header starts %s)",
					file, i+1, i+1, h, csvRequired()[i], strings.Join(csvRequired(), ","))
			}
		} else if !csvOptional()[h] {
			return nil, invalidf("%s:1:%d: unknown column %q (optional columns: concepts, date, cluster_definer)", file, i+1, h)
		}
		if _, dup := cols[h]; dup {
			return nil, invalidf("%s:1:%d: column %q given twice", file, i+1, h)
		}
		cols[h] = i
	}
	if len(header) < len(csvRequired()) {
		return nil, invalidf("%s:1: the header has %d columns, want at least %s", file, len(header), strings.Join(csvRequired(), ","))
	}
	set := &Set{File: file, Format: FormatCSV, Pack: filepath.Base(file)}
	for n := 0; ; n++ {
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && pe.Err == csv.ErrFieldCount {
				if err := set.bad(&opts, invalidf("%s:%d: %d columns, the header has %d", file, pe.StartLine, len(rec), len(header))); err != nil {
					return nil, err
				}
				continue
			}
			return nil, invalidf("%s: %w", file, err)
		}
		if e, err := csvRow(file, cr, cols, rec, &opts); err != nil {
			if err := set.bad(&opts, err); err != nil {
				return nil, err
			}
		} else {
			set.Entries = append(set.Entries, e)
		}
	}
	return set, nil
}

// csvRow reads one data row.
func csvRow(file string, cr *csv.Reader, cols map[string]int, rec []string, opts *Options) (Entry, error) {
	cell := func(name string) string {
		if i, ok := cols[name]; ok {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	cellErr := func(name string, err error) error {
		line, col := cr.FieldPos(cols[name])
		return invalidf("%s:%d:%d: %s: %w", file, line, col, name, err)
	}
	for name, i := range cols {
		if !utf8.ValidString(rec[i]) {
			return Entry{}, cellErr(name, errors.New("not valid UTF-8"))
		}
	}
	chain, network, err := ParseChain(cell("chain"))
	if err != nil {
		return Entry{}, cellErr("chain", err)
	}
	addr := cell("address")
	if addr == "" {
		return Entry{}, cellErr("address", errors.New("empty"))
	}
	sub, err := ParseAddress(chain, network, addr)
	if err != nil {
		return Entry{}, cellErr("address", err)
	}
	l := newLabel(opts)
	sub.apply(&l)
	for _, c := range []struct {
		name string
		dst  *string
	}{{"entity", &l.Entity}, {"category", &l.Category}, {"source", &l.Source}} {
		if *c.dst = cell(c.name); *c.dst == "" {
			return Entry{}, cellErr(c.name, errors.New("empty"))
		}
	}
	if err := checkConcept(l.Category); err != nil {
		return Entry{}, cellErr("category", err)
	}
	if l.Confidence, l.ConfidenceName, err = parseConfidence(cell("confidence"), true); err != nil {
		return Entry{}, cellErr("confidence", err)
	}
	if s := cell("concepts"); s != "" {
		for _, c := range strings.Split(s, ";") {
			c = strings.TrimSpace(c)
			if c == "" {
				continue
			}
			if err := checkConcept(c); err != nil {
				return Entry{}, cellErr("concepts", err)
			}
			l.Concepts = addConcept(l.Concepts, l.Category, c)
		}
	}
	if s := cell("date"); s != "" {
		if l.LastMod, err = parseDate(s); err != nil {
			return Entry{}, cellErr("date", err)
		}
	}
	if s := cell("cluster_definer"); s != "" {
		if l.ClusterDefiner, err = strconv.ParseBool(s); err != nil {
			return Entry{}, cellErr("cluster_definer", fmt.Errorf("%q is not true or false", s))
		}
	}
	l.Pack = filepath.Base(file)
	return Entry{Chain: chain, Network: network, Ref: addr, Label: l}, nil
}
