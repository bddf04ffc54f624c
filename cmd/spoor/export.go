package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spoorhq/spoor/api/export"
	"github.com/spoorhq/spoor/heuristics/cluster"
	"github.com/spoorhq/spoor/storage"
	"github.com/spoorhq/spoor/trace"
)

// ExportConfig bounds trace exports. Zero values take the export
// package's defaults.
type ExportConfig struct {
	MaxNodes           int `yaml:"max_nodes"`
	MaxEdges           int `yaml:"max_edges"`
	MaxMaltegoEntities int `yaml:"max_maltego_entities"`
}

// limits returns the configured export limits.
func (e ExportConfig) limits() export.Limits {
	return export.Limits{MaxNodes: e.MaxNodes, MaxEdges: e.MaxEdges, MaxMaltegoEntities: e.MaxMaltegoEntities}
}

// clusterReader returns the active clustering of db as a cluster reader,
// or nil if the index has none.
func clusterReader(db *storage.DB) (export.ClusterReader, error) {
	gen, _, err := cluster.Active(db)
	if errors.Is(err, cluster.ErrNoClusters) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return export.ClusterFunc(func(a storage.AddrID) (storage.AddrID, error) { return db.ClusterOf(gen, a) }), nil
}

// writeFileAtomic writes a file through a temporary file in the same
// directory, renamed into place only when write succeeded, so a failed
// export never leaves a partial file under the asked name. It returns the
// bytes written.
func writeFileAtomic(path string, write func(io.Writer) error) (int64, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	cw := &countingWriter{w: tmp}
	if err := write(cw); err != nil {
		tmp.Close()
		return 0, err
	}
	if err := tmp.Close(); err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return 0, err
	}
	return cw.n, nil
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// registerExport adds "spoor export trace" to the export command the
// cluster commands create.
func (c *cli) registerExport(cmds map[string]func(context.Context, Config) error) {
	var backward bool
	var network, model, format, out string
	var hops int
	names := make([]string, 0, len(export.Formats()))
	for _, f := range export.Formats() {
		names = append(names, string(f))
	}
	parent := c.app.GetCommand("export")
	if parent == nil {
		parent = c.app.Command("export", "Export data from the index.")
	}
	et := parent.Command("trace", "Trace funds from an address or output and write the graph for another tool: "+strings.Join(names, ", ")+
		" (csv is a zip of nodes.csv and edges.csv; stix and misp share only the labelled addresses).")
	from := et.Arg("from", "An address (all its received outputs) or an output as txid:vout.").Required().String()
	et.Flag("backward", "Trace where the funds came from instead of where they went.").BoolVar(&backward)
	et.Flag("model", "Taint model: poison, haircut, fifo, lifo or tiho (default from config, else haircut).").StringVar(&model)
	et.Flag("hops", "Transactions to follow from the seeds (default from config, else 6).").IntVar(&hops)
	et.Flag("format", "Output format: "+strings.Join(names, ", ")+".").Required().StringVar(&format)
	et.Flag("out", "File to write.").Short('o').Required().StringVar(&out)
	et.Flag("network", "Bitcoin network of the index (default: the only one in the data directory).").StringVar(&network)
	cmds[et.FullCommand()] = func(ctx context.Context, cfg Config) error {
		f, err := export.ParseFormat(format)
		if err != nil {
			return err
		}
		if model == "" {
			model = cfg.Trace.Model
		}
		if model == "" {
			model = "haircut"
		}
		m, err := trace.ParseModel(model)
		if err != nil {
			return err
		}
		lim := cfg.Trace.limits()
		if hops != 0 {
			lim.MaxHops = hops
		}
		var res *trace.Result
		var g *export.Graph
		err = c.withTracer(cfg, network, func(t *tracer) error {
			seeds, err := t.seeds(*from)
			if err != nil {
				return err
			}
			walk := t.engine.Forward
			if backward {
				walk = t.engine.Backward
			}
			if res, err = walk(ctx, seeds, m, lim); err != nil {
				return err
			}
			clusters, err := clusterReader(t.db)
			if err != nil {
				return err
			}
			if g, err = export.FromResult(res, clusters); err != nil {
				return err
			}
			g.Network = t.net.Name
			g.Title = fmt.Sprintf("spoor %s trace of %s (%s model)", res.Direction, *from, res.Model)
			return nil
		})
		if err != nil {
			return err
		}
		n, err := writeFileAtomic(out, func(w io.Writer) error {
			return export.Write(ctx, w, f, g, export.Options{Limits: cfg.Export.limits(), Now: time.Now()})
		})
		if err != nil {
			return fmt.Errorf("export trace of %s to %s: %w", *from, out, err)
		}
		detail := map[string]any{"what": "trace", "from": *from, "direction": res.Direction, "model": res.Model,
			"hops": lim.MaxHops, "format": string(f), "file": out, "nodes": len(g.Nodes), "edges": len(g.Edges)}
		if err := auditCLI(ctx, cfg, "export", detail, n); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "wrote %s: %s, %d nodes, %d edges, %d bytes", out, f, len(g.Nodes), len(g.Edges), n)
		if res.Partial {
			fmt.Fprintf(c.stdout, " (PARTIAL: the %s limit stopped the walk)", res.Limit)
		}
		fmt.Fprintln(c.stdout)
		return nil
	}

	var pathHops int
	var pathFormat, pathOut string
	c.registerExportCluster(cmds, parent, names)

	ep := parent.Command("path", "Find payment paths from one address to another and write them as a graph (formats as for export trace).")
	pathFrom := ep.Arg("from", "Source address.").Required().String()
	pathTo := ep.Arg("to", "Target address.").Required().String()
	ep.Flag("hops", "Longest path, in transactions (default 6).").IntVar(&pathHops)
	ep.Flag("format", "Output format: "+strings.Join(names, ", ")+".").Required().StringVar(&pathFormat)
	ep.Flag("out", "File to write.").Short('o').Required().StringVar(&pathOut)
	ep.Flag("network", "Bitcoin network of the index (default: the only one in the data directory).").StringVar(&network)
	cmds[ep.FullCommand()] = func(ctx context.Context, cfg Config) error {
		f, err := export.ParseFormat(pathFormat)
		if err != nil {
			return err
		}
		var g *export.Graph
		err = c.withTracer(cfg, network, func(t *tracer) error {
			a, err := t.addrID(*pathFrom)
			if err != nil {
				return err
			}
			b, err := t.addrID(*pathTo)
			if err != nil {
				return err
			}
			res, err := t.engine.Paths(ctx, a, b, trace.PathLimits{MaxHops: pathHops, MaxFanout: cfg.Trace.MaxFanout, MaxDuration: cfg.Trace.Timeout})
			if err != nil {
				return err
			}
			if len(res.Paths) == 0 {
				return fmt.Errorf("export path: no path from %s to %s within the hop limit (%d addresses visited); nothing written", *pathFrom, *pathTo, res.Visited)
			}
			g = export.FromPaths(res)
			g.Network = t.net.Name
			g.Title = fmt.Sprintf("spoor payment paths from %s to %s", *pathFrom, *pathTo)
			return nil
		})
		if err != nil {
			return err
		}
		n, err := writeFileAtomic(pathOut, func(w io.Writer) error {
			return export.Write(ctx, w, f, g, export.Options{Limits: cfg.Export.limits(), Now: time.Now()})
		})
		if err != nil {
			return fmt.Errorf("export paths from %s to %s into %s: %w", *pathFrom, *pathTo, pathOut, err)
		}
		detail := map[string]any{"what": "path", "from": *pathFrom, "to": *pathTo, "hops": pathHops, "format": string(f),
			"file": pathOut, "nodes": len(g.Nodes), "edges": len(g.Edges)}
		if err := auditCLI(ctx, cfg, "export", detail, n); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "wrote %s: %s, %d nodes, %d edges, %d bytes\n", pathOut, f, len(g.Nodes), len(g.Edges), n)
		return nil
	}
}
