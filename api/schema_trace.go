package api

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/graphql-go/graphql"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/spoorhq/spoor/chains/bitcoin"
	"github.com/spoorhq/spoor/storage"
	"github.com/spoorhq/spoor/trace"
	"golang.org/x/sync/errgroup"
)

// TraceOptions bound what the trace area's fields may ask for: a query may
// lower these limits, never raise them.
type TraceOptions struct {
	Walk     trace.Limits
	Exposure trace.ExposureLimits
	Paths    trace.PathLimits
	// Rules are the risk rules of screening; nil means the defaults.
	Rules []trace.RiskRule
	// MaxBulk bounds the addresses of one bulk screening request.
	MaxBulk int
}

// TraceReader is what the trace area reads besides the engine: address and
// txid lookups. *storage.DB implements it.
type TraceReader interface {
	LookupAddr(class uint8, payload []byte) (storage.AddrID, error)
	LookupTxid(txid [32]byte) (storage.TxNum, storage.TxRecord, error)
}

// TraceArea serves fund-flow tracing, path search and screening over one
// Bitcoin index, for keys with the analyst role and up, and labels for
// viewers.
func TraceArea(e *trace.Engine, r TraceReader, labels trace.Labeler, net bitcoin.Network, opts TraceOptions) Area {
	return func(b *Builder) (graphql.Fields, error) {
		ids, err := lru.New[string, storage.AddrID](addrIDCacheEntries)
		if err != nil {
			return nil, err
		}
		ts := &traceSchema{b: b, e: e, r: r, labels: labels, net: net, opts: opts, ids: ids}
		b.bulkScreen = ts.screenDirect
		return ts.fields(), nil
	}
}

type traceSchema struct {
	b      *Builder
	e      *trace.Engine
	r      TraceReader
	labels trace.Labeler
	net    bitcoin.Network
	opts   TraceOptions
	// ids caches the numbers of addresses asked about: a server screens
	// the same addresses again and again, and each lookup parses the
	// text and reads the index. Only found addresses are kept; like the
	// engine's read cache, it must be rebuilt after a reorg. Nil caches
	// nothing.
	ids *lru.Cache[string, storage.AddrID]
}

// addrIDCacheEntries is how many address numbers traceSchema keeps.
const addrIDCacheEntries = 1 << 16

// addrID resolves an address argument, with errors naming the argument.
func (ts *traceSchema) addrID(arg, s string) (storage.AddrID, error) {
	if ts.ids != nil {
		if id, ok := ts.ids.Get(s); ok {
			return id, nil
		}
	}
	class, payload, err := bitcoin.ParseAddress(ts.net, s)
	if err != nil {
		return 0, Errorf(CodeBadInput, "%s: %s is not a %s address: %s", arg, clip(s, 100), ts.net.Name, clip(errorTail(err), 200))
	}
	id, err := ts.r.LookupAddr(uint8(class), payload)
	if errors.Is(err, storage.ErrNotFound) {
		return 0, Errorf(CodeNotFound, "%s: %s is not indexed: never seen on %s", arg, clip(s, 100), ts.net.Name)
	}
	if err == nil && ts.ids != nil {
		ts.ids.Add(s, id)
	}
	return id, err
}

// lower returns the smaller of a configured bound and a requested one,
// rejecting requests above the bound.
func lower(field, arg string, bound int, p graphql.ResolveParams) (int, error) {
	v, ok := p.Args[arg].(int)
	return lowerTo(field, arg, bound, v, ok)
}

// lowerTo is lower for a requested value v, given when ok.
func lowerTo(field, arg string, bound, v int, ok bool) (int, error) {
	if !ok {
		return bound, nil
	}
	if v < 1 || v > bound {
		return 0, Errorf(CodeLimit, "%s: %s %d is outside 1..%d", field, arg, v, bound)
	}
	return v, nil
}

func field(t graphql.Output, desc string, get func(any) any) *graphql.Field {
	return &graphql.Field{Type: t, Description: desc, Resolve: func(p graphql.ResolveParams) (any, error) { return get(p.Source), nil }}
}

