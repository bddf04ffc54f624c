package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spoorhq/spoor/chains/bitcoin"
	"github.com/spoorhq/spoor/storage"
	"github.com/spoorhq/spoor/trace"
)

// TraceConfig configures tracing, path search and screening. Zero values
// take the trace package's defaults.
type TraceConfig struct {
	// Model is the default taint model: poison, haircut, fifo, lifo or tiho.
	Model          string        `yaml:"model"`
	MaxHops        int           `yaml:"max_hops"`
	Window         time.Duration `yaml:"window"`
	MinValueSat    uint64        `yaml:"min_value_sat"`
	MaxFanout      int           `yaml:"max_fanout"`
	MixDegree      int           `yaml:"mix_degree"`
	MaxNodes       int           `yaml:"max_nodes"`
	MaxEdges       int           `yaml:"max_edges"`
	Timeout        time.Duration `yaml:"timeout"`
	StopCategories []string      `yaml:"stop_categories"`
	Screen         ScreenConfig  `yaml:"screen"`
}

// ScreenConfig configures exposure and risk levels.
type ScreenConfig struct {
	MaxHops   int     `yaml:"max_hops"`
	Epsilon   float64 `yaml:"epsilon"`
	MaxFanout int     `yaml:"max_fanout"`
	MaxSteps  int     `yaml:"max_steps"`
	// Rules replace the default risk rules when set.
	Rules []trace.RiskRule `yaml:"rules"`
}

// limits returns the walk limits the configuration sets.
func (t TraceConfig) limits() trace.Limits {
	stops := t.StopCategories
	if len(stops) == 0 {
		stops = nil // the defaults; an empty list in YAML means the same
	}
	return trace.Limits{MaxHops: t.MaxHops, Window: t.Window, MinValue: t.MinValueSat, MaxFanout: t.MaxFanout, MixDegree: t.MixDegree,
		MaxNodes: t.MaxNodes, MaxEdges: t.MaxEdges, MaxDuration: t.Timeout, StopCategories: stops}
}

// rules returns the configured risk rules, nil for the defaults.
func (s ScreenConfig) rules() []trace.RiskRule {
	if len(s.Rules) == 0 {
		return nil
	}
	return s.Rules
}

func (s ScreenConfig) limits() trace.ExposureLimits {
	return trace.ExposureLimits{MaxHops: s.MaxHops, Epsilon: s.Epsilon, MaxFanout: s.MaxFanout, MaxSteps: s.MaxSteps}
}

// tracer is an open index with the engine over it.
type tracer struct {
	db     *storage.DB
	net    bitcoin.Network
	engine *trace.Engine
}

// withTracer opens the Bitcoin index read-only with its labels loaded and
// runs fn.
func (c *cli) withTracer(cfg Config, network string, fn func(*tracer) error) error {
	db, net, err := openNetworkReadOnly(cfg, network)
	if err != nil {
		return err
	}
	defer db.Close()
	names := addressNamer(db, net)
	own, _, err := trace.LoadLabels(db)
	if err != nil {
		return err
	}
	labels, err := trace.NewClusterLabels(own, db, names)
	if err != nil {
		return err
	}
	engine, err := attachExposureIndex(trace.NewEngine(db, labels, names), db, own, cfg.Trace.Screen.limits(), nil)
	if err != nil {
		return err
	}
	return fn(&tracer{db: db, net: net, engine: engine})
}

// addrID finds an address in the index.
func (t *tracer) addrID(s string) (storage.AddrID, error) {
	class, payload, err := bitcoin.ParseAddress(t.net, s)
	if err != nil {
		return 0, err
	}
	id, err := t.db.LookupAddr(uint8(class), payload)
	if errors.Is(err, storage.ErrNotFound) {
		return 0, fmt.Errorf("address %s has never been paid in this index", s)
	}
	return id, err
}

// seeds turns a trace argument, an address or txid:vout, into outputs.
func (t *tracer) seeds(arg string) ([]trace.Outpoint, error) {
	if strings.Contains(arg, ":") {
		op, err := trace.ParseOutpoint(t.db, arg)
		if err != nil {
			return nil, err
		}
		return []trace.Outpoint{op}, nil
	}
	id, err := t.addrID(arg)
	if err != nil {
		return nil, err
	}
	return t.engine.AddressOutputs(id, 10_000)
}

