package detect

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func TestAmountCheck(t *testing.T) {
	const field = "detect.peel_chain.min_input"
	tests := []struct {
		name   string
		a      Amount
		prices bool
		err    string // "" for no error
	}{
		{"no threshold", Amount{}, false, ""},
		{"satoshis need no prices", Amount{Sat: 1000}, false, ""},
		{"USD with a price table", Amount{USD: 500}, true, ""},
		{"both units", Amount{Sat: 1000, USD: 500}, true, "detect.peel_chain.min_input_sat = 1000 and detect.peel_chain.min_input_usd = 500: give exactly one"},
		{"USD without a price table", Amount{USD: 500}, false, "detect.peel_chain.min_input_usd = 500: a USD threshold needs a price table (detect.prices"},
		{"negative USD", Amount{USD: -1}, true, "detect.peel_chain.min_input_usd = -1: want a positive amount"},
		{"NaN USD", Amount{USD: math.NaN()}, true, "detect.peel_chain.min_input_usd = NaN: want a positive amount"},
		{"infinite USD", Amount{USD: math.Inf(1)}, true, "detect.peel_chain.min_input_usd = +Inf: want a positive amount"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.a.Check(field, tc.prices)
			if tc.err == "" {
				if err != nil {
					t.Fatalf("Check(%+v) = %v; want nil", tc.a, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("Check(%+v) = %v; want an error containing %q", tc.a, err, tc.err)
			}
		})
	}
}

func TestAmountAt(t *testing.T) {
	p, err := ReadPrices(strings.NewReader("date,usd\n2024-01-01,40000\n2024-01-02,30000\n2024-01-05,50000\n"), "prices.csv")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		a      Amount
		at     int64
		prices *PriceTable
		sat    uint64
		day    string // "" for the zero time
		err    string
	}{
		{"satoshis stay satoshis", Amount{Sat: 12345}, day("2023-01-01"), nil, 12345, "", ""},
		{"satoshis ignore the table", Amount{Sat: 12345}, day("2024-01-01"), p, 12345, "", ""},
		{"USD at the day's price", Amount{USD: 500}, day("2024-01-01") + 7200, p, 1_250_000, "2024-01-01", ""},
		{"USD rounds up to the next satoshi", Amount{USD: 1}, day("2024-01-02"), p, 3334, "2024-01-02", ""},
		{"a gap takes the nearest earlier day", Amount{USD: 300}, day("2024-01-04") + 86399, p, 1_000_000, "2024-01-02", ""},
		{"after the table takes its last day", Amount{USD: 500}, day("2025-06-01"), p, 1_000_000, "2024-01-05", ""},
		{"before the table is an error naming the date", Amount{USD: 500}, day("2023-12-31") + 60, p, 0, "",
			"prices.csv: no USD price on or before 2023-12-31 (the table starts on 2024-01-01)"},
		{"USD without a table is an error naming the date", Amount{USD: 500}, day("2024-01-01"), nil, 0, "",
			"a threshold of 500.00 USD at 2024-01-01 needs a price table"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sat, d, err := tc.a.At(tc.at, tc.prices)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("At = %d, %v; want an error containing %q", sat, err, tc.err)
				}
				return
			}
			gotDay := ""
			if !d.IsZero() {
				gotDay = d.Format(time.DateOnly)
			}
			if err != nil || sat != tc.sat || gotDay != tc.day {
				t.Fatalf("At = %d sat on %q, %v; want %d on %q", sat, gotDay, err, tc.sat, tc.day)
			}
		})
	}
}