func (ts *traceSchema) fields() graphql.Fields {
	b := ts.b
	long := b.Long()
	nn := graphql.NewNonNull
	list := func(t graphql.Type) graphql.Output { return nn(graphql.NewList(nn(t))) }

	tag := graphql.NewObject(graphql.ObjectConfig{Name: "Tag", Description: "A label on an address as tracing uses it.", Fields: graphql.Fields{
		"entity":     field(nn(graphql.String), "Who the address belongs to.", func(s any) any { return s.(trace.Tag).Entity }),
		"category":   field(nn(graphql.String), "The entity's category, a concept of the label taxonomy (exchange, sanction, mixing_service, …).", func(s any) any { return s.(trace.Tag).Category }),
		"source":     field(nn(graphql.String), "Where the label comes from.", func(s any) any { return s.(trace.Tag).Source }),
		"confidence": field(nn(graphql.Int), "Confidence in the label, 0 to 100.", func(s any) any { return int(s.(trace.Tag).Confidence) }),
		"via": field(graphql.String, "Set when the label is inherited from the address's cluster: the clustered address that carries it.",
			func(s any) any { return nilIfEmpty(s.(trace.Tag).Via) }),
	}})
	b.AddType(tag)

	node := graphql.NewObject(graphql.ObjectConfig{Name: "TraceNode", Description: "A vertex of a trace graph: an address, a transaction, or an output without an address.", Fields: graphql.Fields{
		"id":       field(nn(graphql.String), "Identifier of the node within this result; edges refer to it.", func(s any) any { return s.(trace.Node).ID }),
		"kind":     field(nn(graphql.String), `"address", "tx" or "script".`, func(s any) any { return s.(trace.Node).Kind }),
		"address":  field(graphql.String, "The address, for address nodes.", func(s any) any { return nilIfEmpty(s.(trace.Node).Address) }),
		"txid":     field(graphql.String, "The transaction id, for transaction nodes.", func(s any) any { return nilIfEmpty(s.(trace.Node).Txid) }),
		"height":   field(graphql.Int, "Block height, for transaction nodes.", func(s any) any { return nilIfZero(int64(s.(trace.Node).Height)) }),
		"time":     field(graphql.String, "Block time (RFC 3339), for transaction nodes.", func(s any) any { return rfc3339(s.(trace.Node).Time) }),
		"hop":      field(nn(graphql.Int), "Fewest transactions between the node and a seed.", func(s any) any { return s.(trace.Node).Hop }),
		"valueSat": field(nn(long), "Value the walk saw pass through the node, in satoshi.", func(s any) any { return s.(trace.Node).Value }),
		"taintSat": field(nn(long), "The traced part of that value, in satoshi.", func(s any) any { return s.(trace.Node).Taint }),
		"tags":     field(list(tag), "Labels of the address.", func(s any) any { return nonNilTags(s.(trace.Node).Tags) }),
		"seed":     field(nn(graphql.Boolean), "Whether the walk started here.", func(s any) any { return s.(trace.Node).Seed }),
		"end":      field(graphql.String, "Why the walk did not go on through this transaction (mixing), or null.", func(s any) any { return nilIfEmpty(s.(trace.Node).End) }),
	}})
	traceEdge := graphql.NewObject(graphql.ObjectConfig{Name: "TraceEdge", Description: "A flow of value: an input (address into transaction) or an output (transaction to address).", Fields: graphql.Fields{
		"from":      field(nn(graphql.String), "Id of the node the value leaves.", func(s any) any { return s.(trace.Edge).From }),
		"to":        field(nn(graphql.String), "Id of the node the value enters.", func(s any) any { return s.(trace.Edge).To }),
		"txid":      field(nn(graphql.String), "The transaction.", func(s any) any { return s.(trace.Edge).Txid }),
		"index":     field(nn(graphql.Int), "Output index (vout) or input index (vin) in the transaction.", func(s any) any { return int(s.(trace.Edge).Index) }),
		"input":     field(nn(graphql.Boolean), "Whether the edge is an input.", func(s any) any { return s.(trace.Edge).Input }),
		"amountSat": field(nn(long), "Value of the input or output, in satoshi.", func(s any) any { return s.(trace.Edge).Amount }),
		"taintSat":  field(nn(long), "Traced part of it, in satoshi.", func(s any) any { return s.(trace.Edge).Taint }),
		"share":     field(nn(graphql.Float), "taintSat / amountSat.", func(s any) any { return s.(trace.Edge).Share }),
		"hop":       field(nn(graphql.Int), "Hop of the transaction.", func(s any) any { return s.(trace.Edge).Hop }),
		"height":    field(nn(graphql.Int), "Block height of the transaction.", func(s any) any { return int(s.(trace.Edge).Height) }),
		"time":      field(graphql.String, "Block time of the transaction (RFC 3339).", func(s any) any { return rfc3339(s.(trace.Edge).Time) }),
		"end": field(graphql.String, "Why the walk did not go on from here: unspent, service, hops, min-value, window, fanout, coinbase, no-address; null if it did.",
			func(s any) any { return nilIfEmpty(s.(trace.Edge).End) }),
		"endTag": field(tag, "The label that stopped the walk, when end is service.", func(s any) any {
			if t := s.(trace.Edge).EndTag; t != nil {
				return *t
			}
			return nil
		}),
	}})
	amountAt := graphql.NewObject(graphql.ObjectConfig{Name: "TraceEnd", Description: "Traced value that stopped for one reason.", Fields: graphql.Fields{
		"reason":    field(nn(graphql.String), `The reason, as in TraceEdge.end; "service:<category>" for labelled services, "budget" for value still moving when a budget ended the walk.`, func(s any) any { return s.(kv).k }),
		"amountSat": field(nn(long), "Traced value, in satoshi.", func(s any) any { return s.(kv).v }),
	}})
	result := graphql.NewObject(graphql.ObjectConfig{Name: "TraceResult", Description: "A trace as flat node and edge lists, with totals.", Fields: graphql.Fields{
		"direction":    field(nn(graphql.String), "forward or backward.", func(s any) any { return s.(*trace.Result).Direction }),
		"model":        field(nn(graphql.String), "The taint model.", func(s any) any { return s.(*trace.Result).Model }),
		"partial":      field(nn(graphql.Boolean), "Whether a budget ended the walk early; totals then cover only what was reached.", func(s any) any { return s.(*trace.Result).Partial }),
		"limit":        field(graphql.String, "The budget that ended the walk: nodes, edges, time or cancelled.", func(s any) any { return nilIfEmpty(s.(*trace.Result).Limit) }),
		"seedValueSat": field(nn(long), "Value at the seeds, in satoshi.", func(s any) any { return s.(*trace.Result).SeedValue }),
		"feesSat":      field(nn(long), "Traced value paid as fees, in satoshi.", func(s any) any { return s.(*trace.Result).Fees }),
		"txs":          field(nn(graphql.Int), "Transactions the walk went through.", func(s any) any { return s.(*trace.Result).Txs }),
		"ends":         field(list(amountAt), "Where the traced value stopped, by reason.", func(s any) any { return sortedKV(s.(*trace.Result).Ends) }),
		"nodes":        field(list(node), "The nodes.", func(s any) any { return s.(*trace.Result).Nodes }),
		"edges":        field(list(traceEdge), "The edges.", func(s any) any { return s.(*trace.Result).Edges }),
	}})

	hop := graphql.NewObject(graphql.ObjectConfig{Name: "PathHop", Description: "One payment on a path.", Fields: graphql.Fields{
		"from":      field(nn(graphql.String), "The paying address (one of the transaction's inputs).", func(s any) any { return s.(trace.PathHop).From }),
		"to":        field(nn(graphql.String), "The paid address.", func(s any) any { return s.(trace.PathHop).To }),
		"txid":      field(nn(graphql.String), "The transaction.", func(s any) any { return s.(trace.PathHop).Txid }),
		"height":    field(nn(graphql.Int), "Its block height.", func(s any) any { return int(s.(trace.PathHop).Height) }),
		"time":      field(graphql.String, "Its block time (RFC 3339).", func(s any) any { return rfc3339(s.(trace.PathHop).Time) }),
		"amountSat": field(nn(long), "What the transaction paid the address, in satoshi.", func(s any) any { return s.(trace.PathHop).Amount }),
	}})
	path := graphql.NewObject(graphql.ObjectConfig{Name: "Path", Description: "A chain of payments, each later than the one before.", Fields: graphql.Fields{
		"hops":      field(list(hop), "The payments in order.", func(s any) any { return s.(trace.Path).Hops }),
		"amountSat": field(nn(long), "The smallest payment along the path.", func(s any) any { return s.(trace.Path).Amount }),
	}})
	pathResult := graphql.NewObject(graphql.ObjectConfig{Name: "PathResult", Description: "Shortest payment paths between two addresses.", Fields: graphql.Fields{
		"paths":   field(list(path), "The paths found, all of the shortest length.", func(s any) any { return s.(*trace.PathResult).Paths }),
		"visited": field(nn(graphql.Int), "Addresses the search reached from both ends.", func(s any) any { return s.(*trace.PathResult).Visited }),
		"partial": field(nn(graphql.Boolean), "Whether a limit cut the search short (so a path may exist beyond it).", func(s any) any { return s.(*trace.PathResult).Partial }),
		"limit":   field(graphql.String, "The limit that did: time, nodes or fanout.", func(s any) any { return nilIfEmpty(s.(*trace.PathResult).Limit) }),
	}})

	step := graphql.NewObject(graphql.ObjectConfig{Name: "ExposureStep", Description: "One transaction on an exposure path and the address it reaches.", Fields: graphql.Fields{
		"txid":    field(nn(graphql.String), "The transaction.", func(s any) any { return s.(trace.PathStep).Txid }),
		"height":  field(nn(graphql.Int), "Its block height.", func(s any) any { return int(s.(trace.PathStep).Height) }),
		"time":    field(graphql.String, "Its block time (RFC 3339).", func(s any) any { return rfc3339(s.(trace.PathStep).Time) }),
		"address": field(graphql.String, "The counterparty address reached; null for newly mined coins.", func(s any) any { return nilIfEmpty(s.(trace.PathStep).Address) }),
	}})
	expPath := graphql.NewObject(graphql.ObjectConfig{Name: "ExposurePath", Description: "One flow behind an exposure figure.", Fields: graphql.Fields{
		"amountSat": field(nn(long), "Value of the flow, in satoshi.", func(s any) any { return s.(trace.ExposurePath).Amount }),
		"steps":     field(list(step), "From the screened address outwards.", func(s any) any { return s.(trace.ExposurePath).Steps }),
		"tag":       field(nn(tag), "The label reached.", func(s any) any { return s.(trace.ExposurePath).Tag }),
	}})
	catExp := graphql.NewObject(graphql.ObjectConfig{Name: "CategoryExposure", Description: "Exposure to one category of counterparty.", Fields: graphql.Fields{
		"category":  field(nn(graphql.String), "The category.", func(s any) any { return s.(catEntry).name }),
		"amountSat": field(nn(long), "Value, in satoshi.", func(s any) any { return s.(catEntry).c.Amount }),
		"share":     field(nn(graphql.Float), "Share of the screened value (0..1).", func(s any) any { return s.(catEntry).c.Share }),
		"minHop":    field(nn(graphql.Int), "Fewest transactions to a counterparty of the category.", func(s any) any { return s.(catEntry).c.MinHop }),
		"entities":  field(list(graphql.String), "Labelled entities reached.", func(s any) any { return nonNilStrings(s.(catEntry).c.Entities) }),
		"paths":     field(list(expPath), "The largest flows behind the figure.", func(s any) any { return s.(catEntry).c.Paths }),
	}})
	exposure := graphql.NewObject(graphql.ObjectConfig{Name: "Exposure", Description: "Where an address's funds came from (receiving) or went (sending), by category, directly or through unlabelled addresses.", Fields: graphql.Fields{
		"direction":       field(nn(graphql.String), "receiving or sending.", func(s any) any { return s.(*trace.Exposure).Direction }),
		"totalSat":        field(nn(long), "Value moved with others in this direction, in satoshi.", func(s any) any { return s.(*trace.Exposure).Total }),
		"direct":          field(list(catExp), "Exposure to direct counterparties.", func(s any) any { return catList(s.(*trace.Exposure).Direct) }),
		"indirect":        field(list(catExp), "Exposure through unlabelled addresses.", func(s any) any { return catList(s.(*trace.Exposure).Indirect) }),
		"unattributedSat": field(nn(long), "Value that reached no label within the limits.", func(s any) any { return s.(*trace.Exposure).Unattributed }),
		"transfers":       field(nn(graphql.Int), "The address's transfers read.", func(s any) any { return s.(*trace.Exposure).Transfers }),
		"partial":         field(nn(graphql.Boolean), "Whether a bound cut the computation short.", func(s any) any { return s.(*trace.Exposure).Partial }),
	}})
	reason := graphql.NewObject(graphql.ObjectConfig{Name: "RiskReason", Description: "A risk rule that fired, with the figure that fired it.", Fields: graphql.Fields{
		"code":      field(nn(graphql.String), "The rule's reason code.", func(s any) any { return s.(trace.Reason).Code }),
		"level":     field(nn(graphql.String), "The level it sets.", func(s any) any { return s.(trace.Reason).Level }),
		"direction": field(nn(graphql.String), "receiving, sending, or self for the address's own labels.", func(s any) any { return s.(trace.Reason).Direction }),
		"category":  field(nn(graphql.String), "The category.", func(s any) any { return s.(trace.Reason).Category }),
		"share":     field(nn(graphql.Float), "The exposure share that fired it.", func(s any) any { return s.(trace.Reason).Share }),
		"amountSat": field(nn(long), "The exposure amount, in satoshi.", func(s any) any { return s.(trace.Reason).Amount }),
	}})
	screening := graphql.NewObject(graphql.ObjectConfig{Name: "Screening", Description: "An address's exposure both ways, a risk level and the reasons for it.", Fields: graphql.Fields{
		"address":   field(nn(graphql.String), "The screened address.", func(s any) any { return s.(*trace.Screening).Address }),
		"risk":      field(nn(graphql.String), "none, low, medium, high or severe.", func(s any) any { return s.(*trace.Screening).Risk }),
		"reasons":   field(list(reason), "The rules that fired, gravest first.", func(s any) any { return s.(*trace.Screening).Reasons }),
		"tags":      field(list(tag), "The address's own labels.", func(s any) any { return nonNilTags(s.(*trace.Screening).Tags) }),
		"receiving": field(nn(exposure), "Where its funds came from.", func(s any) any { return s.(*trace.Screening).Receiving }),
		"sending":   field(nn(exposure), "Where its funds went.", func(s any) any { return s.(*trace.Screening).Sending }),
		"partial":   field(nn(graphql.Boolean), "Whether a bound cut either side short.", func(s any) any { return s.(*trace.Screening).Partial }),
		"source": field(nn(graphql.String), "Where the figures come from: index (the precomputed exposure index, fresh for the current labels, clustering and tip) "+
			"or live (a walk now; asking for entities or paths always walks).", func(s any) any { return s.(*trace.Screening).Source }),
		"indexNote": field(graphql.String, "Why a walk answered although an exposure index is attached: missing, stale or built for other limits.",
			func(s any) any { return nilIfEmpty(s.(*trace.Screening).IndexNote) }),
	}})
	b.AddType(screening)

	direction := graphql.NewEnum(graphql.EnumConfig{Name: "TraceDirection", Description: "Which way a trace walks.", Values: graphql.EnumValueConfigMap{
		"FORWARD":  {Value: "forward", Description: "Where the funds went."},
		"BACKWARD": {Value: "backward", Description: "Where the funds came from."},
	}})
	model := graphql.NewEnum(graphql.EnumConfig{Name: "TaintModel", Description: "How a transaction passes taint from its inputs to its outputs.", Values: graphql.EnumValueConfigMap{
		"POISON":  {Value: "poison", Description: "Any tainted input taints every output in full."},
		"HAIRCUT": {Value: "haircut", Description: "Outputs carry the tainted share of the inputs in proportion to value."},
		"FIFO":    {Value: "fifo", Description: "Inputs in order form a queue; outputs are paid from its head."},
		"LIFO":    {Value: "lifo", Description: "As FIFO, paid from the queue's tail."},
		"TIHO":    {Value: "tiho", Description: "Taint in, highest out: the largest outputs take the taint first (forward only)."},
	}})

	b.SetCost("Query.trace", 200)
	b.SetCost("Query.paths", 100)
	b.SetCost("Query.screen", 50)
	b.SetCost("Query.screenMany", 500)
	// The lists inside these results are bounded by the walks' own budgets
	// (nodes, edges, paths kept, bulk size), which the root fields' costs
	// stand for; they add nothing more.
	for _, l := range []string{"Query.screenMany", "Query.labels", "TraceResult.nodes", "TraceResult.edges", "TraceResult.ends", "TraceNode.tags",
		"PathResult.paths", "Path.hops", "Exposure.direct", "Exposure.indirect", "CategoryExposure.paths",
		"CategoryExposure.entities", "ExposurePath.steps", "Screening.reasons", "Screening.tags"} {
		b.SetListSize(l, 1)
	}
	return graphql.Fields{
		"trace": {
			Type:        nn(result),
			Description: "Follows funds from an address (all its received outputs) or an output (txid:vout), forward or backward, under a taint model, within the server's limits.",
			Args: graphql.FieldConfigArgument{
				"from":          {Type: nn(graphql.String), Description: "An address, or an output as txid:vout."},
				"direction":     {Type: direction, DefaultValue: "forward", Description: "FORWARD or BACKWARD."},
				"model":         {Type: model, DefaultValue: "haircut", Description: "The taint model."},
				"hops":          {Type: graphql.Int, Description: "Transactions to follow from the seeds; at most the server's limit."},
				"windowSeconds": {Type: graphql.Int, Description: "Ignore transactions more than this long after (or before) the seeds."},
				"minValueSat":   {Type: long, Description: "Drop flows carrying less than this, in satoshi."},
				"maxNodes":      {Type: graphql.Int, Description: "Node budget; at most the server's limit."},
			},
			Resolve: b.RequireRole(RoleAnalyst, ts.resolveTrace),
		},
		"paths": {
			Type:        nn(pathResult),
			Description: "Shortest payment paths from one address to another, each payment later than the one before.",
			Args: graphql.FieldConfigArgument{
				"from": {Type: nn(graphql.String), Description: "The source address."},
				"to":   {Type: nn(graphql.String), Description: "The target address."},
				"hops": {Type: graphql.Int, Description: "Longest path, in transactions; at most the server's limit."},
			},
			Resolve: b.RequireRole(RoleAnalyst, func(p graphql.ResolveParams) (any, error) {
				from, err := ts.addrID("from", p.Args["from"].(string))
				if err != nil {
					return nil, err
				}
				to, err := ts.addrID("to", p.Args["to"].(string))
				if err != nil {
					return nil, err
				}
				if from == to {
					return nil, Errorf(CodeBadInput, "paths: from and to are the same address")
				}
				lim := ts.opts.Paths
				if lim.MaxHops == 0 {
					lim.MaxHops = 6
				}
				if lim.MaxHops, err = lower("paths", "hops", lim.MaxHops, p); err != nil {
					return nil, err
				}
				return ts.e.Paths(p.Context, from, to, lim)
			}),
		},
		"screen": {
			Type:        nn(screening),
			Description: "Screens an address: direct and indirect exposure to labelled categories, receiving and sending, and a risk level with reason codes and evidence paths.",
			Args: graphql.FieldConfigArgument{
				"address": {Type: nn(graphql.String), Description: "The address to screen."},
				"hops":    {Type: graphql.Int, Description: "Hops of indirect exposure; at most the server's limit."},
			},
			Resolve: b.RequireRole(RoleAnalyst, func(p graphql.ResolveParams) (any, error) {
				id, err := ts.addrID("address", p.Args["address"].(string))
				if err != nil {
					return nil, err
				}
				lim := ts.opts.Exposure
				if lim.MaxHops == 0 {
					lim.MaxHops = 4
				}
				if lim.MaxHops, err = lower("screen", "hops", lim.MaxHops, p); err != nil {
					return nil, err
				}
				return ts.e.Screen(p.Context, id, ts.opts.Rules, evidenceLimits(p, lim))
			}),
		},
		"screenMany": {
			Type: list(screening),
			Description: "Screens many addresses at once (the bulk form of screen, also served as JSON at POST /screen). " +
				"Results come in the order asked; an address that is malformed or not indexed fails the whole request with an error naming it.",
			Args: graphql.FieldConfigArgument{
				"addresses": {Type: nn(graphql.NewList(nn(graphql.String))), Description: "The addresses, at most the server's bulk limit."},
				"hops":      {Type: graphql.Int, Description: "Hops of indirect exposure; at most the server's limit."},
			},
			Resolve: b.RequireRole(RoleAnalyst, ts.resolveScreenMany),
		},
		"labels": {
			Type:        list(tag),
			Description: "The labels of an address.",
			Args:        graphql.FieldConfigArgument{"address": {Type: nn(graphql.String), Description: "The address."}},
			Resolve: b.RequireRole(RoleViewer, func(p graphql.ResolveParams) (any, error) {
				id, err := ts.addrID("address", p.Args["address"].(string))
				if err != nil {
					return nil, err
				}
				return nonNilTags(ts.labels.Tags(id)), nil
			}),
		},
	}
}

