package labels

import (
	"strings"
	"testing"
)

func TestDetectFormat(t *testing.T) {
	tests := []struct {
		name, head string
		want       Format
		err        string
	}{
		{"l.csv", "", FormatCSV, ""},
		{"sdn.xml", `<?xml version="1.0"?><sdnList xmlns="x">`, FormatOFAC, ""},
		{"SDN_ADVANCED.XML", `<?xml version="1.0"?>` + "\n" + `<Sanctions xmlns="x">`, FormatOFAC, ""},
		{"other.xml", `<catalog>`, "", "other.xml: XML root element <catalog> is neither <sdnList> (sdn.xml) nor <Sanctions> (sdn_advanced.xml)"},
		{"p.yaml", "title: x\ncreator: y\ntags:\n", FormatTagPack, ""},
		{"a.yml", "title: x\ncreator: y\nactors:\n", FormatActorPack, ""},
		{"labels.txt", "", "", "labels.txt: cannot tell the label format from the extension"},
	}
	for _, tt := range tests {
		got, err := DetectFormat(tt.name, []byte(tt.head))
		if tt.err != "" {
			if err == nil || !strings.HasPrefix(err.Error(), tt.err) {
				t.Errorf("%s: error %v, want %q", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: %q %v, want %q", tt.name, got, err, tt.want)
		}
	}
	if _, err := ParseFormat("yaml"); err == nil {
		t.Error("an unknown --format is accepted")
	}
}
