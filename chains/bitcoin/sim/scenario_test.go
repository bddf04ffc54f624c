package sim

import (
	"bytes"
	"context"
	"encoding/csv"
	"math"
	"os"
	"slices"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/btcsuite/btcd/txscript/v2"
	"github.com/btcsuite/btcd/wire/v2"
)

// scenarioOpts returns the options of the chain the scenario tests share:
// every scenario and decoy once, with merchants, processors and two
// exchanges.
func scenarioOpts() Options {
	w := AllScenarios(1)
	// Few merchants and one processor, so that each gets enough sales
	// in a short chain for the decoys' minimum sizes.
	w.Merchants, w.Processors = 6, 1
	w.Scenarios.MerchantAggregation.Size = 5
	w.Scenarios.ProcessorPassThrough.Size = 2
	if raceEnabled {
		w.Merchants = 3
		w.Scenarios.ProcessorPassThrough.Size = 1
		return Options{Seed: 21, Txs: 3000, TxsPerBlock: 30, Wallets: 250, Exchanges: 2, World: w}
	}
	return Options{Seed: 21, Txs: 12000, TxsPerBlock: 60, Wallets: 600, Exchanges: 2, World: w}
}

// TestScenarioConsensusValid runs the full btcd validation of
// TestConsensusValid over a chain with every scenario switched on.
func TestScenarioConsensusValid(t *testing.T) {
	checkConsensus(t, scenarioOpts(), 0, 0)
}

// viewTx is a transaction of the chain with the addresses it spends from
// and pays to ("" for OP_RETURN outputs).
type viewTx struct {
	height    int
	tx        *wire.MsgTx
	ins, outs []string
	inValues  []int64
}

// chainView indexes a generated chain and its truth file for scenario
// checks.
type chainView struct {
	txs     map[string]*viewTx
	owner   map[string]TruthRecord
	spentBy map[wire.OutPoint]string
	recs    []TruthRecord
}

func newChainView(t *testing.T, c *testChain) *chainView {
	t.Helper()
	v := &chainView{txs: make(map[string]*viewTx), owner: make(map[string]TruthRecord), spentBy: make(map[wire.OutPoint]string)}
	v.recs = readTruth(t, c.sum.Truth)
	for _, r := range v.recs {
		if r.Address != "" {
			v.owner[r.Address] = r
		}
	}
	addr := func(script []byte) string {
		if txscript.GetScriptClass(script) == txscript.NullDataTy {
			return ""
		}
		_, addrs, _, err := txscript.ExtractPkScriptAddrs(script, &chaincfg.RegressionNetParams)
		if err != nil || len(addrs) != 1 {
			t.Fatalf("output script %x: %v", script, err)
		}
		return addrs[0].EncodeAddress()
	}
	outs := indexOutputs(c.blocks)
	for h, blk := range c.blocks[1:] {
		for _, tx := range blk.Transactions[1:] {
			id := tx.TxHash().String()
			vt := &viewTx{height: h + 1, tx: tx}
			for _, in := range tx.TxIn {
				prev := outs[in.PreviousOutPoint]
				vt.ins = append(vt.ins, addr(prev.PkScript))
				vt.inValues = append(vt.inValues, prev.Value)
				v.spentBy[in.PreviousOutPoint] = id
			}
			for _, o := range tx.TxOut {
				vt.outs = append(vt.outs, addr(o.PkScript))
			}
			v.txs[id] = vt
		}
	}
	return v
}

// roles returns the addresses of s by role.
func roles(s TruthRecord) map[string][]string {
	m := make(map[string][]string)
	for _, a := range s.Addresses {
		m[a.Role] = append(m[a.Role], a.Address)
	}
	return m
}

// in reports whether a is in set.
func in(set []string, a string) bool { return slices.Contains(set, a) }

// paid returns the value tx pays to addresses in set.
func (vt *viewTx) paid(set []string) (v int64, n int) {
	for i, a := range vt.outs {
		if in(set, a) {
			v += vt.tx.TxOut[i].Value
			n++
		}
	}
	return v, n
}

