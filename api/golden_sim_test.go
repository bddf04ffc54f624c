package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"text/template"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/spoorhq/spoor/chains/bitcoin"
	"github.com/spoorhq/spoor/chains/bitcoin/sim"
	"github.com/spoorhq/spoor/heuristics/cluster"
	"github.com/spoorhq/spoor/indexer"
	"github.com/spoorhq/spoor/internal/simindex"
	"github.com/spoorhq/spoor/storage"
	"github.com/spoorhq/spoor/trace"
)

// goldenWorld is a seeded simulated world, clustered, labelled with the
// world's public labels (labels.csv) and with its exposure index built:
// what spoor serves after index, labels import and exposure build.
type goldenWorld struct {
	x      *simindex.Index
	own    trace.MapLabels
	labels trace.Labeler
	engine *trace.Engine // screenings from the exposure index
	live   *trace.Engine // the same without it
	schema *Schema
	facts  map[string]string
	lim    trace.ExposureLimits
}

// ids looks up the numbers of addresses of the world.
func (w *goldenWorld) ids(tb testing.TB, addrs []string) []storage.AddrID {
	tb.Helper()
	var out []storage.AddrID
	for _, a := range addrs {
		class, payload, err := bitcoin.ParseAddress(w.x.Net, a)
		if err != nil {
			tb.Fatal(err)
		}
		id, err := w.x.DB.LookupAddr(uint8(class), payload)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, id)
	}
	return out
}

var goldenOnce struct {
	once sync.Once
	w    *goldenWorld
	err  error
}

func goldenSim(tb testing.TB) *goldenWorld {
	tb.Helper()
	goldenOnce.once.Do(func() { goldenOnce.w, goldenOnce.err = buildGoldenWorld() })
	if goldenOnce.err != nil {
		tb.Fatal(goldenOnce.err)
	}
	return goldenOnce.w
}

func buildGoldenWorld() (*goldenWorld, error) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "spoor-api-golden-")
	if err != nil {
		return nil, err
	}
	x, err := simindex.Build(ctx, dir, sim.Options{Seed: 3, Txs: 12000, TxsPerBlock: 150})
	if err != nil {
		return nil, err
	}
	set, err := cluster.NewSet(cluster.Config{})
	if err != nil {
		return nil, err
	}
	if _, err := cluster.Rebuild(ctx, x.DB, set, 100, slog.New(slog.DiscardHandler)); err != nil {
		return nil, err
	}
	w := &goldenWorld{x: x, own: trace.MapLabels{}}
	f, err := os.Open(filepath.Join(filepath.Dir(x.Truth), "labels.csv"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, err
	}
	for _, r := range rows[1:] { // address,chain,entity,category,source,confidence
		class, payload, err := bitcoin.ParseAddress(x.Net, r[0])
		if err != nil {
			return nil, err
		}
		id, err := x.DB.LookupAddr(uint8(class), payload)
		if err != nil {
			continue
		}
		conf := 0
		for _, c := range r[5] {
			conf = conf*10 + int(c-'0')
		}
		w.own[id] = append(w.own[id], trace.Tag{Entity: r[2], Category: r[3], Source: r[4], Confidence: uint8(conf)})
	}
	if w.labels, err = trace.NewClusterLabels(w.own, x.DB, x.Namer()); err != nil {
		return nil, err
	}
	state := func() (trace.IndexState, error) {
		s := trace.IndexState{LabelsHash: trace.LabelsHash(w.own)}
		gen, ok, err := x.DB.ActiveGeneration()
		if err != nil {
			return s, err
		}
		tip, _, err := x.DB.Tip(indexer.ChainIndexName)
		s.Clustered, s.Generation, s.TipHeight, s.TipHash = ok, gen, tip.Height, tip.Hash
		return s, err
	}
	st, err := state()
	if err != nil {
		return nil, err
	}
	if _, err := trace.BuildExposureIndex(ctx, x.DB, w.labels, trace.ExposureLimits{}, st.Stamp()); err != nil {
		return nil, err
	}
	ix, err := trace.OpenExposureIndex(x.DB, state)
	if err != nil {
		return nil, err
	}
	w.live = trace.NewEngine(x.DB, w.labels, x.Namer())
	w.engine = w.live.WithExposureIndex(ix)
	views, err := cluster.NewViews(x.DB, x.Net)
	if err != nil {
		return nil, err
	}
	if w.schema, err = NewSchema(SchemaOptions{Log: slog.New(slog.NewTextHandler(io.Discard, nil))},
		BitcoinArea(Bitcoin{DB: x.DB, Net: x.Net}, x.DB.Chain(), []string{indexer.ChainIndexName, indexer.AddrIndexName}),
		TraceArea(w.engine, x.DB, w.labels, x.Net, TraceOptions{}),
		ClusterArea(views)); err != nil {
		return nil, err
	}
	w.facts, err = w.pickFacts(views)
	return w, err
}

