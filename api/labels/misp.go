package labels

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
)

type mispAttr struct {
	ObjectRelation string `json:"object_relation"`
	Type           string `json:"type"`
	Value          string `json:"value"`
	Deleted        bool   `json:"deleted"`
	Tag            []struct {
		Name string `json:"name"`
	} `json:"Tag"`
}

type mispEvent struct {
	Info   string `json:"info"`
	Date   string `json:"date"`
	Object []struct {
		Name      string     `json:"name"`
		UUID      string     `json:"uuid"`
		Comment   string     `json:"comment"`
		Deleted   bool       `json:"deleted"`
		Attribute []mispAttr `json:"Attribute"`
	} `json:"Object"`
	Attribute []mispAttr `json:"Attribute"`
	Tag       []struct {
		Name string `json:"name"`
	} `json:"Tag"`
}

// mispTags reads spoor:field="value" machine tags.
func mispTags(tags []struct {
	Name string `json:"name"`
}) map[string]string {
	out := map[string]string{}
	for _, t := range tags {
		rest, ok := strings.CutPrefix(t.Name, "spoor:")
		if !ok {
			continue
		}
		k, v, ok := strings.Cut(rest, "=")
		if !ok {
			continue
		}
		out[k] = strings.Trim(v, `"`)
	}
	return out
}

// ParseMISP reads a MISP event (an {"Event":…} document, or a list of them
// under "response" as the REST search returns): every coin-address object
// and every loose btc attribute becomes a label of its address. The label
// fields come from spoor: machine tags on the attribute or the event
// (entity, category, source, confidence, network), as spoor's MISP export
// writes them; an event without them gives the event's info as the
// entity, no category, the file as the source and confidence unknown (5).
func ParseMISP(ctx context.Context, file string, r io.Reader, opts Options) (*Set, error) {
	var doc struct {
		Event    *mispEvent `json:"Event"`
		Response []struct {
			Event *mispEvent `json:"Event"`
		} `json:"response"`
	}
	if err := json.NewDecoder(r).Decode(&doc); err != nil {
		return nil, invalidf("%s: not a MISP event: %w", file, err)
	}
	var events []*mispEvent
	if doc.Event != nil {
		events = append(events, doc.Event)
	}
	for _, x := range doc.Response {
		if x.Event != nil {
			events = append(events, x.Event)
		}
	}
	if len(events) == 0 {
		return nil, invalidf("%s: no MISP Event in the file", file)
	}
	set := &Set{File: file, Format: FormatMISP, Pack: filepath.Base(file)}
	for ei, ev := range events {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		evTags := mispTags(ev.Tag)
		add := func(where string, a mispAttr) error {
			tags := mispTags(a.Tag)
			for k, v := range evTags {
				if _, ok := tags[k]; !ok {
					tags[k] = v
				}
			}
			e, err := mispEntry(file, where, a.Value, tags, ev, &opts)
			if err != nil {
				return set.bad(&opts, err)
			}
			set.Entries = append(set.Entries, e)
			return nil
		}
		for oi, o := range ev.Object {
			if o.Name != "coin-address" || o.Deleted {
				continue
			}
			for _, a := range o.Attribute {
				if a.Deleted || a.ObjectRelation != "address" && a.ObjectRelation != "address-crypto" {
					continue
				}
				if err := add(fmt.Sprintf("event %d object %d (%s)", ei, oi, o.UUID), a); err != nil {
					return nil, err
				}
			}
		}
		for ai, a := range ev.Attribute {
			if a.Type != "btc" || a.Deleted {
				continue
			}
			if err := add(fmt.Sprintf("event %d attribute %d", ei, ai), a); err != nil {
				return nil, err
			}
		}
	}
	return set, nil
}

func mispEntry(file, where, addr string, tags map[string]string, ev *mispEvent, opts *Options) (Entry, error) {
	where = file + ": " + where
	addr = strings.TrimSpace(addr)
	sub, network, err := guessBitcoinAddress(tags["network"], addr)
	if err != nil {
		return Entry{}, invalidf("%s: address %q: %w", where, clip(addr), err)
	}
	l := newLabel(opts)
	sub.apply(&l)
	if l.Entity = tags["entity"]; l.Entity == "" {
		l.Entity = strings.TrimSpace(ev.Info)
	}
	if l.Entity == "" {
		return Entry{}, invalidf("%s: no spoor:entity tag and no event info to take as the entity", where)
	}
	if c := tags["category"]; c != "" {
		if err := checkConcept(c); err != nil {
			return Entry{}, invalidf("%s: spoor:category: %w", where, err)
		}
		l.Category = c
	}
	if l.Source = tags["source"]; l.Source == "" {
		l.Source = filepath.Base(file)
	}
	l.Confidence, l.ConfidenceName = 5, "unknown"
	if s := tags["confidence"]; s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 100 {
			if l.Confidence, l.ConfidenceName, err = parseConfidence(s, true); err != nil {
				return Entry{}, invalidf("%s: spoor:confidence: %w", where, err)
			}
		} else {
			l.Confidence, l.ConfidenceName = uint8(n), ""
		}
	}
	if ev.Date != "" {
		if l.LastMod, err = parseDate(ev.Date); err != nil {
			return Entry{}, invalidf("%s: event date: %w", where, err)
		}
	}
	l.Pack = filepath.Base(file)
	return Entry{Chain: ChainBitcoin, Network: network, Ref: addr, Label: l}, nil
}