// TestScenarioTruth checks every scenario line of truth.jsonl against the
// chain: the transactions exist, every role address occurs in them, and
// each kind has the shape it claims.
func TestScenarioTruth(t *testing.T) {
	c := generate(t, scenarioOpts())
	v := newChainView(t, c)
	known := map[string]bool{}
	for _, k := range scenarioKinds {
		known[k.name] = true
	}
	detectors := map[string]bool{}
	for _, d := range []string{"deposit_sweep", "peel_chain", "structuring", "fan_in", "fan_out", "pass_through", "hawala", "round_amount", "chain_hop", "sanctioned_contact"} {
		detectors[d] = true
	}
	seen := map[string]int{}
	for _, s := range v.recs {
		if s.Scenario == "" {
			continue
		}
		seen[s.Kind]++
		t.Run(s.Scenario, func(t *testing.T) {
			if !known[s.Kind] {
				t.Fatalf("unknown kind %q", s.Kind)
			}
			if s.Decoy != (len(s.Detectors) == 0) {
				t.Fatalf("decoy %v with detectors %v", s.Decoy, s.Detectors)
			}
			for _, d := range s.Detectors {
				if !detectors[d] {
					t.Fatalf("unknown detector %q", d)
				}
			}
			var txs []*viewTx
			inTxs := map[string]bool{}
			for _, id := range s.Txids {
				vt, ok := v.txs[id]
				if !ok {
					t.Fatalf("txid %s not in the chain", id)
				}
				txs = append(txs, vt)
				for _, a := range append(append([]string(nil), vt.ins...), vt.outs...) {
					inTxs[a] = true
				}
			}
			for _, a := range s.Addresses {
				if _, ok := v.owner[a.Address]; !ok {
					t.Fatalf("%s address %s has no address line", a.Role, a.Address)
				}
				if !inTxs[a.Address] {
					t.Fatalf("%s address %s occurs in none of the transactions", a.Role, a.Address)
				}
			}
			checkShape(t, v, s, txs)
		})
	}
	for _, k := range scenarioKinds {
		if seen[k.name] == 0 {
			t.Errorf("no %s instance in the truth file (%v)", k.name, seen)
		}
	}
	t.Logf("instances by kind: %v", seen)
}