// TestAmountsInConfig reads thresholds from YAML as spoor does: the old
// keys still work, every detector's floor takes _sat or _usd, and Validate
// names the field given in both units or in USD without prices.
func TestAmountsInConfig(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		err  string
	}{
		{"old keys", "structuring: {thresholds_sat: [5000000], margin: 0.05}\nround_amount: {unit_sat: 100000}\n", ""},
		{"every floor in satoshis", `
deposit_sweep: {min_deposit_sat: 1}
peel_chain: {min_input_sat: 2}
fan_in: {min_total_sat: 3}
fan_out: {min_total_sat: 4}
pass_through: {min_amount_sat: 5}
hawala: {min_settlement_sat: 6}
round_amount: {min_amount_sat: 7}
chain_hop: {min_amount_sat: 8}
sanctioned_contact: {min_amount_sat: 9}
`, ""},
		{"every floor in USD", `
prices: prices.csv
deposit_sweep: {min_deposit_usd: 1}
peel_chain: {min_input_usd: 2}
fan_in: {min_total_usd: 3}
fan_out: {min_total_usd: 4}
pass_through: {min_amount_usd: 5}
hawala: {min_settlement_usd: 6}
round_amount: {min_amount_usd: 7}
chain_hop: {min_amount_usd: 8}
sanctioned_contact: {min_amount_usd: 9}
structuring: {thresholds_usd: [10000, 3000]}
`, ""},
		{"both units", "prices: p.csv\nfan_out: {min_total_sat: 100, min_total_usd: 250}\n",
			"detect.fan_out.min_total_sat = 100 and detect.fan_out.min_total_usd = 250: give exactly one of them"},
		{"USD without prices", "hawala: {min_settlement_usd: 25000}\n",
			"detect.hawala.min_settlement_usd = 25000: a USD threshold needs a price table"},
		{"negative USD", "prices: p.csv\nsanctioned_contact: {min_amount_usd: -5}\n",
			"detect.sanctioned_contact.min_amount_usd = -5: want a positive amount of USD"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c Config
			if err := yaml.Unmarshal([]byte(tc.yaml), &c); err != nil {
				t.Fatal(err)
			}
			err := c.Defaults().Validate()
			if tc.err == "" {
				if err != nil {
					t.Fatalf("Validate = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("Validate = %v; want an error containing %q", err, tc.err)
			}
		})
	}
	var c Config
	if err := yaml.Unmarshal([]byte("peel_chain: {min_input_usd: 2}\nfan_in: {min_total_sat: 3}\n"), &c); err != nil {
		t.Fatal(err)
	}
	if got := c.PeelChain.MinInput(); got != (Amount{USD: 2}) {
		t.Fatalf("peel_chain.min_input = %+v", got)
	}
	if got := c.FanIn.MinTotal(); got != (Amount{Sat: 3}) {
		t.Fatalf("fan_in.min_total = %+v", got)
	}
}

// TestFloorsSilenceTheirDetector sets each detector's floor far above any
// amount of the world: the detector then finds nothing (so the floor is
// wired in), and the others are untouched where they do not depend on it.
func TestFloorsSilenceTheirDetector(t *testing.T) {
	const huge = 1 << 60
	tests := []struct {
		detector string
		set      func(*Config)
	}{
		{"deposit_sweep", func(c *Config) { c.DepositSweep.MinDepositSat = huge }},
		{"peel_chain", func(c *Config) { c.PeelChain.MinInputSat = huge }},
		{"fan_in", func(c *Config) { c.FanIn.MinTotalSat = huge }},
		{"fan_out", func(c *Config) { c.FanOut.MinTotalSat = huge }},
		{"pass_through", func(c *Config) { c.PassThrough.MinAmountSat = huge }},
		{"hawala", func(c *Config) { c.Hawala.MinSettlementSat = huge }},
		{"round_amount", func(c *Config) { c.RoundAmount.MinAmountSat = huge }},
		{"chain_hop", func(c *Config) { c.ChainHop.MinAmountSat = huge }},
		{"sanctioned_contact", func(c *Config) { c.Sanctioned.MinAmountSat = huge }},
	}
	for _, tc := range tests {
		t.Run(tc.detector, func(t *testing.T) {
			if result.Counts[tc.detector] == 0 {
				t.Fatalf("the world plants nothing %s finds", tc.detector)
			}
			var cfg Config
			tc.set(&cfg)
			res, err := Run(context.Background(), loaded, cfg, []string{tc.detector})
			if err != nil {
				t.Fatal(err)
			}
			if n := res.Counts[tc.detector]; n != 0 {
				t.Fatalf("%s finds %d with a floor above every amount (%d without)", tc.detector, n, result.Counts[tc.detector])
			}
		})
	}
}

