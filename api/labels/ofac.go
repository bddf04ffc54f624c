package labels

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// OFAC list constants.
const (
	// OFACPack is the pack every OFAC SDN label is filed under, whatever
	// the list's date, so that importing a newer list replaces the older.
	OFACPack = "OFAC SDN"
	// ofacFeaturePrefix starts the id type (sdn.xml) or feature type
	// (sdn_advanced.xml) of a digital currency address; the ticker follows.
	ofacFeaturePrefix = "Digital Currency Address - "
	// ofacConfidence is the confidence level of a government list.
	ofacConfidence = "authority_data"
)

// ofacRoute maps an OFAC ticker to the chain its addresses live on. USDT
// and USDC are listed on several chains; only their Ethereum (0x)
// addresses are ours, the others are skipped.
func ofacRoute(ticker, addr string) (chain, network, skip string) {
	switch ticker {
	case "XBT":
		return ChainBitcoin, "mainnet", ""
	case "ETH":
		return ChainEthereum, EthereumNetwork, ""
	case "USDT", "USDC":
		if strings.HasPrefix(addr, "0x") || strings.HasPrefix(addr, "0X") {
			return ChainEthereum, EthereumNetwork, ""
		}
		return "", "", fmt.Sprintf("ticker %s address outside Ethereum (such as Tron)", ticker)
	}
	return "", "", fmt.Sprintf("ticker %s is not indexed", ticker)
}

// ofacAddress is one digital currency address of a listed party.
type ofacAddress struct {
	ticker, addr, entity string
}

