package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/graphql-go/graphql"
	"github.com/spoorhq/spoor/api/export"
	"github.com/spoorhq/spoor/chains/bitcoin"
	"github.com/spoorhq/spoor/heuristics/detect"
	"github.com/spoorhq/spoor/storage"
	"github.com/spoorhq/spoor/trace"
)

// ClusterIndex is the active clustering as the explore area reads it.
// Implementations must be safe for concurrent use.
type ClusterIndex interface {
	// ClusterOf returns the cluster id of a: the number of the address
	// naming the cluster (a itself when it is alone).
	ClusterOf(a storage.AddrID) (storage.AddrID, error)
	// Members calls fn for the addresses of cluster c in address order,
	// starting after address after (0 for the first), until fn returns
	// false. A cluster of one address yields that address.
	Members(c, after storage.AddrID, fn func(storage.AddrID) bool) error
	// Size returns how many addresses cluster c holds.
	Size(c storage.AddrID) (uint64, error)
	// Merges returns the merges that joined a to other addresses, each with
	// its evidence.
	Merges(a storage.AddrID) ([]Merge, error)
	// Spec names the heuristic set that made the clustering.
	Spec() string
}

// Merge is one link of a clustering: the heuristic that joined an address
// to another in a transaction, with its confidence.
type Merge struct {
	Other      storage.AddrID
	TxNum      storage.TxNum
	Rule       string
	Confidence uint8
}

// FindingReader reads stored detector findings. *storage.DB implements it.
type FindingReader interface {
	FindingsOf(a storage.AddrID) ([]uint32, error)
	Finding(seq uint32) ([]byte, error)
}

// ExploreReader is what the explore area reads from a Bitcoin index.
// *storage.DB implements it.
type ExploreReader interface {
	TraceReader
	export.TxReader
	Address(id storage.AddrID) (storage.AddrRecord, error)
}

// ExploreOptions configure the explore area.
type ExploreOptions struct {
	// Clusters returns the active clustering, or nil when the index has
	// none. A nil function means no clustering.
	Clusters func() (ClusterIndex, error)
	// Findings reads stored findings; nil means none are served.
	Findings FindingReader
	// Export bounds the exported graphs; Neighbourhood bounds cluster
	// neighbourhoods.
	Export        export.Limits
	Neighbourhood export.NeighbourhoodLimits
	// MaxTxs bounds the transactions of one exportTransactions request
	// (default 1,000).
	MaxTxs int
}

// ExploreArea serves what the web explorer needs besides the chain and
// trace fields: an address's cluster with its merge evidence (clusterOf),
// the detector findings naming an address with their evidence
// (findingsOf), and graph exports of a cluster's neighbourhood
// (exportCluster) and of chosen transactions (exportTransactions), the
// graph on the explorer's screen. It must be added after ExportArea,
// whose ExportFile type the exports return.
func ExploreArea(r ExploreReader, labels trace.Labeler, net bitcoin.Network, opts ExploreOptions) Area {
	return func(b *Builder) (graphql.Fields, error) {
		file, ok := b.Type("ExportFile").(graphql.Output)
		if !ok || file == nil {
			return nil, errors.New("api: explore area: the ExportFile type is missing; add ExportArea before ExploreArea")
		}
		if opts.MaxTxs <= 0 {
			opts.MaxTxs = 1000
		}
		xs := &exploreSchema{b: b, r: r, labels: labels, net: net, opts: opts}
		xs.ts = &traceSchema{b: b, r: r, labels: labels, net: net}
		return xs.fields(graphql.NewNonNull(file)), nil
	}
}

type exploreSchema struct {
	b      *Builder
	r      ExploreReader
	ts     *traceSchema
	labels trace.Labeler
	net    bitcoin.Network
	opts   ExploreOptions
}

// clusterNode is what a Cluster resolves from.
type clusterNode struct {
	id      storage.AddrID
	name    string
	size    uint64
	spec    string
	members []string
	more    bool
	merges  []mergeView
}

// mergeView is a Merge with its address and transaction named.
type mergeView struct {
	Address    string
	Txid       string
	Height     uint32
	Rule       string
	Confidence uint8
}

