package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/spoorhq/spoor/api"
	"github.com/spoorhq/spoor/api/audit"
	"github.com/spoorhq/spoor/chains/bitcoin"
	"github.com/spoorhq/spoor/indexer"
	"github.com/spoorhq/spoor/internal/chaindata"
	"github.com/spoorhq/spoor/storage"
	"github.com/spoorhq/spoor/trace"
)

// benchKeyEnv carries the API key from spoor bench api to its load
// generator process, keeping it off the command line.
const benchKeyEnv = "SPOOR_BENCH_KEY"

// registerBenchAPI adds "bench api" and its load generator to the bench
// command.
func (c *cli) registerBenchAPI(cmds map[string]func(context.Context, Config) error) {
	bench := c.app.GetCommand("bench")
	if bench == nil {
		bench = c.app.Command("bench", "Measure spoor on real data.")
	}
	cmd := bench.Command("api", "Serve GraphQL on loopback and load it from a second process: requests/s, p50 and p99 per query, "+
		"against /healthz measured the same way in the same run.")
	var o loadOptions
	var asJSON bool
	var auditSync, network, only, cpuProfile, rates string
	cmd.Flag("duration", "How long to load each query.").Default("5s").DurationVar(&o.Duration)
	cmd.Flag("concurrency", "Requests in flight at once (closed loop, without --rate).").Default("16").IntVar(&o.Concurrency)
	cmd.Flag("rate", "Open loop: send this many requests/s on a constant schedule, latency measured from each request's due time; "+
		"a comma-separated list (2000,5000,10000) loads each query at each rate in turn.").StringVar(&rates)
	cmd.Flag("connections", "Open loop: most connections the load generator opens to keep the schedule.").Default(fmt.Sprint(defaultOpenLoopConns)).IntVar(&o.Connections)
	cmd.Flag("audit-sync", "Audit log fsync policy during the run: always or none.").Default("always").StringVar(&auditSync)
	cmd.Flag("network", "Bitcoin network of the index in --datadir.").StringVar(&network)
	cmd.Flag("json", "Print JSON.").BoolVar(&asJSON)
	cmd.Flag("only", "Run only these scenarios (comma-separated): "+strings.Join(benchScenarioNames, ", ")+".").StringVar(&only)
	cmd.Flag("cpuprofile", "Write a CPU profile of the server side, taken while the scenarios run, to this file.").StringVar(&cpuProfile)
	var run benchAPIRun
	cmd.Flag("warmup", "Load each query this long, unmeasured, before measuring it: the block cache then holds what the query reads, as in a server that has run a while.").
		Default("2s").DurationVar(&run.warmup)
	cmd.Flag("server-procs", "Threads running the server's Go code at once (GOMAXPROCS); 0 takes serve.procs, as spoor serve would.").IntVar(&run.serverProcs)
	cmd.Flag("load-procs", "Threads running the load generator's Go code at once (GOMAXPROCS of the second process).").Default("1").IntVar(&run.loadProcs)
	cmd.Flag("generator", "Load generator: spoor (closed or open loop) or wrk (Debian's wrk, closed loop, --concurrency connections, one thread).").
		Default("spoor").EnumVar(&run.generator, "spoor", "wrk")
	cmds[cmd.FullCommand()] = func(ctx context.Context, cfg Config) error {
		rs, err := parseRates(rates)
		if err != nil {
			return err
		}
		run.load, run.asJSON, run.only, run.cpuProfile, run.rates = o, asJSON, only, cpuProfile, rs
		return c.benchAPI(ctx, cfg, network, auditSync, run)
	}

	load := bench.Command("api-load", "Load generator of bench api (run by it in a second process).").Hidden()
	var lo loadOptions
	load.Flag("url", "URL to load.").Required().StringVar(&lo.URL)
	load.Flag("body", "POST this body (with the key from $"+benchKeyEnv+"); without it, GET.").StringVar(&lo.Body)
	load.Flag("bodies", "POST the bodies in this file, one per line, each worker going round them from its own starting line.").StringVar(&lo.BodiesFile)
	load.Flag("duration", "How long to load.").Default("5s").DurationVar(&lo.Duration)
	load.Flag("concurrency", "Requests in flight at once (closed loop, without --rate).").Default("16").IntVar(&lo.Concurrency)
	load.Flag("rate", "Open loop: send this many requests/s on a constant schedule.").Float64Var(&lo.Rate)
	load.Flag("connections", "Open loop: most connections to open to keep the schedule.").Default(fmt.Sprint(defaultOpenLoopConns)).IntVar(&lo.Connections)
	var loadProfile string
	load.Flag("cpuprofile", "Write a CPU profile of the load generator to this file.").StringVar(&loadProfile)
	cmds[load.FullCommand()] = func(ctx context.Context, cfg Config) error {
		lo.Key = os.Getenv(benchKeyEnv)
		if loadProfile != "" {
			f, err := os.Create(loadProfile)
			if err != nil {
				return err
			}
			defer f.Close()
			if err := pprof.StartCPUProfile(f); err != nil {
				return err
			}
			defer pprof.StopCPUProfile()
		}
		if lo.BodiesFile != "" {
			b, err := os.ReadFile(lo.BodiesFile)
			if err != nil {
				return err
			}
			for _, line := range bytes.Split(b, []byte("\n")) {
				if len(line) > 0 {
					lo.Bodies = append(lo.Bodies, string(line))
				}
			}
			if len(lo.Bodies) == 0 {
				return fmt.Errorf("load: %s holds no bodies", lo.BodiesFile)
			}
		}
		res, err := runLoad(ctx, lo)
		if err != nil {
			return err
		}
		return json.NewEncoder(c.stdout).Encode(res)
	}
}

