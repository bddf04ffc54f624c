package export

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// MISPCoinAddressTemplate is the uuid of the MISP object template
// coin-address (misp-objects, objects/coin-address/definition.json).
const MISPCoinAddressTemplate = "d0e6997e-78da-4815-a6a1-cfc1c1cb8a46"

// MISPTagPrefix is the namespace of the machine tags carrying a label's
// fields on a coin-address attribute: spoor:entity="…", spoor:category=
// "…", spoor:source="…", spoor:confidence="…" and spoor:cluster="…".
const MISPTagPrefix = "spoor:"

// MISPTag returns the machine tag of one label field.
func MISPTag(field, value string) string {
	return MISPTagPrefix + field + "=" + `"` + strings.ReplaceAll(value, `"`, `'`) + `"`
}

type mispTag struct {
	Name string `json:"name"`
}

type mispAttribute struct {
	UUID           string    `json:"uuid"`
	ObjectRelation string    `json:"object_relation"`
	Type           string    `json:"type"`
	Category       string    `json:"category"`
	Value          string    `json:"value"`
	ToIDS          bool      `json:"to_ids"`
	Tag            []mispTag `json:"Tag,omitempty"`
}

type mispObject struct {
	Name         string          `json:"name"`
	MetaCategory string          `json:"meta-category"`
	Description  string          `json:"description"`
	TemplateUUID string          `json:"template_uuid"`
	UUID         string          `json:"uuid"`
	Comment      string          `json:"comment"`
	Attribute    []mispAttribute `json:"Attribute"`
}

type mispEvent struct {
	UUID          string       `json:"uuid"`
	Info          string       `json:"info"`
	Date          string       `json:"date"`
	Timestamp     string       `json:"timestamp"`
	ThreatLevelID string       `json:"threat_level_id"`
	Analysis      string       `json:"analysis"`
	Distribution  string       `json:"distribution"`
	Published     bool         `json:"published"`
	Orgc          mispOrg      `json:"Orgc"`
	Object        []mispObject `json:"Object"`
}

type mispOrg struct {
	Name string `json:"name"`
}

// writeMISP writes a MISP event (the JSON MISP's event import reads) with
// one coin-address object per label of each labelled address: its address
// attribute (type btc) carries the label as spoor: machine tags, the
// symbol attribute says BTC, and first-seen the first flow the trace saw.
// Distribution is 0 (your organisation only) until the sharer widens it.
func writeMISP(ctx context.Context, w io.Writer, g *Graph, opts Options) error {
	flagged := FlaggedAddresses(g)
	ns := SpoorNamespace()
	var addrs []string
	for _, f := range flagged {
		addrs = append(addrs, f.Address)
	}
	now := opts.now()
	ev := mispEvent{UUID: UUIDv5(ns, "misp-event|"+g.Title+"|"+strings.Join(addrs, ",")).String(),
		Info: fmt.Sprintf("%s: %d labelled %s addresses", g.Title, len(flagged), Asset), Date: now.Format("2006-01-02"),
		Timestamp: fmt.Sprint(now.Unix()), ThreatLevelID: "4", Analysis: "2", Distribution: "0", Orgc: mispOrg{Name: opts.producer()},
		Object: []mispObject{}}
	err := every(ctx, len(flagged), func(i int) error {
		f := &flagged[i]
		for _, t := range f.Labels {
			key := strings.Join([]string{f.Address, t.Entity, t.Category, t.Source, fmt.Sprint(t.Confidence)}, "|")
			tags := []mispTag{{MISPTag("entity", t.Entity)}, {MISPTag("category", t.Category)},
				{MISPTag("source", t.Source)}, {MISPTag("confidence", fmt.Sprint(t.Confidence))}}
			if g.Network != "" {
				tags = append(tags, mispTag{MISPTag("network", g.Network)})
			}
			if f.HasCluster {
				tags = append(tags, mispTag{MISPTag("cluster", fmt.Sprint(f.Cluster))})
			}
			obj := mispObject{Name: "coin-address", MetaCategory: "financial", Description: "An address used in a cryptocurrency",
				TemplateUUID: MISPCoinAddressTemplate, UUID: UUIDv5(ns, "misp-object|"+key).String(),
				Comment: fmt.Sprintf("%s (%s), per %s, confidence %d", t.Entity, t.Category, t.Source, t.Confidence),
				Attribute: []mispAttribute{
					{UUID: UUIDv5(ns, "misp-address|"+key).String(), ObjectRelation: "address", Type: "btc", Category: "Financial fraud", Value: f.Address, ToIDS: true, Tag: tags},
					{UUID: UUIDv5(ns, "misp-symbol|"+key).String(), ObjectRelation: "symbol", Type: "text", Category: "Other", Value: Asset},
				}}
			if f.Start > 0 {
				obj.Attribute = append(obj.Attribute, mispAttribute{UUID: UUIDv5(ns, "misp-first-seen|"+key).String(), ObjectRelation: "first-seen",
					Type: "datetime", Category: "Other", Value: time.Unix(f.Start, 0).UTC().Format(time.RFC3339)})
			}
			ev.Object = append(ev.Object, obj)
		}
		return nil
	})
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(map[string]any{"Event": ev})
}
