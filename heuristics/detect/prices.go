package detect

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// PriceTable holds the USD price of one unit of the chain's coin (one
// BTC) per UTC day, from a CSV file of "date,usd" lines (an optional
// header line "date,usd"; dates as 2006-01-02, strictly increasing).
//
// A day without a price takes the price of the nearest earlier day in the
// table (the documented fallback: markets are quoted every day, and a gap
// in a table usually means a missing export, not a missing market); a
// time before the table's first day is an error naming the date, never a
// threshold silently skipped.
type PriceTable struct {
	// Path names the file in errors.
	Path string
	days []int64 // Unix seconds of each day's start, increasing
	usd  []float64
}

// LoadPrices reads a price table from path.
func LoadPrices(path string) (*PriceTable, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("detect.prices: %w", err)
	}
	defer f.Close()
	return ReadPrices(f, path)
}

// ReadPrices reads a price table from r; name names it in errors.
func ReadPrices(r io.Reader, name string) (*PriceTable, error) {
	p := &PriceTable{Path: name}
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		if line == 1 && strings.EqualFold(strings.ReplaceAll(text, " ", ""), "date,usd") {
			continue
		}
		date, val, ok := strings.Cut(text, ",")
		if !ok {
			return nil, fmt.Errorf("detect.prices %s line %d: %q: want date,usd", name, line, clipText(text))
		}
		day, err := time.Parse(time.DateOnly, strings.TrimSpace(date))
		if err != nil {
			return nil, fmt.Errorf("detect.prices %s line %d: date %q: want YYYY-MM-DD", name, line, clipText(date))
		}
		usd, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil || usd <= 0 || math.IsInf(usd, 0) || math.IsNaN(usd) {
			return nil, fmt.Errorf("detect.prices %s line %d: price %q: want a positive number of USD", name, line, clipText(val))
		}
		if n := len(p.days); n > 0 && day.Unix() <= p.days[n-1] {
			return nil, fmt.Errorf("detect.prices %s line %d: %s is not after the line before (%s): dates must increase", name, line,
				day.Format(time.DateOnly), time.Unix(p.days[n-1], 0).UTC().Format(time.DateOnly))
		}
		p.days = append(p.days, day.Unix())
		p.usd = append(p.usd, usd)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("detect.prices %s: %w", name, err)
	}
	if len(p.days) == 0 {
		return nil, fmt.Errorf("detect.prices %s: no prices", name)
	}
	return p, nil
}

func clipText(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// Price returns the USD price of one coin at Unix time t and the day it
// was quoted (t's day, or the nearest earlier day in the table).
func (p *PriceTable) Price(t int64) (usd float64, day time.Time, err error) {
	i := sort.Search(len(p.days), func(i int) bool { return p.days[i] > t }) - 1
	if i < 0 {
		return 0, time.Time{}, fmt.Errorf("detect.prices %s: no USD price on or before %s (the table starts on %s)", p.Path,
			time.Unix(t, 0).UTC().Format(time.DateOnly), time.Unix(p.days[0], 0).UTC().Format(time.DateOnly))
	}
	return p.usd[i], time.Unix(p.days[i], 0).UTC(), nil
}

// USD returns the value of sat satoshis at time t.
func (p *PriceTable) USD(sat uint64, t int64) (float64, error) {
	usd, _, err := p.Price(t)
	return float64(sat) / 1e8 * usd, err
}
