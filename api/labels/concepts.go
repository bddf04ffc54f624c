package labels

import (
	"fmt"
	"sort"
	"strings"
)

// conceptParents lists every concept id of the GraphSense concept taxonomy
// (version 0.1.0, derived from the INTERPOL Darknet and Cryptocurrencies
// Working Group taxonomy) with its broader concept; the root "concept" has
// none. It is a function so that nothing can change the table.
func conceptParents() map[string]string {
	return map[string]string{
		"concept": "",
		"unknown": "concept",
		// Behaviour.
		"behaviour":           "concept",
		"abuse":               "behaviour",
		"sexual_abuse":        "abuse",
		"child_sexual_abuse":  "sexual_abuse",
		"violence":            "abuse",
		"murder":              "violence",
		"torture":             "violence",
		"human_trafficking":   "abuse",
		"scam":                "abuse",
		"financial_crime":     "abuse",
		"investment_fraud":    "financial_crime",
		"ponzi_scheme":        "investment_fraud",
		"pyramid_scheme":      "ponzi_scheme",
		"money_laundering":    "financial_crime",
		"payment_card_fraud":  "financial_crime",
		"extortion":           "abuse",
		"sextortion":          "extortion",
		"ransomware":          "extortion",
		"phishing":            "abuse",
		"hacking":             "abuse",
		"service_hack":        "hacking",
		"account_hack":        "hacking",
		"exploit":             "hacking",
		"data_breach":         "hacking",
		"social_engineering":  "hacking",
		"malware":             "hacking",
		"drugs":               "abuse",
		"weapons":             "abuse",
		"sanction":            "abuse",
		"counterfeit":         "abuse",
		"extremism":           "abuse",
		"terrorism":           "extremism",
		"terrorism_financing": "extremism",
		"black_list":          "abuse",
		"gov_black_list":      "black_list",
		"gray_usage":          "behaviour",
		"mixing":              "gray_usage",
		"coinjoin":            "mixing",
		"white_usage":         "behaviour",
		"cold_wallet":         "white_usage",
		"hot_wallet":          "white_usage",
		"warm_wallet":         "white_usage",
		"deposit_wallet":      "white_usage",
		"white_list":          "white_usage",
		"gov_white_list":      "white_list",
		"deployer":            "behaviour",
		"funder":              "behaviour",
		// Entities.
		"entity":            "concept",
		"organization":      "entity",
		"user":              "entity",
		"victim":            "user",
		"perpetrator":       "user",
		"donation":          "user",
		"miner":             "user",
		"service":           "entity",
		"exchange":          "service",
		"wallet_service":    "service",
		"escrow_wallet":     "wallet_service",
		"ico_wallet":        "wallet_service",
		"market":            "service",
		"mixing_service":    "service",
		"gambling":          "service",
		"atm":               "service",
		"payment_processor": "service",
		"hosting":           "service",
		"vpn":               "service",
		"messaging_service": "service",
		"filesharing":       "service",
		"index":             "service",
		"search_engine":     "service",
		"nameservice":       "service",
		"shop":              "service",
		"faucet":            "service",
		"mining_service":    "service",
		"defi":              "service",
		"defi_token":        "defi",
		"defi_lending":      "defi",
		"defi_dex":          "defi",
		"defi_dex_pair":     "defi_dex",
		"defi_derivative":   "defi",
		"defi_bridge":       "defi",
		"defi_dao":          "defi",
		"defi_staking":      "defi",
		"defi_custody":      "defi",
		"item":              "concept",
		"collectible":       "item",
		// Sources.
		"source":          "concept",
		"mention":         "source",
		"website_mention": "mention",
		"forum_mention":   "website_mention",
		"dark_web":        "source",
	}
}

// IsConcept reports whether id is a concept of the taxonomy.
func IsConcept(id string) bool {
	_, ok := conceptParents()[id]
	return ok
}

// ConceptAncestors returns the broader concepts of id, nearest first, up to
// and including the root; nil for an unknown id or the root.
func ConceptAncestors(id string) []string {
	parents := conceptParents()
	var out []string
	for p := parents[id]; p != ""; p = parents[p] {
		out = append(out, p)
	}
	return out
}

// Concepts returns every concept id in sorted order.
func Concepts() []string {
	var ids []string
	for id := range conceptParents() {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// checkConcept returns an error naming id if it is not a concept.
func checkConcept(id string) error {
	if IsConcept(id) {
		return nil
	}
	hint := ""
	if near := nearConcepts(id); len(near) > 0 {
		hint = "; did you mean " + strings.Join(near, " or ") + "?"
	}
	return fmt.Errorf("unknown concept %q (not in the GraphSense concept taxonomy%s)", id, hint)
}

// nearConcepts returns concepts that contain id or that id contains, to
// suggest a fix for a near miss such as "mixer" or "darknet_market".
func nearConcepts(id string) []string {
	id = strings.ToLower(strings.TrimSpace(id))
	if len(id) < 3 {
		return nil
	}
	var out []string
	for _, c := range Concepts() {
		if c != "concept" && (strings.Contains(c, id) || strings.Contains(id, c)) {
			out = append(out, c)
		}
	}
	if len(out) > 3 {
		out = out[:3]
	}
	return out
}
