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

func TestParseCSV(t *testing.T) {
	set, err := ParseCSV(context.Background(), "testdata/labels.csv", mustOpen(t, "testdata/labels.csv"), Options{Now: importTime})
	if err != nil {
		t.Fatal(err)
	}
	base := storage.Label{Source: "https://example.org/csv", Pack: "labels.csv", ImportedAt: importTime.Unix()}
	satoshi, block1, mixer := base, base, base
	satoshi.AddrClass, satoshi.AddrPayload = mainnetAddr(t, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa")
	satoshi.Entity, satoshi.Category, satoshi.Confidence, satoshi.LastMod, satoshi.ClusterDefiner = "Satoshi Nakamoto", "miner", 90, day("2009-01-03"), true
	const key1 = "0496b538e853519c726a2c91e61ec11600ae1390813a627c66fb8be7947be63c52da7589379515d4e0a604f8141781e62294721166bf621e73a82cbf2342c858ee"
	block1.AddrClass, block1.AddrPayload = 1, mustHex(t, key1) // p2pk
	block1.Entity, block1.Category, block1.Confidence, block1.ConfidenceName, block1.Concepts =
		"Block 1 miner", "miner", 10, "heuristic", []string{"organization", "user"}
	mixer.AddrClass, mixer.AddrPayload = EthereumAddrClass, mustHex(t, "fb6916095ca1df60bb79ce92ce3ea74c37c5d359")
	mixer.Entity, mixer.Category, mixer.Confidence, mixer.Concepts, mixer.LastMod = "Some Mixer", "mixing_service", 50, []string{"coinjoin"}, 1714557600
	want := []Entry{
		{Chain: "bitcoin", Network: "mainnet", Ref: "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", Label: satoshi},
		{Chain: "bitcoin", Network: "mainnet", Ref: key1, Label: block1},
		{Chain: "ethereum", Network: "mainnet", Ref: "0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359", Label: mixer},
	}
	if !reflect.DeepEqual(set.Entries, want) {
		t.Fatalf("entries\n%+v\nwant\n%+v", set.Entries, want)
	}
}

func TestParseCSVErrors(t *testing.T) {
	const header = "address,chain,entity,category,source,confidence\n"
	tests := []struct{ name, doc, want string }{
		{"empty", "", "c.csv: empty file (want the header address,chain,entity,category,source,confidence)"},
		{"wrong header", "addr,chain,entity,category,source,confidence\n", `c.csv:1:1: header column 1 is "addr", want "address" (the header starts address,chain,entity,category,source,confidence)`},
		{"short header", "address,chain\n", "c.csv:1: the header has 2 columns, want at least address,chain,entity,category,source,confidence"},
		{"unknown column", strings.TrimSuffix(header, "\n") + ",colour\n", `c.csv:1:7: unknown column "colour" (optional columns: concepts, date, cluster_definer)`},
		{"bad chain", header + "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa,dogecoin,E,exchange,S,50\n",
			`c.csv:2:36: chain: unknown chain "dogecoin" (want bitcoin, bitcoin-<network> with network one of mainnet, regtest, signet, simnet, testnet3, testnet4, or ethereum)`},
		{"bad network", header + "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa,bitcoin-moonnet,E,exchange,S,50\n",
			`c.csv:2:36: chain: chain "bitcoin-moonnet": unknown bitcoin network "moonnet" (known: mainnet, regtest, signet, simnet, testnet3, testnet4)`},
		{"field count", header + "x,y\n1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa,bitcoin-regtest,E,exchange,S,50\n",
			"c.csv:2: 2 columns, the header has 6"},
		{"network mismatch", header + "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa,bitcoin-regtest,E,exchange,S,50\n",
			"c.csv:2:1: address: address 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa is a mainnet address, not regtest"},
		{"empty entity", header + "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa,bitcoin,,exchange,S,50\n", "c.csv:2:44: entity: empty"},
		{"unknown category", header + "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa,bitcoin,E,bank,S,50\n",
			`c.csv:2:46: category: unknown concept "bank" (not in the GraphSense concept taxonomy)`},
		{"confidence too high", header + "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa,bitcoin,E,exchange,S,101\n",
			`c.csv:2:57: confidence: confidence "101" is neither a number from 0 to 100 nor a level (authority_data, `},
		{"bad eth address", header + "0x12,ethereum,E,exchange,S,50\n", `c.csv:2:1: address: ethereum address "0x12" is not 0x and 40 hex digits`},
		{"bad concept", "address,chain,entity,category,source,confidence,concepts\n1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa,bitcoin,E,exchange,S,50,scam;fraud\n",
			`c.csv:2:60: concepts: unknown concept "fraud" (not in the GraphSense concept taxonomy; did you mean investment_fraud or payment_card_fraud?)`},
		{"bad date", "address,chain,entity,category,source,confidence,date\n1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa,bitcoin,E,exchange,S,50,27/09/2024\n",
			`c.csv:2:60: date: date "27/09/2024" is not YYYY-MM-DD or an RFC 3339 time`},
		{"bad cluster definer", "address,chain,entity,category,source,confidence,cluster_definer\n1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa,bitcoin,E,exchange,S,50,yes\n",
			`c.csv:2:60: cluster_definer: "yes" is not true or false`},
		{"not utf-8", header + "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa,bitcoin,\xff,exchange,S,50\n", "c.csv:2:44: entity: not valid UTF-8"},
		{"bare quote", header + "1A1z\"P,bitcoin,E,exchange,S,50\n", `c.csv: parse error on line 2, column 5: bare " in non-quoted-field`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCSV(context.Background(), "c.csv", strings.NewReader(tt.doc), Options{})
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("error\n%v\nwant it to start with\n%s", err, tt.want)
			}
		})
	}
}

// FuzzParseCSV feeds arbitrary text to the CSV parser: it must not panic,
// every error must be marked invalid, and every accepted label must have a
// source, an entity, a concept as category and a confidence of at most 100.
func FuzzParseCSV(f *testing.F) {
	data, err := os.ReadFile("testdata/labels.csv")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(data))
	f.Add("address,chain,entity,category,source,confidence\n\"a\nb\",bitcoin,\"E\"\"\",scam,S,1\n")
	f.Fuzz(func(t *testing.T, doc string) {
		set, err := ParseCSV(context.Background(), "f.csv", strings.NewReader(doc), Options{SkipInvalid: len(doc)%2 == 0})
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error without ErrInvalid: %v", err)
			}
			return
		}
		for _, e := range set.Entries {
			l := e.Label
			if l.Source == "" || l.Entity == "" || !IsConcept(l.Category) || l.Confidence > 100 || l.Validate() != nil {
				t.Fatalf("accepted label %+v", l)
			}
		}
	})
}
