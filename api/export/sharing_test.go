package export

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spoorhq/spoor/api/labels"
)

// TestUUIDv5KnownAnswer checks the name-based UUID against the example
// of Python's uuid documentation: uuid5(NAMESPACE_DNS, "python.org").
func TestUUIDv5KnownAnswer(t *testing.T) {
	got := UUIDv5(mustUUID("6ba7b810-9dad-11d1-80b4-00c04fd430c8"), "python.org").String()
	if got != "886313e1-3b8a-5372-9b90-0c9aee199e5d" {
		t.Fatalf("got %s", got)
	}
}

// wantLabels returns the flagged (address, entity, category, source,
// confidence) tuples of the fixture trace, straight from the result.
func wantLabels() []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range world.result.Nodes {
		for _, tg := range n.Tags {
			k := strings.Join([]string{n.Address, tg.Entity, tg.Category, tg.Source, strconv.Itoa(int(tg.Confidence))}, "|")
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	sort.Strings(out)
	return out
}

func entryKeys(set *labels.Set) []string {
	var out []string
	for _, e := range set.Entries {
		l := e.Label
		out = append(out, strings.Join([]string{e.Ref, l.Entity, l.Category, l.Source, strconv.Itoa(int(l.Confidence))}, "|"))
	}
	sort.Strings(out)
	return out
}

// TestIndicatorRoundTrip writes the fixture's labelled addresses as STIX
// and MISP and reads them back through the label import: the same labels,
// on the same network, with their sources and confidences.
func TestIndicatorRoundTrip(t *testing.T) {
	want := wantLabels()
	tests := []struct {
		f     Format
		parse func(context.Context, string, *os.File) (*labels.Set, error)
	}{
		{FormatSTIX, func(ctx context.Context, p string, f *os.File) (*labels.Set, error) {
			return labels.ParseSTIX(ctx, p, f, labels.Options{})
		}},
		{FormatMISP, func(ctx context.Context, p string, f *os.File) (*labels.Set, error) {
			return labels.ParseMISP(ctx, p, f, labels.Options{})
		}},
	}
	for _, tc := range tests {
		t.Run(string(tc.f), func(t *testing.T) {
			path := writeFile(t, tc.f, world.graph)
			// Detection by name and content, as spoor labels import does.
			if f, err := labels.DetectFile(path); err != nil || f != labels.Format(tc.f) {
				t.Fatalf("detected %q, %v", f, err)
			}
			fh, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer fh.Close()
			set, err := tc.parse(context.Background(), path, fh)
			if err != nil {
				t.Fatal(err)
			}
			if got := entryKeys(set); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("read back\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			for _, e := range set.Entries {
				if e.Network != world.x.Net.Name {
					t.Fatalf("%s filed under %s, want %s", e.Ref, e.Network, world.x.Net.Name)
				}
			}
		})
	}
}

// TestIndicatorsDeterministic checks that the same graph gives the same
// bytes, ids included, and another graph other ids.
func TestIndicatorsDeterministic(t *testing.T) {
	for _, f := range []Format{FormatSTIX, FormatMISP} {
		var a, b bytes.Buffer
		opts := Options{Now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
		if err := Write(context.Background(), &a, f, world.graph, opts); err != nil {
			t.Fatal(err)
		}
		if err := Write(context.Background(), &b, f, world.graph, opts); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Errorf("%s: two writes differ", f)
		}
	}
}

var stixIDRe = regexp.MustCompile(`^([a-z0-9-]+)--[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
var stixTimeRe = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)

// TestSTIXStructure checks the bundle against the STIX 2.1 rules a
// consumer relies on, read as plain JSON (the OASIS JSON schemas are not
// available offline): ids are type--UUIDv5, the wallet ids follow the SCO
// id rule, required properties are present, timestamps are STIX
// timestamps, and every reference resolves inside the bundle.
func TestSTIXStructure(t *testing.T) {
	var bundle struct {
		Type    string           `json:"type"`
		ID      string           `json:"id"`
		Objects []map[string]any `json:"objects"`
	}
	readJSON(t, writeFile(t, FormatSTIX, world.graph), &bundle)
	if bundle.Type != "bundle" || !stixIDRe.MatchString(bundle.ID) {
		t.Fatalf("bundle %q %q", bundle.Type, bundle.ID)
	}
	ids := map[string]string{}
	for _, o := range bundle.Objects {
		id, _ := o["id"].(string)
		m := stixIDRe.FindStringSubmatch(id)
		if m == nil || m[1] != o["type"] {
			t.Fatalf("object id %q of type %v", id, o["type"])
		}
		if o["spec_version"] != "2.1" {
			t.Fatalf("%s: spec_version %v", id, o["spec_version"])
		}
		if ids[id] != "" {
			t.Fatalf("id %s twice", id)
		}
		ids[id] = m[1]
	}
	counts := map[string]int{}
	for _, o := range bundle.Objects {
		typ := o["type"].(string)
		counts[typ]++
		need := map[string][]string{
			"identity":              {"created", "modified", "name"},
			"cryptocurrency-wallet": {"value", "extensions"},
			"indicator":             {"created", "modified", "pattern", "pattern_type", "valid_from", "confidence"},
			"relationship":          {"created", "modified", "relationship_type", "source_ref", "target_ref"},
			"grouping":              {"created", "modified", "context", "object_refs"},
		}[typ]
		if need == nil {
			t.Fatalf("unexpected object type %s", typ)
		}
		for _, k := range need {
			if _, ok := o[k]; !ok {
				t.Fatalf("%s lacks %s", o["id"], k)
			}
		}
		for _, k := range []string{"created", "modified", "valid_from"} {
			if v, ok := o[k]; ok && !stixTimeRe.MatchString(v.(string)) {
				t.Fatalf("%s: %s %q is not a STIX timestamp", o["id"], k, v)
			}
		}
		for k, v := range o {
			if strings.HasSuffix(k, "_ref") && ids[v.(string)] == "" {
				t.Fatalf("%s: %s %v does not resolve", o["id"], k, v)
			}
			if k == "object_refs" {
				for _, r := range v.([]any) {
					if ids[r.(string)] == "" {
						t.Fatalf("%s: object_ref %v does not resolve", o["id"], r)
					}
				}
			}
		}
		switch typ {
		case "cryptocurrency-wallet":
			if o["id"] != STIXWalletID(o["value"].(string)) {
				t.Fatalf("wallet id %v is not the SCO id of %v", o["id"], o["value"])
			}
			ext := o["extensions"].(map[string]any)[OpenCTIExtension].(map[string]any)
			if ext["extension_type"] != "new-sco" {
				t.Fatalf("extension %v", ext)
			}
		case "indicator":
			if !strings.HasPrefix(o["pattern"].(string), "[cryptocurrency-wallet:value = '") {
				t.Fatalf("pattern %v", o["pattern"])
			}
		case "relationship":
			if ids[o["source_ref"].(string)] != "indicator" || ids[o["target_ref"].(string)] != "cryptocurrency-wallet" {
				t.Fatalf("relationship %v", o)
			}
		}
	}
	flagged := FlaggedAddresses(world.graph)
	if counts["cryptocurrency-wallet"] != len(flagged) || counts["indicator"] != len(wantLabels()) || counts["relationship"] != counts["indicator"] {
		t.Fatalf("counts %v for %d flagged addresses and %d labels", counts, len(flagged), len(wantLabels()))
	}
	if counts["grouping"] == 0 {
		t.Fatal("no cluster grouping")
	}
}

// TestSTIXImportRejectsBadInput checks that malformed bundles are errors
// naming the file.
func TestSTIXImportRejectsBadInput(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"not json", `{"type":`, "not a STIX bundle"},
		{"not a bundle", `{"type":"indicator"}`, "want a STIX bundle"},
		{"bad address", `{"type":"bundle","objects":[{"type":"indicator","id":"indicator--1","name":"x","pattern":"[cryptocurrency-wallet:value = 'nope']","pattern_type":"stix"}]}`, "indicator--1"},
		{"bad confidence", `{"type":"bundle","objects":[{"type":"indicator","id":"indicator--2","name":"x","confidence":200,"pattern":"[cryptocurrency-wallet:value = '1BoatSLRHtKNngkdXEeobR76b53LETtpyT']","pattern_type":"stix"}]}`, "outside 0..100"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "b.json")
			_, err := labels.ParseSTIX(context.Background(), p, strings.NewReader(tc.doc), labels.Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), p) {
				t.Fatalf("got %v, want an error naming %s and %q", err, p, tc.want)
			}
		})
	}
}