// loadOptions say what one load run sends.
type loadOptions struct {
	URL         string
	Body        string
	BodiesFile  string
	Bodies      []string // from BodiesFile; overrides Body
	Key         string
	Duration    time.Duration
	Concurrency int
	// Rate, when positive, makes the load open-loop: this many requests a
	// second on a constant schedule (runOpenLoad), from at most
	// Connections connections.
	Rate        float64
	Connections int
}

// LoadResult is what one load run measured. The load generator fills in
// the counts and latencies; bench api adds the server's CPU time per
// request, which it measures in its own process.
type LoadResult struct {
	Name string `json:"name"`
	// Rate is the requests/s an open-loop load was asked to send; 0 for a
	// closed loop.
	Rate float64 `json:"target_rate,omitempty"`
	// Connections is how many connections an open-loop load opened.
	Connections int     `json:"connections,omitempty"`
	Requests    int     `json:"requests"`
	Failed      int     `json:"failed"`
	PerSecond   float64 `json:"requests_per_s"`
	P50Micros   float64 `json:"p50_us"`
	P99Micros   float64 `json:"p99_us"`
	P999Micros  float64 `json:"p999_us"`
	MaxMicros   float64 `json:"max_us"`
	// Partial counts the answers that said "partial":true: traces cut
	// short by a limit.
	Partial     int     `json:"partial"`
	RatioToBase float64 `json:"rps_ratio_to_healthz"`
	// CPUMicros is the server's user and system CPU time over the run
	// divided by the requests answered: unlike requests/s it hardly
	// moves with the load of other processes on the machine.
	CPUMicros float64 `json:"server_cpu_us_per_request"`
	// LoadCPUMicros is the load generator's user and system CPU time
	// divided by the requests answered: what the load itself takes from
	// the cores the server shares with it.
	LoadCPUMicros float64 `json:"load_cpu_us_per_request"`
	// CPURatioToBase is CPUMicros divided by /healthz's.
	CPURatioToBase float64 `json:"cpu_ratio_to_healthz"`
}

// partialMark is how a GraphQL trace answer says a limit cut it short.
var partialMark = []byte(`"partial":true`)