func (c *cli) registerTrace(cmds map[string]func(context.Context, Config) error) {
	var asJSON, backward bool
	var network, model string
	var hops int
	tr := c.app.Command("trace", "Follow funds forward (where they went) or backward (where they came from) under a taint model.")
	from := tr.Arg("from", "An address (all its received outputs) or an output as txid:vout.").Required().String()
	tr.Flag("backward", "Trace where the funds came from instead of where they went.").BoolVar(&backward)
	tr.Flag("model", "Taint model: poison, haircut, fifo, lifo or tiho (default from config, else haircut).").StringVar(&model)
	tr.Flag("hops", "Transactions to follow from the seeds (default from config, else 6).").IntVar(&hops)
	tr.Flag("json", "Print the result graph as JSON.").BoolVar(&asJSON)
	tr.Flag("network", "Bitcoin network of the index (default: the only one in the data directory).").StringVar(&network)
	cmds[tr.FullCommand()] = func(ctx context.Context, cfg Config) error {
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
		return c.withTracer(cfg, network, func(t *tracer) error {
			seeds, err := t.seeds(*from)
			if err != nil {
				return err
			}
			walk := t.engine.Forward
			if backward {
				walk = t.engine.Backward
			}
			res, err := walk(ctx, seeds, m, lim)
			if err != nil {
				return err
			}
			if err := auditResult(ctx, cfg, "trace", map[string]any{"from": *from, "backward": backward, "model": m.String(), "hops": lim.MaxHops}, res); err != nil {
				return err
			}
			if asJSON {
				return writeJSON(c.stdout, res)
			}
			return printTrace(c, res)
		})
	}

	var screenHops int
	sc := c.app.Command("screen", "Screen addresses: exposure to labelled categories, receiving and sending, and a risk level with reasons.")
	addrs := sc.Arg("address", "Addresses to screen.").Required().Strings()
	sc.Flag("hops", "Hops of indirect exposure (default from config, else 4).").IntVar(&screenHops)
	sc.Flag("json", "Print JSON.").BoolVar(&asJSON)
	sc.Flag("network", "Bitcoin network of the index (default: the only one in the data directory).").StringVar(&network)
	cmds[sc.FullCommand()] = func(ctx context.Context, cfg Config) error {
		lim := cfg.Trace.Screen.limits()
		if screenHops != 0 {
			lim.MaxHops = screenHops
		}
		rules := cfg.Trace.Screen.rules()
		if rules != nil {
			if err := trace.CheckRiskRules(rules); err != nil {
				return fmt.Errorf("config trace.screen.rules: %w", err)
			}
		}
		return c.withTracer(cfg, network, func(t *tracer) error {
			var out []*trace.Screening
			for _, a := range *addrs {
				id, err := t.addrID(a)
				if err != nil {
					return err
				}
				s, err := t.engine.Screen(ctx, id, rules, lim)
				if err != nil {
					return fmt.Errorf("screen %s: %w", a, err)
				}
				out = append(out, s)
			}
			if err := auditResult(ctx, cfg, "screen", map[string]any{"addresses": *addrs, "hops": lim.MaxHops}, out); err != nil {
				return err
			}
			if asJSON {
				return writeJSON(c.stdout, out)
			}
			for _, s := range out {
				printScreening(c, s)
			}
			return nil
		})
	}

	var pathHops int
	pa := c.app.Command("path", "Find payment paths from one address to another, each payment later than the one before.")
	pathFrom := pa.Arg("from", "Source address.").Required().String()
	pathTo := pa.Arg("to", "Target address.").Required().String()
	pa.Flag("hops", "Longest path, in transactions (default 6).").IntVar(&pathHops)
	pa.Flag("json", "Print JSON.").BoolVar(&asJSON)
	pa.Flag("network", "Bitcoin network of the index (default: the only one in the data directory).").StringVar(&network)
	cmds[pa.FullCommand()] = func(ctx context.Context, cfg Config) error {
		return c.withTracer(cfg, network, func(t *tracer) error {
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
			if err := auditResult(ctx, cfg, "path", map[string]any{"from": *pathFrom, "to": *pathTo, "hops": pathHops}, res); err != nil {
				return err
			}
			if asJSON {
				return writeJSON(c.stdout, res)
			}
			if len(res.Paths) == 0 {
				fmt.Fprintf(c.stdout, "no path within %d hops (%d addresses visited)", max(pathHops, 6), res.Visited)
				if res.Partial {
					fmt.Fprintf(c.stdout, "; search cut short by the %s limit", res.Limit)
				}
				fmt.Fprintln(c.stdout)
				return nil
			}
			for i, p := range res.Paths {
				fmt.Fprintf(c.stdout, "path %d: %d hops, smallest payment %s BTC\n", i+1, len(p.Hops), btc(p.Amount))
				for _, h := range p.Hops {
					fmt.Fprintf(c.stdout, "  %s -> %s  %s BTC  tx %s (block %d, %s)\n", h.From, h.To, btc(h.Amount), h.Txid, h.Height, unixTime(h.Time))
				}
			}
			return nil
		})
	}
}

