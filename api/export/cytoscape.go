package export

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
)

// cyNode and cyEdge are the data of Cytoscape.js elements.
type cyNode struct {
	ID         string   `json:"id"`
	Label      string   `json:"label"`
	Kind       string   `json:"kind"`
	Address    string   `json:"address,omitempty"`
	Txid       string   `json:"txid,omitempty"`
	Cluster    *uint64  `json:"cluster,omitempty"`
	Labels     []string `json:"labels,omitempty"`
	Categories []string `json:"categories,omitempty"`
	Flags      []string `json:"flags,omitempty"`
	Hop        int      `json:"hop"`
	Value      uint64   `json:"value_sat"`
	Taint      uint64   `json:"taint_sat"`
	Start      int64    `json:"first_time,omitempty"`
}

type cyEdge struct {
	ID     string  `json:"id"`
	Source string  `json:"source"`
	Target string  `json:"target"`
	Amount uint64  `json:"amount_sat"`
	Asset  string  `json:"asset"`
	Txid   string  `json:"txid"`
	Time   int64   `json:"time"`
	Height uint32  `json:"height"`
	Taint  uint64  `json:"taint_sat"`
	Share  float64 `json:"taint_share"`
	End    string  `json:"end,omitempty"`
}

// writeCytoscape writes the Cytoscape.js JSON form, {"data":{…},
// "elements":{"nodes":[{"data":…}],"edges":[{"data":…}]}}, one element a
// line.
func writeCytoscape(ctx context.Context, w io.Writer, g *Graph) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	head, err := json.Marshal(map[string]any{"name": g.Title, "direction": g.Direction, "model": g.Model, "partial": g.Partial})
	if err != nil {
		return err
	}
	bw.WriteString(`{"data":`)
	bw.Write(head)
	bw.WriteString(",\n\"elements\":{\"nodes\":[")
	el := func(i int, data any) error {
		if i > 0 {
			bw.WriteString(",")
		}
		bw.WriteString("\n{\"data\":")
		b, err := json.Marshal(data)
		if err != nil {
			return err
		}
		bw.Write(b)
		_, err = bw.WriteString("}")
		return err
	}
	err = every(ctx, len(g.Nodes), func(i int) error {
		n := &g.Nodes[i]
		d := cyNode{ID: n.ID, Label: n.Label(), Kind: n.Kind, Address: n.Address, Txid: n.Txid, Categories: n.Categories(),
			Flags: n.Flags, Hop: n.Hop, Value: n.Value, Taint: n.Taint, Start: n.Start}
		if n.HasCluster {
			c := n.Cluster
			d.Cluster = &c
		}
		for _, t := range n.Labels {
			d.Labels = append(d.Labels, t.Entity+" ("+t.Category+")")
		}
		return el(i, d)
	})
	if err != nil {
		return err
	}
	bw.WriteString("],\n\"edges\":[")
	err = every(ctx, len(g.Edges), func(i int) error {
		e := &g.Edges[i]
		return el(i, cyEdge{ID: e.ID, Source: e.Source, Target: e.Target, Amount: e.Amount, Asset: e.Asset, Txid: e.Txid,
			Time: e.Time, Height: e.Height, Taint: e.Taint, Share: e.Share, End: e.End})
	})
	if err != nil {
		return err
	}
	bw.WriteString("]}}\n")
	return bw.Flush()
}
