package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/graphql-go/graphql/language/parser"
	"github.com/graphql-go/graphql/language/source"
	"github.com/spoorhq/spoor/api/audit"
	"github.com/spoorhq/spoor/trace"
)

// bulkScreenFunc screens addresses as the screenMany field does, without
// evidence; hops, if not nil, lowers the configured bound. Its errors are
// the field's.
type bulkScreenFunc func(ctx context.Context, addresses []string, hops *int) ([]*trace.Screening, error)

// serveBulkDirect answers a POST /screen request without evidence
// straight from the screening engine, skipping the GraphQL executor, which
// costs several times the screening itself when the answer comes from the
// exposure index. The answer is byte for byte the one the executor gives
// for bulkScreenQuery(false) (TestBulkDirectMatchesGraphQL), and the audit
// entry is the same, as are the role, the query limits, the concurrency
// slots and the time limit.
//
// It handles only requests that succeed: when the caller's role is too
// low, the query limits refuse the bulk query, or the screening fails (an
// address malformed or not indexed, too many addresses, hops out of
// range, a timeout), it returns false having written nothing, and the
// caller runs the request through the executor, whose errors are the
// reference.
func (s *Server) serveBulkDirect(w http.ResponseWriter, r *http.Request, caller Caller, req bulkScreenRequest, vars map[string]any, start time.Time) bool {
	screen := s.schema.bulkScreen
	if screen == nil || caller.Role < RoleAnalyst || !s.bulkWithinLimits() {
		return false
	}
	ctx, cancel := context.WithDeadline(WithCaller(r.Context(), caller), start.Add(s.opts.Timeout))
	defer cancel()
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		return false
	}
	out, err := screen(ctx, req.Addresses, req.Hops)
	<-s.slots
	if err != nil || ctx.Err() != nil {
		return false
	}
	body, ok := encodeBulkScreenings(out)
	if !ok || int64(len(body)) > s.opts.MaxResponseBytes {
		return false
	}
	entry := audit.Entry{KeyID: caller.KeyID, Role: caller.Role.String(), Operation: audit.OpQuery,
		Query: bulkScreenQuery(false), Detail: "operation BulkScreen", Status: audit.StatusOK, ResultBytes: int64(len(body))}
	if v, ok := bulkVariables(req); ok {
		entry.Variables = v
	} else {
		entry.Variables, _ = json.Marshal(vars)
	}
	if !s.record(r.Context(), w, entry) {
		return true
	}
	h := w.Header()
	h["Content-Type"] = hdrJSON
	h["Cache-Control"] = hdrNoStore
	w.Write(body)
	if s.opts.Log.Enabled(r.Context(), slog.LevelDebug) {
		s.opts.Log.Debug("screen", "key", caller.KeyID, "status", entry.Status, "addresses", len(req.Addresses), "bytes", len(body), "took", time.Since(start))
	}
	return true
}

// bulkVariables writes the request's variables as json.Marshal writes
// serveBulkScreen's map of them, {"addresses":[...],"hops":n}, when every
// address is made of characters that JSON writes as themselves (as
// addresses are); otherwise it returns false and the caller marshals the
// map.
func bulkVariables(req bulkScreenRequest) ([]byte, bool) {
	n := len(`{"addresses":[],"hops":-2147483648}`)
	for _, a := range req.Addresses {
		n += len(a) + 3
	}
	b := make([]byte, 0, n)
	b = append(b, `{"addresses":[`...)
	for i, a := range req.Addresses {
		for j := 0; j < len(a); j++ {
			if c := a[j]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.' || c == ':') {
				return nil, false
			}
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, a...)
		b = append(b, '"')
	}
	b = append(b, ']')
	if req.Hops != nil {
		b = append(b, `,"hops":`...)
		b = strconv.AppendInt(b, int64(*req.Hops), 10)
	}
	return append(b, '}'), true
}

// bulkWithinLimits reports whether the bulk query without evidence passes
// the server's query limits (depth and cost), which do not depend on the
// request's variables; it is checked once.
func (s *Server) bulkWithinLimits() bool {
	s.bulkLimits.once.Do(func() {
		q := bulkScreenQuery(false)
		doc, err := parser.Parse(parser.ParseParams{Source: source.NewSource(&source.Source{Body: []byte(q), Name: "query"})})
		if err != nil {
			return
		}
		_, err = s.schema.CheckLimits(doc, "BulkScreen", map[string]any{"addresses": []any{"x"}}, s.opts.Limits)
		s.bulkLimits.ok = err == nil
	})
	return s.bulkLimits.ok
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

// encodeBulkScreenings writes the screenings as the executor would. It
// returns false for anything the executor would turn into an error (a
// missing exposure, a value out of the scalars' range), so the request
// goes through the executor instead.
func encodeBulkScreenings(ss []*trace.Screening) ([]byte, bool) {
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
