package labels

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// confidenceLevels maps the GraphSense confidence level names to numbers
// from 0 to 100.
func confidenceLevels() map[string]uint8 {
	return map[string]uint8{
		"override":               100,
		"ownership":              100,
		"ledger_immanent":        100,
		"manual_transaction":     90,
		"service_api":            70,
		"forensic_investigation": 70,
		"authority_data":         60,
		"trusted_provider":       50,
		"service_data":           50,
		"forensic":               50,
		"untrusted_transaction":  40,
		"web_crawl":              20,
		"heuristic":              10,
		"unknown":                5,
	}
}

// ConfidenceLevel returns the number of a named confidence level.
func ConfidenceLevel(name string) (uint8, bool) {
	v, ok := confidenceLevels()[name]
	return v, ok
}

// ConfidenceNames returns the level names in sorted order.
func ConfidenceNames() []string {
	var names []string
	for n := range confidenceLevels() {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// parseConfidence reads a confidence level name or a number from 0 to 100
// and returns the number and the name (empty for a number).
func parseConfidence(s string, allowNumber bool) (uint8, string, error) {
	s = strings.TrimSpace(s)
	if v, ok := ConfidenceLevel(s); ok {
		return v, s, nil
	}
	if allowNumber {
		if n, err := strconv.ParseUint(s, 10, 8); err == nil && n <= 100 {
			return uint8(n), "", nil
		}
		return 0, "", fmt.Errorf("confidence %q is neither a number from 0 to 100 nor a level (%s)", s, strings.Join(ConfidenceNames(), ", "))
	}
	return 0, "", fmt.Errorf("unknown confidence level %q (known: %s)", s, strings.Join(ConfidenceNames(), ", "))
}