func unixTime(t int64) string { return time.Unix(t, 0).UTC().Format(time.RFC3339) }

func printTrace(c *cli, r *trace.Result) error {
	fmt.Fprintf(c.stdout, "%s trace, %s model: %s BTC traced from the seeds through %d transactions (%d nodes, %d edges)\n",
		r.Direction, r.Model, btc(r.SeedValue), r.Txs, len(r.Nodes), len(r.Edges))
	if r.Partial {
		fmt.Fprintf(c.stdout, "PARTIAL: the %s limit stopped the walk; totals cover only what was reached\n", r.Limit)
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "where the traced value stopped\tBTC")
	for _, k := range sortedKeys(r.Ends) {
		fmt.Fprintf(tw, "%s\t%s\n", k, btc(r.Ends[k]))
	}
	if r.Fees > 0 {
		fmt.Fprintf(tw, "fees\t%s\n", btc(r.Fees))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(c.stdout)
	tw = tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "hop\taddress\ttraced BTC\tlabels")
	shown := 0
	for _, n := range r.Nodes {
		if n.Kind != trace.KindAddress || n.Taint == 0 {
			continue
		}
		var tags []string
		for _, t := range n.Tags {
			tags = append(tags, t.Entity+" ("+t.Category+")")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", n.Hop, n.Address, btc(n.Taint), strings.Join(tags, ", "))
		if shown++; shown == 50 {
			fmt.Fprintln(tw, "…\t(use --json for every node and edge)")
			break
		}
	}
	return tw.Flush()
}

func printScreening(c *cli, s *trace.Screening) {
	fmt.Fprintf(c.stdout, "%s: risk %s", s.Address, strings.ToUpper(s.Risk))
	if s.Partial {
		fmt.Fprint(c.stdout, " (partial: a bound cut the search short)")
	}
	fmt.Fprintf(c.stdout, " [from the %s]", map[string]string{"index": "exposure index", "live": "walk"}[s.Source])
	if s.IndexNote != "" {
		fmt.Fprintf(c.stdout, " (%s)", s.IndexNote)
	}
	fmt.Fprintln(c.stdout)
	for _, t := range s.Tags {
		fmt.Fprintf(c.stdout, "  labelled %s (%s), source %s, confidence %d", t.Entity, t.Category, t.Source, t.Confidence)
		if t.Via != "" {
			fmt.Fprintf(c.stdout, ", inherited from its cluster through %s", t.Via)
		}
		fmt.Fprintln(c.stdout)
	}
	for _, r := range s.Reasons {
		fmt.Fprintf(c.stdout, "  %s [%s] %s %s: %.2f%% (%s BTC)\n", r.Code, r.Level, r.Direction, r.Category, 100*r.Share, btc(r.Amount))
	}
	for _, x := range []*trace.Exposure{s.Receiving, s.Sending} {
		fmt.Fprintf(c.stdout, "  %s %s BTC:", x.Direction, btc(x.Total))
		for _, k := range sortedKeys(x.Direct) {
			fmt.Fprintf(c.stdout, " direct %s %.2f%%", k, 100*x.Direct[k].Share)
		}
		for _, k := range sortedKeys(x.Indirect) {
			fmt.Fprintf(c.stdout, " indirect %s %.2f%%", k, 100*x.Indirect[k].Share)
		}
		if x.Total > 0 {
			fmt.Fprintf(c.stdout, " unattributed %.2f%%", 100*float64(x.Unattributed)/float64(x.Total))
		}
		fmt.Fprintln(c.stdout)
	}
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// loadLabeler reads the index's labels and extends them through its
// active clustering, so that a cluster inherits its members' labels.
func loadLabeler(db *storage.DB, names trace.Namer) (trace.Labeler, error) {
	own, _, err := trace.LoadLabels(db)
	if err != nil {
		return nil, err
	}
	return trace.NewClusterLabels(own, db, names)
}