// checkShape checks the kind-specific shape of scenario s.
func checkShape(t *testing.T, v *chainView, s TruthRecord, txs []*viewTx) {
	t.Helper()
	r := roles(s)
	isDeposit := func(a string) bool { o := v.owner[a]; return o.Kind == "exchange" && o.Role == roleDeposit }
	last := txs[len(txs)-1]
	switch s.Kind {
	case "peel_chain":
		hops := txs[:len(txs)-1]
		if len(hops) < 5 {
			t.Fatalf("%d hops, want at least 5", len(hops))
		}
		var prev *viewTx
		for i, h := range hops {
			if len(h.ins) != 1 || len(h.outs) != 2 {
				t.Fatalf("hop %d has %d inputs and %d outputs", i, len(h.ins), len(h.outs))
			}
			cont, peel := 0, 1
			if !in(r["hop"], h.outs[0]) {
				cont, peel = 1, 0
			}
			if !in(r["hop"], h.outs[cont]) || !in(r["peel"], h.outs[peel]) {
				t.Fatalf("hop %d pays %v, want a hop and a peel address", i, h.outs)
			}
			if pv := h.tx.TxOut[peel].Value; pv*10 > h.inValues[0] {
				t.Fatalf("hop %d peels %d of %d", i, pv, h.inValues[0])
			}
			if i == 0 && !in(r["source"], h.ins[0]) {
				t.Fatalf("first hop spends %s, not the source", h.ins[0])
			}
			if prev != nil && !spends(v, h, prev, r["hop"]) {
				t.Fatalf("hop %d does not spend hop %d's continuation", i, i-1)
			}
			prev = h
		}
		if len(last.outs) != 1 || !in(r["exit"], last.outs[0]) || !isDeposit(last.outs[0]) || !spends(v, last, prev, r["hop"]) {
			t.Fatalf("exit pays %v from %v; want the last continuation to an exchange deposit address", last.outs, last.ins)
		}
	case "structuring":
		thr := int64(s.Params["threshold_sat"].(float64))
		for _, vt := range txs {
			val, n := vt.paid(r["exit"])
			if n != 1 || val >= thr || val < thr*9/10 || !isDeposit(vt.outs[slices.IndexFunc(vt.outs, func(a string) bool { return in(r["exit"], a) })]) {
				t.Fatalf("transfer %s pays %d in %d outputs to the exit, want one in [%d, %d) to a deposit address", vt.tx.TxHash(), val, n, thr*9/10, thr)
			}
		}
		if len(txs) < 3 {
			t.Fatalf("%d transfers", len(txs))
		}
	case "pass_through":
		cycles := 0
		for i, vt := range txs {
			if !in(r["mule"], vt.ins[0]) {
				continue
			}
			inflow := txs[i-1]
			if !spends(v, vt, inflow, r["mule"]) || len(vt.outs) != 1 || !in(r["destination"], vt.outs[0]) {
				t.Fatalf("forward %s does not pass the previous inflow on to the destination", vt.tx.TxHash())
			}
			if vt.height-inflow.height > 6 || vt.tx.TxOut[0].Value*100 < vt.inValues[0]*98 {
				t.Fatalf("forward %s after %d blocks keeps %d of %d", vt.tx.TxHash(), vt.height-inflow.height, vt.inValues[0]-vt.tx.TxOut[0].Value, vt.inValues[0])
			}
			cycles++
		}
		if cycles < 3 {
			t.Fatalf("%d cycles", cycles)
		}
	case "fan_out":
		first := txs[0]
		val, n := first.paid(r["smurf"])
		if n < 10 {
			t.Fatalf("fan-out pays %d smurfs", n)
		}
		mean := float64(val) / float64(n)
		var ss float64
		for i, a := range first.outs {
			if in(r["smurf"], a) {
				d := float64(first.tx.TxOut[i].Value) - mean
				ss += d * d
			}
		}
		if cv := math.Sqrt(ss/float64(n)) / mean; cv > 0.2 {
			t.Fatalf("amount CV %.2f", cv)
		}
		for _, vt := range txs[1:] {
			if !spends(v, vt, first, r["smurf"]) || len(vt.outs) != 1 || !in(r["collector"], vt.outs[0]) {
				t.Fatalf("forward %s does not pass a smurf coin to the collector", vt.tx.TxHash())
			}
		}
		if len(txs)-1 < n/2 {
			t.Fatalf("%d of %d smurfs forward", len(txs)-1, n)
		}
	case "recruitment", "fan_in":
		payers := map[string]bool{}
		var inflow int64
		role := "collection"
		if s.Kind == "fan_in" {
			role = "aggregator"
		}
		for _, vt := range txs[:len(txs)-1] {
			val, n := vt.paid(r[role])
			if n != 1 {
				t.Fatalf("payment %s pays %d %s outputs", vt.tx.TxHash(), n, role)
			}
			if s.Kind == "recruitment" && (val != int64(s.Params["fee_sat"].(float64)) || val%1_000_000 != 0) {
				t.Fatalf("payment %s of %d, want the fee", vt.tx.TxHash(), val)
			}
			payers[v.owner[vt.ins[0]].Entity] = true
			inflow += val
		}
		if len(payers) < 20 {
			t.Fatalf("%d distinct payers", len(payers))
		}
		if s.Kind == "recruitment" && len(r["collection"]) != len(txs)-1 {
			t.Fatalf("%d collection addresses for %d payments", len(r["collection"]), len(txs)-1)
		}
		out := int64(0)
		for _, o := range last.tx.TxOut {
			out += o.Value
		}
		if out*10 < inflow*8 || len(last.outs) > 3 {
			t.Fatalf("final transaction moves %d of %d to %d counterparties", out, inflow, len(last.outs))
		}
	case "hawala":
		var heights []int
		cps := map[string]bool{}
		for _, vt := range txs {
			if !in(r["broker"], vt.ins[0]) {
				continue
			}
			if len(vt.outs) > 3 {
				t.Fatalf("settlement %s pays %d outputs", vt.tx.TxHash(), len(vt.outs))
			}
			for _, a := range vt.outs {
				if !in(r["counterparty"], a) {
					t.Fatalf("settlement %s pays %s, not a counterparty", vt.tx.TxHash(), a)
				}
				cps[a] = true
			}
			heights = append(heights, vt.height)
		}
		if len(heights) < 3 || len(cps) > 3 || (len(txs)-len(heights)) < 10*len(heights) {
			t.Fatalf("%d settlements to %d counterparties after %d inflows", len(heights), len(cps), len(txs)-len(heights))
		}
		for i := 2; i < len(heights); i++ {
			if heights[i]-heights[i-1] != heights[1]-heights[0] {
				t.Fatalf("settlements at heights %v are not periodic", heights)
			}
		}
		// Every coin the broker received is spent by a settlement:
		// the balance resets each cycle.
		for _, vt := range txs {
			for i, a := range vt.outs {
				if in(r["broker"], a) {
					if _, ok := v.spentBy[wire.OutPoint{Hash: vt.tx.TxHash(), Index: uint32(i)}]; !ok {
						t.Fatalf("broker coin %s:%d never settled", vt.tx.TxHash(), i)
					}
				}
			}
		}
	case "chain_hop":
		for _, vt := range txs {
			_, n := vt.paid(r["service_deposit"])
			for _, a := range r["service_deposit"] {
				if o := v.owner[a]; o.Kind != "service" {
					t.Fatalf("service deposit %s belongs to %s (%s)", a, o.Entity, o.Kind)
				}
			}
			if n != 1 {
				t.Fatalf("hop %s pays %d service deposits", vt.tx.TxHash(), n)
			}
		}
	case "sanctioned":
		for _, a := range r["sanctioned"] {
			if v.owner[a].Kind != "sanctioned" {
				t.Fatalf("sanctioned address %s has kind %s", a, v.owner[a].Kind)
			}
		}
		touches := func(vt *viewTx, set []string) bool {
			return slices.ContainsFunc(vt.ins, func(a string) bool { return in(set, a) }) ||
				slices.ContainsFunc(vt.outs, func(a string) bool { return in(set, a) })
		}
		for _, a := range r["direct"] {
			if !slices.ContainsFunc(txs, func(vt *viewTx) bool { return touches(vt, []string{a}) && touches(vt, r["sanctioned"]) }) {
				t.Fatalf("direct counterparty %s never transacts with the sanctioned entity", a)
			}
		}
		for _, a := range r["indirect"] {
			if !slices.ContainsFunc(txs, func(vt *viewTx) bool {
				return in(vt.outs, a) && slices.ContainsFunc(vt.ins, func(x string) bool { return in(r["direct"], x) }) && !touches(vt, r["sanctioned"])
			}) {
				t.Fatalf("indirect counterparty %s is not paid by a direct one", a)
			}
		}
		if len(r["direct"]) < 4 || len(r["indirect"]) < 1 {
			t.Fatalf("%d direct and %d indirect counterparties", len(r["direct"]), len(r["indirect"]))
		}
	case "payroll":
		pays := 0
		for _, vt := range txs {
			if _, n := vt.paid(r["employee"]); n >= 10 && in(r["employer"], vt.ins[0]) {
				pays++
			}
		}
		if pays != payrollCycles {
			t.Fatalf("%d pay days, want %d", pays, payrollCycles)
		}
	case "exchange_batch":
		if _, n := last.paid(r["customer"]); n < 5 || v.owner[last.ins[0]].Kind != "exchange" {
			t.Fatalf("batch pays %d customers from %s", n, v.owner[last.ins[0]].Kind)
		}
	case "merchant_aggregation":
		if len(last.outs) != 1 || v.owner[last.outs[0]].Role != roleTreasury || len(last.ins) < 5 {
			t.Fatalf("consolidation of %d sales pays %v", len(last.ins), last.outs)
		}
		for _, vt := range txs[:len(txs)-1] {
			if _, n := vt.paid(r[roleSale]); n != 1 {
				t.Fatalf("sale %s pays %d sale addresses", vt.tx.TxHash(), n)
			}
		}
	case "processor_pass_through":
		for _, vt := range txs[:len(txs)-1] {
			if len(vt.outs) != 1 || v.owner[vt.outs[0]].Role != roleSettlement {
				t.Fatalf("sweep %s pays %v", vt.tx.TxHash(), vt.outs)
			}
		}
		if _, n := last.paid(r["merchant"]); n < 1 || v.owner[last.ins[0]].Role != roleSettlement {
			t.Fatalf("payout pays %d merchants", n)
		}
	}
}

