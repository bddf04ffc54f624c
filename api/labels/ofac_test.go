package labels

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/spoorhq/spoor/storage"
)

func TestParseOFAC(t *testing.T) {
	const source = "OFAC SDN 2024-09-27"
	mk := func(chain, ref, entity string) Entry {
		l := storage.Label{Entity: entity, Category: "sanction", Source: source, Confidence: 60, ConfidenceName: "authority_data",
			LastMod: day("2024-09-27"), Pack: "OFAC SDN", ImportedAt: importTime.Unix()}
		if chain == ChainEthereum {
			a, err := ParseEthereumAddress(ref)
			if err != nil {
				t.Fatal(err)
			}
			l.AddrClass, l.AddrPayload = EthereumAddrClass, a[:]
		} else {
			l.AddrClass, l.AddrPayload = mainnetAddr(t, ref)
		}
		return Entry{Chain: chain, Network: "mainnet", Ref: ref, Label: l}
	}
	want := []Entry{
		mk(ChainBitcoin, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "EXAMPLE DARKNET MARKET LLC"),
		mk(ChainBitcoin, "12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S", "EXAMPLE DARKNET MARKET LLC"),
		mk(ChainEthereum, "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "EXAMPLE DARKNET MARKET LLC"),
		mk(ChainBitcoin, "1Q2TWHE3GMdB6BZKafqwxXtWAWgFt5Jvm3", "DOE, John"),
	}
	wantSkipped := map[string]int{"ticker LTC is not indexed": 1, "ticker USDT address outside Ethereum (such as Tron)": 1}
	for _, file := range []string{"testdata/sdn.xml", "testdata/sdn_advanced.xml"} {
		t.Run(file, func(t *testing.T) {
			set, err := ParseOFAC(context.Background(), file, mustOpen(t, file), Options{Now: importTime})
			if err != nil {
				t.Fatal(err)
			}
			if set.Pack != OFACPack || !reflect.DeepEqual(set.Skipped, wantSkipped) {
				t.Fatalf("pack %q, skipped %v; want %v", set.Pack, set.Skipped, wantSkipped)
			}
			if !reflect.DeepEqual(set.Entries, want) {
				t.Fatalf("entries\n%+v\nwant\n%+v", set.Entries, want)
			}
		})
	}
}

func TestParseOFACErrors(t *testing.T) {
	const legacyHead = `<sdnList xmlns="https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/XML"><publshInformation><Publish_Date>09/27/2024</Publish_Date></publshInformation>`
	entry := func(idType, number string) string {
		return `<sdnEntry><uid>1</uid><lastName>X</lastName><idList><id><uid>2</uid><idType>` + idType + `</idType><idNumber>` + number + `</idNumber></id></idList></sdnEntry>`
	}
	tests := []struct{ name, doc, want string }{
		{"wrong root", `<catalog/>`, "o.xml: root element <catalog> is neither <sdnList> (sdn.xml) nor <Sanctions> (sdn_advanced.xml)"},
		{"not xml", `hello`, "o.xml: no XML root element"},
		{"truncated", legacyHead + `<sdnEntry><uid>1</uid>`, "o.xml: <sdnEntry> at byte 184: XML syntax error on line 1: unexpected EOF"},
		{"no date", `<sdnList>` + entry("Digital Currency Address - XBT", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa") + `</sdnList>`,
			"o.xml: the list has no publish date (publshInformation/Publish_Date), which the labels' source must name"},
		{"bad date", `<sdnList><publshInformation><Publish_Date>2024-09-27</Publish_Date></publshInformation></sdnList>`,
			"o.xml: <publshInformation> at byte 28: Publish_Date \"2024-09-27\" is not MM/DD/YYYY"},
		{"bad xbt address", legacyHead + entry("Digital Currency Address - XBT", "bc1qnotanaddress") + `</sdnList>`,
			"o.xml: X (Digital Currency Address - XBT): not a valid bitcoin mainnet address: "},
		{"bad eth address", legacyHead + entry("Digital Currency Address - ETH", "0x1234") + `</sdnList>`,
			"o.xml: X (Digital Currency Address - ETH): ethereum address \"0x1234\" is not 0x and 40 hex digits"},
		{"undefined feature type", `<Sanctions><DateOfIssue><Year>2024</Year><Month>9</Month><Day>27</Day></DateOfIssue><DistinctParties><DistinctParty FixedRef="7"><Profile><Feature FeatureTypeID="344"><FeatureVersion><VersionDetail>1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa</VersionDetail></FeatureVersion></Feature></Profile></DistinctParty></DistinctParties></Sanctions>`,
			"o.xml: party 7: feature type 344 is not defined in ReferenceValueSets/FeatureTypeValues"},
		{"bad date of issue", `<Sanctions><DateOfIssue><Year>2024</Year><Month>2</Month><Day>30</Day></DateOfIssue></Sanctions>`,
			"o.xml: <DateOfIssue> at byte 24: date of issue 2024-02-30 is not a date"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseOFAC(context.Background(), "o.xml", strings.NewReader(tt.doc), Options{})
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("error\n%v\nwant it to start with\n%s", err, tt.want)
			}
		})
	}
	// With SkipInvalid the bad address is counted and the good one kept.
	doc := legacyHead + entry("Digital Currency Address - XBT", "bc1qnotanaddress") + entry("Digital Currency Address - XBT", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa") + `</sdnList>`
	set, err := ParseOFAC(context.Background(), "o.xml", strings.NewReader(doc), Options{SkipInvalid: true})
	if err != nil || len(set.Entries) != 1 || len(set.Invalid) != 1 {
		t.Fatalf("skip invalid: %v, %+v", err, set)
	}
}

// syntheticSDN writes an sdn.xml of n entries, each with one XBT address
// and one passport, to w.
func syntheticSDN(w io.Writer, n int) error {
	if _, err := io.WriteString(w, `<?xml version="1.0"?><sdnList><publshInformation><Publish_Date>09/27/2024</Publish_Date></publshInformation>`); err != nil {
		return err
	}
	for i := range n {
		addrs := []string{"1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S", "1Q2TWHE3GMdB6BZKafqwxXtWAWgFt5Jvm3"}
		if _, err := fmt.Fprintf(w, `<sdnEntry><uid>%d</uid><lastName>PARTY %d</lastName><sdnType>Entity</sdnType><programList><program>CYBER2</program></programList><idList><id><uid>%d</uid><idType>Passport</idType><idNumber>P%d</idNumber></id><id><uid>%d</uid><idType>Digital Currency Address - XBT</idType><idNumber>%s</idNumber></id></idList></sdnEntry>`,
			i, i, 2*i, i, 2*i+1, addrs[i%3]); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, `</sdnList>`)
	return err
}

// BenchmarkParseOFAC measures the SDN import against the reference of
// scanning the same document's XML tokens without decoding anything:
// report ns/op of both and read the ratio.
func BenchmarkParseOFAC(b *testing.B) {
	var doc strings.Builder
	if err := syntheticSDN(&doc, 5000); err != nil {
		b.Fatal(err)
	}
	s := doc.String()
	b.Run("reference-token-scan", func(b *testing.B) {
		b.SetBytes(int64(len(s)))
		for b.Loop() {
			d := xml.NewDecoder(strings.NewReader(s))
			for {
				if _, err := d.Token(); err != nil {
					break
				}
			}
		}
	})
	b.Run("parse", func(b *testing.B) {
		b.SetBytes(int64(len(s)))
		for b.Loop() {
			set, err := ParseOFAC(context.Background(), "bench.xml", strings.NewReader(s), Options{})
			if err != nil || len(set.Entries) != 5000 {
				b.Fatalf("%v, %d entries", err, len(set.Entries))
			}
		}
	})
}