func (xs *exploreSchema) fields(file graphql.Output) graphql.Fields {
	b := xs.b
	long := b.Long()
	nn := graphql.NewNonNull
	list := func(t graphql.Type) graphql.Output { return nn(graphql.NewList(nn(t))) }

	merge := graphql.NewObject(graphql.ObjectConfig{Name: "AddressClusterMerge", Description: "A merge that joined the asked address to another: the evidence for their sharing a cluster (the explorer's view; why gives the whole chain of merges between two addresses).", Fields: graphql.Fields{
		"address":    field(nn(graphql.String), "The other address.", func(s any) any { return s.(mergeView).Address }),
		"txid":       field(nn(graphql.String), "The transaction the heuristic read.", func(s any) any { return s.(mergeView).Txid }),
		"height":     field(nn(graphql.Int), "Its block height.", func(s any) any { return int(s.(mergeView).Height) }),
		"rule":       field(nn(graphql.String), "The heuristic, such as multi-input/1.", func(s any) any { return s.(mergeView).Rule }),
		"confidence": field(nn(graphql.Int), "Its confidence, in percent.", func(s any) any { return int(s.(mergeView).Confidence) }),
	}})
	clusterType := graphql.NewObject(graphql.ObjectConfig{Name: "AddressCluster", Description: "The cluster (likely one wallet) an address belongs to in the active clustering, seen from that address (the explorer's view; cluster pages its members).", Fields: graphql.Fields{
		"id":           field(nn(graphql.String), "The address naming the cluster (its lowest-numbered member).", func(s any) any { return s.(*clusterNode).name }),
		"size":         field(nn(long), "Addresses in the cluster.", func(s any) any { return s.(*clusterNode).size }),
		"heuristicSet": field(nn(graphql.String), "The heuristic set that made the clustering.", func(s any) any { return s.(*clusterNode).spec }),
		"members":      field(list(graphql.String), "The first members, in address order, at most the first argument.", func(s any) any { return s.(*clusterNode).members }),
		"moreMembers":  field(nn(graphql.Boolean), "Whether the cluster has members beyond the list.", func(s any) any { return s.(*clusterNode).more }),
		"merges":       field(list(merge), "The merges that joined the asked address to others.", func(s any) any { return s.(*clusterNode).merges }),
	}})

	evidence := graphql.NewObject(graphql.ObjectConfig{Name: "FindingEvidence", Description: "One fact a finding rests on.", Fields: graphql.Fields{
		"txid":      field(nn(graphql.String), "The transaction.", func(s any) any { return s.(detect.Evidence).Txid }),
		"height":    field(nn(graphql.Int), "Its block height.", func(s any) any { return int(s.(detect.Evidence).Height) }),
		"time":      field(graphql.String, "Its block time (RFC 3339).", func(s any) any { return rfc3339(s.(detect.Evidence).Time) }),
		"address":   field(graphql.String, "The address that matters in it.", func(s any) any { return nilIfEmpty(s.(detect.Evidence).Address) }),
		"amountSat": field(nn(long), "The amount that matters, in satoshi.", func(s any) any { return s.(detect.Evidence).Amount }),
		"note":      field(nn(graphql.String), "What it shows, in words.", func(s any) any { return s.(detect.Evidence).Note }),
	}})
	measured := graphql.NewObject(graphql.ObjectConfig{Name: "FindingMeasure", Description: "A value the rule compared with its threshold.", Fields: graphql.Fields{
		"name":  field(nn(graphql.String), "What was measured.", func(s any) any { return s.(measure).name }),
		"value": field(nn(graphql.Float), "The value.", func(s any) any { return s.(measure).value }),
	}})
	finding := graphql.NewObject(graphql.ObjectConfig{Name: "AddressFinding", Description: "A laundering or off-ramp detector's finding that names an address, with its evidence (the explorer's view; the findings field pages the same findings with their alerts).", Fields: graphql.Fields{
		"detector":   field(nn(graphql.String), "The detector and its version, such as peel_chain/1.", func(s any) any { return s.(detect.Finding).Detector }),
		"reason":     field(nn(graphql.String), "The reason code, such as PEEL_CHAIN_TO_EXCHANGE.", func(s any) any { return s.(detect.Finding).Reason }),
		"subject":    field(nn(graphql.String), "The address the finding is about.", func(s any) any { return s.(detect.Finding).Subject }),
		"entity":     field(graphql.String, "The labelled entity it concerns, if any.", func(s any) any { return nilIfEmpty(s.(detect.Finding).Entity) }),
		"summary":    field(nn(graphql.String), "What the rule saw, in words.", func(s any) any { return s.(detect.Finding).Summary }),
		"supporting": field(nn(graphql.Boolean), "Whether it only supports other findings.", func(s any) any { return s.(detect.Finding).Supporting }),
		"firstTime":  field(graphql.String, "Time of its first evidence (RFC 3339).", func(s any) any { return rfc3339(s.(detect.Finding).FirstTime) }),
		"lastTime":   field(graphql.String, "Time of its last evidence (RFC 3339).", func(s any) any { return rfc3339(s.(detect.Finding).LastTime) }),
		"measured":   field(list(measured), "The rule's measured values, by name.", func(s any) any { return measures(s.(detect.Finding).Measured) }),
		"evidence":   field(list(evidence), "The transactions it rests on.", func(s any) any { return nonNil(s.(detect.Finding).Evidence) }),
		"addresses":  field(list(graphql.String), "Every address it involves, the subject first.", func(s any) any { return nonNilStrings(s.(detect.Finding).Addresses) }),
		"txids":      field(list(graphql.String), "Every transaction it involves.", func(s any) any { return nonNilStrings(s.(detect.Finding).Txids) }),
	}})
	for _, l := range []string{"Query.findingsOf", "AddressFinding.measured", "AddressFinding.evidence", "AddressFinding.addresses", "AddressFinding.txids", "AddressCluster.members", "AddressCluster.merges"} {
		b.SetListSize(l, 1)
	}
	b.SetCost("Query.findingsOf", 20)
	b.SetCost("Query.clusterOf", 20)
	b.SetCost("Query.exportCluster", 200)
	b.SetCost("Query.exportTransactions", 200)
	formats := exportFormatNames()

	return graphql.Fields{
		"clusterOf": {
			Type:        clusterType,
			Description: "The cluster of an address in the active clustering, with its first members and the merges that put the address there; null when the index has no clustering. Role: viewer.",
			Args: graphql.FieldConfigArgument{
				"address": {Type: nn(graphql.String), Description: "The address."},
				"first":   {Type: graphql.Int, DefaultValue: 20, Description: fmt.Sprintf("How many members to list, at most %d.", b.MaxPageSize)},
			},
			Resolve: b.RequireRole(RoleViewer, xs.resolveCluster),
		},
		"findingsOf": {
			Type:        list(finding),
			Description: "The stored detector findings that name an address (as subject or in their evidence), with their evidence. Empty when spoor detect has not run. Role: analyst.",
			Args:        graphql.FieldConfigArgument{"address": {Type: nn(graphql.String), Description: "The address."}},
			Resolve:     b.RequireRole(RoleAnalyst, xs.resolveFindings),
		},
		"exportCluster": {
			Type: file,
			Description: "The neighbourhood of an address's cluster as a file: the cluster's addresses, their transactions and the direct counterparties " +
				"on the other side, within the server's bounds (a cut neighbourhood says partial). Formats: " + strings.Join(formats, ", ") + ". Role: analyst.",
			Args: graphql.FieldConfigArgument{
				"address":    {Type: nn(graphql.String), Description: "An address of the cluster."},
				"format":     {Type: nn(graphql.String), Description: "One of " + strings.Join(formats, ", ") + "."},
				"maxMembers": {Type: graphql.Int, Description: "Cluster addresses to draw; at most the server's bound."},
				"maxTxs":     {Type: graphql.Int, Description: "Transactions to draw, the newest kept; at most the server's bound."},
			},
			Resolve: b.RequireRole(RoleAnalyst, xs.resolveExportCluster),
		},
		"exportTransactions": {
			Type: file,
			Description: "The graph of the given transactions (their inputs and outputs, with labels and clusters) as a file, " +
				"such as the graph on the web explorer's screen. Formats: " + strings.Join(formats, ", ") + ". Role: analyst.",
			Args: graphql.FieldConfigArgument{
				"txids":  {Type: nn(graphql.NewList(nn(graphql.String))), Description: fmt.Sprintf("The transaction ids, at most %d.", xs.opts.MaxTxs)},
				"format": {Type: nn(graphql.String), Description: "One of " + strings.Join(formats, ", ") + "."},
				"title":  {Type: graphql.String, Description: "A title for formats that carry one."},
			},
			Resolve: b.RequireRole(RoleAnalyst, xs.resolveExportTxs),
		},
	}
}

