package detect

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func day(s string) int64 {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t.Unix()
}

func TestPriceTableLookup(t *testing.T) {
	p, err := ReadPrices(strings.NewReader("date,usd\n2024-01-01,40000\n2024-01-02,42000.5\n\n2024-01-05,45000\n"), "prices.csv")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		at   int64
		usd  float64
		day  string
		err  string
	}{
		{"on a quoted day", day("2024-01-02") + 3600, 42000.5, "2024-01-02", ""},
		{"first second of a day", day("2024-01-05"), 45000, "2024-01-05", ""},
		{"a gap takes the nearest earlier day", day("2024-01-04") + 86399, 42000.5, "2024-01-02", ""},
		{"after the table takes its last day", day("2024-03-01"), 45000, "2024-01-05", ""},
		{"before the table is an error naming the date", day("2023-12-31") + 5, 0, "", "no USD price on or before 2023-12-31 (the table starts on 2024-01-01)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			usd, d, err := p.Price(tc.at)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "prices.csv") {
					t.Fatalf("Price = %v, %v; want an error containing %q", usd, err, tc.err)
				}
				return
			}
			if err != nil || usd != tc.usd || d.Format(time.DateOnly) != tc.day {
				t.Fatalf("Price = %v on %v, %v; want %v on %s", usd, d, err, tc.usd, tc.day)
			}
		})
	}
	if v, err := p.USD(25_000_000, day("2024-01-01")); err != nil || v != 10000 {
		t.Fatalf("USD(0.25 BTC) = %v, %v; want 10000", v, err)
	}
}

func TestReadPricesErrors(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"empty", "date,usd\n", "no prices"},
		{"no comma", "2024-01-01 40000\n", "line 1"},
		{"bad date", "2024-13-01,4\n", `line 1: date "2024-13-01"`},
		{"bad price", "2024-01-01,abc\n", `line 1: price "abc"`},
		{"zero price", "2024-01-01,0\n", "want a positive number"},
		{"negative price", "2024-01-01,-3\n", "want a positive number"},
		{"not increasing", "2024-01-02,1\n2024-01-01,2\n", "line 2: 2024-01-01 is not after the line before (2024-01-02)"},
		{"duplicate day", "2024-01-02,1\n2024-01-02,2\n", "dates must increase"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadPrices(strings.NewReader(tc.text), "p.csv")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ReadPrices(%q) = %v; want an error containing %q", tc.text, err, tc.want)
			}
		})
	}
	if _, err := LoadPrices(filepath.Join(t.TempDir(), "missing.csv")); err == nil || !strings.Contains(err.Error(), "missing.csv") {
		t.Fatalf("LoadPrices of a missing file: %v", err)
	}
}

func FuzzReadPrices(f *testing.F) {
	f.Add("date,usd\n2024-01-01,40000\n2024-01-02,41000\n")
	f.Add("2024-01-01,1e3\n")
	f.Fuzz(func(t *testing.T, text string) {
		p, err := ReadPrices(strings.NewReader(text), "fuzz")
		if err != nil {
			return
		}
		for i := range p.days {
			if p.usd[i] <= 0 || i > 0 && p.days[i] <= p.days[i-1] {
				t.Fatalf("accepted table %v %v", p.days, p.usd)
			}
			if usd, _, err := p.Price(p.days[i]); err != nil || usd != p.usd[i] {
				t.Fatalf("Price on day %d = %v, %v", i, usd, err)
			}
		}
	})
}

// structuringTxids returns the transactions of the structuring findings
// of a run with cfg.
func structuringTxids(t *testing.T, cfg Config) ([][]string, []Finding) {
	t.Helper()
	res, err := Run(context.Background(), loaded, cfg, []string{"structuring"})
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	var fs []Finding
	for _, f := range res.Findings {
		if f.Name() == "structuring" {
			out = append(out, slices.Sorted(slices.Values(f.Txids)))
			fs = append(fs, f)
		}
	}
	return out, fs
}

// TestStructuringInUSD runs structuring with a threshold in USD over the
// simulated world: at a constant price of 50,000 USD, 5,000 USD is the
// 0.1 BTC threshold, so it finds what the satoshi threshold finds; a
// table with a gap falls back to the earlier day; a table starting after
// the chain is an error naming the first date without a price.
func TestStructuringInUSD(t *testing.T) {
	// The first payment (coinbases need no price).
	var first int64
	for _, tx := range loaded.Txs {
		if !tx.Coinbase {
			first = tx.Time
			break
		}
	}
	firstDay := time.Unix(first, 0).UTC().Truncate(24 * time.Hour)
	dir := t.TempDir()
	write := func(name string, lines ...string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("date,usd\n"+strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	d := func(days int) string { return firstDay.AddDate(0, 0, days).Format(time.DateOnly) }
	constant := write("constant.csv", d(-1)+",50000")
	// Quoted only before the chain and long after it: every transaction
	// takes the price of the day before the chain.
	gap := write("gap.csv", d(-3)+",50000", d(400)+",1")
	late := write("late.csv", d(1)+",50000")

	want, wantFs := structuringTxids(t, Config{})
	if len(want) == 0 {
		t.Fatal("the world plants no structuring")
	}
	for _, tc := range []struct{ name, prices string }{{"constant price", constant}, {"a gap in the table", gap}} {
		t.Run(tc.name, func(t *testing.T) {
			got, fs := structuringTxids(t, Config{Prices: tc.prices, Structuring: StructuringConfig{ThresholdsUSD: []float64{5000}}})
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("USD threshold finds %v, the satoshi threshold %v", got, want)
			}
			for i, f := range fs {
				if f.Measured["threshold_usd"] != 5000 || f.Measured["sum_usd"] < 5000 || f.Measured["sum_sat"] != wantFs[i].Measured["sum_sat"] ||
					!strings.Contains(f.Summary, "5000.00 USD") || !strings.Contains(f.Evidence[0].Note, "USD at that day's price") {
					t.Fatalf("finding %s: %v %s / %s", f.Subject, f.Measured, f.Summary, f.Evidence[0].Note)
				}
			}
		})
	}
	t.Run("no price before the chain", func(t *testing.T) {
		_, err := Run(context.Background(), loaded, Config{Prices: late, Structuring: StructuringConfig{ThresholdsUSD: []float64{5000}}}, []string{"structuring"})
		if err == nil || !strings.Contains(err.Error(), "no USD price on or before "+d(0)) || !strings.Contains(err.Error(), "structuring/1") {
			t.Fatalf("Run with a table starting after the chain: %v", err)
		}
	})
	t.Run("USD thresholds without prices", func(t *testing.T) {
		_, err := Run(context.Background(), loaded, Config{Structuring: StructuringConfig{ThresholdsUSD: []float64{5000}}}, nil)
		if err == nil || !strings.Contains(err.Error(), "need a price table (detect.prices: FILE)") {
			t.Fatalf("Run with USD thresholds and no prices: %v", err)
		}
	})
}