// ParseOFAC reads the OFAC SDN list as sdn.xml (root <sdnList>) or
// sdn_advanced.xml (root <Sanctions>), element by element, so that the
// ~100 MB files are never held in memory. Every "Digital Currency Address
// - <TICKER>" becomes a label of category sanction with confidence
// authority_data, the party's name as entity and "OFAC SDN <publish date>"
// as source. Addresses of tickers on chains spoor does not index are
// counted in Set.Skipped by ticker.
func ParseOFAC(ctx context.Context, file string, r io.Reader, opts Options) (*Set, error) {
	d := xml.NewDecoder(r)
	var (
		root  string
		date  time.Time
		addrs []ofacAddress
		err   error
	)
	adv := newAdvancedState()
	for n := 0; ; n++ {
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		tok, terr := d.Token()
		if terr == io.EOF {
			break
		}
		if terr != nil {
			var se *xml.SyntaxError
			if errors.As(terr, &se) || errors.Is(terr, io.ErrUnexpectedEOF) {
				return nil, invalidf("%s: byte %d: %w", file, d.InputOffset(), terr)
			}
			return nil, fmt.Errorf("%s: %w", file, terr)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if root == "" {
			root = se.Name.Local
			if root != "sdnList" && root != "Sanctions" {
				return nil, invalidf("%s: root element <%s> is neither <sdnList> (sdn.xml) nor <Sanctions> (sdn_advanced.xml)", file, root)
			}
			continue
		}
		off := d.InputOffset()
		wrap := func(err error) error {
			return invalidf("%s: <%s> at byte %d: %w", file, se.Name.Local, off, err)
		}
		switch {
		case root == "sdnList" && se.Name.Local == "publshInformation":
			var p struct {
				Date string `xml:"Publish_Date"`
			}
			if err := d.DecodeElement(&p, &se); err != nil {
				return nil, wrap(err)
			}
			if date, err = time.Parse("01/02/2006", strings.TrimSpace(p.Date)); err != nil {
				return nil, wrap(fmt.Errorf("Publish_Date %q is not MM/DD/YYYY", p.Date))
			}
		case root == "sdnList" && se.Name.Local == "sdnEntry":
			var e sdnEntry
			if err := d.DecodeElement(&e, &se); err != nil {
				return nil, wrap(err)
			}
			addrs = append(addrs, e.addresses()...)
		case root == "Sanctions" && se.Name.Local == "DateOfIssue":
			var di struct {
				Year  int `xml:"Year"`
				Month int `xml:"Month"`
				Day   int `xml:"Day"`
			}
			if err := d.DecodeElement(&di, &se); err != nil {
				return nil, wrap(err)
			}
			date = time.Date(di.Year, time.Month(di.Month), di.Day, 0, 0, 0, 0, time.UTC)
			if di.Year < 1990 || di.Month < 1 || di.Month > 12 || di.Day < 1 || date.Day() != di.Day {
				return nil, wrap(fmt.Errorf("date of issue %04d-%02d-%02d is not a date", di.Year, di.Month, di.Day))
			}
		case root == "Sanctions":
			if err := adv.element(d, &se); err != nil {
				return nil, wrap(err)
			}
		}
	}
	if root == "" {
		return nil, invalidf("%s: no XML root element", file)
	}
	if root == "Sanctions" {
		if addrs, err = adv.addresses(); err != nil {
			return nil, invalidf("%s: %w", file, err)
		}
	}
	if date.IsZero() {
		what := "publshInformation/Publish_Date"
		if root == "Sanctions" {
			what = "DateOfIssue"
		}
		return nil, invalidf("%s: the list has no publish date (%s), which the labels' source must name", file, what)
	}
	set := &Set{File: file, Format: FormatOFAC, Pack: OFACPack}
	source := OFACPack + " " + date.Format("2006-01-02")
	conf, _ := ConfidenceLevel(ofacConfidence)
	for _, a := range addrs {
		chain, network, skip := ofacRoute(a.ticker, a.addr)
		if skip != "" {
			set.skip(skip)
			continue
		}
		sub, err := ParseAddress(chain, network, a.addr)
		if err != nil {
			if err := set.bad(&opts, fmt.Errorf("%s: %s (Digital Currency Address - %s): %w", file, a.entity, a.ticker, err)); err != nil {
				return nil, err
			}
			continue
		}
		l := newLabel(&opts)
		sub.apply(&l)
		l.Entity, l.Category, l.Source, l.Pack = a.entity, "sanction", source, OFACPack
		l.Confidence, l.ConfidenceName, l.LastMod = conf, ofacConfidence, date.Unix()
		set.Entries = append(set.Entries, Entry{Chain: chain, Network: network, Ref: a.addr, Label: l})
	}
	return set, nil
}

// sdnEntry is one <sdnEntry> of sdn.xml, with the fields the import uses.
type sdnEntry struct {
	UID       string `xml:"uid"`
	FirstName string `xml:"firstName"`
	LastName  string `xml:"lastName"`
	IDs       []struct {
		Type   string `xml:"idType"`
		Number string `xml:"idNumber"`
	} `xml:"idList>id"`
}

// name returns the entry's name as OFAC writes it: "LAST, First" for a
// person, the name alone for an entity.
func (e *sdnEntry) name() string {
	last, first := strings.TrimSpace(e.LastName), strings.TrimSpace(e.FirstName)
	if first == "" {
		return last
	}
	return last + ", " + first
}

func (e *sdnEntry) addresses() []ofacAddress {
	var out []ofacAddress
	for _, id := range e.IDs {
		if ticker, ok := strings.CutPrefix(strings.TrimSpace(id.Type), ofacFeaturePrefix); ok {
			out = append(out, ofacAddress{ticker: strings.TrimSpace(ticker), addr: strings.TrimSpace(id.Number), entity: e.name()})
		}
	}
	return out
}

// advancedState collects what sdn_advanced.xml spreads over its sections:
// the feature and name part types of the reference value sets, and the
// parties' names and features. Types are resolved at the end, so the
// sections may come in any order; only names and features are kept, never
// the whole file.
type advancedState struct {
	featureTypes  map[string]string // FeatureType ID -> text
	namePartTypes map[string]string // NamePartType ID -> text
	parties       []advParty
}

type advParty struct {
	ref      string
	parts    []advNamePart
	features []advFeature
}

type advNamePart struct{ typeID, text string }

type advFeature struct{ typeID, value string }

func newAdvancedState() *advancedState {
	return &advancedState{featureTypes: map[string]string{}, namePartTypes: map[string]string{}}
}

// idText is a reference value: an ID attribute and a text.
type idText struct {
	ID   string `xml:"ID,attr"`
	Text string `xml:",chardata"`
}

// distinctParty is one <DistinctParty>, with the fields the import uses.
type distinctParty struct {
	FixedRef string `xml:"FixedRef,attr"`
	Profiles []struct {
		Identities []struct {
			Aliases []struct {
				Primary bool `xml:"Primary,attr"`
				Names   []struct {
					Parts []struct {
						Value struct {
							GroupID string `xml:"NamePartGroupID,attr"`
							Text    string `xml:",chardata"`
						} `xml:"NamePartValue"`
					} `xml:"DocumentedNamePart"`
				} `xml:"DocumentedName"`
			} `xml:"Alias"`
			Groups []struct {
				ID     string `xml:"ID,attr"`
				TypeID string `xml:"NamePartTypeID,attr"`
			} `xml:"NamePartGroups>MasterNamePartGroup>NamePartGroup"`
		} `xml:"Identity"`
		Features []struct {
			TypeID   string `xml:"FeatureTypeID,attr"`
			Versions []struct {
				Details []string `xml:"VersionDetail"`
			} `xml:"FeatureVersion"`
		} `xml:"Feature"`
	} `xml:"Profile"`
}

// element handles one start element of sdn_advanced.xml below the root.
func (s *advancedState) element(d *xml.Decoder, se *xml.StartElement) error {
	switch se.Name.Local {
	case "FeatureType", "NamePartType":
		var v idText
		if err := d.DecodeElement(&v, se); err != nil {
			return err
		}
		if v.ID == "" {
			return errors.New("no ID attribute")
		}
		if se.Name.Local == "FeatureType" {
			s.featureTypes[v.ID] = strings.TrimSpace(v.Text)
		} else {
			s.namePartTypes[v.ID] = strings.TrimSpace(v.Text)
		}
	case "DistinctParty":
		var dp distinctParty
		if err := d.DecodeElement(&dp, se); err != nil {
			return err
		}
		p := advParty{ref: dp.FixedRef}
		for _, pr := range dp.Profiles {
			for _, id := range pr.Identities {
				groupType := map[string]string{}
				for _, g := range id.Groups {
					groupType[g.ID] = g.TypeID
				}
				for _, al := range id.Aliases {
					if !al.Primary || len(al.Names) == 0 || p.parts != nil {
						continue
					}
					for _, part := range al.Names[0].Parts {
						p.parts = append(p.parts, advNamePart{typeID: groupType[part.Value.GroupID], text: strings.TrimSpace(part.Value.Text)})
					}
				}
			}
			for _, f := range pr.Features {
				for _, v := range f.Versions {
					for _, det := range v.Details {
						if det = strings.TrimSpace(det); det != "" {
							p.features = append(p.features, advFeature{typeID: f.TypeID, value: det})
						}
					}
				}
			}
		}
		s.parties = append(s.parties, p)
	}
	return nil
}

// addresses resolves the collected features into digital currency
// addresses with their party's name.
func (s *advancedState) addresses() ([]ofacAddress, error) {
	var out []ofacAddress
	for _, p := range s.parties {
		name := ""
		for _, f := range p.features {
			typ, ok := s.featureTypes[f.typeID]
			if !ok {
				return nil, fmt.Errorf("party %s: feature type %s is not defined in ReferenceValueSets/FeatureTypeValues", p.ref, f.typeID)
			}
			ticker, ok := strings.CutPrefix(typ, ofacFeaturePrefix)
			if !ok {
				continue
			}
			if name == "" {
				name = s.partyName(p)
				if name == "" {
					return nil, fmt.Errorf("party %s has a digital currency address but no primary name", p.ref)
				}
			}
			out = append(out, ofacAddress{ticker: strings.TrimSpace(ticker), addr: f.value, entity: name})
		}
	}
	return out, nil
}

// partyName renders a party's primary name as sdn.xml does: "LAST, First
// Middle" when one part is a last name, else the parts in order.
func (s *advancedState) partyName(p advParty) string {
	var last string
	var rest []string
	for _, part := range p.parts {
		if part.text == "" {
			continue
		}
		if last == "" && s.namePartTypes[part.typeID] == "Last Name" {
			last = part.text
			continue
		}
		rest = append(rest, part.text)
	}
	if last == "" {
		return strings.Join(rest, " ")
	}
	if len(rest) == 0 {
		return last
	}
	return last + ", " + strings.Join(rest, " ")
}
