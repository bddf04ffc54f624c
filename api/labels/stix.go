package labels

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strings"
)

// stixWalletPattern matches the comparisons of a STIX pattern on a
// cryptocurrency wallet's value.
var stixWalletPattern = regexp.MustCompile(`cryptocurrency-wallet:value\s*=\s*'((?:[^'\\]|\\.)*)'`)

// stixObject holds the fields of a STIX object the import reads.
type stixObject struct {
	Type        string `json:"type"`
	ID          string `json:"id"`
	Name        string `json:"name"`
	Pattern     string `json:"pattern"`
	PatternType string `json:"pattern_type"`
	Confidence  *int   `json:"confidence"`
	Labels      []string
	Created     string `json:"created"`
	Modified    string `json:"modified"`
	Revoked     bool   `json:"revoked"`
	ExtRefs     []struct {
		SourceName string `json:"source_name"`
		URL        string `json:"url"`
	} `json:"external_references"`
	CreatedBy string `json:"created_by_ref"`
	Network   string `json:"x_spoor_network"`
}

// ParseSTIX reads a STIX 2.1 bundle: every indicator whose pattern
// compares cryptocurrency-wallet:value with a Bitcoin address becomes a
// label of that address, with the indicator's name as the entity, its
// first label that is a concept id as the category (the others as
// concepts), its confidence (STIX 0-100; unknown (5) if absent), its first
// external reference as the source (else the creating identity's name,
// else the file), and its modified time as the label's date. Revoked
// indicators are skipped. Wallet objects without an indicator say nothing
// about who holds the address and are not imported.
func ParseSTIX(ctx context.Context, file string, r io.Reader, opts Options) (*Set, error) {
	var bundle struct {
		Type    string            `json:"type"`
		Objects []json.RawMessage `json:"objects"`
	}
	if err := json.NewDecoder(r).Decode(&bundle); err != nil {
		return nil, invalidf("%s: not a STIX bundle: %w", file, err)
	}
	if bundle.Type != "bundle" {
		return nil, invalidf("%s: top-level type is %q, want a STIX bundle", file, bundle.Type)
	}
	objs := make([]stixObject, len(bundle.Objects))
	names := map[string]string{}
	for i, raw := range bundle.Objects {
		if err := json.Unmarshal(raw, &objs[i]); err != nil {
			return nil, invalidf("%s: object %d: %w", file, i, err)
		}
		if objs[i].Type == "identity" {
			names[objs[i].ID] = objs[i].Name
		}
	}
	set := &Set{File: file, Format: FormatSTIX, Pack: filepath.Base(file)}
	for i, o := range objs {
		if i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		if o.Type != "indicator" {
			continue
		}
		if o.Revoked {
			set.skip("revoked indicator")
			continue
		}
		if o.PatternType != "" && o.PatternType != "stix" {
			set.skip("pattern_type " + o.PatternType)
			continue
		}
		m := stixWalletPattern.FindAllStringSubmatch(o.Pattern, -1)
		if len(m) == 0 {
			set.skip("indicator pattern not on cryptocurrency-wallet:value")
			continue
		}
		for _, mm := range m {
			addr := strings.NewReplacer(`\'`, `'`, `\\`, `\`).Replace(mm[1])
			e, err := stixEntry(file, o, addr, names, &opts)
			if err != nil {
				if err := set.bad(&opts, err); err != nil {
					return nil, err
				}
				continue
			}
			set.Entries = append(set.Entries, e)
		}
	}
	return set, nil
}

func stixEntry(file string, o stixObject, addr string, names map[string]string, opts *Options) (Entry, error) {
	where := fmt.Sprintf("%s: indicator %s", file, o.ID)
	sub, network, err := guessBitcoinAddress(o.Network, addr)
	if err != nil {
		return Entry{}, invalidf("%s: address %q: %w", where, clip(addr), err)
	}
	l := newLabel(opts)
	sub.apply(&l)
	if l.Entity = strings.TrimSpace(o.Name); l.Entity == "" {
		return Entry{}, invalidf("%s: no name to take as the entity", where)
	}
	for _, c := range o.Labels {
		c = strings.TrimSpace(c)
		if !IsConcept(c) {
			continue
		}
		if l.Category == "" {
			l.Category = c
		} else {
			l.Concepts = addConcept(l.Concepts, l.Category, c)
		}
	}
	for _, ref := range o.ExtRefs {
		if l.Source = ref.URL; l.Source == "" {
			l.Source = ref.SourceName
		}
		if l.Source != "" {
			break
		}
	}
	if l.Source == "" {
		l.Source = names[o.CreatedBy]
	}
	if l.Source == "" {
		l.Source = filepath.Base(file)
	}
	l.Confidence, l.ConfidenceName = 5, "unknown"
	if o.Confidence != nil {
		if *o.Confidence < 0 || *o.Confidence > 100 {
			return Entry{}, invalidf("%s: confidence %d is outside 0..100", where, *o.Confidence)
		}
		l.Confidence, l.ConfidenceName = uint8(*o.Confidence), ""
	}
	if o.Modified != "" {
		if l.LastMod, err = parseDate(o.Modified); err != nil {
			return Entry{}, invalidf("%s: modified: %w", where, err)
		}
	}
	l.Pack = filepath.Base(file)
	return Entry{Chain: ChainBitcoin, Network: network, Ref: addr, Label: l}, nil
}

// errNotJSONLabels is what jsonKind returns for other JSON.
var errNotJSONLabels = errors.New("neither a STIX bundle nor a MISP event")

var (
	stixBundleRe = regexp.MustCompile(`"type"\s*:\s*"bundle"`)
	mispEventRe  = regexp.MustCompile(`"(Event|response)"\s*:`)
)

// jsonKind tells a STIX bundle from a MISP event by the start of the
// file: a top-level "type":"bundle" or an "Event" (or "response") key.
func jsonKind(head []byte) (Format, error) {
	s := string(head)
	switch {
	case stixBundleRe.MatchString(s):
		return FormatSTIX, nil
	case mispEventRe.MatchString(s):
		return FormatMISP, nil
	}
	return "", errNotJSONLabels
}
