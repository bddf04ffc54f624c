package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spoorhq/spoor/api"
	"github.com/spoorhq/spoor/api/audit"
	"github.com/spoorhq/spoor/api/export"
	"github.com/spoorhq/spoor/chains/bitcoin"
	"github.com/spoorhq/spoor/heuristics/cluster"
	"github.com/spoorhq/spoor/indexer"
	"github.com/spoorhq/spoor/storage"
	"github.com/spoorhq/spoor/trace"
)

// registerServe adds serve, keys and audit: the GraphQL server and the
// tools for its keys and its audit log.
func (c *cli) registerServe(cmds map[string]func(context.Context, Config) error) {
	serve := c.app.Command("serve", "Serve the index over GraphQL (GraphiQL at /, queries at /graphql, health at /healthz).")
	c.strFlag(serve.Flag("listen", "Address to listen on (default 127.0.0.1:8080); port 0 picks a free one."), func(cfg *Config, v string) { cfg.Serve.Listen = v })
	var network string
	serve.Flag("network", "Bitcoin network of the index (default: the only one in the data directory).").StringVar(&network)
	cmds[serve.FullCommand()] = func(ctx context.Context, cfg Config) error { return c.serve(ctx, cfg, network) }

	keys := c.app.Command("keys", "Make API keys for spoor serve.")
	newKey := keys.Command("new", "Make a random API key and print it with the config entry holding its hash.")
	var id, role string
	newKey.Flag("id", "The key's id, shown in logs and the audit log.").Required().StringVar(&id)
	newKey.Flag("role", "viewer, analyst or admin.").Required().StringVar(&role)
	cmds[newKey.FullCommand()] = func(ctx context.Context, cfg Config) error {
		if _, err := api.ParseRole(role); err != nil {
			return err
		}
		key, err := api.NewKey()
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "key (give it to its user; it is not stored anywhere):\n  %s\nconfig entry (under serve.keys):\n  - id: %s\n    role: %s\n    sha256: %s\n",
			key, strconv.Quote(id), role, api.HashKey(key))
		return nil
	}
	hash := keys.Command("hash", "Print the SHA-256 of an API key, as serve.keys stores it.")
	hashArg := hash.Arg("key", "The key; without it, the first line of standard input (which keeps it out of shell history).").String()
	cmds[hash.FullCommand()] = func(ctx context.Context, cfg Config) error {
		key := *hashArg
		if key == "" {
			line, err := bufio.NewReader(os.Stdin).ReadString('\n')
			if err != nil && line == "" {
				return fmt.Errorf("reading the key from standard input: %w", err)
			}
			key = strings.TrimSpace(line)
		}
		if key == "" {
			return errors.New("no key given")
		}
		fmt.Fprintln(c.stdout, api.HashKey(key))
		return nil
	}

	auditCmd := c.app.Command("audit", "Check the audit log.")
	verify := auditCmd.Command("verify", "Verify the audit log's hash chain and its head; print the head to keep elsewhere.")
	var anchor string
	verify.Flag("anchor", "A head printed by an earlier verify (SEQ:HASH) that the log must still contain.").StringVar(&anchor)
	cmds[verify.FullCommand()] = func(ctx context.Context, cfg Config) error {
		var a *audit.Head
		if anchor != "" {
			seq, hash, ok := strings.Cut(anchor, ":")
			n, err := strconv.ParseUint(seq, 10, 64)
			if !ok || err != nil || len(hash) != 64 {
				return fmt.Errorf("anchor %q: want SEQ:HASH as verify prints it", anchor)
			}
			a = &audit.Head{Seq: n, Hash: hash}
		}
		dir := auditDir(cfg.DataDir)
		res, err := audit.VerifyDir(dir, a)
		if err != nil {
			return fmt.Errorf("%s: %w", filepath.Join(dir, audit.LogFile), err)
		}
		fmt.Fprintf(c.stdout, "audit log intact: %d entries\nhead: %d:%s\n", res.Entries, res.Last.Seq, res.Last.Hash)
		return nil
	}
	c.registerBenchAPI(cmds)
}

// auditDir is where the audit log lives in a data directory.
func auditDir(dataDir string) string { return filepath.Join(dataDir, "audit") }

