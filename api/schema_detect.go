package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/graphql-go/graphql"
	"github.com/spoorhq/spoor/api/audit"
	"github.com/spoorhq/spoor/chains/bitcoin"
	"github.com/spoorhq/spoor/heuristics/detect"
	"github.com/spoorhq/spoor/storage"
	"github.com/spoorhq/spoor/trace"
)

// DetectReader is what the detection area reads and writes: stored
// findings, alerts and reviews, address lookups and the active
// clustering. *storage.DB implements it.
type DetectReader interface {
	detect.Reader
	detect.ReviewWriter
	LookupAddr(class uint8, payload []byte) (storage.AddrID, error)
	Address(id storage.AddrID) (storage.AddrRecord, error)
	ActiveGeneration() (uint32, bool, error)
	ClusterOf(gen uint32, a storage.AddrID) (storage.AddrID, error)
	ClusterMembers(gen uint32, c, after storage.AddrID, fn func(storage.AddrID) bool) error
}

// Auditor appends entries to the audit log. *audit.Log implements it.
type Auditor interface {
	Append(ctx context.Context, e audit.Entry) (audit.Entry, error)
}

// DetectOptions configure the detection area.
type DetectOptions struct {
	// Audit receives an entry for every alert review, besides the entry
	// the server writes for the request itself. It must not be nil.
	Audit Auditor
	// MaxClusterAddrs bounds the members read to list a cluster's
	// findings (default 10000); a bigger cluster is refused with its size.
	MaxClusterAddrs int
	// Now returns the time of a review (default time.Now).
	Now func() time.Time
}

// DetectArea serves the findings and alerts of the laundering detectors
// (batch runs and incremental detection), their evidence and reviews, to
// analysts; lets analysts review an alert (a mutation, audited); and adds
// the screened address's findings and alerts to screening results when
// the trace area is in the schema before it.
func DetectArea(r DetectReader, net bitcoin.Network, opts DetectOptions) Area {
	return func(b *Builder) (graphql.Fields, error) {
		if opts.Audit == nil {
			return nil, errors.New("api: the detection area needs an audit log for reviews")
		}
		if opts.MaxClusterAddrs <= 0 {
			opts.MaxClusterAddrs = 10000
		}
		if opts.Now == nil {
			opts.Now = time.Now
		}
		ds := &detectSchema{b: b, r: r, net: net, opts: opts}
		return ds.fields()
	}
}

type detectSchema struct {
	b    *Builder
	r    DetectReader
	net  bitcoin.Network
	opts DetectOptions
}

// measure is one value a rule measured.
type measure struct {
	name  string
	value float64
}