// runLoad sends requests from o.Concurrency goroutines over kept-alive
// connections for o.Duration and measures each one's latency, each
// goroutine sending its next request when the last is answered (a closed
// loop). With o.Rate set it runs an open loop instead (runOpenLoad). A
// request failing or answering other than 200 counts as failed.
func runLoad(ctx context.Context, o loadOptions) (LoadResult, error) {
	if o.Rate > 0 {
		return runOpenLoad(ctx, o)
	}
	if o.Concurrency < 1 || o.Duration <= 0 {
		return LoadResult{}, fmt.Errorf("load: concurrency %d and duration %v must be positive", o.Concurrency, o.Duration)
	}
	wire, err := o.encode()
	if err != nil {
		return LoadResult{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()
	var tally loadTally
	var wg sync.WaitGroup
	start := time.Now()
	for i := range o.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := newLoadWorker(wire, i)
			defer w.conn.close()
			for ctx.Err() == nil {
				w.send(time.Now())
			}
			tally.add(w)
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	res := LoadResult{Requests: len(tally.all), Failed: tally.failed, Partial: tally.partial, PerSecond: float64(len(tally.all)) / elapsed.Seconds()}
	res.setLatencies(tally.all)
	return res, nil
}

// loadWire is a load's requests as they go on the wire, and where to.
type loadWire struct {
	addr string
	reqs [][]byte
}

// encode encodes the load's requests once, before the load starts.
func (o *loadOptions) encode() (loadWire, error) {
	bodies := o.Bodies
	if len(bodies) == 0 && o.Body != "" {
		bodies = []string{o.Body}
	}
	addr, reqs, err := encodeLoadRequests(o.URL, o.Key, bodies)
	return loadWire{addr: addr, reqs: reqs}, err
}

// loadWorker is one sender of a load, with its own connection: it cycles
// through the load's requests from its own starting point and keeps what
// it measured.
type loadWorker struct {
	wire      loadWire
	conn      loadConn
	next      int
	buf       bytes.Buffer
	lat       []time.Duration
	bad, part int
}

func newLoadWorker(wire loadWire, i int) *loadWorker {
	return &loadWorker{wire: wire, conn: loadConn{addr: wire.addr}, next: i * 7919}
}

// send sends one request and records its latency counted from from: the
// send time in a closed loop, the due time in an open one. A request
// failing or answering other than 200 counts as failed.
func (w *loadWorker) send(from time.Time) {
	req := w.wire.reqs[w.next%len(w.wire.reqs)]
	w.next++
	status, err := w.conn.do(req, &w.buf)
	if err != nil || status != 200 {
		w.bad++
		return
	}
	w.lat = append(w.lat, time.Since(from))
	if bytes.Contains(w.buf.Bytes(), partialMark) {
		w.part++
	}
}

// loadTally gathers what the workers of a load measured.
type loadTally struct {
	mu              sync.Mutex
	all             []time.Duration
	failed, partial int
}

func (t *loadTally) add(w *loadWorker) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.all = append(t.all, w.lat...)
	t.failed += w.bad
	t.partial += w.part
}

// benchScenarioNames are the names --only accepts, in the order bench
// api runs them; healthz is the reference the ratios are taken against.
var benchScenarioNames = []string{"healthz", "stats", "tx", "address", "screen", "bulk", "evidence", "trace"}

// benchAPIRun is what one spoor bench api run is asked to do.
type benchAPIRun struct {
	load       loadOptions
	asJSON     bool
	only       string // comma-separated scenario names; empty runs all
	cpuProfile string // file for a CPU profile of the load phase
	// rates, when any, make every scenario an open-loop load at each of
	// these requests/s in turn; without, a closed loop.
	rates []float64
	// serverProcs is the server's GOMAXPROCS (0: serve.procs, as spoor
	// serve would run); loadProcs the load generator's.
	serverProcs, loadProcs int
	// generator is "spoor" (the api-load command) or "wrk".
	generator string
	// warmup is how long each scenario is loaded, unmeasured, first.
	warmup time.Duration
}

// parseRates reads --rate: requests/s, comma-separated.
func parseRates(s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		v, err := strconv.ParseFloat(f, 64)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("bench api: --rate %q: %q is not a positive number of requests/s", s, f)
		}
		out = append(out, v)
	}
	return out, nil
}

// selected reports whether the run includes the named scenario.
func (r benchAPIRun) selected(name string) bool {
	if r.only == "" {
		return true
	}
	for _, n := range strings.Split(r.only, ",") {
		if strings.TrimSpace(n) == name {
			return true
		}
	}
	return false
}

