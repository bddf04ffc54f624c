package api

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"github.com/spoorhq/spoor/storage"
	"github.com/spoorhq/spoor/trace"
)

// TestEncodeBulkScreeningsMatchesMarshal checks the hand encoder of POST
// /screen's answer against the json.Marshal encoder it replaced, on
// screenings of the golden world and on made-up ones with escapes, odd
// floats, null fields and values out of range.
func TestEncodeBulkScreeningsMatchesMarshal(t *testing.T) {
	w := goldenSim(t)
	names := w.x.Namer()
	st, err := w.x.DB.State()
	if err != nil {
		t.Fatal(err)
	}
	var addrs []string
	for id := range w.own {
		a, err := names(id)
		if err != nil {
			t.Fatal(err)
		}
		addrs = append(addrs, a)
	}
	for i := range 60 {
		a, err := names(storage.AddrID(1 + uint64(i)*(uint64(st.NextAddrID)-2)/60))
		if err != nil {
			t.Fatal(err)
		}
		addrs = append(addrs, a)
	}
	golden, err := w.schema.bulkScreen(analystCtx(), addrs, nil)
	if err != nil {
		t.Fatal(err)
	}
	exposure := func(dir string) *trace.Exposure {
		return &trace.Exposure{Direction: dir, Total: 1000, Unattributed: 7, Transfers: 3,
			Direct: map[string]*trace.CategoryExposure{
				"sanctions": {Amount: 500, Share: 0.5, MinHop: 1},
				"<mixer>&":  {Amount: 500, Share: 1.0 / 3, MinHop: 1},
				"exchange":  {Amount: 1, Share: 1e-7, MinHop: 1},
			},
			Indirect: map[string]*trace.CategoryExposure{"gambling": {Amount: 0, Share: 1e21, MinHop: 4}}}
	}
	made := &trace.Screening{Address: "bc1\u2028\"\\", Risk: "severe", Source: "live", Partial: true, IndexNote: "stale: <x>",
		Tags:      []trace.Tag{{Entity: "Ex\xff", Category: "exchange", Source: "é", Confidence: 255}, {}},
		Reasons:   []trace.Reason{{Code: "R1", Level: "high", Direction: "receiving", Category: "x", Share: 0.25, Amount: math.MaxInt64}},
		Receiving: exposure("receiving"), Sending: &trace.Exposure{Direction: "sending"}}
	cases := [][]*trace.Screening{golden, {made}, {made, golden[0]}, {}}
	bad := func(f func(s *trace.Screening)) []*trace.Screening {
		s := *made
		s.Receiving = exposure("receiving")
		s.Reasons = append([]trace.Reason(nil), made.Reasons...)
		f(&s)
		return []*trace.Screening{golden[0], &s}
	}
	for _, f := range []func(s *trace.Screening){
		func(s *trace.Screening) { s.Receiving = nil },
		func(s *trace.Screening) { s.Sending = nil },
		func(s *trace.Screening) { s.Reasons[0].Amount = math.MaxInt64 + 1 },
		func(s *trace.Screening) { s.Reasons[0].Share = math.NaN() },
		func(s *trace.Screening) { s.Reasons[0].Share = math.Inf(-1) },
		func(s *trace.Screening) { s.Receiving.Total = math.MaxUint64 },
		func(s *trace.Screening) { s.Receiving.Unattributed = math.MaxInt64 + 1 },
		func(s *trace.Screening) { s.Receiving.Transfers = math.MaxInt32 + 1 },
		func(s *trace.Screening) { s.Receiving.Transfers = math.MinInt32 },
		func(s *trace.Screening) { s.Receiving.Direct["sanctions"].MinHop = math.MinInt32 - 1 },
		func(s *trace.Screening) { s.Receiving.Indirect["gambling"].Share = math.Inf(1) },
		func(s *trace.Screening) { s.Receiving.Indirect["gambling"].Amount = math.MaxUint64 },
	} {
		cases = append(cases, bad(f))
	}
	cases = append(cases, []*trace.Screening{golden[0], nil})
	for i, ss := range cases {
		got, ok := encodeBulkScreenings([]byte("x"), ss)
		want, wantOK := encodeBulkScreeningsReference(ss)
		if ok != wantOK || ok && (string(got[:1]) != "x" || !bytes.Equal(got[1:], want)) {
			t.Fatalf("case %d: hand encoder gave %v\n%s\njson.Marshal gives %v\n%s", i, ok, got, wantOK, want)
		}
		got = got[1:]
		if i < 4 && !ok {
			t.Fatalf("case %d: refused", i)
		}
		if ok && !json.Valid(got) {
			t.Fatalf("case %d: not JSON: %s", i, got)
		}
	}
}