func measures(m map[string]float64) []measure {
	out := make([]measure, 0, len(m))
	for k, v := range m {
		out = append(out, measure{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func (ds *detectSchema) fields() (graphql.Fields, error) {
	b := ds.b
	long := b.Long()
	nn := graphql.NewNonNull
	list := func(t graphql.Type) graphql.Output { return nn(graphql.NewList(nn(t))) }
	pageInfo, _ := b.Type("PageInfo").(*graphql.Object)
	if pageInfo == nil {
		return nil, errors.New("api: the detection area needs the Bitcoin area (its PageInfo type) before it")
	}

	evidence := graphql.NewObject(graphql.ObjectConfig{Name: "Evidence", Description: "One fact a finding rests on: a transaction, the address and amount that matter in it, and what it shows.", Fields: graphql.Fields{
		"txid":      field(nn(graphql.String), "The transaction.", func(s any) any { return s.(detect.Evidence).Txid }),
		"height":    field(nn(graphql.Int), "Height of its block.", func(s any) any { return int(s.(detect.Evidence).Height) }),
		"time":      field(graphql.String, "Its block's time (RFC 3339).", func(s any) any { return rfc3339(s.(detect.Evidence).Time) }),
		"address":   field(graphql.String, "The address concerned, if one.", func(s any) any { return nilIfEmpty(s.(detect.Evidence).Address) }),
		"amountSat": field(nn(long), "The amount concerned, in satoshi.", func(s any) any { return s.(detect.Evidence).Amount }),
		"note":      field(nn(graphql.String), "What it shows, in words.", func(s any) any { return s.(detect.Evidence).Note }),
		"usd": field(graphql.Float, "amountSat in USD at priceDay's price, when a price table is configured (detect.prices) and quotes a day on or before the transaction; null otherwise. A threshold given in USD (NAME_usd in the detect config) was compared at this same price.",
			func(s any) any {
				if e := s.(detect.Evidence); e.PriceDay != "" {
					return e.USD
				}
				return nil
			}),
		"priceDay": field(graphql.String, "The UTC day (YYYY-MM-DD) of the price usd was computed with: the transaction's day, or the nearest earlier day of the price table when it has no price for that day; null when usd is null.",
			func(s any) any { return nilIfEmpty(s.(detect.Evidence).PriceDay) }),
	}})
	meas := graphql.NewObject(graphql.ObjectConfig{Name: "Measure", Description: "A value a rule measured and compared with its thresholds.", Fields: graphql.Fields{
		"name":  field(nn(graphql.String), "What was measured (the unit is in the name: _sat, _seconds, or a share).", func(s any) any { return s.(measure).name }),
		"value": field(nn(graphql.Float), "The value.", func(s any) any { return s.(measure).value }),
	}})
	fnd := func(s any) *detect.StoredFinding { return s.(*detect.StoredFinding) }
	finding := graphql.NewObject(graphql.ObjectConfig{Name: "Finding", Description: "One detector's indicator on one subject address, with its evidence. An indicator, never a verdict.", Fields: graphql.Fields{
		"detector":       field(nn(graphql.String), "The rule and its version, for example peel_chain/1.", func(s any) any { return fnd(s).Detector }),
		"reason":         field(nn(graphql.String), "Reason code of the typology, for example PEEL_CHAIN_TO_EXCHANGE.", func(s any) any { return fnd(s).Reason }),
		"subject":        field(nn(graphql.String), "The address the finding is about.", func(s any) any { return fnd(s).Subject }),
		"entity":         field(graphql.String, "A labelled entity it concerns (an exchange, a sanctioned entity, a service), if one.", func(s any) any { return nilIfEmpty(fnd(s).Entity) }),
		"summary":        field(nn(graphql.String), "What the rule saw, in words.", func(s any) any { return fnd(s).Summary }),
		"measured":       field(list(meas), "The rule's measured values.", func(s any) any { return measures(fnd(s).Measured) }),
		"supporting":     field(nn(graphql.Boolean), "Whether it only strengthens other indicators (round amounts).", func(s any) any { return fnd(s).Supporting }),
		"evidence":       field(list(evidence), "The facts it rests on.", func(s any) any { return nonNilEvidence(fnd(s).Evidence) }),
		"addresses":      field(list(graphql.String), "Every address it involves, the subject first.", func(s any) any { return nonNilStrings(fnd(s).Addresses) }),
		"txids":          field(list(graphql.String), "Every transaction it involves.", func(s any) any { return nonNilStrings(fnd(s).Txids) }),
		"firstTime":      field(graphql.String, "Time of its earliest evidence (RFC 3339).", func(s any) any { return rfc3339(fnd(s).FirstTime) }),
		"lastTime":       field(graphql.String, "Time of its latest evidence (RFC 3339).", func(s any) any { return rfc3339(fnd(s).LastTime) }),
		"source":         field(nn(graphql.String), "batch (the latest spoor detect run) or incremental (raised as blocks were indexed).", func(s any) any { return fnd(s).Source }),
		"raisedAtHeight": field(graphql.Int, "For incremental findings, the height whose detection run raised it.", func(s any) any { return incHeight(fnd(s).Source, fnd(s).RaisedAt) }),
	}})
	findingEdge := graphql.NewObject(graphql.ObjectConfig{Name: "FindingEdge", Description: "A finding with its cursor.", Fields: graphql.Fields{
		"cursor": field(nn(graphql.String), "Opaque position of this edge: pass it as after to continue after it.", func(s any) any { return s.(edge).cursor }),
		"node":   field(nn(finding), "The finding.", func(s any) any { return s.(edge).node }),
	}})
	findingConn := graphql.NewObject(graphql.ObjectConfig{Name: "FindingConnection", Description: "A page of findings: the latest batch run's in run order, then incremental ones by the height that raised them.", Fields: graphql.Fields{
		"pageInfo": field(nn(pageInfo), "Whether more follows and the cursor to continue after.", func(s any) any { return s }),
		"edges":    field(list(findingEdge), "The findings of this page.", func(s any) any { return s.(*connection).edges }),
	}})

	indicator := graphql.NewObject(graphql.ObjectConfig{Name: "Indicator", Description: "One detector's contribution to an alert.", Fields: graphql.Fields{
		"detector": field(nn(graphql.String), "The rule and its version.", func(s any) any { return s.(detect.Indicator).Detector }),
		"reason":   field(nn(graphql.String), "Its reason code.", func(s any) any { return s.(detect.Indicator).Reason }),
		"summary":  field(nn(graphql.String), "What it saw.", func(s any) any { return s.(detect.Indicator).Summary }),
		"txids":    field(list(graphql.String), "Its transactions (the finding's evidence has the detail).", func(s any) any { return nonNilStrings(s.(detect.Indicator).Txids) }),
	}})
	review := graphql.NewObject(graphql.ObjectConfig{Name: "Review", Description: "An analyst's mark on an alert.", Fields: graphql.Fields{
		"verdict":   field(nn(graphql.String), "confirmed or false_positive.", func(s any) any { return s.(detect.Review).Verdict }),
		"note":      field(nn(graphql.String), "Why.", func(s any) any { return s.(detect.Review).Note }),
		"time":      field(nn(graphql.String), "When (RFC 3339).", func(s any) any { return time.Unix(0, s.(detect.Review).Time).UTC().Format(time.RFC3339Nano) }),
		"reviewer":  field(graphql.String, "Who: the API key id or the command-line user.", func(s any) any { return nilIfEmpty(s.(detect.Review).Reviewer) }),
		"detectors": field(list(graphql.String), "The detectors the alert named when reviewed.", func(s any) any { return nonNilStrings(s.(detect.Review).Detectors) }),
	}})
	al := func(s any) *detect.StoredAlert { return s.(*detect.StoredAlert) }
	alert := graphql.NewObject(graphql.ObjectConfig{Name: "Alert", Description: "Indicators of at least two independent families on one cluster (or a direct contact with a sanctioned address alone), scored, with the evidence of each.", Fields: graphql.Fields{
		"id":             field(nn(graphql.String), "The alert's identity: the same in every run for one cluster.", func(s any) any { return al(s).ID }),
		"subject":        field(nn(graphql.String), "The cluster, named by its root address.", func(s any) any { return al(s).Subject }),
		"score":          field(nn(graphql.Float), "0 to 1.", func(s any) any { return al(s).Score }),
		"reasons":        field(list(graphql.String), "Reason codes.", func(s any) any { return nonNilStrings(al(s).Reasons) }),
		"detectors":      field(list(graphql.String), "Detectors of its independent indicators.", func(s any) any { return nonNilStrings(al(s).Detectors) }),
		"indicators":     field(list(indicator), "Its independent indicators.", func(s any) any { return nonNilIndicators(al(s).Indicators) }),
		"supporting":     field(list(indicator), "Supporting evidence only (round amounts).", func(s any) any { return nonNilIndicators(al(s).Supporting) }),
		"description":    field(nn(graphql.String), "Why it alerts, in words.", func(s any) any { return al(s).Description }),
		"firstTime":      field(graphql.String, "Time of its earliest evidence (RFC 3339).", func(s any) any { return rfc3339(al(s).FirstTime) }),
		"lastTime":       field(graphql.String, "Time of its latest evidence (RFC 3339).", func(s any) any { return rfc3339(al(s).LastTime) }),
		"source":         field(nn(graphql.String), "batch or incremental.", func(s any) any { return al(s).Source }),
		"raisedAtHeight": field(graphql.Int, "For incremental alerts, the height that raised this version.", func(s any) any { return incHeight(al(s).Source, al(s).RaisedAt) }),
		"findings": {Type: list(finding), Description: "The findings behind its indicators and supporting evidence, with their full evidence.",
			Resolve: b.RequireRole(RoleAnalyst, func(p graphql.ResolveParams) (any, error) { return ds.alertFindings(al(p.Source)) })},
		"reviews": {Type: list(review), Description: "Analysts' reviews of the alert, oldest first; the latest counts.",
			Resolve: b.RequireRole(RoleAnalyst, func(p graphql.ResolveParams) (any, error) {
				id, err := detect.ParseAlertID(al(p.Source).ID)
				if err != nil {
					return nil, err
				}
				return detect.ReviewsOf(ds.r, id)
			})},
	}})
	alertEdge := graphql.NewObject(graphql.ObjectConfig{Name: "AlertEdge", Description: "An alert with its cursor.", Fields: graphql.Fields{
		"cursor": field(nn(graphql.String), "Opaque position of this edge: pass it as after to continue after it.", func(s any) any { return s.(edge).cursor }),
		"node":   field(nn(alert), "The alert.", func(s any) any { return s.(edge).node }),
	}})
	alertConn := graphql.NewObject(graphql.ObjectConfig{Name: "AlertConnection", Description: "A page of alerts in identity order.", Fields: graphql.Fields{
		"pageInfo": field(nn(pageInfo), "Whether more follows and the cursor to continue after.", func(s any) any { return s }),
		"edges":    field(list(alertEdge), "The alerts of this page.", func(s any) any { return s.(*connection).edges }),
	}})
	source := graphql.NewEnum(graphql.EnumConfig{Name: "DetectionSource", Description: "Where stored findings and alerts come from.", Values: graphql.EnumValueConfigMap{
		"BATCH":       {Value: detect.SourceBatch, Description: "The latest batch run (spoor detect)."},
		"INCREMENTAL": {Value: detect.SourceIncremental, Description: "Raised as blocks were indexed."},
	}})
	verdict := graphql.NewEnum(graphql.EnumConfig{Name: "ReviewVerdict", Description: "An analyst's verdict on an alert.", Values: graphql.EnumValueConfigMap{
		"CONFIRMED":      {Value: detect.VerdictConfirmed, Description: "The alert is right."},
		"FALSE_POSITIVE": {Value: detect.VerdictFalsePositive, Description: "The alert is wrong."},
	}})
	common := func(what string) graphql.FieldConfigArgument {
		return graphql.FieldConfigArgument{
			"first":    {Type: graphql.Int, DefaultValue: 10, Description: fmt.Sprintf("How many %s to return, at most %d.", what, b.MaxPageSize)},
			"after":    {Type: graphql.String, Description: "Continue after this cursor (an edge's cursor or pageInfo.endCursor)."},
			"detector": {Type: graphql.String, Description: "Only this detector's (its name without version, for example peel_chain)."},
			"from":     {Type: graphql.String, Description: "Only those whose evidence reaches this time or later (RFC 3339)."},
			"to":       {Type: graphql.String, Description: "Only those whose evidence starts at this time or earlier (RFC 3339)."},
			"source":   {Type: source, Description: "Only batch or only incremental ones (default both)."},
		}
	}
	fargs := common("findings")
	fargs["address"] = &graphql.ArgumentConfig{Type: graphql.String, Description: "Only findings naming this address (as subject or in evidence)."}
	fargs["cluster"] = &graphql.ArgumentConfig{Type: graphql.String, Description: "Only findings naming an address of this address's cluster (active clustering)."}
	aargs := common("alerts")
	aargs["address"] = &graphql.ArgumentConfig{Type: graphql.String, Description: "Only the alert about this address's cluster (active clustering)."}
	aargs["minScore"] = &graphql.ArgumentConfig{Type: graphql.Float, Description: "Only alerts scoring at least this."}

	b.SetCost("Query.findings", 20)
	b.SetCost("Query.alerts", 20)
	b.SetCost("Mutation.reviewAlert", 10)
	b.SetCost("Screening.findings", 20)
	b.SetCost("Screening.alerts", 10)
	for _, l := range []string{"Finding.evidence", "Finding.measured", "Finding.addresses", "Finding.txids", "Alert.indicators",
		"Alert.supporting", "Alert.reasons", "Alert.detectors", "Alert.reviews", "Alert.findings", "Indicator.txids", "Review.detectors", "Screening.alerts"} {
		b.SetListSize(l, 20)
	}

	b.AddMutation("reviewAlert", &graphql.Field{
		Type:        nn(review),
		Description: "Marks an alert (batch or incremental) confirmed or a false positive, with a note. The review is stored and audited; the latest review of an alert counts toward the false-positive rate of its detectors. Role: analyst.",
		Args: graphql.FieldConfigArgument{
			"id":      {Type: nn(graphql.String), Description: "The alert's id."},
			"verdict": {Type: nn(verdict), Description: "The verdict."},
			"note":    {Type: nn(graphql.String), Description: "Why (required, at most 2000 characters)."},
		},
		Resolve: b.RequireRole(RoleAnalyst, ds.resolveReview),
	})

	if sc, ok := b.Type("Screening").(*graphql.Object); ok {
		sc.AddFieldConfig("findings", &graphql.Field{Type: list(finding),
			Description: "Stored findings naming the screened address (batch and incremental), at most first. Role: analyst.",
			Args:        graphql.FieldConfigArgument{"first": {Type: graphql.Int, DefaultValue: 10, Description: fmt.Sprintf("At most this many, up to %d.", b.MaxPageSize)}},
			Resolve: b.RequireRole(RoleAnalyst, func(p graphql.ResolveParams) (any, error) {
				n, err := b.pageSize(p, "Screening.findings")
				if err != nil {
					return nil, err
				}
				c, err := ds.findings(p, p.Source.(*trace.Screening).Address, "", n)
				if err != nil {
					return nil, err
				}
				out := make([]*detect.StoredFinding, 0, len(c.edges))
				for _, e := range c.edges {
					out = append(out, e.node.(*detect.StoredFinding))
				}
				return out, nil
			})})
		sc.AddFieldConfig("alerts", &graphql.Field{Type: list(alert),
			Description: "Stored alerts about the screened address's cluster (batch and incremental). Role: analyst.",
			Resolve: b.RequireRole(RoleAnalyst, func(p graphql.ResolveParams) (any, error) {
				c, err := ds.alerts(p, p.Source.(*trace.Screening).Address, 10)
				if err != nil {
					return nil, err
				}
				out := make([]*detect.StoredAlert, 0, len(c.edges))
				for _, e := range c.edges {
					out = append(out, e.node.(*detect.StoredAlert))
				}
				return out, nil
			})})
	}

	return graphql.Fields{
		"findings": {Type: nn(findingConn), Args: fargs,
			Description: "Findings of the laundering and off-ramp detectors with their evidence, by address, cluster, detector and time. Role: analyst.",
			Resolve: b.RequireRole(RoleAnalyst, func(p graphql.ResolveParams) (any, error) {
				n, err := b.pageSize(p, "findings")
				if err != nil {
					return nil, err
				}
				addr, _ := p.Args["address"].(string)
				clus, _ := p.Args["cluster"].(string)
				after, _ := p.Args["after"].(string)
				if addr != "" && clus != "" {
					return nil, Errorf(CodeBadInput, "findings: give address or cluster, not both")
				}
				if clus != "" {
					return ds.clusterFindings(p, clus, after, n)
				}
				return ds.findings(p, addr, after, n)
			})},
		"alerts": {Type: nn(alertConn), Args: aargs,
			Description: "Alerts with the evidence of each indicator and their reviews, by address (its cluster), detector, time and score. Role: analyst.",
			Resolve: b.RequireRole(RoleAnalyst, func(p graphql.ResolveParams) (any, error) {
				n, err := b.pageSize(p, "alerts")
				if err != nil {
					return nil, err
				}
				addr, _ := p.Args["address"].(string)
				return ds.alerts(p, addr, n)
			})},
	}, nil
}

func incHeight(source string, h uint32) any {
	if source != detect.SourceIncremental {
		return nil
	}
	return int(h)
}

// addrID resolves an address argument.
func (ds *detectSchema) addrID(field, arg, s string) (storage.AddrID, error) {
	class, payload, err := bitcoin.ParseAddress(ds.net, s)
	if err != nil {
		return 0, Errorf(CodeBadInput, "%s: %s %s is not a %s address: %s", field, arg, clip(s, 100), ds.net.Name, clip(errorTail(err), 200))
	}
	id, err := ds.r.LookupAddr(uint8(class), payload)
	if errors.Is(err, storage.ErrNotFound) {
		return 0, Errorf(CodeNotFound, "%s: %s %s is not indexed: never seen on %s", field, arg, clip(s, 100), ds.net.Name)
	}
	return id, err
}

// filterArgs reads the arguments findings and alerts share.
func filterArgs(field string, p graphql.ResolveParams) (det string, from, to int64, src string, err error) {
	det, _ = p.Args["detector"].(string)
	src, _ = p.Args["source"].(string)
	if det != "" {
		if cerr := detect.CheckName(det); cerr != nil {
			return "", 0, 0, "", Errorf(CodeBadInput, "%s: %s", field, cerr.Error())
		}
	}
	parse := func(arg string) (int64, error) {
		s, _ := p.Args[arg].(string)
		if s == "" {
			return 0, nil
		}
		t, perr := time.Parse(time.RFC3339, s)
		if perr != nil {
			return 0, Errorf(CodeBadInput, "%s: %s %q is not an RFC 3339 time", field, arg, clip(s, 60))
		}
		return t.Unix(), nil
	}
	if from, err = parse("from"); err != nil {
		return
	}
	if to, err = parse("to"); err != nil {
		return
	}
	if from != 0 && to != 0 && to < from {
		err = Errorf(CodeBadInput, "%s: to is before from", field)
	}
	return
}

func (ds *detectSchema) findingPage(field string, p graphql.ResolveParams, addrs []storage.AddrID, after string, n int) (*connection, error) {
	det, from, to, src, err := filterArgs(field, p)
	if err != nil {
		return nil, err
	}
	page, more, err := detect.ReadFindings(ds.r, detect.FindingFilter{Addrs: addrs, Detector: det, From: from, To: to, Source: src}, after, n)
	if errors.Is(err, detect.ErrBadCursor) {
		return nil, Errorf(CodeBadInput, "%s: after %q is not a cursor this server gave out", field, clip(after, 80))
	}
	if err != nil {
		return nil, err
	}
	c := &connection{hasNext: more}
	for i := range page {
		c.edges = append(c.edges, edge{cursor: page[i].Cursor, node: &page[i]})
	}
	if len(c.edges) > 0 {
		c.endCursor = c.edges[len(c.edges)-1].cursor
	}
	return c, nil
}

func (ds *detectSchema) findings(p graphql.ResolveParams, addr, after string, n int) (*connection, error) {
	var addrs []storage.AddrID
	if addr != "" {
		id, err := ds.addrID("findings", "address", addr)
		if err != nil {
			return nil, err
		}
		addrs = []storage.AddrID{id}
	}
	return ds.findingPage("findings", p, addrs, after, n)
}

func (ds *detectSchema) clusterFindings(p graphql.ResolveParams, addr, after string, n int) (*connection, error) {
	addrs, err := ds.clusterAddrs("findings", addr)
	if err != nil {
		return nil, err
	}
	return ds.findingPage("findings", p, addrs, after, n)
}

// clusterAddrs returns the addresses of addr's cluster in the active
// clustering (addr alone without one), refusing clusters over the bound.
func (ds *detectSchema) clusterAddrs(field, addr string) ([]storage.AddrID, error) {
	id, err := ds.addrID(field, "cluster", addr)
	if err != nil {
		return nil, err
	}
	root, gen, ok, err := ds.clusterRoot(id)
	if err != nil {
		return nil, err
	}
	addrs := []storage.AddrID{id}
	if ok {
		addrs = addrs[:0]
		over := false
		err := ds.r.ClusterMembers(gen, root, 0, func(a storage.AddrID) bool {
			if len(addrs) == ds.opts.MaxClusterAddrs {
				over = true
				return false
			}
			addrs = append(addrs, a)
			return true
		})
		if err != nil {
			return nil, err
		}
		if over {
			return nil, Errorf(CodeLimit, "%s: the cluster of %s has more than %d addresses; ask by address instead", field, clip(addr, 100), ds.opts.MaxClusterAddrs)
		}
		if len(addrs) == 0 {
			addrs = append(addrs, id)
		}
	}
	return addrs, nil
}

// alertFindings returns the stored findings behind a's indicators and
// supporting evidence: those of its cluster, from its source, with an
// indicator's detector, summary and transactions.
func (ds *detectSchema) alertFindings(a *detect.StoredAlert) ([]*detect.StoredFinding, error) {
	addrs, err := ds.clusterAddrs("Alert.findings", a.Subject)
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, ind := range append(append([]detect.Indicator(nil), a.Indicators...), a.Supporting...) {
		want[ind.Detector+"\x00"+ind.Summary+"\x00"+fmt.Sprint(ind.Txids)] = true
	}
	var out []*detect.StoredFinding
	for after := ""; ; {
		page, more, err := detect.ReadFindings(ds.r, detect.FindingFilter{Addrs: addrs, Source: a.Source}, after, 500)
		if err != nil {
			return nil, err
		}
		for i := range page {
			f := &page[i]
			if k := f.Detector + "\x00" + f.Summary + "\x00" + fmt.Sprint(f.Txids); want[k] {
				delete(want, k)
				out = append(out, f)
			}
		}
		if !more || len(page) == 0 || len(want) == 0 {
			return out, nil
		}
		after = page[len(page)-1].Cursor
	}
}

// clusterRoot returns the root of a's cluster in the active clustering,
// and false when there is none.
func (ds *detectSchema) clusterRoot(a storage.AddrID) (root storage.AddrID, gen uint32, ok bool, err error) {
	gen, ok, err = ds.r.ActiveGeneration()
	if err != nil || !ok {
		return a, 0, false, err
	}
	root, err = ds.r.ClusterOf(gen, a)
	return root, gen, err == nil, err
}

func (ds *detectSchema) alerts(p graphql.ResolveParams, addr string, n int) (*connection, error) {
	det, from, to, src, err := filterArgs("alerts", p)
	if err != nil {
		return nil, err
	}
	f := detect.AlertFilter{Detector: det, From: from, To: to, Source: src}
	f.MinScore, _ = p.Args["minScore"].(float64)
	if addr != "" {
		id, err := ds.addrID("alerts", "address", addr)
		if err != nil {
			return nil, err
		}
		root, _, _, err := ds.clusterRoot(id)
		if err != nil {
			return nil, err
		}
		rec, err := ds.r.Address(root)
		if err != nil {
			return nil, err
		}
		name, err := bitcoin.EncodeAddress(ds.net, bitcoin.ScriptClass(rec.Class), rec.Payload)
		if err != nil {
			return nil, err
		}
		f.IDs = []storage.AlertID{detect.AlertIDOf(name)}
	}
	after, _ := p.Args["after"].(string)
	page, more, err := detect.ReadAlerts(ds.r, f, after, n)
	if err != nil {
		return nil, err
	}
	c := &connection{hasNext: more}
	for i := range page {
		c.edges = append(c.edges, edge{cursor: page[i].Cursor, node: &page[i]})
	}
	if len(c.edges) > 0 {
		c.endCursor = c.edges[len(c.edges)-1].cursor
	}
	return c, nil
}

// maxNote bounds a review's note.
const maxNote = 2000

func (ds *detectSchema) resolveReview(p graphql.ResolveParams) (any, error) {
	idArg, _ := p.Args["id"].(string)
	verdict, _ := p.Args["verdict"].(string)
	note, _ := p.Args["note"].(string)
	if len(note) > maxNote {
		return nil, Errorf(CodeBadInput, "reviewAlert: the note has %d bytes; at most %d", len(note), maxNote)
	}
	id, err := detect.ParseAlertID(idArg)
	if err != nil {
		return nil, Errorf(CodeBadInput, "reviewAlert: %s", err.Error())
	}
	caller, _ := CallerFrom(p.Context)
	rv, err := detect.MarkAlert(ds.r, ds.r, id, verdict, note, caller.KeyID, ds.opts.Now().UnixNano())
	switch {
	case errors.Is(err, detect.ErrUnknownAlert):
		return nil, Errorf(CodeNotFound, "reviewAlert: no stored alert %s", clip(idArg, 40))
	case errors.Is(err, detect.ErrBadReview):
		return nil, Errorf(CodeBadInput, "reviewAlert: %s", err.Error())
	case err != nil:
		return nil, err
	}
	detail, err := json.Marshal(map[string]any{"alert": rv.Alert, "verdict": rv.Verdict, "note": rv.Note, "detectors": rv.Detectors})
	if err != nil {
		return nil, err
	}
	if _, err := ds.opts.Audit.Append(context.WithoutCancel(p.Context), audit.Entry{KeyID: caller.KeyID, Role: caller.Role.String(),
		Operation: "alerts.review", Detail: string(detail), Status: audit.StatusOK}); err != nil {
		return nil, fmt.Errorf("reviewAlert: the review of %s is stored but the audit log failed: %w", rv.Alert, err)
	}
	return rv, nil
}

func nonNilEvidence(e []detect.Evidence) []detect.Evidence {
	if e == nil {
		return []detect.Evidence{}
	}
	return e
}

func nonNilIndicators(s []detect.Indicator) []detect.Indicator {
	if s == nil {
		return []detect.Indicator{}
	}
	return s
}
