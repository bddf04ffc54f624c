package export

import (
	"context"
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spoorhq/spoor/trace"
)

// Maltego entity types of the standard transform hub set.
const (
	maltegoAddress = "maltego.BTCAddress"
	maltegoTx      = "maltego.BTCTransaction"
	maltegoPhrase  = "maltego.Phrase"
)

func maltegoType(kind string) string {
	switch kind {
	case trace.KindAddress:
		return maltegoAddress
	case trace.KindTx:
		return maltegoTx
	}
	return maltegoPhrase
}

// maltegoEntities counts the entities a Maltego table of g makes: one per
// node.
func maltegoEntities(g *Graph) int { return len(g.Nodes) }

// MaltegoHeader returns the columns of a Maltego table: each row is one
// link, a source entity and a target entity with their properties, which
// Maltego's table import maps to connected entities.
func MaltegoHeader() []string {
	return []string{"source_entity_type", "source_value", "source_cluster", "source_labels", "source_flags",
		"target_entity_type", "target_value", "target_cluster", "target_labels", "target_flags",
		"link_label", "amount_btc", "asset", "txid", "time", "taint_share"}
}

// writeMaltego writes the Maltego table; nodes on no edge get a row of
// their own with empty target columns.
func writeMaltego(ctx context.Context, w io.Writer, g *Graph) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(MaltegoHeader()); err != nil {
		return err
	}
	index := make(map[string]int, len(g.Nodes))
	for i := range g.Nodes {
		index[g.Nodes[i].ID] = i
	}
	cols := func(n *Node) []string {
		cluster := ""
		if n.HasCluster {
			cluster = strconv.FormatUint(n.Cluster, 10)
		}
		return []string{maltegoType(n.Kind), n.Label(), cluster, labelText(n), strings.Join(n.Flags, ";")}
	}
	linked := make([]bool, len(g.Nodes))
	err := every(ctx, len(g.Edges), func(i int) error {
		e := &g.Edges[i]
		s, t := index[e.Source], index[e.Target]
		linked[s], linked[t] = true, true
		row := append(cols(&g.Nodes[s]), cols(&g.Nodes[t])...)
		tm := ""
		if e.Time > 0 {
			tm = time.Unix(e.Time, 0).UTC().Format(time.RFC3339)
		}
		row = append(row, btcString(e.Amount)+" "+e.Asset, btcString(e.Amount), e.Asset, e.Txid, tm, strconv.FormatFloat(e.Share, 'f', 6, 64))
		return cw.Write(row)
	})
	if err != nil {
		return err
	}
	for i := range g.Nodes {
		if !linked[i] {
			if err := cw.Write(append(cols(&g.Nodes[i]), make([]string, len(MaltegoHeader())-5)...)); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}
