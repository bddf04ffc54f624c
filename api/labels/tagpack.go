package labels

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// tagFieldNames are the fields a TagPack tag may carry; each may also be
// given in the header, from where every tag inherits it.
func tagFieldNames() map[string]bool {
	return map[string]bool{
		"label": true, "source": true, "currency": true, "network": true, "confidence": true,
		"address": true, "tx_hash": true, "actor": true, "category": true, "abuse": true,
		"concepts": true, "tag_type": true, "context": true, "is_cluster_definer": true, "lastmod": true,
		// Older packs date tags with created; it stands in for lastmod.
		"created": true,
	}
}

// headerOnlyFields are the TagPack header fields that are not tag fields.
func headerOnlyFields() map[string]bool {
	return map[string]bool{"title": true, "creator": true, "description": true, "owner": true, "is_public": true, "tags": true}
}

// tagTypes are the values of a tag's tag_type.
func tagTypes() map[string]bool {
	return map[string]bool{"actor": true, "event": true, "attribute": true, "mention": true}
}

// chainOf maps a TagPack currency and network (upper case) to the chain
// spoor indexes them on, or returns false.
func chainOf(currency, network string) (chain, net string, ok bool) {
	switch network {
	case "BTC":
		if currency == "BTC" {
			return ChainBitcoin, "mainnet", true
		}
	case "ETH":
		// Ether and every token on Ethereum (USDT, USDC, …) live at
		// Ethereum addresses.
		return ChainEthereum, EthereumNetwork, true
	}
	return "", "", false
}

// ParseTagPack reads a GraphSense TagPack. Header fields other than title,
// creator, description, owner, is_public and tags are inherited by every
// tag (a tag's own value wins). Every tag must end up with label, source,
// currency and confidence, and with exactly one of address and tx_hash.
// Tags of currencies spoor does not index are counted in Set.Skipped.
// Errors name the file, the tag's index in tags (from 0), its line and the
// field.
func ParseTagPack(ctx context.Context, file string, r io.Reader, opts Options) (*Set, error) {
	root, err := readYAMLMapping(file, r)
	if err != nil {
		return nil, err
	}
	fields, err := mappingFields(root)
	if err != nil {
		return nil, invalidf("%s: header: %w", file, err)
	}
	set := &Set{File: file, Format: FormatTagPack}
	inherited := map[string]*yaml.Node{}
	var tags *yaml.Node
	var creator string
	for _, f := range fields {
		hdrErr := func(err error) error {
			return invalidf("%s: header (line %d): %s: %w", file, f.value.Line, f.key, err)
		}
		switch {
		case f.key == "title":
			if set.Pack, err = nonEmptyStr(f.value); err != nil {
				return nil, hdrErr(err)
			}
		case f.key == "creator":
			if creator, err = nonEmptyStr(f.value); err != nil {
				return nil, hdrErr(err)
			}
		case f.key == "tags":
			if f.value.Kind != yaml.SequenceNode {
				return nil, hdrErr(fmt.Errorf("want a list of tags, found %s", kindName(f.value)))
			}
			tags = f.value
		case f.key == "is_public":
			if _, err := boolValue(f.value); err != nil {
				return nil, hdrErr(err)
			}
		case headerOnlyFields()[f.key]:
		case tagFieldNames()[f.key]:
			inherited[f.key] = f.value
		default:
			if f.key == "actors" {
				return nil, hdrErr(errors.New("this is an ActorPack, not a TagPack (use --format actorpack)"))
			}
			return nil, hdrErr(errors.New("unknown field (not a TagPack header or tag field)"))
		}
	}
	for _, missing := range []struct {
		name string
		ok   bool
	}{{"title", set.Pack != ""}, {"creator", creator != ""}, {"tags", tags != nil}} {
		if !missing.ok {
			return nil, invalidf("%s: header: mandatory field %s is missing", file, missing.name)
		}
	}
	for i, tn := range tags.Content {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		if err := parseTag(set, &opts, i, tn, inherited); err != nil {
			if err := set.bad(&opts, err); err != nil {
				return nil, err
			}
		}
	}
	return set, nil
}