// benchAPI serves the index in --datadir (or, when there is none, real
// mainnet blocks 0-14131 indexed into a temporary directory) and loads it
// from a second spoor process, one query at a time. The server runs in
// this process and the load generator in a child, so this process's CPU
// time over a scenario is the server's.
func (c *cli) benchAPI(ctx context.Context, cfg Config, network, auditSync string, run benchAPIRun) error {
	o, asJSON := run.load, run.asJSON
	if run.only != "" {
		for _, n := range strings.Split(run.only, ",") {
			if !slices.Contains(benchScenarioNames, strings.TrimSpace(n)) {
				return fmt.Errorf("bench api: --only %q: no scenario %q (have %s)", run.only, n, strings.Join(benchScenarioNames, ", "))
			}
		}
	}
	sync, err := audit.ParseSyncPolicy(auditSync)
	if err != nil {
		return err
	}
	// The server runs as spoor serve would.
	defer setServeGC(cfg.Serve.GCPercent)()
	procs := run.serverProcs
	if procs == 0 {
		procs = cfg.Serve.Procs
	}
	restoreProcs, err := setServeProcs(procs)
	if err != nil {
		return fmt.Errorf("bench api: %w", err)
	}
	defer restoreProcs()
	if run.loadProcs < 1 {
		return fmt.Errorf("bench api: --load-procs %d: want 1 or more", run.loadProcs)
	}
	wrkPath := ""
	if run.generator == "wrk" {
		if len(run.rates) > 0 {
			return errors.New("bench api: --generator wrk runs a closed loop only (wrk has no constant-rate mode): drop --rate, or use --generator spoor")
		}
		if wrkPath, err = exec.LookPath("wrk"); err != nil {
			return fmt.Errorf("bench api: --generator wrk: %w (Debian: apt-get install wrk)", err)
		}
	}
	tmp, err := os.MkdirTemp("", "spoor-bench-api-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	db, bnet, err := benchIndex(ctx, withServeStorage(cfg), network, tmp)
	if err != nil {
		return err
	}
	defer db.Close()
	alog, err := audit.Open(filepath.Join(tmp, "audit"), &audit.Options{Sync: sync})
	if err != nil {
		return err
	}
	defer alog.Close()
	key, err := api.NewKey()
	if err != nil {
		return err
	}
	kr, err := api.NewKeyRing([]api.KeyConfig{{ID: "bench", Role: "admin", SHA256: api.HashKey(key)}})
	if err != nil {
		return err
	}
	inFlight := o.Concurrency
	if len(run.rates) > 0 {
		inFlight = max(1, o.Connections)
	}
	opts := api.ServerOptions{RatePerSecond: 1e9, RateBurst: 1e9, MaxConcurrent: 4 * inFlight, Log: slog.New(slog.DiscardHandler)}
	opts.EnsureDefaults()
	cachedNames, err := trace.NewCachedNamer(addressNamer(db, bnet), 1<<18)
	if err != nil {
		return err
	}
	names := cachedNames.Name
	own, _, err := trace.LoadLabels(db)
	if err != nil {
		return err
	}
	labels, err := trace.NewClusterLabels(own, db, names)
	if err != nil {
		return err
	}
	cached, err := trace.NewCachedChain(db, 1<<18)
	if err != nil {
		return err
	}
	engine, err := attachExposureIndex(trace.NewEngine(cached, labels, names), db, own, cfg.Trace.Screen.limits(), nil)
	if err != nil {
		return err
	}
	schema, err := api.NewSchema(api.SchemaOptions{MaxPageSize: opts.Limits.MaxPageSize},
		api.BitcoinArea(api.Bitcoin{DB: db, Net: bnet}, db.Chain(), []string{indexer.ChainIndexName, indexer.AddrIndexName}),
		api.TraceArea(engine, db, labels, bnet, api.TraceOptions{Exposure: cfg.Trace.Screen.limits()}))
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: api.NewServer(schema, kr, alog, opts).Handler(), ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	// Shut down, not close: handlers still walking for the last load
	// generator's requests must end before the index closes, and so must
	// resolvers left running by requests answered with a timeout.
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		_ = hs.Shutdown(sctx)
		_ = schema.Wait(sctx)
	}()
	base := "http://" + ln.Addr().String()

	// A transaction and an address that exist in this index: the newest
	// transaction and the address its first output pays.
	v := api.Bitcoin{DB: db, Net: bnet}
	st, err := db.State()
	if err != nil || st.Txs == 0 {
		return fmt.Errorf("bench api: the index is empty (%v)", err)
	}
	last, err := db.Tx(storage.TxNum(st.Txs - 1))
	if err != nil {
		return err
	}
	txv, err := v.Tx(chainhash.Hash(last.Txid).String())
	if err != nil {
		return err
	}
	addr := ""
	for _, out := range txv.Outputs {
		if out.Address != "" {
			addr = out.Address
			break
		}
	}
	q := func(query string) string {
		b, _ := json.Marshal(api.Request{Query: query})
		return string(b)
	}
	// Per-address queries keep one text and pass the address as a
	// variable, as clients should: parsed queries are cached by text.
	qa := func(query, a string) string {
		b, _ := json.Marshal(api.Request{Query: query, Variables: map[string]any{"a": a}})
		return string(b)
	}
	sample, err := benchAddresses(st, names, 2048)
	if err != nil {
		return err
	}
	probe, err := engine.Screen(ctx, sample[0].id, nil, cfg.Trace.Screen.limits())
	if err != nil {
		return err
	}
	source := probe.Source
	if probe.IndexNote != "" {
		source += " (" + probe.IndexNote + ")"
	}
	screenQ := func(a string) string {
		return qa(`query($a: String!) { screen(address: $a, hops: 4) { risk source reasons { code level } `+
			`receiving { totalSat unattributedSat direct { category share } indirect { category share } } `+
			`sending { totalSat unattributedSat direct { category share } indirect { category share } } } }`, a)
	}
	bodyFile := func(name string, fn func(a string) string) (string, error) {
		var b bytes.Buffer
		for _, a := range sample {
			b.WriteString(fn(a.text))
			b.WriteByte('\n')
		}
		path := filepath.Join(tmp, name)
		return path, os.WriteFile(path, b.Bytes(), 0o600)
	}
	screenFile, err := bodyFile("screen.jsonl", screenQ)
	if err != nil {
		return err
	}
	evidenceFile, err := bodyFile("evidence.jsonl", func(a string) string {
		return qa(`query($a: String!) { screen(address: $a, hops: 4) { risk source receiving { direct { category share paths { amountSat } } indirect { category share paths { amountSat } } } } }`, a)
	})
	if err != nil {
		return err
	}
	bulkFile, err := bodyFile("bulk.jsonl", func(a string) string {
		b, _ := json.Marshal(map[string]any{"addresses": []string{a}, "hops": 4})
		return string(b)
	})
	if err != nil {
		return err
	}
	traceFile, err := bodyFile("trace.jsonl", func(a string) string {
		return qa(`query($a: String!) { trace(from: $a, hops: 4, model: HAIRCUT) { txs seedValueSat partial ends { reason amountSat } } }`, a)
	})
	if err != nil {
		return err
	}
	cases := []benchCase{
		{"healthz", "GET /healthz (reference)", "/healthz", "", ""},
		{"stats", "stats", "/graphql", q(`{ stats { height txs addresses } }`), ""},
		{"tx", "transaction with inputs and outputs", "/graphql", q(`{ transaction(txid: "` + txv.Txid + `") { height feeSat inputs { address valueSat } outputs { address valueSat spentBy { txid } } } }`), ""},
		{"address", "address with 10 transactions", "/graphql", q(`{ address(address: "` + addr + `") { balanceSat txCount transactions(first: 10) { edges { txid receivedSat sentSat } } } }`), ""},
		{"screen", fmt.Sprintf("screen, GraphQL, 4 hops, %d addresses", len(sample)), "/graphql", "", screenFile},
		{"bulk", fmt.Sprintf("screen, POST /screen, one address, %d addresses", len(sample)), "/screen", "", bulkFile},
		{"evidence", fmt.Sprintf("screen with evidence paths (adds a walk), %d addresses", len(sample)), "/graphql", "", evidenceFile},
		{"trace", fmt.Sprintf("trace forward, haircut, 4 hops, %d addresses", len(sample)), "/graphql", "", traceFile},
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if run.cpuProfile != "" {
		f, err := os.Create(run.cpuProfile)
		if err != nil {
			return fmt.Errorf("bench api: --cpuprofile %s: %w", run.cpuProfile, err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("bench api: --cpuprofile %s: %w", run.cpuProfile, err)
		}
		defer pprof.StopCPUProfile()
	}
	serverProcs := runtime.GOMAXPROCS(0)
	gen := benchGenerator{self: self, wrk: wrkPath, dir: tmp, base: base, key: key, procs: run.loadProcs, load: o}
	var results []LoadResult
	// The ratios are to /healthz loaded the same way: at the same rate.
	refs := map[float64]*LoadResult{}
	rates := run.rates
	if len(rates) == 0 {
		rates = []float64{0} // one closed-loop run
	}
	for _, tc := range cases {
		if !run.selected(tc.key) {
			continue
		}
		if run.warmup > 0 {
			cmd, err := gen.command(ctx, tc, rates[0], run.warmup)
			if err != nil {
				return err
			}
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Run(); err != nil {
				return fmt.Errorf("load generator for %s, warming up: %w: %s", tc.name, err, stderr.String())
			}
		}
		for _, rate := range rates {
			cmd, err := gen.command(ctx, tc, rate, o.Duration)
			if err != nil {
				return err
			}
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			// The server's CPU time is this process's while the load runs;
			// handlers still running after the load generator exits are few
			// (at most the requests in flight) and are counted in the next
			// scenario, or not at all after the last.
			cpu0 := cpuTime()
			if err := cmd.Run(); err != nil {
				return fmt.Errorf("load generator for %s: %w: %s", tc.name, err, stderr.String())
			}
			cpu := cpuTime() - cpu0
			var r LoadResult
			if wrkPath != "" {
				if r, err = parseWrk(stdout.Bytes()); err != nil {
					return fmt.Errorf("load generator for %s: %w", tc.name, err)
				}
			} else if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
				return fmt.Errorf("load generator for %s printed %q: %w", tc.name, stdout.String(), err)
			}
			r.Name = tc.name
			if r.Failed > 0 {
				return fmt.Errorf("%s: %d of %d requests failed", tc.name, r.Failed, r.Failed+r.Requests)
			}
			if r.Requests > 0 {
				r.CPUMicros = float64(cpu.Nanoseconds()) / 1e3 / float64(r.Requests)
				load := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
				r.LoadCPUMicros = float64(load.Nanoseconds()) / 1e3 / float64(r.Requests)
			}
			if tc.key == "healthz" {
				refs[rate] = &r
			}
			if ref := refs[rate]; ref != nil && ref.PerSecond > 0 && ref.CPUMicros > 0 {
				r.RatioToBase = r.PerSecond / ref.PerSecond
				r.CPURatioToBase = r.CPUMicros / ref.CPUMicros
			}
			results = append(results, r)
		}
	}
	if asJSON {
		return writeJSON(c.stdout, map[string]any{"chain": db.Chain(), "txs": st.Txs, "concurrency": o.Concurrency, "rates": run.rates, "duration": o.Duration.String(),
			"generator": run.generator, "warmup": run.warmup.String(), "server_procs": serverProcs, "load_procs": run.loadProcs,
			"audit_sync": auditSync, "screening_source": source, "results": results})
	}
	mode := fmt.Sprintf("closed loop, %d in flight", o.Concurrency)
	if len(run.rates) > 0 {
		mode = fmt.Sprintf("open loop at a constant rate, latency from each request's due time, up to %d connections", o.Connections)
	}
	fmt.Fprintf(c.stdout, "%s (%d transactions), load from a second process on loopback (%s, %d thread(s)), %s, %v per query and rate after %v unmeasured, server on %d thread(s), audit sync %s; screenings answered from: %s\n",
		db.Chain(), st.Txs, run.generator, run.loadProcs, mode, o.Duration, run.warmup, serverProcs, auditSync, source)
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "query\ttarget/s\trequests/s\tp50 µs\tp99 µs\tp99.9 µs\tmax µs\tserver CPU-µs/req\tload CPU-µs/req\tpartial\tratio to healthz (rps)\tCPU ratio to healthz\t")
	ratio := func(v float64) string {
		if len(refs) == 0 {
			return "–"
		}
		return fmt.Sprintf("%.3f", v)
	}
	for _, r := range results {
		target := "–"
		if r.Rate > 0 {
			target = fmt.Sprintf("%.0f", r.Rate)
		}
		fmt.Fprintf(tw, "%s\t%s\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.1f%%\t%s\t%s\t\n", r.Name, target, r.PerSecond, r.P50Micros, r.P99Micros, r.P999Micros, r.MaxMicros, r.CPUMicros, r.LoadCPUMicros,
			100*float64(r.Partial)/float64(max(1, r.Requests)), ratio(r.RatioToBase), ratio(r.CPURatioToBase))
	}
	return tw.Flush()
}