// The bulk* types are bulkScreenQuery(false)'s answer as the executor
// writes it: the executor's objects are maps, which encoding/json writes
// with their keys sorted, so the fields here are in that order.
type (
	bulkAnswer struct {
		Data struct {
			ScreenMany []bulkScreening `json:"screenMany"`
		} `json:"data"`
	}
	bulkScreening struct {
		Address   string       `json:"address"`
		IndexNote *string      `json:"indexNote"`
		Partial   bool         `json:"partial"`
		Reasons   []bulkReason `json:"reasons"`
		Receiving bulkExposure `json:"receiving"`
		Risk      string       `json:"risk"`
		Sending   bulkExposure `json:"sending"`
		Source    string       `json:"source"`
		Tags      []bulkTag    `json:"tags"`
	}
	bulkReason struct {
		AmountSat *int64  `json:"amountSat"`
		Category  string  `json:"category"`
		Code      string  `json:"code"`
		Direction string  `json:"direction"`
		Level     string  `json:"level"`
		Share     float64 `json:"share"`
	}
	bulkTag struct {
		Category   string `json:"category"`
		Confidence int    `json:"confidence"`
		Entity     string `json:"entity"`
		Source     string `json:"source"`
	}
	bulkExposure struct {
		Direct          []bulkCategory `json:"direct"`
		Direction       string         `json:"direction"`
		Indirect        []bulkCategory `json:"indirect"`
		Partial         bool           `json:"partial"`
		TotalSat        *int64         `json:"totalSat"`
		Transfers       int            `json:"transfers"`
		UnattributedSat *int64         `json:"unattributedSat"`
	}
	bulkCategory struct {
		AmountSat *int64  `json:"amountSat"`
		Category  string  `json:"category"`
		MinHop    int     `json:"minHop"`
		Share     float64 `json:"share"`
	}
)

// encodeBulkScreeningsReference is encodeBulkScreenings as it was
// written first, with json.Marshal: the reference for the hand encoder.
//
// It writes the screenings as the executor would. It
// returns false for anything the executor would turn into an error (a
// missing exposure, a value out of the scalars' range), so the request
// goes through the executor instead.
func encodeBulkScreeningsReference(ss []*trace.Screening) ([]byte, bool) {
	var a bulkAnswer
	a.Data.ScreenMany = make([]bulkScreening, len(ss))
	ok := true
	long := func(v uint64) *int64 {
		if v > math.MaxInt64 {
			ok = false
			return nil
		}
		n := int64(v)
		return &n
	}
	num := func(f float64) float64 {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			ok = false
		}
		return f
	}
	small := func(n int) int {
		if n > math.MaxInt32 || n < math.MinInt32 {
			ok = false
		}
		return n
	}
	exposure := func(x *trace.Exposure) bulkExposure {
		if x == nil {
			ok = false
			return bulkExposure{}
		}
		cats := func(m map[string]*trace.CategoryExposure) []bulkCategory {
			out := make([]bulkCategory, 0, len(m))
			for _, c := range catList(m) {
				out = append(out, bulkCategory{AmountSat: long(c.c.Amount), Category: c.name, MinHop: small(c.c.MinHop), Share: num(c.c.Share)})
			}
			return out
		}
		return bulkExposure{Direct: cats(x.Direct), Direction: x.Direction, Indirect: cats(x.Indirect), Partial: x.Partial,
			TotalSat: long(x.Total), Transfers: small(x.Transfers), UnattributedSat: long(x.Unattributed)}
	}
	for i, s := range ss {
		if s == nil {
			return nil, false
		}
		b := &a.Data.ScreenMany[i]
		b.Address, b.Partial, b.Risk, b.Source = s.Address, s.Partial, s.Risk, s.Source
		if s.IndexNote != "" {
			note := s.IndexNote
			b.IndexNote = &note
		}
		b.Reasons = make([]bulkReason, 0, len(s.Reasons))
		for _, r := range s.Reasons {
			b.Reasons = append(b.Reasons, bulkReason{AmountSat: long(r.Amount), Category: r.Category, Code: r.Code, Direction: r.Direction,
				Level: r.Level, Share: num(r.Share)})
		}
		b.Tags = make([]bulkTag, 0, len(s.Tags))
		for _, t := range s.Tags {
			b.Tags = append(b.Tags, bulkTag{Category: t.Category, Confidence: int(t.Confidence), Entity: t.Entity, Source: t.Source})
		}
		b.Receiving, b.Sending = exposure(s.Receiving), exposure(s.Sending)
	}
	if !ok {
		return nil, false
	}
	body, err := json.Marshal(a)
	return body, err == nil
}
