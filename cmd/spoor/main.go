// Command spoor indexes blockchains for fund-flow tracing and answers
// questions about the index.
//
// Run "spoor --help" for the commands. Settings come from a YAML file
// (--config; config.example.yaml documents every option) and flags, which
// override the file.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// cli holds the parsed command line: the config file path, the flags set
// by the user (applied over the file) and per-command arguments.
type cli struct {
	app       *kingpin.Application
	stdout    io.Writer
	stderr    io.Writer
	config    string
	overrides []func(*Config)
}

// run executes one command line and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c := &cli{stdout: stdout, stderr: stderr}
	c.app = kingpin.New("spoor", "Blockchain tracing and clustering indexer.").
		UsageWriter(stderr).ErrorWriter(stderr).Terminate(nil)
	c.app.HelpFlag.Short('h')
	c.app.Flag("config", "YAML configuration file (see config.example.yaml); flags override it.").StringVar(&c.config)
	c.strFlag(c.app.Flag("datadir", "Data directory holding the indexes (default spoor-data)."), func(cfg *Config, v string) { cfg.DataDir = v })
	c.strFlag(c.app.Flag("log-level", "Log level: debug, info, warn or error (default info)."), func(cfg *Config, v string) { cfg.Log.Level = v })
	c.strFlag(c.app.Flag("log-format", "Log format: text or json (default text)."), func(cfg *Config, v string) { cfg.Log.Format = v })

	cmds := map[string]func(context.Context, Config) error{}
	c.registerIndex(cmds)
	c.registerQueries(cmds)
	c.registerDemo(cmds)
	c.registerSimulate(cmds)
	c.registerBench(cmds)
	c.registerDebug(cmds)
	c.registerLabels(cmds)
	c.registerTrace(cmds)
	c.registerServe(cmds)
	c.registerEthereum(cmds)
	c.registerCluster(cmds)
	c.registerExport(cmds)
	c.registerDetect(cmds)
	c.registerExposure(cmds)

	cmd, err := c.app.Parse(args)
	if err != nil {
		fmt.Fprintf(stderr, "spoor: %v (try --help)\n", err)
		return 2
	}
	if cmd == "" { // --help was printed
		return 0
	}
	cfg, err := LoadConfig(c.config)
	if err != nil {
		fmt.Fprintf(stderr, "spoor: %v\n", err)
		return 2
	}
	for _, o := range c.overrides {
		o(&cfg)
	}
	if err := cmds[cmd](ctx, cfg); err != nil {
		if errors.Is(err, context.Canceled) {
			fmt.Fprintln(stderr, "spoor: interrupted; everything committed so far is kept")
			return 130
		}
		fmt.Fprintf(stderr, "spoor %s: %v\n", cmd, err)
		return 1
	}
	return 0
}

// strFlag binds a string flag that overrides the config when given.
func (c *cli) strFlag(f *kingpin.FlagClause, set func(*Config, string)) {
	var v string
	var given bool
	f.IsSetByUser(&given).StringVar(&v)
	c.overrides = append(c.overrides, func(cfg *Config) {
		if given {
			set(cfg, v)
		}
	})
}

// intFlag binds an integer flag that overrides the config when given.
func (c *cli) intFlag(f *kingpin.FlagClause, set func(*Config, int)) {
	var v int
	var given bool
	f.IsSetByUser(&given).IntVar(&v)
	c.overrides = append(c.overrides, func(cfg *Config) {
		if given {
			set(cfg, v)
		}
	})
}

// boolFlag binds a boolean flag that overrides the config when given.
func (c *cli) boolFlag(f *kingpin.FlagClause, set func(*Config, bool)) {
	var v bool
	var given bool
	f.IsSetByUser(&given).BoolVar(&v)
	c.overrides = append(c.overrides, func(cfg *Config) {
		if given {
			set(cfg, v)
		}
	})
}

// durationFlag binds a duration flag that overrides the config when given.
func (c *cli) durationFlag(f *kingpin.FlagClause, set func(*Config, time.Duration)) {
	var v time.Duration
	var given bool
	f.IsSetByUser(&given).DurationVar(&v)
	c.overrides = append(c.overrides, func(cfg *Config) {
		if given {
			set(cfg, v)
		}
	})
}

// newLogger builds the process logger from the config.
func newLogger(cfg Config, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.Log.Level)); err != nil {
		return nil, fmt.Errorf("log level %q: want debug, info, warn or error", cfg.Log.Level)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(cfg.Log.Format) {
	case "text", "":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("log format %q: want text or json", cfg.Log.Format)
}
