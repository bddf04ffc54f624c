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

// TestParseMISP reads an event as MISP exports it: a coin-address object
// with spoor: tags, a deleted one, another object type, a loose btc
// attribute without tags, and an event-level category tag.
func TestParseMISP(t *testing.T) {
	const file = "testdata/misp-event.json"
	set, err := ParseMISP(context.Background(), file, mustOpen(t, file), Options{Now: importTime})
	if err != nil {
		t.Fatal(err)
	}
	tagged := storage.Label{Entity: "Example Locker", Category: "ransomware", Source: "https://example.org/advisory", Confidence: 60,
		ConfidenceName: "authority_data", LastMod: day("2024-03-05"), Pack: "misp-event.json", ImportedAt: importTime.Unix()}
	tagged.AddrClass, tagged.AddrPayload = mainnetAddr(t, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa")
	loose := storage.Label{Entity: "Ransomware payment addresses", Category: "ransomware", Source: "misp-event.json", Confidence: 5,
		ConfidenceName: "unknown", LastMod: day("2024-03-05"), Pack: "misp-event.json", ImportedAt: importTime.Unix()}
	loose.AddrClass, loose.AddrPayload = mainnetAddr(t, "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy")
	want := []Entry{
		{Chain: "bitcoin", Network: "mainnet", Ref: "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", Label: tagged},
		{Chain: "bitcoin", Network: "mainnet", Ref: "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", Label: loose},
	}
	if !reflect.DeepEqual(set.Entries, want) {
		t.Fatalf("entries\n%+v\nwant\n%+v", set.Entries, want)
	}
	if f, err := DetectFile(file); err != nil || f != FormatMISP {
		t.Fatalf("detected %q, %v", f, err)
	}
}

func TestParseMISPErrors(t *testing.T) {
	ev := func(tags string) string {
		return `{"Event":{"info":"I","Attribute":[{"type":"btc","value":"1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa","Tag":[` + tags + `]}]}}`
	}
	tests := []struct {
		name, doc, want string
	}{
		{"truncated", `{"Event":{`, "not a MISP event"},
		{"no event", `{"Other":1}`, "no MISP Event"},
		{"bad address", `{"Event":{"info":"I","Attribute":[{"type":"btc","value":"nope"}]}}`, `address "nope"`},
		{"unknown category", ev(`{"name":"spoor:category=\"shopping\""}`), "spoor:category"},
		{"bad confidence", ev(`{"name":"spoor:confidence=\"sure\""}`), "spoor:confidence"},
		{"bad network", ev(`{"name":"spoor:network=\"regtest\""}`), "address"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseMISP(context.Background(), "e.json", strings.NewReader(tc.doc), Options{})
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "e.json: ") {
				t.Fatalf("got %v, want an invalid-input error naming e.json and %q", err, tc.want)
			}
		})
	}
}

func FuzzParseMISP(f *testing.F) {
	data, err := os.ReadFile("testdata/misp-event.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(data))
	f.Add(`{"response":[{"Event":{"info":"x","Attribute":[{"type":"btc","value":"1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"}]}}]}`)
	f.Fuzz(func(t *testing.T, doc string) {
		set, err := ParseMISP(context.Background(), "f.json", strings.NewReader(doc), Options{SkipInvalid: len(doc)%2 == 0})
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