// clusters returns the active clustering, or nil.
func (xs *exploreSchema) clusters() (ClusterIndex, error) {
	if xs.opts.Clusters == nil {
		return nil, nil
	}
	return xs.opts.Clusters()
}

func (xs *exploreSchema) name(id storage.AddrID) (string, error) {
	rec, err := xs.r.Address(id)
	if err != nil {
		return "", err
	}
	return bitcoin.EncodeAddress(xs.net, bitcoin.ScriptClass(rec.Class), rec.Payload)
}

func (xs *exploreSchema) resolveCluster(p graphql.ResolveParams) (any, error) {
	id, err := xs.ts.addrID("address", p.Args["address"].(string))
	if err != nil {
		return nil, err
	}
	n, err := xs.b.pageSize(p, "clusterOf")
	if err != nil {
		return nil, err
	}
	ci, err := xs.clusters()
	if err != nil || ci == nil {
		return nil, err
	}
	c, err := ci.ClusterOf(id)
	if err != nil {
		return nil, err
	}
	node := &clusterNode{id: c, spec: ci.Spec(), members: []string{}, merges: []mergeView{}}
	if node.name, err = xs.name(c); err != nil {
		return nil, err
	}
	if node.size, err = ci.Size(c); err != nil {
		return nil, err
	}
	var ids []storage.AddrID
	if err := ci.Members(c, 0, func(a storage.AddrID) bool {
		ids = append(ids, a)
		return len(ids) <= n
	}); err != nil {
		return nil, err
	}
	if len(ids) > n {
		ids, node.more = ids[:n], true
	}
	for _, a := range ids {
		s, err := xs.name(a)
		if err != nil {
			return nil, err
		}
		node.members = append(node.members, s)
	}
	merges, err := ci.Merges(id)
	if err != nil {
		return nil, err
	}
	for _, m := range merges {
		s, err := xs.name(m.Other)
		if err != nil {
			return nil, err
		}
		tx, err := xs.r.Tx(m.TxNum)
		if err != nil {
			return nil, err
		}
		node.merges = append(node.merges, mergeView{Address: s, Txid: chainhash.Hash(tx.Txid).String(), Height: tx.Height, Rule: m.Rule, Confidence: m.Confidence})
	}
	return node, nil
}