// spends reports whether vt spends an output of prev paid to an address in
// set.
func spends(v *chainView, vt, prev *viewTx, set []string) bool {
	h := prev.tx.TxHash()
	for i, a := range prev.outs {
		if in(set, a) && v.spentBy[wire.OutPoint{Hash: h, Index: uint32(i)}] == vt.tx.TxHash().String() {
			return true
		}
	}
	return false
}

// TestLabels checks labels.csv: its header, that exchange hot and cold
// wallets, coordinators, the instant exchanger and every sanctioned address
// are labelled with the right category, and that every labelled address is
// in the truth file with the entity the label names.
func TestLabels(t *testing.T) {
	c := generate(t, scenarioOpts())
	v := newChainView(t, c)
	f, err := os.Open(c.sum.Labels)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := rows[0]; !slices.Equal(got, []string{"address", "chain", "entity", "category", "source", "confidence"}) {
		t.Fatalf("header %v", got)
	}
	cats := map[string]int{}
	labelled := map[string]bool{}
	for _, row := range rows[1:] {
		o, ok := v.owner[row[0]]
		if !ok || o.Entity != row[2] || row[1] != labelChain {
			t.Fatalf("label %v: truth says %+v", row, o)
		}
		want := map[string]string{"exchange": "exchange", "coordinator": "coinjoin", "sanctioned": "sanction", "service": "exchange"}[o.Kind]
		if row[3] != want {
			t.Fatalf("label %v for a %s address, want category %q", row, o.Kind, want)
		}
		cats[row[3]]++
		labelled[row[0]] = true
	}
	for a, o := range v.owner {
		if o.Kind == "sanctioned" && !labelled[a] {
			t.Errorf("sanctioned address %s not labelled", a)
		}
		if o.Kind == "exchange" && (o.Role == roleHot || o.Role == roleCold) && !labelled[a] {
			t.Errorf("exchange %s address %s not labelled", o.Role, a)
		}
	}
	if cats["exchange"] < 3 || cats["sanction"] < 1 {
		t.Errorf("labels by category %v", cats)
	}
}

// TestScenarioDeterminism checks that a chain with scenarios does not
// depend on the number of workers.
func TestScenarioDeterminism(t *testing.T) {
	opts := scenarioOpts()
	opts.Txs /= 3
	var files [2][]byte
	for i, workers := range []int{1, 3} {
		o := opts
		o.Workers = workers
		sum, err := Generate(context.Background(), t.TempDir(), o)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range append(append([]string(nil), sum.Files...), sum.Truth, sum.Labels) {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			files[i] = append(files[i], b...)
		}
	}
	if !bytes.Equal(files[0], files[1]) {
		t.Fatal("output differs between 1 and 3 workers")
	}
	if !bytes.Contains(files[0], []byte(`"scenario":`)) {
		t.Fatal("no scenario recorded")
	}
}