type benchAddress struct {
	id   storage.AddrID
	text string
}

// benchGenerator makes the commands of bench api's load generator: a
// second spoor process (bench api-load) or wrk.
type benchGenerator struct {
	self  string // this executable
	wrk   string // wrk's path; empty runs spoor's own generator
	dir   string // for the files wrk reads
	base  string // the server's URL
	key   string
	procs int // the generator's GOMAXPROCS
	load  loadOptions
}

// command returns the load generator's command for one scenario at one
// rate (0: a closed loop), loading for d.
func (g benchGenerator) command(ctx context.Context, tc benchCase, rate float64, d time.Duration) (*exec.Cmd, error) {
	var cmd *exec.Cmd
	if g.wrk != "" {
		file := tc.bodies
		if tc.body != "" {
			var err error
			if file, err = writeBodyFile(g.dir, tc.key, tc.body); err != nil {
				return nil, err
			}
		}
		l := wrkLoad{url: g.base + tc.path, bodiesFile: file, connections: g.load.Concurrency, duration: d, countPartial: tc.key == "trace"}
		var err error
		if cmd, err = l.command(ctx, g.wrk, g.dir); err != nil {
			return nil, err
		}
	} else {
		args := []string{"bench", "api-load", "--url", g.base + tc.path, "--duration", d.String(), "--concurrency", fmt.Sprint(g.load.Concurrency)}
		if rate > 0 {
			args = append(args, "--rate", strconv.FormatFloat(rate, 'f', -1, 64), "--connections", fmt.Sprint(g.load.Connections))
		}
		if tc.body != "" {
			args = append(args, "--body", tc.body)
		}
		if tc.bodies != "" {
			args = append(args, "--bodies", tc.bodies)
		}
		cmd = exec.CommandContext(ctx, g.self, args...)
	}
	cmd.Env = append(os.Environ(), benchKeyEnv+"="+g.key, "GOMAXPROCS="+strconv.Itoa(g.procs))
	return cmd, nil
}