func (xs *exploreSchema) resolveFindings(p graphql.ResolveParams) (any, error) {
	id, err := xs.ts.addrID("address", p.Args["address"].(string))
	if err != nil {
		return nil, err
	}
	out := []detect.Finding{}
	if xs.opts.Findings == nil {
		return out, nil
	}
	seqs, err := xs.opts.Findings.FindingsOf(id)
	if err != nil {
		return nil, err
	}
	for _, s := range seqs {
		v, err := xs.opts.Findings.Finding(s)
		if err != nil {
			return nil, err
		}
		f, err := detect.DecodeFinding(v)
		if err != nil {
			return nil, fmt.Errorf("finding %d: %w", s, err)
		}
		out = append(out, f)
	}
	return out, nil
}

func (xs *exploreSchema) sources() (export.Sources, error) {
	src := export.Sources{Names: xs.name, Labels: xs.labels}
	ci, err := xs.clusters()
	if err != nil {
		return src, err
	}
	if ci != nil {
		src.Clusters = ci
	}
	return src, nil
}

func (xs *exploreSchema) resolveExportCluster(p graphql.ResolveParams) (any, error) {
	f, err := export.ParseFormat(p.Args["format"].(string))
	if err != nil {
		return nil, Errorf(CodeBadInput, "exportCluster: format: %v", err)
	}
	addr := p.Args["address"].(string)
	id, err := xs.ts.addrID("address", addr)
	if err != nil {
		return nil, err
	}
	lim := xs.opts.Neighbourhood
	d := export.NeighbourhoodLimits{MaxMembers: 200, MaxTxs: 1000}
	if lim.MaxMembers == 0 {
		lim.MaxMembers = d.MaxMembers
	}
	if lim.MaxTxs == 0 {
		lim.MaxTxs = d.MaxTxs
	}
	if lim.MaxMembers, err = lower("exportCluster", "maxMembers", lim.MaxMembers, p); err != nil {
		return nil, err
	}
	if lim.MaxTxs, err = lower("exportCluster", "maxTxs", lim.MaxTxs, p); err != nil {
		return nil, err
	}
	src, err := xs.sources()
	if err != nil {
		return nil, err
	}
	members, err := ClusterMembers(src.Clusters, id, lim.MaxMembers)
	if err != nil {
		return nil, err
	}
	g, err := export.Neighbourhood(p.Context, xs.r, members, lim, src)
	if err != nil {
		return nil, err
	}
	g.Network = xs.net.Name
	return writeExportFile(p.Context, "exportCluster", f, g, xs.opts.Export)
}

