package export

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spoorhq/spoor/trace"
)

// ANX entity and link type names.
const (
	anxAddress = "Bitcoin Address"
	anxTx      = "Bitcoin Transaction"
	anxScript  = "Bitcoin Output Script"
	anxPayment = "Payment"
)

func anxType(kind string) string {
	switch kind {
	case trace.KindAddress:
		return anxAddress
	case trace.KindTx:
		return anxTx
	}
	return anxScript
}

// anxAttrs are the attribute classes: name and ANX type.
var anxAttrs = [...][2]string{
	{"Cluster", "AttText"}, {"Labels", "AttText"}, {"Flags", "AttText"}, {"Hop", "AttNumber"},
	{"Taint BTC", "AttNumber"}, {"Amount BTC", "AttNumber"}, {"Asset", "AttText"}, {"Txid", "AttText"},
	{"Taint share", "AttNumber"}, {"End", "AttText"},
}

func btcString(sat uint64) string { return strconv.FormatFloat(float64(sat)/1e8, 'f', 8, 64) }

// writeANX writes an i2 Analyst's Notebook chart: an entity per node, a
// link per edge with its time set, so the chart's timeline orders the
// payments. Details are attributes as well as descriptions.
func writeANX(ctx context.Context, w io.Writer, g *Graph) error {
	x := newXMLWriter(w)
	x.start("Chart", "IdReferenceLinking", "false")
	x.start("StrengthCollection")
	x.empty("Strength", "Name", "Confirmed", "DotStyle", "DotStyleSolid")
	x.empty("Strength", "Name", "Tentative", "DotStyle", "DotStyleDashed")
	x.end("StrengthCollection")
	x.start("AttributeClassCollection")
	for _, a := range anxAttrs {
		x.empty("AttributeClass", "Name", a[0], "Type", a[1], "ShowValue", "true", "Visible", "true")
	}
	x.end("AttributeClassCollection")
	x.start("EntityTypeCollection")
	for _, t := range []string{anxAddress, anxTx, anxScript} {
		x.empty("EntityType", "Name", t, "IconFile", "General")
	}
	x.end("EntityTypeCollection")
	x.start("LinkTypeCollection")
	x.empty("LinkType", "Name", anxPayment, "Colour", "0")
	x.end("LinkTypeCollection")
	x.start("ChartItemCollection")
	attr := func(class, v string) {
		if v != "" {
			x.empty("Attribute", "AttributeClass", class, "Value", v)
		}
	}
	entity := map[string]string{} // node id -> ANX entity id
	err := every(ctx, len(g.Nodes), func(i int) error {
		n := &g.Nodes[i]
		entity[n.ID] = "N" + strconv.Itoa(i)
		desc := fmt.Sprintf("%s %s, hop %d, traced %s BTC", n.Kind, n.Label(), n.Hop, btcString(n.Taint))
		if l := labelText(n); l != "" {
			desc += "; labels: " + l
		}
		kv := []string{"Label", n.Label(), "Description", desc}
		if n.Start > 0 {
			kv = append(kv, anxDate(n.Start)...)
		}
		x.start("ChartItem", kv...)
		x.start("End")
		x.start("Entity", "EntityId", entity[n.ID], "Identity", n.Label(), "LabelIsIdentity", "true")
		x.start("Icon")
		x.empty("IconStyle", "Type", anxType(n.Kind), "Enlargement", "ICEnlargeSingle")
		x.end("Icon")
		x.end("Entity")
		x.end("End")
		x.start("AttributeCollection")
		if n.HasCluster {
			attr("Cluster", strconv.FormatUint(n.Cluster, 10))
		}
		attr("Labels", labelText(n))
		attr("Flags", strings.Join(n.Flags, ";"))
		attr("Hop", strconv.Itoa(n.Hop))
		attr("Taint BTC", btcString(n.Taint))
		x.end("AttributeCollection")
		x.end("ChartItem")
		return x.err
	})
	if err != nil {
		return err
	}
	err = every(ctx, len(g.Edges), func(i int) error {
		e := &g.Edges[i]
		strength := "Confirmed"
		if e.Share < 1 {
			strength = "Tentative" // only part of the flow is the traced funds
		}
		kv := []string{"Label", btcString(e.Amount) + " " + e.Asset,
			"Description", fmt.Sprintf("tx %s, %s %s, taint share %.4f", e.Txid, btcString(e.Amount), e.Asset, e.Share)}
		if e.Time > 0 {
			kv = append(kv, anxDate(e.Time)...)
		}
		x.start("ChartItem", kv...)
		x.start("Link", "End1Id", entity[e.Source], "End2Id", entity[e.Target])
		x.empty("LinkStyle", "ArrowStyle", "ArrowOnHead", "Strength", strength, "Type", anxPayment, "LineWidth", "1")
		x.end("Link")
		x.start("AttributeCollection")
		attr("Amount BTC", btcString(e.Amount))
		attr("Asset", e.Asset)
		attr("Txid", e.Txid)
		attr("Taint share", strconv.FormatFloat(e.Share, 'f', 6, 64))
		attr("End", e.End)
		x.end("AttributeCollection")
		x.end("ChartItem")
		return x.err
	})
	if err != nil {
		return err
	}
	x.end("ChartItemCollection")
	x.end("Chart")
	return x.finish()
}

// anxDate returns the date and time attributes of a chart item.
func anxDate(t int64) []string {
	return []string{"DateSet", "true", "TimeSet", "true", "DateTime", time.Unix(t, 0).UTC().Format("2006-01-02T15:04:05")}
}
