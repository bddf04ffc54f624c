package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/spoorhq/spoor/api"
	"github.com/spoorhq/spoor/api/export"
)

// registerExportCluster adds "spoor export cluster": the neighbourhood of
// an address's cluster written for another tool.
func (c *cli) registerExportCluster(cmds map[string]func(context.Context, Config) error, parent *kingpin.CmdClause, formats []string) {
	var network, format, out string
	var lim export.NeighbourhoodLimits
	ec := parent.Command("cluster", "Write the neighbourhood of an address's cluster as a graph: the cluster's addresses, their transactions and "+
		"the direct counterparties on the other side (formats as for export trace). Without a clustering the address stands alone.")
	addr := ec.Arg("address", "An address of the cluster.").Required().String()
	ec.Flag("format", "Output format: "+strings.Join(formats, ", ")+".").Required().StringVar(&format)
	ec.Flag("out", "File to write.").Short('o').Required().StringVar(&out)
	ec.Flag("max-members", "Cluster addresses to draw (default 200); a larger cluster gives a graph marked partial.").IntVar(&lim.MaxMembers)
	ec.Flag("max-txs-per-address", "Transactions of each address, the newest kept (default 50).").IntVar(&lim.MaxTxsPerAddress)
	ec.Flag("max-txs", "Transactions in all, the newest kept (default 1000).").IntVar(&lim.MaxTxs)
	ec.Flag("network", "Bitcoin network of the index (default: the only one in the data directory).").StringVar(&network)
	cmds[ec.FullCommand()] = func(ctx context.Context, cfg Config) error {
		f, err := export.ParseFormat(format)
		if err != nil {
			return err
		}
		if lim.MaxMembers < 0 || lim.MaxTxsPerAddress < 0 || lim.MaxTxs < 0 {
			return fmt.Errorf("export cluster: the bounds must not be negative")
		}
		db, net, err := openNetworkReadOnly(cfg, network)
		if err != nil {
			return err
		}
		defer db.Close()
		names := addressNamer(db, net)
		labels, err := loadLabeler(db, names)
		if err != nil {
			return err
		}
		t := &tracer{db: db, net: net}
		id, err := t.addrID(*addr)
		if err != nil {
			return err
		}
		src := export.Sources{Names: names, Labels: labels}
		ci, err := api.StoredClusters(db)
		if err != nil {
			return err
		}
		if ci != nil {
			src.Clusters = ci
		}
		maxMembers := lim.MaxMembers
		if maxMembers == 0 {
			maxMembers = 200
		}
		members, err := api.ClusterMembers(src.Clusters, id, maxMembers)
		if err != nil {
			return err
		}
		g, err := export.Neighbourhood(ctx, db, members, lim, src)
		if err != nil {
			return err
		}
		g.Network = net.Name
		n, err := writeFileAtomic(out, func(w io.Writer) error {
			return export.Write(ctx, w, f, g, export.Options{Limits: cfg.Export.limits(), Now: time.Now()})
		})
		if err != nil {
			return fmt.Errorf("export cluster of %s to %s: %w", *addr, out, err)
		}
		detail := map[string]any{"what": "cluster", "address": *addr, "format": string(f), "file": out,
			"members": min(len(members), maxMembers), "nodes": len(g.Nodes), "edges": len(g.Edges)}
		if err := auditCLI(ctx, cfg, "export", detail, n); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "wrote %s: %s, %d cluster addresses, %d nodes, %d edges, %d bytes", out, f, min(len(members), maxMembers), len(g.Nodes), len(g.Edges), n)
		if g.Partial {
			fmt.Fprintf(c.stdout, " (PARTIAL: the %s limit cut the neighbourhood)", g.Limit)
		}
		fmt.Fprintln(c.stdout)
		return nil
	}
}