// pickFacts chooses, by fixed rules over the seeded world, the blocks,
// transactions and addresses the golden queries ask about.
func (w *goldenWorld) pickFacts(views *cluster.Views) (map[string]string, error) {
	db, name := w.x.DB, w.x.Namer()
	facts := map[string]string{}
	// A payment at height 40 and up: its txid, its first input's address
	// (the payer) and the address it paid that later paid someone else.
	st, err := db.State()
	if err != nil {
		return nil, err
	}
	for n := storage.TxNum(0); n < st.NextTxNum && facts["PathTo"] == ""; n++ {
		rec, err := db.Tx(n)
		if err != nil {
			return nil, err
		}
		if rec.Height < 40 {
			continue
		}
		ins, err := db.Inputs(n)
		if err != nil || len(ins) == 0 || ins[0].AddrID == 0 || w.labels.Tags(ins[0].AddrID) != nil {
			continue
		}
		outs, err := db.Outputs(n)
		if err != nil {
			return nil, err
		}
		for v, o := range outs {
			if o.AddrID == 0 || o.AddrID == ins[0].AddrID {
				continue
			}
			sp, err := db.Spender(n, uint32(v))
			if err != nil {
				continue
			}
			next, err := db.Outputs(sp.TxNum)
			if err != nil {
				return nil, err
			}
			for _, o2 := range next {
				if o2.AddrID != 0 && o2.AddrID != o.AddrID && o2.AddrID != ins[0].AddrID {
					facts["Txid"] = chainhash.Hash(rec.Txid).String()
					facts["Payer"], _ = name(ins[0].AddrID)
					facts["Payee"], _ = name(o.AddrID)
					facts["PathTo"], _ = name(o2.AddrID)
					break
				}
			}
			if facts["PathTo"] != "" {
				break
			}
		}
	}
	// An output spent as the second of several inputs of a transaction
	// with outputs of different values, so the taint models disagree.
	for n := storage.TxNum(0); n < st.NextTxNum && facts["MixedOutput"] == ""; n++ {
		rec, err := db.Tx(n)
		if err != nil {
			return nil, err
		}
		if rec.Height < 40 {
			continue
		}
		ins, err := db.Inputs(n)
		if err != nil || len(ins) < 3 {
			continue
		}
		outs, err := db.Outputs(n)
		if err != nil {
			return nil, err
		}
		if len(outs) >= 2 && outs[0].Value != outs[1].Value && outs[0].AddrID != 0 && outs[1].AddrID != 0 {
			prev, err := db.Tx(ins[1].PrevTxNum)
			if err != nil {
				return nil, err
			}
			facts["MixedOutput"] = chainhash.Hash(prev.Txid).String() + ":" + itoa(int(ins[1].PrevVout))
		}
	}
	// Labelled addresses in number order; an exchange with a clustered
	// sibling that inherits its label; a payer of the sanctioned entity.
	var ids []storage.AddrID
	for id := range w.own {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		tag := w.own[id][0]
		s, _ := name(id)
		if tag.Category == "exchange" && facts["Exchange"] == "" {
			v, err := views.Cluster(s, 50, "")
			if err != nil {
				return nil, err
			}
			for _, m := range v.Members {
				class, payload, _ := bitcoin.ParseAddress(w.x.Net, m)
				mid, _ := db.LookupAddr(uint8(class), payload)
				if m != s && w.own[mid] == nil {
					facts["Exchange"], facts["ExchangeSibling"] = s, m
					break
				}
			}
		}
		if tag.Category == "sanction" && facts["SanctionPayer"] == "" {
			_ = db.Postings(id, nil, func(p storage.Posting) bool {
				ins, _ := db.Inputs(p.TxNum)
				for _, in := range ins {
					if in.AddrID != 0 && w.labels.Tags(in.AddrID) == nil {
						facts["Sanctioned"] = s
						facts["SanctionPayer"], _ = name(in.AddrID)
						return false
					}
				}
				return true
			})
		}
	}
	for _, k := range []string{"MixedOutput", "Txid", "Payer", "Payee", "PathTo", "Exchange", "ExchangeSibling", "Sanctioned", "SanctionPayer"} {
		if facts[k] == "" {
			return nil, &goldenFactError{k}
		}
	}
	return facts, nil
}

type goldenFactError struct{ fact string }

func (e *goldenFactError) Error() string { return "golden world: no " + e.fact + " found" }

// TestGoldenSim runs every query in testdata/golden against the seeded
// simulated world as an analyst and compares the response with the .json
// beside it; {{.Name}} in a query stands for an address or txid the test
// picks by a fixed rule (pickFacts). go test ./api -run Golden -update
// rewrites the answers.
func TestGoldenSim(t *testing.T) {
	w := goldenSim(t)
	files, _ := filepath.Glob("testdata/golden/*.graphql")
	if len(files) < 10 {
		t.Fatalf("only %d golden queries", len(files))
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".graphql")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			tpl, err := template.New(name).Option("missingkey=error").Parse(string(raw))
			if err != nil {
				t.Fatal(err)
			}
			var q bytes.Buffer
			if err := tpl.Execute(&q, w.facts); err != nil {
				t.Fatal(err)
			}
			out := w.schema.Execute(analystCtx(), Request{Query: q.String()}, DefaultLimits())
			if len(out.Result.Errors) > 0 && !strings.Contains(name, "error") {
				t.Fatalf("errors: %v", out.Result.Errors)
			}
			got, err := json.MarshalIndent(out.Result, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := strings.TrimSuffix(f, ".graphql") + ".json"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./api -run Golden -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("response differs from %s (go test ./api -run Golden -update rewrites it):\n%s", golden, lineDiff(string(want), string(got)))
			}
		})
	}
}

// lineDiff shows the lines of want and got that differ, with their line
// numbers, up to 40 of them.
func lineDiff(want, got string) string {
	a, b := strings.Split(want, "\n"), strings.Split(got, "\n")
	var out strings.Builder
	shown := 0
	for i := 0; i < max(len(a), len(b)) && shown < 40; i++ {
		var x, y string
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			out.WriteString("line " + itoa(i+1) + "\n- " + x + "\n+ " + y + "\n")
			shown++
		}
	}
	if len(a) != len(b) {
		out.WriteString("lines: want " + itoa(len(a)) + ", got " + itoa(len(b)) + "\n")
	}
	return out.String()
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}
