package export

import (
	"context"
	"io"
	"strconv"
	"strings"
	"time"
)

// gexfAttr is one GEXF attribute column: id, title, type.
type gexfAttr [3]string

var (
	gexfNodeAttrs = []gexfAttr{{"kind", "kind", "string"}, {"address", "address", "string"}, {"txid", "txid", "string"},
		{"cluster", "cluster", "long"}, {"labels", "labels", "string"}, {"categories", "categories", "string"},
		{"flags", "flags", "string"}, {"hop", "hop", "integer"}, {"value", "value_sat", "long"}, {"taint", "taint_sat", "long"}}
	gexfEdgeAttrs = []gexfAttr{{"amount", "amount_sat", "long"}, {"asset", "asset", "string"}, {"tx", "txid", "string"},
		{"height", "height", "long"}, {"taint", "taint_sat", "long"}, {"share", "taint_share", "double"}, {"end", "end", "string"}}
)

// gexfTime formats unix seconds as a GEXF datetime.
func gexfTime(t int64) string { return time.Unix(t, 0).UTC().Format("2006-01-02T15:04:05") }

// writeGEXF writes a GEXF 1.3 dynamic graph: every node appears at the
// first flow touching it and every edge at its transaction's block time,
// open-ended, so Gephi's timeline plays the flow in order. The graph's
// timeformat is "date" with xsd:dateTime values, which the 1.3 schema's
// time type (a union of double, date and dateTime) allows and which
// Gephi and networkx both read; networkx rejects timeformat "dateTime".
func writeGEXF(ctx context.Context, w io.Writer, g *Graph, opts Options) error {
	x := newXMLWriter(w)
	x.start("gexf", "xmlns", "http://gexf.net/1.3", "xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance",
		"xsi:schemaLocation", "http://gexf.net/1.3 http://gexf.net/1.3/gexf.xsd", "version", "1.3")
	x.start("meta", "lastmodifieddate", opts.now().Format("2006-01-02"))
	x.text("creator", opts.producer())
	x.text("description", g.Title)
	x.end("meta")
	x.start("graph", "mode", "dynamic", "defaultedgetype", "directed", "timeformat", "date", "timerepresentation", "interval")
	for _, class := range []struct {
		name  string
		attrs []gexfAttr
	}{{"node", gexfNodeAttrs}, {"edge", gexfEdgeAttrs}} {
		x.start("attributes", "class", class.name, "mode", "static")
		for _, a := range class.attrs {
			x.empty("attribute", "id", a[0], "title", a[1], "type", a[2])
		}
		x.end("attributes")
	}
	val := func(id, v string) {
		if v != "" {
			x.empty("attvalue", "for", id, "value", v)
		}
	}
	x.start("nodes", "count", strconv.Itoa(len(g.Nodes)))
	err := every(ctx, len(g.Nodes), func(i int) error {
		n := &g.Nodes[i]
		kv := []string{"id", n.ID, "label", n.Label()}
		if n.Start > 0 {
			kv = append(kv, "start", gexfTime(n.Start))
		}
		x.start("node", kv...)
		x.start("attvalues")
		val("kind", n.Kind)
		val("address", n.Address)
		val("txid", n.Txid)
		if n.HasCluster {
			val("cluster", strconv.FormatUint(n.Cluster, 10))
		}
		val("labels", labelText(n))
		val("categories", strings.Join(n.Categories(), ";"))
		val("flags", strings.Join(n.Flags, ";"))
		val("hop", strconv.Itoa(n.Hop))
		val("value", strconv.FormatUint(n.Value, 10))
		val("taint", strconv.FormatUint(n.Taint, 10))
		x.end("attvalues")
		x.end("node")
		return x.err
	})
	if err != nil {
		return err
	}
	x.end("nodes")
	x.start("edges", "count", strconv.Itoa(len(g.Edges)))
	err = every(ctx, len(g.Edges), func(i int) error {
		e := &g.Edges[i]
		kv := []string{"id", e.ID, "source", e.Source, "target", e.Target,
			"weight", strconv.FormatFloat(float64(e.Amount)/1e8, 'f', -1, 64)}
		if e.Time > 0 {
			kv = append(kv, "start", gexfTime(e.Time))
		}
		x.start("edge", kv...)
		x.start("attvalues")
		val("amount", strconv.FormatUint(e.Amount, 10))
		val("asset", e.Asset)
		val("tx", e.Txid)
		val("height", strconv.FormatUint(uint64(e.Height), 10))
		val("taint", strconv.FormatUint(e.Taint, 10))
		val("share", strconv.FormatFloat(e.Share, 'g', -1, 64))
		val("end", e.End)
		x.end("attvalues")
		x.end("edge")
		return x.err
	})
	if err != nil {
		return err
	}
	x.end("edges")
	x.end("graph")
	x.end("gexf")
	return x.finish()
}
