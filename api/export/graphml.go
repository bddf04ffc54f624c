package export

import (
	"bufio"
	"context"
	"encoding/xml"
	"io"
	"strconv"
	"strings"
)

// graphmlKeys are the data keys of a GraphML export: id, domain, name,
// type.
var graphmlKeys = [...][4]string{
	{"kind", "node", "kind", "string"},
	{"address", "node", "address", "string"},
	{"txid", "node", "txid", "string"},
	{"cluster", "node", "cluster", "long"},
	{"labels", "node", "labels", "string"},
	{"categories", "node", "categories", "string"},
	{"flags", "node", "flags", "string"},
	{"hop", "node", "hop", "int"},
	{"value", "node", "value_sat", "long"},
	{"ntaint", "node", "taint_sat", "long"},
	{"start", "node", "first_time", "long"},
	{"amount", "edge", "amount_sat", "long"},
	{"asset", "edge", "asset", "string"},
	{"tx", "edge", "txid", "string"},
	{"time", "edge", "time", "long"},
	{"height", "edge", "height", "long"},
	{"taint", "edge", "taint_sat", "long"},
	{"share", "edge", "taint_share", "double"},
	{"end", "edge", "end", "string"},
}

// xmlWriter streams elements through an encoding/xml Encoder, keeping the
// first error.
type xmlWriter struct {
	bw  *bufio.Writer
	enc *xml.Encoder
	err error
}

func newXMLWriter(w io.Writer) *xmlWriter {
	bw := bufio.NewWriterSize(w, 64<<10)
	x := &xmlWriter{bw: bw, enc: xml.NewEncoder(bw)}
	x.enc.Indent("", " ")
	_, x.err = bw.WriteString(xml.Header)
	return x
}

func attrs(kv ...string) []xml.Attr {
	out := make([]xml.Attr, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, xml.Attr{Name: xml.Name{Local: kv[i]}, Value: kv[i+1]})
	}
	return out
}

func (x *xmlWriter) start(name string, kv ...string) {
	if x.err == nil {
		x.err = x.enc.EncodeToken(xml.StartElement{Name: xml.Name{Local: name}, Attr: attrs(kv...)})
	}
}

func (x *xmlWriter) end(name string) {
	if x.err == nil {
		x.err = x.enc.EncodeToken(xml.EndElement{Name: xml.Name{Local: name}})
	}
}

// empty writes <name attrs/>.
func (x *xmlWriter) empty(name string, kv ...string) {
	x.start(name, kv...)
	x.end(name)
}

// text writes <name attrs>text</name>.
func (x *xmlWriter) text(name, text string, kv ...string) {
	x.start(name, kv...)
	if x.err == nil {
		x.err = x.enc.EncodeToken(xml.CharData(text))
	}
	x.end(name)
}

func (x *xmlWriter) finish() error {
	if x.err == nil {
		x.err = x.enc.Flush()
	}
	if x.err == nil {
		_, x.err = x.bw.WriteString("\n")
	}
	if x.err == nil {
		x.err = x.bw.Flush()
	}
	return x.err
}

func writeGraphML(ctx context.Context, w io.Writer, g *Graph) error {
	x := newXMLWriter(w)
	x.start("graphml", "xmlns", "http://graphml.graphdrawing.org/xmlns",
		"xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance",
		"xsi:schemaLocation", "http://graphml.graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd")
	for _, k := range graphmlKeys {
		x.empty("key", "id", k[0], "for", k[1], "attr.name", k[2], "attr.type", k[3])
	}
	x.start("graph", "id", "G", "edgedefault", "directed")
	x.text("desc", g.Title)
	data := func(key, v string) {
		if v != "" {
			x.text("data", v, "key", key)
		}
	}
	err := every(ctx, len(g.Nodes), func(i int) error {
		n := &g.Nodes[i]
		x.start("node", "id", n.ID)
		data("kind", n.Kind)
		data("address", n.Address)
		data("txid", n.Txid)
		if n.HasCluster {
			data("cluster", strconv.FormatUint(n.Cluster, 10))
		}
		data("labels", labelText(n))
		data("categories", strings.Join(n.Categories(), ";"))
		data("flags", strings.Join(n.Flags, ";"))
		data("hop", strconv.Itoa(n.Hop))
		data("value", strconv.FormatUint(n.Value, 10))
		data("ntaint", strconv.FormatUint(n.Taint, 10))
		if n.Start > 0 {
			data("start", strconv.FormatInt(n.Start, 10))
		}
		x.end("node")
		return x.err
	})
	if err != nil {
		return err
	}
	err = every(ctx, len(g.Edges), func(i int) error {
		e := &g.Edges[i]
		x.start("edge", "id", e.ID, "source", e.Source, "target", e.Target)
		data("amount", strconv.FormatUint(e.Amount, 10))
		data("asset", e.Asset)
		data("tx", e.Txid)
		data("time", strconv.FormatInt(e.Time, 10))
		data("height", strconv.FormatUint(uint64(e.Height), 10))
		data("taint", strconv.FormatUint(e.Taint, 10))
		data("share", strconv.FormatFloat(e.Share, 'g', -1, 64))
		data("end", e.End)
		x.end("edge")
		return x.err
	})
	if err != nil {
		return err
	}
	x.end("graph")
	x.end("graphml")
	return x.finish()
}