// serve runs the GraphQL server until ctx is cancelled. It holds the
// index open (Pebble's lock keeps other writers out) and the audit log.
func (c *cli) serve(ctx context.Context, cfg Config, network string) error {
	log, err := newLogger(cfg, c.stderr)
	if err != nil {
		return err
	}
	sc := cfg.Serve
	if len(sc.Keys) == 0 {
		return errors.New("no API keys in serve.keys: nothing could be queried; make one with spoor keys new --id NAME --role viewer")
	}
	kr, err := api.NewKeyRing(sc.Keys)
	if err != nil {
		return fmt.Errorf("serve.keys: %w", err)
	}
	sync, err := audit.ParseSyncPolicy(sc.AuditSync)
	if err != nil {
		return err
	}
	if network == "" {
		if network, err = onlyNetwork(cfg.DataDir); err != nil {
			return err
		}
	}
	bnet, err := bitcoin.LookupNetwork(network)
	if err != nil {
		return err
	}
	if _, err := os.Stat(chainDir(cfg.DataDir, bnet.Name)); err != nil {
		return fmt.Errorf("no %s index in %s: %w", bnet.Name, cfg.DataDir, err)
	}
	defer setServeGC(sc.GCPercent)()
	restoreProcs, err := setServeProcs(sc.Procs)
	if err != nil {
		return err
	}
	defer restoreProcs()
	db, err := openBitcoinDB(withServeStorage(cfg), bnet, false, log)
	if err != nil {
		return err
	}
	defer db.Close()
	alog, err := audit.Open(auditDir(cfg.DataDir), &audit.Options{Sync: sync})
	if err != nil {
		return err
	}
	defer alog.Close()
	if alog.Recovered > 0 {
		log.Warn("audit log: cut off a torn last line left by a crash", "bytes", alog.Recovered)
	}

	limits := api.Limits{MaxDepth: sc.MaxDepth, MaxCost: sc.MaxCost, MaxPageSize: sc.MaxPageSize}
	opts := api.ServerOptions{Limits: limits, MaxBodyBytes: sc.MaxBodyBytes, MaxResponseBytes: sc.MaxResponseBytes,
		Timeout: sc.Timeout, RatePerSecond: sc.RatePerSecond, RateBurst: sc.RateBurst,
		BadKeysPerSecond: sc.BadKeysPerSecond, BadKeysBurst: sc.BadKeysBurst, MaxConcurrent: sc.MaxConcurrent, Log: log}
	opts.EnsureDefaults()
	own, skipped, err := trace.LoadLabels(db)
	if err != nil {
		return err
	}
	log.Info("labels loaded", "addresses", len(own), "not_yet_indexed", skipped)
	labels, err := trace.NewClusterLabels(own, db, addressNamer(db, bnet))
	if err != nil {
		return err
	}
	if sc.TraceCacheEntries == 0 {
		sc.TraceCacheEntries = 1 << 18
	}
	cached, err := trace.NewCachedChain(db, sc.TraceCacheEntries)
	if err != nil {
		return fmt.Errorf("serve.trace_cache_entries: %w", err)
	}
	names, err := trace.NewCachedNamer(addressNamer(db, bnet), sc.TraceCacheEntries)
	if err != nil {
		return fmt.Errorf("serve.trace_cache_entries: %w", err)
	}
	engine := trace.NewEngine(cached, labels, names.Name)
	if engine, err = attachExposureIndex(engine, db, own, cfg.Trace.Screen.limits(), log); err != nil {
		return err
	}
	if rules := cfg.Trace.Screen.rules(); rules != nil {
		if err := trace.CheckRiskRules(rules); err != nil {
			return fmt.Errorf("config trace.screen.rules: %w", err)
		}
	}
	views, err := cluster.NewViews(db, bnet)
	if errors.Is(err, cluster.ErrNoClusters) {
		views, err = nil, nil
	}
	if err != nil {
		return err
	}
	traceOpts := api.TraceOptions{Walk: cfg.Trace.limits(), Exposure: cfg.Trace.Screen.limits(),
		Paths: trace.PathLimits{MaxFanout: cfg.Trace.MaxFanout, MaxDuration: cfg.Trace.Timeout}, Rules: cfg.Trace.Screen.rules(), MaxBulk: sc.MaxBulkScreen}
	schema, err := api.NewSchema(api.SchemaOptions{Log: log, MaxPageSize: opts.Limits.MaxPageSize},
		api.BitcoinArea(api.Bitcoin{DB: db, Net: bnet}, db.Chain(), []string{indexer.ChainIndexName, indexer.AddrIndexName}),
		api.TraceArea(engine, db, labels, bnet, traceOpts),
		api.DetectArea(db, bnet, api.DetectOptions{Audit: alog}),
		api.ExportArea(engine, db, labels, bnet, api.ExportOptions{Trace: traceOpts, Limits: cfg.Export.limits(),
			Clusters: func() (export.ClusterReader, error) { return clusterReader(db) }}),
		api.ExploreArea(db, labels, bnet, api.ExploreOptions{Clusters: func() (api.ClusterIndex, error) { return api.StoredClusters(db) },
			Findings: db, Export: cfg.Export.limits()}),
		api.AuditArea(alog), api.ClusterArea(views))
	if err != nil {
		return err
	}
	srv := api.NewServer(schema, kr, alog, opts)

	listen := sc.Listen
	if listen == "" {
		listen = "127.0.0.1:8080"
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listen %s: %w", listen, err)
	}
	if host, _, _ := net.SplitHostPort(listen); !isLoopback(host) {
		log.Warn("serving on a non-loopback address without TLS: API keys cross the network in clear; put a TLS proxy in front", "listen", listen)
	}
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       opts.Timeout + 30*time.Second,
		WriteTimeout:      opts.Timeout + 30*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	fmt.Fprintf(c.stdout, "serving %s on http://%s (GraphiQL at /, queries at /graphql, %d keys)\n", db.Chain(), ln.Addr(), len(sc.Keys))
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdown); err != nil {
		return fmt.Errorf("stopping the server: %w", err)
	}
	// Requests answered with a timeout may have left resolvers walking;
	// the index closes after them.
	if err := schema.Wait(shutdown); err != nil {
		return fmt.Errorf("stopping the server: %w", err)
	}
	fmt.Fprintln(c.stdout, "stopped; audit log head", alog.Head().Seq)
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// addressNamer turns address numbers into the network's address text.
func addressNamer(db *storage.DB, net bitcoin.Network) trace.Namer {
	return func(id storage.AddrID) (string, error) {
		rec, err := db.Address(id)
		if err != nil {
			return "", err
		}
		return bitcoin.EncodeAddress(net, bitcoin.ScriptClass(rec.Class), rec.Payload)
	}
}
