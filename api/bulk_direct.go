package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/graphql-go/graphql/language/parser"
	"github.com/graphql-go/graphql/language/source"
	"github.com/spoorhq/spoor/api/audit"
	"github.com/spoorhq/spoor/api/internal/jsonenc"
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
// reference. buf holds the request's buffers; the answer is written in
// it.
func (s *Server) serveBulkDirect(w http.ResponseWriter, r *http.Request, caller Caller, req bulkScreenRequest, start time.Time, buf *bulkBuffers) bool {
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
	body, ok := encodeBulkScreenings(buf.body[:0], out)
	buf.body = body
	if !ok || int64(len(body)) > s.opts.MaxResponseBytes {
		return false
	}
	entry := audit.Entry{KeyID: caller.KeyID, Role: caller.Role.String(), Operation: audit.OpQuery,
		Query: bulkScreenQuery(false), Detail: "operation BulkScreen", Status: audit.StatusOK, ResultBytes: int64(len(body))}
	if v, ok := appendBulkVariables(buf.vars[:0], req); ok {
		buf.vars, entry.Variables = v, v
	} else {
		entry.Variables, _ = json.Marshal(req.variables())
	}
	// The audit log copies the entry: buf is free again once it returns.
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

// appendBulkVariables appends the request's variables as json.Marshal
// writes serveBulkScreen's map of them, {"addresses":[...],"hops":n},
// when every address is made of characters that JSON writes as
// themselves (as addresses are); otherwise it returns false and the
// caller marshals the map.
func appendBulkVariables(b []byte, req bulkScreenRequest) ([]byte, bool) {
	b = append(b, `{"addresses":[`...)
	for i, a := range req.Addresses {
		for j := 0; j < len(a); j++ {
			if !isPlainJSONByte(a[j]) {
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

// encodeBulkScreenings appends the screenings to b as the executor
// writes them. It returns false for anything the executor would turn into an error (a
// missing screening or exposure, a value out of the scalars' range), so
// the request goes through the executor instead.
//
// The executor's objects are maps, which encoding/json writes with their
// keys sorted, so the fields here are written in that order; strings and
// floats are written as encoding/json writes them (jsonenc). The answer
// is the executor's byte for byte (TestBulkDirectMatchesGraphQL,
// TestEncodeBulkScreeningsMatchesMarshal).
func encodeBulkScreenings(b []byte, ss []*trace.Screening) ([]byte, bool) {
	b = append(b, `{"data":{"screenMany":[`...)
	for i, s := range ss {
		if s == nil || s.Receiving == nil || s.Sending == nil {
			return b, false
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"address":`...)
		b = jsonenc.AppendString(b, s.Address)
		b = append(b, `,"indexNote":`...)
		if s.IndexNote == "" {
			b = append(b, "null"...)
		} else {
			b = jsonenc.AppendString(b, s.IndexNote)
		}
		b = append(b, `,"partial":`...)
		b = strconv.AppendBool(b, s.Partial)
		b = append(b, `,"reasons":[`...)
		for j, r := range s.Reasons {
			if r.Amount > math.MaxInt64 || math.IsNaN(r.Share) || math.IsInf(r.Share, 0) {
				return b, false
			}
			if j > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"amountSat":`...)
			b = strconv.AppendUint(b, r.Amount, 10)
			b = append(b, `,"category":`...)
			b = jsonenc.AppendString(b, r.Category)
			b = append(b, `,"code":`...)
			b = jsonenc.AppendString(b, r.Code)
			b = append(b, `,"direction":`...)
			b = jsonenc.AppendString(b, r.Direction)
			b = append(b, `,"level":`...)
			b = jsonenc.AppendString(b, r.Level)
			b = append(b, `,"share":`...)
			b = jsonenc.AppendFloat(b, r.Share)
			b = append(b, '}')
		}
		b = append(b, `],"receiving":`...)
		var ok bool
		if b, ok = appendBulkExposure(b, s.Receiving); !ok {
			return b, false
		}
		b = append(b, `,"risk":`...)
		b = jsonenc.AppendString(b, s.Risk)
		b = append(b, `,"sending":`...)
		if b, ok = appendBulkExposure(b, s.Sending); !ok {
			return b, false
		}
		b = append(b, `,"source":`...)
		b = jsonenc.AppendString(b, s.Source)
		b = append(b, `,"tags":[`...)
		for j, t := range s.Tags {
			if j > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"category":`...)
			b = jsonenc.AppendString(b, t.Category)
			b = append(b, `,"confidence":`...)
			b = strconv.AppendUint(b, uint64(t.Confidence), 10)
			b = append(b, `,"entity":`...)
			b = jsonenc.AppendString(b, t.Entity)
			b = append(b, `,"source":`...)
			b = jsonenc.AppendString(b, t.Source)
			b = append(b, '}')
		}
		b = append(b, "]}"...)
	}
	return append(b, "]}}"...), true
}

// appendBulkExposure writes x as the executor writes an Exposure with
// the fields of bulkScreenQuery(false), or returns false for a value out
// of its scalars' range.
func appendBulkExposure(b []byte, x *trace.Exposure) ([]byte, bool) {
	if x.Total > math.MaxInt64 || x.Unattributed > math.MaxInt64 || !isInt32(x.Transfers) {
		return b, false
	}
	var ok bool
	b = append(b, `{"direct":`...)
	if b, ok = appendBulkCategories(b, x.Direct); !ok {
		return b, false
	}
	b = append(b, `,"direction":`...)
	b = jsonenc.AppendString(b, x.Direction)
	b = append(b, `,"indirect":`...)
	if b, ok = appendBulkCategories(b, x.Indirect); !ok {
		return b, false
	}
	b = append(b, `,"partial":`...)
	b = strconv.AppendBool(b, x.Partial)
	b = append(b, `,"totalSat":`...)
	b = strconv.AppendUint(b, x.Total, 10)
	b = append(b, `,"transfers":`...)
	b = strconv.AppendInt(b, int64(x.Transfers), 10)
	b = append(b, `,"unattributedSat":`...)
	b = strconv.AppendUint(b, x.Unattributed, 10)
	return append(b, '}'), true
}

// appendBulkCategories writes the categories in catList's order, as the
// executor writes them.
func appendBulkCategories(b []byte, m map[string]*trace.CategoryExposure) ([]byte, bool) {
	b = append(b, '[')
	var cats [16]catEntry // on the stack for the usual few categories
	for i, c := range appendCatList(cats[:0], m) {
		if c.c.Amount > math.MaxInt64 || !isInt32(c.c.MinHop) || math.IsNaN(c.c.Share) || math.IsInf(c.c.Share, 0) {
			return b, false
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"amountSat":`...)
		b = strconv.AppendUint(b, c.c.Amount, 10)
		b = append(b, `,"category":`...)
		b = jsonenc.AppendString(b, c.name)
		b = append(b, `,"minHop":`...)
		b = strconv.AppendInt(b, int64(c.c.MinHop), 10)
		b = append(b, `,"share":`...)
		b = jsonenc.AppendFloat(b, c.c.Share)
		b = append(b, '}')
	}
	return append(b, ']'), true
}

// isInt32 reports whether n fits GraphQL's Int.
func isInt32(n int) bool {
	return math.MinInt32 <= n && n <= math.MaxInt32
}

// bulkBuffers are the buffers of one POST /screen request: its body, and
// the body and audit variables of a direct answer.
type bulkBuffers struct {
	in, body, vars []byte
}

// maxPooledBody bounds the answers whose buffers are kept for reuse.
const maxPooledBody = 64 << 10

// bulkBufferPool keeps bulkBuffers for reuse between requests.
type bulkBufferPool struct {
	pool sync.Pool
}

// get returns buffers, reused when some are free.
func (p *bulkBufferPool) get() *bulkBuffers {
	if b, ok := p.pool.Get().(*bulkBuffers); ok {
		return b
	}
	return &bulkBuffers{in: make([]byte, 0, 512), body: make([]byte, 0, 2048), vars: make([]byte, 0, 128)}
}

// put gives b back for reuse unless it grew large.
func (p *bulkBufferPool) put(b *bulkBuffers) {
	if cap(b.in) > maxPooledBody || cap(b.body) > maxPooledBody || cap(b.vars) > maxPooledBody {
		return
	}
	p.pool.Put(b)
}
