package export

import (
	"archive/zip"
	"context"
	"encoding/csv"
	"io"
	"strconv"
	"strings"
)

// CSVNodeHeader and CSVEdgeHeader are the columns of nodes.csv and
// edges.csv.
func CSVNodeHeader() []string {
	return []string{"id", "kind", "address", "txid", "cluster", "labels", "categories", "flags", "hop", "value_sat", "taint_sat", "first_time"}
}

// CSVEdgeHeader returns the columns of edges.csv.
func CSVEdgeHeader() []string {
	return []string{"id", "source", "target", "amount_sat", "asset", "txid", "time", "height", "taint_sat", "taint_share", "end"}
}

// WriteCSVNodes writes nodes.csv.
func WriteCSVNodes(ctx context.Context, w io.Writer, g *Graph) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVNodeHeader()); err != nil {
		return err
	}
	err := every(ctx, len(g.Nodes), func(i int) error {
		n := &g.Nodes[i]
		cluster := ""
		if n.HasCluster {
			cluster = strconv.FormatUint(n.Cluster, 10)
		}
		start := ""
		if n.Start > 0 {
			start = strconv.FormatInt(n.Start, 10)
		}
		return cw.Write([]string{n.ID, n.Kind, n.Address, n.Txid, cluster, labelText(n), strings.Join(n.Categories(), ";"),
			strings.Join(n.Flags, ";"), strconv.Itoa(n.Hop), strconv.FormatUint(n.Value, 10), strconv.FormatUint(n.Taint, 10), start})
	})
	cw.Flush()
	if err == nil {
		err = cw.Error()
	}
	return err
}

// WriteCSVEdges writes edges.csv.
func WriteCSVEdges(ctx context.Context, w io.Writer, g *Graph) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVEdgeHeader()); err != nil {
		return err
	}
	err := every(ctx, len(g.Edges), func(i int) error {
		e := &g.Edges[i]
		return cw.Write([]string{e.ID, e.Source, e.Target, strconv.FormatUint(e.Amount, 10), e.Asset, e.Txid,
			strconv.FormatInt(e.Time, 10), strconv.FormatUint(uint64(e.Height), 10), strconv.FormatUint(e.Taint, 10),
			strconv.FormatFloat(e.Share, 'g', -1, 64), e.End})
	})
	cw.Flush()
	if err == nil {
		err = cw.Error()
	}
	return err
}

// writeCSVZip writes a zip holding nodes.csv and edges.csv.
func writeCSVZip(ctx context.Context, w io.Writer, g *Graph) error {
	zw := zip.NewWriter(w)
	for _, f := range []struct {
		name  string
		write func(context.Context, io.Writer, *Graph) error
	}{{"nodes.csv", WriteCSVNodes}, {"edges.csv", WriteCSVEdges}} {
		fw, err := zw.Create(f.name)
		if err != nil {
			return err
		}
		if err := f.write(ctx, fw, g); err != nil {
			return err
		}
	}
	return zw.Close()
}
