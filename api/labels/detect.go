package labels

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"path/filepath"
	"strings"
)

// Format is a label source format.
type Format string

// The formats ParseFile reads.
const (
	FormatAuto      Format = "auto"
	FormatTagPack   Format = "tagpack"
	FormatActorPack Format = "actorpack"
	FormatOFAC      Format = "ofac"
	FormatCSV       Format = "csv"
	FormatSTIX      Format = "stix"
	FormatMISP      Format = "misp"
)

// ParseFormat reads a --format value.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case FormatAuto, FormatTagPack, FormatActorPack, FormatOFAC, FormatCSV, FormatSTIX, FormatMISP:
		return f, nil
	case "":
		return FormatAuto, nil
	}
	return "", fmt.Errorf("unknown label format %q (want auto, tagpack, actorpack, ofac, csv, stix or misp)", s)
}

// DetectFormat guesses the format of the file name from its extension and
// its first bytes (head): .csv is CSV; .xml is an OFAC list if its root
// element is sdnList or Sanctions; .yaml and .yml are an ActorPack if a
// top-level actors field comes before any tags field, else a TagPack;
// .json is a STIX bundle if it has "type": "bundle", a MISP event if it
// has an "Event" key.
func DetectFormat(name string, head []byte) (Format, error) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv":
		return FormatCSV, nil
	case ".xml":
		root, err := xmlRoot(head)
		if err != nil {
			return "", fmt.Errorf("%s: %w", name, err)
		}
		if root != "sdnList" && root != "Sanctions" {
			return "", fmt.Errorf("%s: XML root element <%s> is neither <sdnList> (sdn.xml) nor <Sanctions> (sdn_advanced.xml)", name, root)
		}
		return FormatOFAC, nil
	case ".json":
		f, err := jsonKind(head)
		if err != nil {
			return "", fmt.Errorf("%s: JSON is neither a STIX bundle (\"type\": \"bundle\") nor a MISP event (\"Event\")", name)
		}
		return f, nil
	case ".yaml", ".yml":
		for _, line := range bytes.Split(head, []byte("\n")) {
			switch {
			case bytes.HasPrefix(line, []byte("actors:")):
				return FormatActorPack, nil
			case bytes.HasPrefix(line, []byte("tags:")):
				return FormatTagPack, nil
			}
		}
		return FormatTagPack, nil
	}
	return "", fmt.Errorf("%s: cannot tell the label format from the extension (want .yaml/.yml, .xml, .csv or .json); give --format", name)
}

// xmlRoot returns the local name of the first element in head.
func xmlRoot(head []byte) (string, error) {
	d := xml.NewDecoder(bytes.NewReader(head))
	for {
		tok, err := d.RawToken()
		if err != nil {
			return "", fmt.Errorf("no XML root element in the first %d bytes: %w", len(head), err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			return se.Name.Local, nil
		}
	}
}
