package api

import (
	"fmt"
	"strings"

	"github.com/graphql-go/graphql"
	"github.com/spoorhq/spoor/api/export"
	"github.com/spoorhq/spoor/chains/bitcoin"
	"github.com/spoorhq/spoor/trace"
)

// ExportOptions configure the export area.
type ExportOptions struct {
	// Trace bounds the traces an export runs, as in the trace area.
	Trace TraceOptions
	// Limits bound the exported graphs.
	Limits export.Limits
	// Clusters returns the cluster reader of the active clustering, or
	// nil if the index has none; nil means no cluster ids.
	Clusters func() (export.ClusterReader, error)
}

// exportFile is what exportTrace returns.
type exportFile struct {
	Format    string `json:"format"`
	MediaType string `json:"mediaType"`
	Encoding  string `json:"encoding"`
	Content   string `json:"content"`
	Bytes     int    `json:"bytes"`
	Nodes     int    `json:"nodes"`
	Edges     int    `json:"edges"`
	Partial   bool   `json:"partial"`
	Limit     string `json:"limit"`
}

// ExportArea serves exportTrace: a trace written in one of the export
// formats, for keys with the analyst role and up. The server audits it
// like every query.
func ExportArea(e *trace.Engine, r TraceReader, labels trace.Labeler, net bitcoin.Network, opts ExportOptions) Area {
	return func(b *Builder) (graphql.Fields, error) {
		ts := &traceSchema{b: b, e: e, r: r, labels: labels, net: net, opts: opts.Trace}
		nn := func(t graphql.Type) graphql.Type { return graphql.NewNonNull(t) }
		names := make([]string, 0, len(export.Formats()))
		for _, f := range export.Formats() {
			names = append(names, string(f))
		}
		file := graphql.NewObject(graphql.ObjectConfig{Name: "ExportFile", Description: "An exported trace graph.", Fields: graphql.Fields{
			"format":    &graphql.Field{Type: nn(graphql.String), Description: "The format written."},
			"mediaType": &graphql.Field{Type: nn(graphql.String), Description: "Its media type."},
			"encoding":  &graphql.Field{Type: nn(graphql.String), Description: "utf-8 for the text formats, base64 for csv (a zip of nodes.csv and edges.csv)."},
			"content":   &graphql.Field{Type: nn(graphql.String), Description: "The file, in encoding."},
			"bytes":     &graphql.Field{Type: nn(graphql.Int), Description: "The file's size before encoding."},
			"nodes":     &graphql.Field{Type: nn(graphql.Int), Description: "Nodes of the graph."},
			"edges":     &graphql.Field{Type: nn(graphql.Int), Description: "Edges of the graph."},
			"partial":   &graphql.Field{Type: nn(graphql.Boolean), Description: "A budget ended the walk, or a bound cut the neighbourhood: the graph covers only what was reached."},
			"limit":     &graphql.Field{Type: graphql.String, Description: "The budget or bound that did, if partial."},
		}})
		b.AddType(file)
		b.SetCost("Query.exportTrace", 200)
		return graphql.Fields{
			"exportTrace": {
				Type:        nn(file),
				Description: "Traces funds as the trace field does and returns the graph as a file: " + strings.Join(names, ", ") + ". A graph over the server's export limits is an error with its size and the limit.",
				Args: graphql.FieldConfigArgument{
					"from":      {Type: nn(graphql.String), Description: "An address, or an output as txid:vout."},
					"direction": {Type: graphql.String, DefaultValue: "forward", Description: "forward or backward."},
					"model":     {Type: graphql.String, DefaultValue: "haircut", Description: "The taint model: poison, haircut, fifo, lifo or tiho."},
					"hops":      {Type: graphql.Int, Description: "Transactions to follow from the seeds; at most the server's limit."},
					"format":    {Type: nn(graphql.String), Description: "One of " + strings.Join(names, ", ") + "."},
				},
				Resolve: b.RequireRole(RoleAnalyst, func(p graphql.ResolveParams) (any, error) {
					return ts.resolveExport(p, opts)
				}),
			},
		}, nil
	}
}

func (ts *traceSchema) resolveExport(p graphql.ResolveParams, opts ExportOptions) (any, error) {
	f, err := export.ParseFormat(p.Args["format"].(string))
	if err != nil {
		return nil, Errorf(CodeBadInput, "exportTrace: format: %v", err)
	}
	dir := strings.ToLower(p.Args["direction"].(string))
	if dir != "forward" && dir != "backward" {
		return nil, Errorf(CodeBadInput, "exportTrace: direction %q: want forward or backward", clip(dir, 20))
	}
	args := map[string]any{"from": p.Args["from"], "direction": dir, "model": strings.ToLower(p.Args["model"].(string))}
	if h, ok := p.Args["hops"]; ok {
		args["hops"] = h
	}
	tp := p
	tp.Args = args
	out, err := ts.resolveTrace(tp)
	if err != nil {
		return nil, err
	}
	res := out.(*trace.Result)
	var clusters export.ClusterReader
	if opts.Clusters != nil {
		if clusters, err = opts.Clusters(); err != nil {
			return nil, err
		}
	}
	g, err := export.FromResult(res, clusters)
	if err != nil {
		return nil, err
	}
	g.Network = ts.net.Name
	g.Title = fmt.Sprintf("spoor %s trace of %s (%s model)", res.Direction, p.Args["from"], res.Model)
	return writeExportFile(p.Context, "exportTrace", f, g, opts.Limits)
}