// TestPeelFloorInUSD runs peel_chain with a floor of 2,000 USD on each
// hop's largest input at two constant prices. At the price that puts the
// floor just below the smallest hop of every chain found without it, the
// same chains are found; at a price that puts the floor at the
// median first hop, the finding set changes, and every hop left is worth
// at least the floor. Evidence carries the USD value and the price day.
func TestPeelFloorInUSD(t *testing.T) {
	byTxid := map[string]*Tx{}
	for i := range loaded.Txs {
		byTxid[TxidString(loaded.Txs[i].Txid)] = &loaded.Txs[i]
	}
	chains := func(res *Result) ([]string, []Finding) {
		var ids []string
		var fs []Finding
		for _, f := range res.Findings {
			if f.Name() == "peel_chain" {
				ids = append(ids, strings.Join(slices.Sorted(slices.Values(f.Txids)), ","))
				fs = append(fs, f)
			}
		}
		slices.Sort(ids)
		return ids, fs
	}
	base, baseFs := chains(result)
	if len(base) == 0 {
		t.Fatal("the world plants no peel chain")
	}
	var firstHops []float64
	var lowest uint64 = math.MaxUint64
	for _, f := range baseFs {
		firstHops = append(firstHops, f.Measured["start_sat"])
		for _, e := range f.Evidence {
			if strings.HasPrefix(e.Note, "hop ") {
				lowest = min(lowest, largestIn(byTxid[e.Txid]))
			}
		}
	}
	var first int64
	for _, tx := range loaded.Txs {
		if !tx.Coinbase {
			first = tx.Time
			break
		}
	}
	firstDay := time.Unix(first, 0).UTC().Truncate(24*time.Hour).AddDate(0, 0, -1).Format(time.DateOnly)
	const floorUSD = 2000
	write := func(price float64) string {
		p := filepath.Join(t.TempDir(), "prices.csv")
		if err := os.WriteFile(p, []byte(fmt.Sprintf("date,usd\n%s,%v\n", firstDay, price)), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	run := func(price float64) ([]string, []Finding) {
		res, err := Run(context.Background(), loaded, Config{Prices: write(price), PeelChain: PeelChainConfig{MinInputUSD: floorUSD}}, []string{"peel_chain"})
		if err != nil {
			t.Fatal(err)
		}
		return chains(res)
	}
	// The price at which the floor is just below the smallest hop.
	high := 1.01 * floorUSD / (float64(lowest) / 1e8)
	got, fs := run(high)
	if fmt.Sprint(got) != fmt.Sprint(base) {
		t.Fatalf("a floor below every hop changes the chains: %d, want %d", len(got), len(base))
	}
	e := fs[0].Evidence[0]
	if e.PriceDay != firstDay || math.Abs(e.USD-float64(e.Amount)/1e8*high) > 1e-6 {
		t.Fatalf("evidence %+v: want its USD value at %v and price day %s", e, high, firstDay)
	}

	// The price at which the floor is the median first hop.
	low := floorUSD / (median(firstHops) / 1e8)
	floorSat := uint64(math.Ceil(floorUSD / low * 1e8))
	got, fs = run(low)
	if fmt.Sprint(got) == fmt.Sprint(base) {
		t.Fatalf("a floor at the median first hop (%d sat) leaves the same %d chains", floorSat, len(base))
	}
	for _, f := range fs {
		for _, e := range f.Evidence {
			if strings.HasPrefix(e.Note, "hop ") {
				if v := largestIn(byTxid[e.Txid]); v < floorSat {
					t.Fatalf("hop %s has a largest input of %d sat, below the floor of %d", e.Txid, v, floorSat)
				}
			}
			if e.PriceDay != firstDay {
				t.Fatalf("evidence %+v without its price day", e)
			}
		}
	}
	t.Logf("peel chains: %d without a floor, %d at %.0f USD/BTC, %d at %.0f USD/BTC (floor %d sat)", len(base), len(base), high, len(got), low, floorSat)
}

// TestFloorBeforeThePriceTable: a USD floor at a time the table does not
// quote is an error naming the field and the date, never a floor dropped.
func TestFloorBeforeThePriceTable(t *testing.T) {
	late := filepath.Join(t.TempDir(), "late.csv")
	if err := os.WriteFile(late, []byte("date,usd\n2100-01-01,40000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Run(context.Background(), loaded, Config{Prices: late, FanOut: FanOutConfig{MinTotalUSD: 100}}, nil)
	if err == nil || !strings.Contains(err.Error(), "detect.fan_out.min_total_usd") || !strings.Contains(err.Error(), "no USD price on or before") ||
		!strings.Contains(err.Error(), "the table starts on 2100-01-01") {
		t.Fatalf("Run with a table after the chain: %v", err)
	}
}

// TestRoundAmountInUSD: with usd_unit, a payment counts as round when its
// dollar value is near a multiple of the unit at its day's price. The
// planted round payments are multiples of 0.01 BTC; with satoshi
// roundness switched off (a unit no payment is a multiple of), they are
// found again at 10,000 USD/BTC, where 0.01 BTC is 100 USD, and every
// payment cited as round must be within the tolerance at the price given;
// at a price where 0.01 BTC is no round number of dollars they are not.
func TestRoundAmountInUSD(t *testing.T) {
	groups := func(res *Result) (keys []string, fs []Finding) {
		for _, f := range res.Findings {
			if f.Name() == "round_amount" {
				keys = append(keys, strings.Join(slices.Sorted(slices.Values(f.Txids)), ","))
				fs = append(fs, f)
			}
		}
		slices.Sort(keys)
		return keys, fs
	}
	base, _ := groups(result)
	if len(base) == 0 {
		t.Fatal("the world plants no round payments")
	}
	var first int64
	for _, tx := range loaded.Txs {
		if !tx.Coinbase {
			first = tx.Time
			break
		}
	}
	day := time.Unix(first, 0).UTC().Truncate(24*time.Hour).AddDate(0, 0, -1).Format(time.DateOnly)
	run := func(price float64) ([]string, []Finding) {
		p := filepath.Join(t.TempDir(), "prices.csv")
		if err := os.WriteFile(p, []byte(fmt.Sprintf("date,usd\n%s,%v\n", day, price)), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg := Config{Prices: p, RoundAmount: RoundAmountConfig{UnitSat: math.MaxUint64, USDUnit: 100}}
		res, err := Run(context.Background(), loaded, cfg, []string{"round_amount"})
		if err != nil {
			t.Fatal(err)
		}
		return groups(res)
	}
	for _, price := range []float64{10_000, 13_713} {
		got, fs := run(price)
		cited := 0
		for _, f := range fs {
			for _, e := range f.Evidence {
				if !strings.HasPrefix(e.Note, "round payment") {
					continue
				}
				cited++
				usd := float64(e.Amount) / 1e8 * price
				if near := math.Round(usd/100) * 100; near == 0 || math.Abs(usd-near) > 0.5 {
					t.Fatalf("at %v USD/BTC, %s cites %d sat (%.2f USD) as round", price, e.Txid, e.Amount, usd)
				}
				if !strings.Contains(e.Note, "USD") {
					t.Fatalf("evidence note %q does not give the USD value", e.Note)
				}
			}
		}
		if price == 10_000 {
			for _, k := range base {
				if !slices.Contains(got, k) {
					t.Fatalf("at 10,000 USD/BTC the round group %s is not found in USD", k)
				}
			}
		} else if fmt.Sprint(got) == fmt.Sprint(base) {
			t.Fatalf("at %v USD/BTC, where 0.01 BTC is no round number of dollars, the same %d groups are round", price, len(got))
		}
		t.Logf("%v USD/BTC: %d groups, %d payments cited (satoshi roundness: %d groups)", price, len(got), cited, len(base))
	}

	if _, err := Run(context.Background(), loaded, Config{RoundAmount: RoundAmountConfig{USDUnit: 100}}, nil); err == nil || !strings.Contains(err.Error(), "detect.round_amount.usd_unit") {
		t.Fatalf("usd_unit without a price table: %v", err)
	}
}