// ClusterMembers returns address id first, then the other members of its
// cluster in address order, at most max+1 addresses in all (one more than
// max says there are more). With no clustering (ci nil) the cluster is the
// address alone.
func ClusterMembers(ci export.ClusterReader, id storage.AddrID, max int) ([]storage.AddrID, error) {
	out := []storage.AddrID{id}
	x, ok := ci.(ClusterIndex)
	if ci == nil || !ok {
		return out, nil
	}
	c, err := x.ClusterOf(id)
	if err != nil {
		return nil, err
	}
	err = x.Members(c, 0, func(a storage.AddrID) bool {
		if a != id {
			out = append(out, a)
		}
		return len(out) <= max
	})
	return out, err
}

func (xs *exploreSchema) resolveExportTxs(p graphql.ResolveParams) (any, error) {
	f, err := export.ParseFormat(p.Args["format"].(string))
	if err != nil {
		return nil, Errorf(CodeBadInput, "exportTransactions: format: %v", err)
	}
	raw, _ := p.Args["txids"].([]any)
	if len(raw) == 0 {
		return nil, Errorf(CodeBadInput, "exportTransactions: no transactions given")
	}
	if len(raw) > xs.opts.MaxTxs {
		return nil, Errorf(CodeLimit, "exportTransactions: %d transactions; the limit is %d per request", len(raw), xs.opts.MaxTxs)
	}
	nums := make([]storage.TxNum, 0, len(raw))
	seen := map[storage.TxNum]bool{}
	for i, v := range raw {
		s := v.(string)
		h, err := chainhash.NewHashFromStr(s)
		if err != nil || len(s) != 64 {
			return nil, Errorf(CodeBadInput, "exportTransactions: txids[%d]: %q is not a 64-digit hex txid", i, clip(s, 80))
		}
		n, _, err := xs.r.LookupTxid(*h)
		if errors.Is(err, storage.ErrNotFound) {
			return nil, Errorf(CodeNotFound, "exportTransactions: txids[%d]: %s is not indexed", i, s)
		}
		if err != nil {
			return nil, err
		}
		if !seen[n] {
			seen[n] = true
			nums = append(nums, n)
		}
	}
	src, err := xs.sources()
	if err != nil {
		return nil, err
	}
	g, err := export.FromTxs(p.Context, xs.r, nums, src)
	if err != nil {
		return nil, err
	}
	g.Network = xs.net.Name
	if t, ok := p.Args["title"].(string); ok && strings.TrimSpace(t) != "" {
		g.Title = clip(t, 200)
	}
	return writeExportFile(p.Context, "exportTransactions", f, g, xs.opts.Export)
}

// writeExportFile writes g in format f as the ExportFile a field returns.
func writeExportFile(ctx context.Context, fieldName string, f export.Format, g *export.Graph, limits export.Limits) (*exportFile, error) {
	var buf bytes.Buffer
	err := export.Write(ctx, &buf, f, g, export.Options{Limits: limits, Now: time.Now()})
	var tl *export.TooLargeError
	if errors.As(err, &tl) {
		return nil, Errorf(CodeLimit, "%s: %v", fieldName, err)
	}
	if err != nil {
		return nil, err
	}
	ef := &exportFile{Format: string(f), MediaType: f.MediaType(), Encoding: "utf-8", Bytes: buf.Len(),
		Nodes: len(g.Nodes), Edges: len(g.Edges), Partial: g.Partial, Limit: g.Limit}
	if f.Binary() {
		ef.Encoding, ef.Content = "base64", base64.StdEncoding.EncodeToString(buf.Bytes())
	} else {
		ef.Content = buf.String()
	}
	return ef, nil
}

func exportFormatNames() []string {
	names := make([]string, 0, len(export.Formats()))
	for _, f := range export.Formats() {
		names = append(names, string(f))
	}
	return names
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
