package labels

import (
	"context"
	"encoding/hex"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spoorhq/spoor/chains/bitcoin"
	"github.com/spoorhq/spoor/storage"
)

// importTime is the import time the tests stamp on labels.
var importTime = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func mustOpen(t testing.TB, path string) *os.File {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// mainnetAddr returns the class and payload of a mainnet address.
func mainnetAddr(t testing.TB, s string) (uint8, []byte) {
	t.Helper()
	net, _ := bitcoin.LookupNetwork("mainnet")
	c, p, err := bitcoin.ParseAddress(net, s)
	if err != nil {
		t.Fatal(err)
	}
	return uint8(c), p
}

func day(s string) int64 {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t.Unix()
}

func TestParseTagPack(t *testing.T) {
	ap, err := ParseActorPack("testdata/actorpack.yaml", mustOpen(t, "testdata/actorpack.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	set, err := ParseTagPack(context.Background(), "testdata/tagpack.yaml", mustOpen(t, "testdata/tagpack.yaml"),
		Options{Now: importTime, Actors: ap.Actors})
	if err != nil {
		t.Fatal(err)
	}
	if set.Pack != "Early Bitcoin history" || set.Format != FormatTagPack {
		t.Fatalf("set = %q %q", set.Pack, set.Format)
	}
	if want := map[string]int{"currency LTC is not indexed": 1}; !reflect.DeepEqual(set.Skipped, want) {
		t.Fatalf("skipped = %v, want %v", set.Skipped, want)
	}
	const src = "https://example.org/early-bitcoin"
	base := storage.Label{Source: src, Pack: "Early Bitcoin history", Confidence: 50, ConfidenceName: "forensic",
		LastMod: day("2024-02-26"), ImportedAt: importTime.Unix()}
	genesis, miner9, hal := base, base, base
	genesis.AddrClass, genesis.AddrPayload = mainnetAddr(t, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa")
	genesis.Entity, genesis.Category, genesis.Confidence, genesis.ConfidenceName, genesis.ClusterDefiner =
		"Satoshi Nakamoto genesis coinbase", "miner", 100, "ownership", true
	miner9.AddrClass, miner9.AddrPayload = mainnetAddr(t, "12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S")
	miner9.Entity, miner9.TagLabel, miner9.Actor = "Early Miner Collective", "early miner", "early_miner"
	miner9.Category, miner9.Concepts, miner9.Jurisdictions = "miner", []string{"perpetrator", "organization"}, []string{"US", "SV"}
	tx := base
	tx.Subject, tx.Entity, tx.Category, tx.LastMod = storage.SubjectTx, "first person-to-person payment", "donation", day("2009-01-12")
	txid, _ := hex.DecodeString("169e1e83e930853391bc6f35f605c6754cfead57cf8387639d3b4096c54f18f4") // internal order
	copy(tx.Txid[:], txid)
	hal.AddrClass, hal.AddrPayload = mainnetAddr(t, "1Q2TWHE3GMdB6BZKafqwxXtWAWgFt5Jvm3")
	hal.Entity, hal.Category, hal.Concepts = "Hal Finney", "scam", []string{"victim"}
	eth := base
	eth.AddrClass, eth.AddrPayload = EthereumAddrClass, mustHex(t, "5aaeb6053f3e94c9b9a09f33669435e7ef1beaed")
	eth.Entity, eth.Category = "an Ethereum exchange wallet", "exchange"
	want := []Entry{
		{Chain: "bitcoin", Network: "mainnet", Ref: "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", Label: genesis},
		{Chain: "bitcoin", Network: "mainnet", Ref: "12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S", Label: miner9},
		{Chain: "bitcoin", Network: "mainnet", Ref: "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16", Label: tx},
		{Chain: "bitcoin", Network: "mainnet", Ref: "1Q2TWHE3GMdB6BZKafqwxXtWAWgFt5Jvm3", Label: hal},
		{Chain: "ethereum", Network: "mainnet", Ref: "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", Label: eth},
	}
	if len(set.Entries) != len(want) {
		t.Fatalf("%d entries, want %d: %+v", len(set.Entries), len(want), set.Entries)
	}
	for i := range want {
		if !reflect.DeepEqual(set.Entries[i], want[i]) {
			t.Errorf("entry %d =\n%+v\nwant\n%+v", i, set.Entries[i], want[i])
		}
	}

	// Without the ActorPack the tag keeps its own label and concepts.
	set, err = ParseTagPack(context.Background(), "testdata/tagpack.yaml", mustOpen(t, "testdata/tagpack.yaml"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if l := set.Entries[1].Label; l.Entity != "early miner" || l.Actor != "early_miner" || l.Category != "miner" ||
		!reflect.DeepEqual(l.Concepts, []string{"perpetrator"}) || l.TagLabel != "" || l.ImportedAt != 0 {
		t.Fatalf("unresolved actor tag = %+v", l)
	}
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// tagPack builds a TagPack from a header and tag lines.
func tagPack(header string, tags ...string) string {
	var b strings.Builder
	b.WriteString("title: T\ncreator: C\n" + header + "tags:\n")
	for _, t := range tags {
		b.WriteString("  - " + strings.ReplaceAll(strings.TrimSpace(t), "\n", "\n    ") + "\n")
	}
	return b.String()
}

const goodTag = "address: 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa\nlabel: L\nsource: S\ncurrency: BTC\nconfidence: web_crawl"

func TestParseTagPackErrors(t *testing.T) {
	tests := []struct {
		name, pack, want string
	}{
		{"not yaml", "title: [", "p.yaml: yaml: line 1: did not find expected node content"},
		{"not a mapping", "- a\n- b\n", "p.yaml: not a YAML mapping (a pack starts with title, creator, …)"},
		{"no title", "creator: C\ntags: []\n", "p.yaml: header: mandatory field title is missing"},
		{"no tags", "title: T\ncreator: C\n", "p.yaml: header: mandatory field tags is missing"},
		{"tags not a list", "title: T\ncreator: C\ntags: 3\n", "p.yaml: header (line 3): tags: want a list of tags, found a single value"},
		{"unknown header field", "title: T\ncreator: C\ncolour: red\ntags: []\n", "p.yaml: header (line 3): colour: unknown field (not a TagPack header or tag field)"},
		{"actorpack", "title: T\ncreator: C\nactors: []\n", "p.yaml: header (line 3): actors: this is an ActorPack, not a TagPack (use --format actorpack)"},
		{"missing label", tagPack("", "address: 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa\nsource: S\ncurrency: BTC\nconfidence: web_crawl"),
			"p.yaml: tags[0] (line 4): mandatory field label is missing"},
		{"missing confidence", tagPack("", "address: 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa\nlabel: L\nsource: S\ncurrency: BTC"),
			"p.yaml: tags[0] (line 4): mandatory field confidence is missing"},
		{"no subject", tagPack("", "label: L\nsource: S\ncurrency: BTC\nconfidence: web_crawl"),
			"p.yaml: tags[0] (line 4): the tag has neither address nor tx_hash"},
		{"two subjects", tagPack("", goodTag+"\ntx_hash: f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16"),
			"p.yaml: tags[0] (line 4): the tag has both address and tx_hash; give one"},
		{"unknown confidence", tagPack("confidence: sure\n", "address: 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa\nlabel: L\nsource: S\ncurrency: BTC"),
			"p.yaml: tags[0] (line 3): confidence: unknown confidence level \"sure\" (known: authority_data, forensic, forensic_investigation, heuristic, ledger_immanent, manual_transaction, override, ownership, service_api, service_data, trusted_provider, unknown, untrusted_transaction, web_crawl)"},
		{"unknown category", tagPack("", goodTag+"\ncategory: darknet_market"),
			"p.yaml: tags[0] (line 9): category: unknown concept \"darknet_market\" (not in the GraphSense concept taxonomy; did you mean market?)"},
		{"unknown concept", tagPack("", goodTag+"\nconcepts: [exchange, mixer]"),
			"p.yaml: tags[0] (line 9): concepts: unknown concept \"mixer\" (not in the GraphSense concept taxonomy)"},
		{"concepts not a list", tagPack("", goodTag+"\nconcepts: exchange"),
			"p.yaml: tags[0] (line 9): concepts: want a list, found a single value"},
		{"unknown tag field", tagPack("", goodTag+"\ncolour: red"),
			"p.yaml: tags[0] (line 4): colour: unknown tag field (known: abuse, actor, address, category, concepts, confidence, context, created, currency, is_cluster_definer, label, lastmod, network, source, tag_type, tx_hash)"},
		{"bad cluster definer", tagPack("", goodTag+"\nis_cluster_definer: maybe"),
			"p.yaml: tags[0] (line 9): is_cluster_definer: want true or false, found \"maybe\""},
		{"bad lastmod", tagPack("", goodTag+"\nlastmod: yesterday"),
			"p.yaml: tags[0] (line 9): lastmod: date \"yesterday\" is not YYYY-MM-DD or an RFC 3339 time"},
		{"bad tag type", tagPack("", goodTag+"\ntag_type: rumour"),
			"p.yaml: tags[0] (line 9): tag_type: unknown tag type \"rumour\" (want actor, event, attribute or mention)"},
		{"testnet address", tagPack("", strings.Replace(goodTag, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx", 1)),
			"p.yaml: tags[0] (line 4): address: address tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx is a signet/testnet3/testnet4 address, not mainnet"},
		{"malformed address", tagPack("", strings.Replace(goodTag, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", 1)),
			"p.yaml: tags[0] (line 4): address: not a valid bitcoin mainnet address: \"1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb\": invalid address: bad base58check checksum"},
		{"bad eip-55", tagPack("currency: ETH\n", "address: \"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD\"\nlabel: L\nsource: S\nconfidence: web_crawl"),
			"p.yaml: tags[0] (line 5): address: ethereum address 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD has a bad EIP-55 checksum (want 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed)"},
		{"short tx hash", tagPack("", "tx_hash: f4184f\nlabel: L\nsource: S\ncurrency: BTC\nconfidence: web_crawl"),
			"p.yaml: tags[0] (line 4): tx_hash: bitcoin tx hash \"f4184f\" is not 64 hex digits"},
		{"empty inherited label", tagPack("label: \"\"\n", "address: 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa\nsource: S\ncurrency: BTC\nconfidence: web_crawl"),
			"p.yaml: tags[0] (line 3): label: must not be empty"},
		{"duplicate field", tagPack("", goodTag+"\nlabel: again"), "p.yaml: tags[0] (line 4): line 9: field \"label\" given twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseTagPack(context.Background(), "p.yaml", strings.NewReader(tt.pack), Options{})
			if err == nil {
				t.Fatalf("parsed without error:\n%s", tt.pack)
			}
			if !strings.HasPrefix(err.Error(), tt.want) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("error\n%v\nwant it to start with\n%s\n(pack:\n%s)", err, tt.want, tt.pack)
			}
		})
	}
}

func TestParseTagPackSkipInvalid(t *testing.T) {
	pack := tagPack("", goodTag, strings.Replace(goodTag, "web_crawl", "sure", 1), strings.Replace(goodTag, "BTC", "DOGE", 1),
		strings.Replace(goodTag, "1A1z", "1A1y", 1))
	set, err := ParseTagPack(context.Background(), "p.yaml", strings.NewReader(pack), Options{SkipInvalid: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Entries) != 1 || len(set.Invalid) != 2 || set.Skipped["currency DOGE is not indexed"] != 1 {
		t.Fatalf("entries %d, invalid %v, skipped %v", len(set.Entries), set.Invalid, set.Skipped)
	}
	if !strings.HasPrefix(set.Invalid[0].Error(), "p.yaml: tags[1] (line 13): confidence:") ||
		!strings.HasPrefix(set.Invalid[1].Error(), "p.yaml: tags[3] (line 19): address:") {
		t.Fatalf("invalid = %v", set.Invalid)
	}
}

func TestParseActorPackErrors(t *testing.T) {
	const actor = "  - id: a\n    uri: https://example.org/a\n    label: A\n    lastmod: 2024-01-01\n"
	tests := []struct{ name, pack, want string }{
		{"no categories", "title: T\ncreator: C\nactors:\n" + actor, "a.yaml: actors[0] (line 4): mandatory field categories is missing"},
		{"unknown category", "title: T\ncreator: C\nactors:\n" + actor + "    categories: [bank]\n",
			"a.yaml: actors[0] (line 8): categories: unknown concept \"bank\" (not in the GraphSense concept taxonomy)"},
		{"bad jurisdiction", "title: T\ncreator: C\nactors:\n" + actor + "    categories: [exchange]\n    jurisdictions: [usa]\n",
			"a.yaml: actors[0] (line 9): jurisdictions: \"usa\" is not a two-letter upper-case country code"},
		{"duplicate id", "title: T\ncreator: C\nactors:\n" + actor + "    categories: [exchange]\n" + actor + "    categories: [exchange]\n",
			"a.yaml: actors[1] (line 9): id \"a\" is given twice"},
		{"tagpack", "title: T\ncreator: C\ntags: []\n", "a.yaml: header (line 3): tags: this is a TagPack, not an ActorPack (use --format tagpack)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseActorPack("a.yaml", strings.NewReader(tt.pack))
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("error\n%v\nwant it to start with\n%s", err, tt.want)
			}
		})
	}
}

// FuzzParseTagPack feeds arbitrary documents to the TagPack parser: it
// must not panic, and every label it accepts has a source, a confidence
// of at most 100 and a category from the taxonomy.
func FuzzParseTagPack(f *testing.F) {
	data, err := os.ReadFile("testdata/tagpack.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(data))
	f.Add(tagPack("", goodTag))
	f.Add(tagPack("currency: ETH\n", "tx_hash: \"0x00\"\nlabel: L\nsource: S\nconfidence: web_crawl"))
	f.Fuzz(func(t *testing.T, doc string) {
		set, err := ParseTagPack(context.Background(), "f.yaml", strings.NewReader(doc), Options{})
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error without ErrInvalid: %v", err)
			}
			return
		}
		for _, e := range set.Entries {
			l := e.Label
			if l.Source == "" || l.Confidence > 100 || (l.Category != "" && !IsConcept(l.Category)) || l.Pack == "" || l.Validate() != nil {
				t.Fatalf("accepted label %+v", l)
			}
		}
	})
}

// TestParseTagPackInheritance reads a pack that puts everything but the
// addresses in its header, over several currencies, as GraphSense's demo
// pack does.
func TestParseTagPackInheritance(t *testing.T) {
	const pack = `title: Header-heavy pack
creator: spoor tests
label: A Charity
category: organization
confidence: service_data
is_cluster_definer: true
actor: charity
source: https://example.org/donate
created: 2021-11-01
lastmod: 2021-11-12
tags:
- address: 1Q2TWHE3GMdB6BZKafqwxXtWAWgFt5Jvm3
  currency: BTC
- address: qq9aa0wmjzlfaelxc60dzuyxxsnd57xqpx8ug8jyy
  currency: BCH
- address: '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed'
  currency: ETH
- address: '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359'
  currency: USDT
  network: eth
- address: rExampleNotChecked
  currency: XRP
`
	set, err := ParseTagPack(context.Background(), "demo.yaml", strings.NewReader(pack), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Entries) != 3 || set.Entries[0].Chain != ChainBitcoin || set.Entries[1].Chain != ChainEthereum || set.Entries[2].Chain != ChainEthereum {
		t.Fatalf("entries = %+v", set.Entries)
	}
	for _, e := range set.Entries {
		l := e.Label
		if l.Entity != "A Charity" || l.Category != "organization" || l.Confidence != 50 || !l.ClusterDefiner ||
			l.Actor != "charity" || l.Source != "https://example.org/donate" || l.LastMod != day("2021-11-12") {
			t.Fatalf("inherited label = %+v", l)
		}
	}
	if want := map[string]int{"currency BCH is not indexed": 1, "currency XRP is not indexed": 1}; !reflect.DeepEqual(set.Skipped, want) {
		t.Fatalf("skipped = %v, want %v", set.Skipped, want)
	}
}