// parseTag reads tag i and adds its entry (or counts it as skipped).
func parseTag(set *Set, opts *Options, i int, tn *yaml.Node, inherited map[string]*yaml.Node) error {
	where := fmt.Sprintf("%s: tags[%d] (line %d)", set.File, i, tn.Line)
	own, err := mappingFields(tn)
	if err != nil {
		return invalidf("%s: %w", where, err)
	}
	vals := make(map[string]*yaml.Node, len(inherited)+len(own))
	for k, v := range inherited {
		vals[k] = v
	}
	for _, f := range own {
		if !tagFieldNames()[f.key] {
			names := make([]string, 0, len(tagFieldNames()))
			for n := range tagFieldNames() {
				names = append(names, n)
			}
			sort.Strings(names)
			return invalidf("%s: %s: unknown tag field (known: %s)", where, f.key, strings.Join(names, ", "))
		}
		vals[f.key] = f.value
	}
	for k, v := range vals {
		if isNull(v) {
			delete(vals, k)
		}
	}
	fieldErr := func(name string, err error) error {
		line := tn.Line
		if v := vals[name]; v != nil {
			line = v.Line
		}
		return invalidf("%s: tags[%d] (line %d): %s: %w", set.File, i, line, name, err)
	}
	str := func(name string) (string, error) {
		v := vals[name]
		if v == nil {
			return "", nil
		}
		s, err := nonEmptyStr(v)
		if err != nil {
			return "", fieldErr(name, err)
		}
		return s, nil
	}
	get := map[string]string{}
	for _, name := range []string{"label", "source", "currency", "network", "confidence", "address", "tx_hash", "actor", "category", "abuse", "tag_type", "lastmod", "created"} {
		if get[name], err = str(name); err != nil {
			return err
		}
	}
	for _, name := range []string{"label", "source", "currency", "confidence"} {
		if get[name] == "" {
			return invalidf("%s: mandatory field %s is missing", where, name)
		}
	}
	switch {
	case get["address"] == "" && get["tx_hash"] == "":
		return invalidf("%s: the tag has neither address nor tx_hash", where)
	case get["address"] != "" && get["tx_hash"] != "":
		return invalidf("%s: the tag has both address and tx_hash; give one", where)
	}

	l := newLabel(opts)
	l.Entity, l.Source, l.Pack = get["label"], get["source"], set.Pack
	if l.Confidence, l.ConfidenceName, err = parseConfidence(get["confidence"], false); err != nil {
		return fieldErr("confidence", err)
	}
	if t := get["tag_type"]; t != "" && !tagTypes()[t] {
		return fieldErr("tag_type", fmt.Errorf("unknown tag type %q (want actor, event, attribute or mention)", t))
	}
	for _, name := range []string{"created", "lastmod"} {
		if d := get[name]; d != "" {
			if l.LastMod, err = parseDate(d); err != nil {
				return fieldErr(name, err)
			}
		}
	}
	if v := vals["is_cluster_definer"]; v != nil {
		if l.ClusterDefiner, err = boolValue(v); err != nil {
			return fieldErr("is_cluster_definer", err)
		}
	}
	var concepts []string
	if v := vals["concepts"]; v != nil {
		if concepts, err = strList(v); err != nil {
			return fieldErr("concepts", err)
		}
	}
	for _, name := range []string{"category", "abuse"} {
		if c := get[name]; c != "" {
			if err := checkConcept(c); err != nil {
				return fieldErr(name, err)
			}
		}
	}
	for _, c := range concepts {
		if err := checkConcept(c); err != nil {
			return fieldErr("concepts", err)
		}
	}
	l.Category = get["category"]
	for _, c := range append([]string{get["abuse"]}, concepts...) {
		if c == "" {
			continue
		}
		if l.Category == "" {
			l.Category = c
			continue
		}
		l.Concepts = addConcept(l.Concepts, l.Category, c)
	}
	if id := get["actor"]; id != "" {
		l.Actor = id
		if a := opts.Actors[id]; a != nil {
			l.TagLabel, l.Entity = l.Entity, a.Label
			for _, c := range a.Categories {
				if l.Category == "" {
					l.Category = c
					continue
				}
				l.Concepts = addConcept(l.Concepts, l.Category, c)
			}
			l.Jurisdictions = append([]string(nil), a.Jurisdictions...)
		}
	}

	currency := strings.ToUpper(get["currency"])
	network := strings.ToUpper(get["network"])
	if network == "" {
		network = currency
	}
	chain, net, ok := chainOf(currency, network)
	if !ok {
		if currency == network {
			set.skip(fmt.Sprintf("currency %s is not indexed", currency))
		} else {
			set.skip(fmt.Sprintf("currency %s on network %s is not indexed", currency, network))
		}
		return nil
	}
	ref := get["address"]
	var sub Subject
	if ref != "" {
		sub, err = ParseAddress(chain, net, ref)
		if err != nil {
			return fieldErr("address", err)
		}
	} else {
		ref = get["tx_hash"]
		if sub, err = ParseTxHash(chain, ref); err != nil {
			return fieldErr("tx_hash", err)
		}
	}
	sub.apply(&l)
	set.Entries = append(set.Entries, Entry{Chain: chain, Network: net, Ref: ref, Label: l})
	return nil
}
