package export

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/spoorhq/spoor/api/labels"
)

// OpenCTIExtension is the extension definition OpenCTI declares its custom
// observable types under, cryptocurrency-wallet among them. A wallet
// object names it with extension_type "new-sco", as STIX 2.1 section 7.3
// asks of an object type an extension defines, so that OpenCTI imports it
// as a Cryptocurrency-Wallet observable and other STIX 2.1 consumers know
// it is a custom type.
const OpenCTIExtension = "extension-definition--f93e2c80-4231-4f9a-af8b-95c9bd566a82"

// STIXWalletPattern returns the indicator pattern of a wallet address.
func STIXWalletPattern(addr string) string {
	return "[cryptocurrency-wallet:value = '" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(addr) + "']"
}

// stixTime formats a STIX timestamp (RFC 3339, UTC, millisecond
// precision).
func stixTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// stixID returns a deterministic SDO/SRO id from its parts.
func stixID(typ string, parts ...string) string {
	return typ + "--" + UUIDv5(SpoorNamespace(), typ+"|"+strings.Join(parts, "|")).String()
}

// STIXWalletID returns the id STIX 2.1's rules for cyber-observable ids
// give a cryptocurrency-wallet: UUIDv5 of its id-contributing property,
// value, as canonical JSON, in the SCO namespace.
func STIXWalletID(addr string) string {
	b, _ := json.Marshal(map[string]string{"value": addr}) // a map of strings cannot fail
	return "cryptocurrency-wallet--" + UUIDv5(STIXSCONamespace(), string(b)).String()
}

// indicatorTypes maps a label category to the STIX indicator-type-ov
// vocabulary: abuse is malicious activity, mixing is anonymization,
// anything else (exchanges, services) attribution.
func indicatorTypes(category string) []string {
	anc := labels.ConceptAncestors(category)
	has := func(c string) bool {
		if category == c {
			return true
		}
		for _, a := range anc {
			if a == c {
				return true
			}
		}
		return false
	}
	switch {
	case has("abuse"):
		return []string{"malicious-activity"}
	case has("mixing") || has("mixing_service"):
		return []string{"anonymization"}
	case category == "":
		return []string{"unknown"}
	}
	return []string{"attribution"}
}

// writeSTIX writes a STIX 2.1 bundle of the graph's labelled addresses: for
// each a cryptocurrency-wallet observable; for each of its labels an
// indicator with the wallet pattern, the label's category, confidence and
// source, and a based-on relationship to the wallet; and for each cluster
// holding labelled addresses a grouping of their wallets and indicators.
// Every id is a UUIDv5 of the content, so the same graph gives the same
// bundle. Objects stream one a line.
func writeSTIX(ctx context.Context, w io.Writer, g *Graph, opts Options) error {
	flagged := FlaggedAddresses(g)
	now := stixTime(opts.now())
	producer := stixID("identity", opts.producer())
	var addrs []string
	for _, f := range flagged {
		addrs = append(addrs, f.Address)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString(`{"type":"bundle","id":"` + stixID("bundle", append([]string{g.Title}, addrs...)...) + `","objects":[`)
	first := true
	put := func(obj map[string]any) error {
		b, err := json.Marshal(obj)
		if err != nil {
			return err
		}
		if !first {
			bw.WriteString(",")
		}
		first = false
		bw.WriteString("\n")
		_, err = bw.Write(b)
		return err
	}
	sdo := func(typ, id string) map[string]any {
		return map[string]any{"type": typ, "spec_version": "2.1", "id": id, "created": now, "modified": now}
	}
	ident := sdo("identity", producer)
	ident["name"], ident["identity_class"] = opts.producer(), "system"
	if err := put(ident); err != nil {
		return err
	}
	clusters := map[uint64][]string{}
	err := every(ctx, len(flagged), func(i int) error {
		f := &flagged[i]
		wallet := STIXWalletID(f.Address)
		if err := put(map[string]any{"type": "cryptocurrency-wallet", "spec_version": "2.1", "id": wallet, "value": f.Address,
			"extensions": map[string]any{OpenCTIExtension: map[string]any{"extension_type": "new-sco"}}}); err != nil {
			return err
		}
		refs := []string{wallet}
		for _, t := range f.Labels {
			conf := fmt.Sprint(t.Confidence)
			ind := sdo("indicator", stixID("indicator", f.Address, t.Entity, t.Category, t.Source, conf))
			ind["created_by_ref"] = producer
			ind["name"] = t.Entity
			ind["description"] = fmt.Sprintf("%s address of %s (%s), per %s", Asset, t.Entity, t.Category, t.Source)
			ind["indicator_types"] = indicatorTypes(t.Category)
			ind["pattern"] = STIXWalletPattern(f.Address)
			ind["pattern_type"] = "stix"
			ind["valid_from"] = now
			ind["confidence"] = int(t.Confidence)
			if t.Category != "" {
				ind["labels"] = []string{t.Category}
			}
			if g.Network != "" {
				// A custom property (STIX 2.1 section 11.1): no STIX
				// vocabulary says which Bitcoin network an address is of.
				ind["x_spoor_network"] = g.Network
			}
			ind["external_references"] = []map[string]string{{"source_name": t.Source}}
			if err := put(ind); err != nil {
				return err
			}
			rel := sdo("relationship", stixID("relationship", ind["id"].(string), "based-on", wallet))
			rel["relationship_type"], rel["source_ref"], rel["target_ref"] = "based-on", ind["id"], wallet
			rel["confidence"], rel["created_by_ref"] = int(t.Confidence), producer
			if err := put(rel); err != nil {
				return err
			}
			refs = append(refs, ind["id"].(string))
		}
		if f.HasCluster {
			clusters[f.Cluster] = append(clusters[f.Cluster], refs...)
		}
		return nil
	})
	if err != nil {
		return err
	}
	ids := make([]uint64, 0, len(clusters))
	for c := range clusters {
		ids = append(ids, c)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, c := range ids {
		cs := fmt.Sprint(c)
		grp := sdo("grouping", stixID("grouping", "cluster", cs))
		grp["created_by_ref"] = producer
		grp["name"] = "cluster " + cs
		grp["description"] = fmt.Sprintf("Labelled addresses of cluster %s (multi-input and change heuristics) in %s", cs, g.Title)
		grp["context"] = "suspicious-activity"
		grp["object_refs"] = clusters[c]
		if err := put(grp); err != nil {
			return err
		}
	}
	bw.WriteString("\n]}\n")
	return bw.Flush()
}