// benchCase is one scenario of bench api: a query sent to path, with one
// body, a file of bodies (one per line), or neither (a GET).
type benchCase struct{ key, name, path, body, bodies string }

// writeBodyFile writes one body as a bodies file of one line, for a
// load generator that reads its bodies from a file.
func writeBodyFile(dir, name, body string) (string, error) {
	path := filepath.Join(dir, name+".jsonl")
	return path, os.WriteFile(path, []byte(body+"\n"), 0o600)
}

// benchAddresses picks n addresses spread evenly over the index's address
// numbers, so requests do not all hit one cached address.
func benchAddresses(st storage.ChainState, names trace.Namer, n int) ([]benchAddress, error) {
	total := int(st.NextAddrID) - 1
	if total < 1 {
		return nil, errors.New("bench api: the index has no addresses")
	}
	n = min(n, total)
	out := make([]benchAddress, 0, n)
	for i := range n {
		id := storage.AddrID(1 + i*total/n)
		s, err := names(id)
		if err != nil {
			return nil, fmt.Errorf("bench api: address %d: %w", id, err)
		}
		out = append(out, benchAddress{id: id, text: s})
	}
	return out, nil
}

// benchIndex opens the index in the data directory or, when there is
// none, indexes real mainnet blocks 0-14131 into dir.
func benchIndex(ctx context.Context, cfg Config, network, dir string) (*storage.DB, bitcoin.Network, error) {
	if network == "" {
		network, _ = onlyNetwork(cfg.DataDir)
	}
	if network != "" {
		bnet, err := bitcoin.LookupNetwork(network)
		if err != nil {
			return nil, bitcoin.Network{}, err
		}
		if _, err := os.Stat(chainDir(cfg.DataDir, bnet.Name)); err == nil {
			db, err := openBitcoinDB(cfg, bnet, true, nil)
			return db, bnet, err
		}
	}
	bnet, _ := bitcoin.LookupNetwork("mainnet")
	path, err := chaindata.MainnetBlk0To14131(ctx)
	if err != nil {
		return nil, bnet, err
	}
	bf, err := bitcoin.OpenBlockFiles(ctx, bnet, path)
	if err != nil {
		return nil, bnet, err
	}
	defer bf.Close()
	db, err := storage.Open(filepath.Join(dir, "index"), "bitcoin/mainnet", nil)
	if err != nil {
		return nil, bnet, err
	}
	ix, err := indexer.New(db, bitcoin.FileSource{Files: bf}, indexer.Config{})
	if err == nil {
		err = ix.Run(ctx)
	}
	if err != nil {
		return nil, bnet, errors.Join(err, db.Close())
	}
	return db, bnet, nil
}