func (ts *traceSchema) resolveScreenMany(p graphql.ResolveParams) (any, error) {
	raw, _ := p.Args["addresses"].([]any)
	addrs := make([]string, len(raw))
	for i, a := range raw {
		addrs[i], _ = a.(string)
	}
	hops, ok := p.Args["hops"].(int)
	r, sending := evidenceSides(p)
	var only trace.Direction
	switch {
	case r && !sending:
		only = trace.Receiving
	case sending && !r:
		only = trace.Sending
	}
	return ts.screenMany(p.Context, addrs, hops, ok, r || sending, only)
}

// screenDirect is screenMany for POST /screen's direct path, which runs
// without the GraphQL executor and never asks for evidence.
func (ts *traceSchema) screenDirect(ctx context.Context, addrs []string, hops *int) ([]*trace.Screening, error) {
	if hops == nil {
		return ts.screenMany(ctx, addrs, 0, false, false, 0)
	}
	return ts.screenMany(ctx, addrs, *hops, true, false, 0)
}

// screenMany screens the addresses in parallel, in the order given; hops,
// when given (ok), lowers the configured bound. With evidence, only is the
// side to find it for (0 for both).
func (ts *traceSchema) screenMany(ctx context.Context, addrs []string, hops int, ok, evidence bool, only trace.Direction) ([]*trace.Screening, error) {
	maxBulk := ts.opts.MaxBulk
	if maxBulk == 0 {
		maxBulk = 10_000
	}
	if len(addrs) > maxBulk {
		return nil, Errorf(CodeLimit, "screenMany: %d addresses; the limit is %d per request", len(addrs), maxBulk)
	}
	ids := make([]storage.AddrID, len(addrs))
	for i, a := range addrs {
		if ts.ids != nil {
			// A cached address needs no argument name for an error.
			if id, ok := ts.ids.Get(a); ok {
				ids[i] = id
				continue
			}
		}
		var err error
		if ids[i], err = ts.addrID(fmt.Sprintf("addresses[%d]", i), a); err != nil {
			return nil, err
		}
	}
	lim := ts.opts.Exposure
	if lim.MaxHops == 0 {
		lim.MaxHops = 4
	}
	var err error
	if lim.MaxHops, err = lowerTo("screenMany", "hops", lim.MaxHops, hops, ok); err != nil {
		return nil, err
	}
	lim.Evidence, lim.EvidenceOnly = evidence, only
	out := make([]*trace.Screening, len(ids))
	if len(ids) == 1 {
		// One address, the common case: no goroutine to start.
		s, err := ts.e.Screen(ctx, ids[0], ts.opts.Rules, lim)
		out[0] = s
		return out, err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, id := range ids {
		g.Go(func() error {
			s, err := ts.e.Screen(gctx, id, ts.opts.Rules, lim)
			out[i] = s
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

func (ts *traceSchema) resolveTrace(p graphql.ResolveParams) (any, error) {
	m, err := trace.ParseModel(p.Args["model"].(string))
	if err != nil {
		return nil, Errorf(CodeBadInput, "trace: %v", err)
	}
	from := p.Args["from"].(string)
	var seeds []trace.Outpoint
	if len(from) > 64 && from[64] == ':' {
		op, err := trace.ParseOutpoint(ts.r, from)
		if errors.Is(err, storage.ErrNotFound) {
			return nil, Errorf(CodeNotFound, "trace: from: transaction %s is not indexed", clip(from, 64))
		}
		if err != nil {
			return nil, Errorf(CodeBadInput, "trace: from: %v", err)
		}
		seeds = []trace.Outpoint{op}
	} else {
		id, err := ts.addrID("from", from)
		if err != nil {
			return nil, err
		}
		bound := ts.opts.Walk.MaxFanout
		if bound == 0 {
			bound = trace.DefaultLimits().MaxFanout
		}
		if seeds, err = ts.e.AddressOutputs(id, bound); err != nil {
			if errors.Is(err, trace.ErrBudget) {
				return nil, Errorf(CodeLimit, "trace: from: %s received more than %d times; trace single outputs (txid:vout) instead", clip(from, 100), bound)
			}
			return nil, err
		}
	}
	lim := ts.opts.Walk
	d := trace.DefaultLimits()
	if lim.MaxHops == 0 {
		lim.MaxHops = d.MaxHops
	}
	if lim.MaxNodes == 0 {
		lim.MaxNodes = d.MaxNodes
	}
	if lim.MaxHops, err = lower("trace", "hops", lim.MaxHops, p); err != nil {
		return nil, err
	}
	if lim.MaxNodes, err = lower("trace", "maxNodes", lim.MaxNodes, p); err != nil {
		return nil, err
	}
	if w, ok := p.Args["windowSeconds"].(int); ok {
		if w < 1 {
			return nil, Errorf(CodeBadInput, "trace: windowSeconds %d must be positive", w)
		}
		lim.Window = time.Duration(w) * time.Second
	}
	if v, ok := p.Args["minValueSat"]; ok && v != nil {
		n, ok := toUint64(v)
		if !ok {
			return nil, Errorf(CodeBadInput, "trace: minValueSat must be a non-negative integer")
		}
		lim.MinValue = max(lim.MinValue, n)
	}
	e := ts.e
	if !selectsField(p, "nodes") {
		// Naming reads and encodes every address node; a query that
		// shows no nodes does not need it.
		e = e.WithoutNames()
	}
	walk := e.Forward
	if p.Args["direction"].(string) == "backward" {
		walk = e.Backward
		if m == trace.TIHO {
			return nil, Errorf(CodeBadInput, "trace: model TIHO traces forward only")
		}
	}
	return walk(p.Context, seeds, m, lim)
}

// kv is one entry of a map of totals.
type kv struct {
	k string
	v uint64
}

func sortedKV(m map[string]uint64) []kv {
	out := make([]kv, 0, len(m))
	for k, v := range m {
		out = append(out, kv{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].k < out[j].k })
	return out
}

// catEntry is one category of an exposure map.
type catEntry struct {
	name string
	c    *trace.CategoryExposure
}

// catList returns the categories of m by amount, largest first, then by
// name.
func catList(m map[string]*trace.CategoryExposure) []catEntry {
	return appendCatList(make([]catEntry, 0, len(m)), m)
}

// appendCatList appends m's categories to out in catList's order.
func appendCatList(out []catEntry, m map[string]*trace.CategoryExposure) []catEntry {
	for k, c := range m {
		out = append(out, catEntry{k, c})
	}
	// Names are distinct, so the order is total and any sort gives it.
	slices.SortFunc(out, func(a, b catEntry) int {
		if c := cmp.Compare(b.c.Amount, a.c.Amount); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
	return out
}

func nonNilTags(t []trace.Tag) []trace.Tag {
	if t == nil {
		return []trace.Tag{}
	}
	return t
}

func nilIfZero(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}

func rfc3339(t int64) any {
	if t == 0 {
		return nil
	}
	return time.Unix(t, 0).UTC().Format(time.RFC3339)
}

// toUint64 reads a Long argument.
func toUint64(v any) (uint64, bool) {
	switch n := v.(type) {
	case int:
		return uint64(n), n >= 0
	case int64:
		return uint64(n), n >= 0
	case uint64:
		return n, true
	case float64:
		return uint64(n), n >= 0 && n == float64(uint64(n))
	}
	return 0, false
}
