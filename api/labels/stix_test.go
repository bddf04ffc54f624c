package labels

import (
	"context"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/spoorhq/spoor/storage"
)

// TestParseSTIX reads a bundle as another tool writes it: an OR of two
// wallet comparisons, a revoked indicator, a pattern on another object
// type and a non-STIX pattern.
func TestParseSTIX(t *testing.T) {
	const file = "testdata/opencti-bundle.json"
	set, err := ParseSTIX(context.Background(), file, mustOpen(t, file), Options{Now: importTime})
	if err != nil {
		t.Fatal(err)
	}
	base := storage.Label{Entity: "Ransom wallets", Category: "ransomware", Concepts: []string{"extortion"}, Source: "Example CERT",
		Confidence: 85, LastMod: day("2024-05-02") + 10*3600, Pack: "opencti-bundle.json", ImportedAt: importTime.Unix()}
	a, b := base, base
	a.AddrClass, a.AddrPayload = mainnetAddr(t, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa")
	b.AddrClass, b.AddrPayload = mainnetAddr(t, "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy")
	want := []Entry{
		{Chain: "bitcoin", Network: "mainnet", Ref: "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", Label: a},
		{Chain: "bitcoin", Network: "mainnet", Ref: "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", Label: b},
	}
	if !reflect.DeepEqual(set.Entries, want) {
		t.Fatalf("entries\n%+v\nwant\n%+v", set.Entries, want)
	}
	wantSkips := map[string]int{"revoked indicator": 1, "indicator pattern not on cryptocurrency-wallet:value": 1, "pattern_type sigma": 1}
	if !reflect.DeepEqual(set.Skipped, wantSkips) {
		t.Fatalf("skipped %v, want %v", set.Skipped, wantSkips)
	}
	if f, err := DetectFile(file); err != nil || f != FormatSTIX {
		t.Fatalf("detected %q, %v", f, err)
	}
}

func TestParseSTIXErrors(t *testing.T) {
	ind := func(extra string) string {
		return `{"type":"bundle","objects":[{"type":"indicator","id":"indicator--x","name":"N","pattern_type":"stix",` + extra + `}]}`
	}
	tests := []struct {
		name, doc, want string
	}{
		{"truncated", `{"type":"bundle","objects":[`, "not a STIX bundle"},
		{"not a bundle", `{"type":"report"}`, `top-level type is "report"`},
		{"object not an object", `{"type":"bundle","objects":[7]}`, "object 0"},
		{"bad address", ind(`"pattern":"[cryptocurrency-wallet:value = '1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb']"`), "indicator--x: address"},
		{"no name", strings.Replace(ind(`"pattern":"[cryptocurrency-wallet:value = '1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa']"`), `"name":"N"`, `"name":" "`, 1), "no name"},
		{"confidence", ind(`"confidence":-1,"pattern":"[cryptocurrency-wallet:value = '1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa']"`), "outside 0..100"},
		{"modified", ind(`"modified":"yesterday","pattern":"[cryptocurrency-wallet:value = '1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa']"`), "modified"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseSTIX(context.Background(), "x.json", strings.NewReader(tc.doc), Options{})
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "x.json: ") {
				t.Fatalf("got %v, want an invalid-input error naming x.json and %q", err, tc.want)
			}
		})
	}
}

func FuzzParseSTIX(f *testing.F) {
	data, err := os.ReadFile("testdata/opencti-bundle.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(data))
	f.Add(`{"type":"bundle","objects":[{"type":"indicator","name":"x","pattern":"[cryptocurrency-wallet:value = 'a\\'b']"}]}`)
	f.Fuzz(func(t *testing.T, doc string) {
		set, err := ParseSTIX(context.Background(), "f.json", strings.NewReader(doc), Options{SkipInvalid: len(doc)%2 == 0})
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error without ErrInvalid: %v", err)
			}
			return
		}
		for _, e := range set.Entries {
			l := e.Label
			if l.Source == "" || l.Entity == "" || (l.Category != "" && !IsConcept(l.Category)) || l.Confidence > 100 || l.Validate() != nil {
				t.Fatalf("accepted label %+v", l)
			}
		}
	})
}
