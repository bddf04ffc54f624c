package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/graphql-go/graphql/gqlerrors"
	"github.com/spoorhq/spoor/api/audit"
	"github.com/spoorhq/spoor/api/web"
	"golang.org/x/time/rate"
)

// ServerOptions configure the HTTP server. Zero values take the defaults
// given in each comment (EnsureDefaults).
type ServerOptions struct {
	Limits Limits
	// MaxBodyBytes caps a request body: 1 MiB. A larger body is refused
	// with 413 after reading at most this much of it.
	MaxBodyBytes int64
	// MaxResponseBytes caps a response: 8 MiB. A larger result is
	// replaced by a LIMIT error.
	MaxResponseBytes int64
	// Timeout bounds one request's execution: 10s.
	Timeout time.Duration
	// RatePerSecond and RateBurst are each key's token bucket: 50/s, burst
	// 100. Requests beyond it get 429.
	RatePerSecond float64
	RateBurst     int
	// BadKeysPerSecond and BadKeysBurst bound failed authentications (no
	// key or a wrong one) across all clients: 20/s, burst 50. Beyond it
	// they get 429 instead of 401, so guessing keys is slow and a flood of
	// them is cheap to turn away; requests with a valid key are not
	// affected.
	BadKeysPerSecond float64
	BadKeysBurst     int
	// MaxConcurrent bounds queries executing at once: 16. Others wait for a
	// slot until their timeout. A query stopped by its timeout gives its
	// slot back at once; its resolvers notice the deadline and stop at the
	// next field (a view already running, such as an address history scan,
	// finishes first).
	MaxConcurrent int
	// Log receives errors (and, at debug level, one line per request). Nil
	// discards.
	Log *slog.Logger
}

// EnsureDefaults fills zero fields with their defaults.
func (o *ServerOptions) EnsureDefaults() {
	d := DefaultLimits()
	if o.Limits.MaxDepth <= 0 {
		o.Limits.MaxDepth = d.MaxDepth
	}
	if o.Limits.MaxCost <= 0 {
		o.Limits.MaxCost = d.MaxCost
	}
	if o.Limits.MaxPageSize <= 0 {
		o.Limits.MaxPageSize = d.MaxPageSize
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 1 << 20
	}
	if o.MaxResponseBytes <= 0 {
		o.MaxResponseBytes = 8 << 20
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.RatePerSecond <= 0 {
		o.RatePerSecond = 50
	}
	if o.RateBurst <= 0 {
		o.RateBurst = 100
	}
	if o.BadKeysPerSecond <= 0 {
		o.BadKeysPerSecond = 20
	}
	if o.BadKeysBurst <= 0 {
		o.BadKeysBurst = 50
	}
	if o.MaxConcurrent <= 0 {
		o.MaxConcurrent = 16
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
}

// Server serves GraphQL at /graphql, GraphiQL at /, the graph explorer
// at /explore and a health check at /healthz. Every /graphql request needs an API key; each is rate limited
// per key, bounded in size and time, checked against the query limits,
// and written to the audit log before its result is sent.
type Server struct {
	schema   *Schema
	keys     *KeyRing
	audit    *audit.Log
	opts     ServerOptions
	limiters map[string]*rate.Limiter // by key id; fixed after NewServer
	badKeys  *rate.Limiter            // failed authentications, all clients together
	slots    chan struct{}
	ui       http.Handler
	// bulkLimits is whether POST /screen's query (without evidence)
	// passes the query limits, checked once.
	bulkLimits struct {
		once sync.Once
		ok   bool
	}
	// bulkBufs holds the buffers of direct POST /screen answers.
	bulkBufs bulkBufferPool
}

// NewServer returns a server for schema, admitting the keys of kr and
// recording every query in log.
func NewServer(schema *Schema, kr *KeyRing, log *audit.Log, opts ServerOptions) *Server {
	opts.EnsureDefaults()
	s := &Server{schema: schema, keys: kr, audit: log, opts: opts, limiters: map[string]*rate.Limiter{},
		slots: make(chan struct{}, opts.MaxConcurrent), ui: http.FileServerFS(web.FS()),
		badKeys: rate.NewLimiter(rate.Limit(opts.BadKeysPerSecond), opts.BadKeysBurst)}
	for _, id := range kr.IDs() {
		s.limiters[id] = rate.NewLimiter(rate.Limit(opts.RatePerSecond), opts.RateBurst)
	}
	return s
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Content-Type"] = hdrText
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("POST /graphql", s.serveGraphQL)
	mux.HandleFunc("GET /graphql", s.serveGraphQL) // answers 405 with a hint
	mux.HandleFunc("POST /screen", s.serveBulkScreen)
	mux.HandleFunc("GET /explore", func(w http.ResponseWriter, r *http.Request) { http.ServeFileFS(w, r, web.FS(), "explore.html") })
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			if _, err := fs.Stat(web.FS(), r.URL.Path[1:]); err != nil {
				http.NotFound(w, r)
				return
			}
		}
		s.ui.ServeHTTP(w, r)
	})
	return securityHeaders(mux)
}

// securityHeaders sets headers that keep the page and the API from being
// framed, sniffed or made to load outside code.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["X-Content-Type-Options"] = hdrNosniff
		h["X-Frame-Options"] = hdrDeny
		h["Referrer-Policy"] = hdrNoReferrer
		h["Content-Security-Policy"] = hdrCSP
		next.ServeHTTP(w, r)
	})
}

// Header values set on answers, shared by all of them instead of made
// anew as Header.Set does: they are never modified, and each holds one
// element in a slice of capacity one, so that Header.Add copies it
// before it appends. Their keys are written canonical.
var (
	hdrNosniff    = []string{"nosniff"}
	hdrDeny       = []string{"DENY"}
	hdrNoReferrer = []string{"no-referrer"}
	hdrCSP        = []string{"default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; frame-ancestors 'none'"}
	hdrJSON       = []string{"application/json; charset=utf-8"}
	hdrText       = []string{"text/plain; charset=utf-8"}
	hdrNoStore    = []string{"no-store"}
)

// httpError writes a GraphQL-shaped error with an HTTP status.
func httpError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]any{{"message": msg, "extensions": map[string]any{"code": code}}}})
}

func (s *Server) serveGraphQL(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		httpError(w, http.StatusMethodNotAllowed, CodeBadInput, "POST a JSON body {query, variables, operationName} to /graphql")
		return
	}
	caller, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	s.runGraphQL(w, r, caller, start)
}

// authenticate checks the request's API key and the key's rate limit.
// When either fails it answers the request and returns false.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (Caller, bool) {
	key, presented := keyFromRequest(r)
	caller, ok := s.keys.Lookup(key)
	if !ok && !s.badKeys.Allow() {
		w.Header().Set("Retry-After", "1")
		httpError(w, http.StatusTooManyRequests, CodeLimit, "too many requests without a valid API key; retry later")
		return caller, false
	}
	if !presented {
		w.Header().Set("WWW-Authenticate", `Bearer realm="spoor"`)
		httpError(w, http.StatusUnauthorized, "UNAUTHENTICATED", "an API key is needed: send Authorization: Bearer <key> or X-API-Key: <key>")
		return caller, false
	}
	if !ok {
		s.opts.Log.Debug("graphql: invalid API key", "remote", r.RemoteAddr)
		w.Header().Set("WWW-Authenticate", `Bearer realm="spoor", error="invalid_token"`)
		httpError(w, http.StatusUnauthorized, "UNAUTHENTICATED", "the API key is not valid")
		return caller, false
	}
	if !s.limiters[caller.KeyID].Allow() {
		w.Header().Set("Retry-After", "1")
		httpError(w, http.StatusTooManyRequests, CodeLimit, "rate limit of this API key reached; retry later")
		return caller, false
	}
	return caller, true
}

// runGraphQL reads, runs and answers the GraphQL request of an
// authenticated caller, auditing it before the answer is sent.
func (s *Server) runGraphQL(w http.ResponseWriter, r *http.Request, caller Caller, start time.Time) {
	entry := audit.Entry{KeyID: caller.KeyID, Role: caller.Role.String(), Operation: audit.OpQuery}

	req, status, err := s.readRequest(w, r)
	if err != nil {
		entry.Status, entry.Detail = audit.StatusRejected, err.Error()
		if s.record(r.Context(), w, entry) {
			code := CodeBadInput
			var pe *Error
			if errors.As(err, &pe) {
				code = pe.Code
			}
			httpError(w, status, code, err.Error())
		}
		return
	}
	entry.Query = req.Query
	if req.Variables != nil {
		entry.Variables, _ = json.Marshal(req.Variables)
	}
	if req.OperationName != "" {
		entry.Detail = "operation " + clip(req.OperationName, 200)
	}

	// The time limit counts from the request's arrival, so that a request
	// first tried on a direct path (POST /screen) has one limit in all.
	ctx, cancel := context.WithDeadline(WithCaller(r.Context(), caller), start.Add(s.opts.Timeout))
	defer cancel()
	if ctx.Err() != nil {
		entry.Status = audit.StatusTimeout
		if s.record(r.Context(), w, entry) {
			httpError(w, http.StatusServiceUnavailable, CodeTimeout, "the query did not finish within the time limit of "+s.opts.Timeout.String())
		}
		return
	}
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		entry.Status = audit.StatusTimeout
		if s.record(r.Context(), w, entry) {
			httpError(w, http.StatusServiceUnavailable, CodeTimeout, "the server is busy: no query slot freed up within the time limit")
		}
		return
	}
	out := s.schema.Execute(ctx, req, s.opts.Limits)
	<-s.slots

	body, err := json.Marshal(out.Result)
	if err != nil {
		s.opts.Log.Error("encoding a GraphQL result", "key", caller.KeyID, "err", err)
		body = mustErrorBody(CodeInternal, "internal error encoding the result")
	}
	if int64(len(body)) > s.opts.MaxResponseBytes {
		body = mustErrorBody(CodeLimit, "the response of "+strconv.Itoa(len(body))+" bytes exceeds the limit of "+
			strconv.FormatInt(s.opts.MaxResponseBytes, 10)+" bytes: ask for fewer fields or smaller pages")
		out.Result.Errors = append(out.Result.Errors, gqlerrors.FormattedError{Message: "response too large"})
	}
	entry.ResultBytes = int64(len(body))
	switch {
	case out.Rejected:
		entry.Status = audit.StatusRejected
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		entry.Status = audit.StatusTimeout
	case len(out.Result.Errors) > 0:
		entry.Status = audit.StatusError
	default:
		entry.Status = audit.StatusOK
	}
	if !s.record(r.Context(), w, entry) {
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if out.Rejected {
		w.WriteHeader(http.StatusBadRequest)
	}
	w.Write(body)
	s.opts.Log.Debug("graphql", "key", caller.KeyID, "status", entry.Status, "cost", out.Cost, "bytes", len(body), "took", time.Since(start))
}

// readRequest reads and decodes the body, never more than MaxBodyBytes of
// it. On error it returns the HTTP status to answer with.
func (s *Server) readRequest(w http.ResponseWriter, r *http.Request) (Request, int, error) {
	var req Request
	if r.ContentLength > s.opts.MaxBodyBytes {
		return req, http.StatusRequestEntityTooLarge, Errorf(CodeLimit, "the request body of %d bytes exceeds the limit of %d bytes", r.ContentLength, s.opts.MaxBodyBytes)
	}
	body := http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes)
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(body); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return req, http.StatusRequestEntityTooLarge, Errorf(CodeLimit, "the request body exceeds the limit of %d bytes", s.opts.MaxBodyBytes)
		}
		return req, http.StatusBadRequest, Errorf(CodeBadInput, "reading the request body failed")
	}
	dec := json.NewDecoder(&buf)
	if err := dec.Decode(&req); err != nil {
		// Say where, without Go's own type names.
		why := "it does not parse"
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			why = fmt.Sprintf("it does not parse at byte %d", syn.Offset)
		case errors.As(err, &typ) && typ.Field != "":
			why = fmt.Sprintf("%s must not be a JSON %s", clip(typ.Field, 60), typ.Value)
		case errors.As(err, &typ):
			why = fmt.Sprintf("it is a JSON %s", typ.Value)
		}
		return req, http.StatusBadRequest, Errorf(CodeBadInput, "the body must be a JSON object {query, variables, operationName}: %s", why)
	}
	return req, 0, nil
}

// record appends entry to the audit log. When that fails the request's
// answer is withheld (500): nothing is served that is not audited.
func (s *Server) record(ctx context.Context, w http.ResponseWriter, e audit.Entry) bool {
	if _, err := s.audit.Append(context.WithoutCancel(ctx), e); err != nil {
		s.opts.Log.Error("audit log append failed; answer withheld", "key", e.KeyID, "err", err)
		httpError(w, http.StatusInternalServerError, CodeInternal, "the audit log is unavailable, so the answer is withheld")
		return false
	}
	return true
}

func mustErrorBody(code, msg string) []byte {
	b, _ := json.Marshal(map[string]any{"data": nil, "errors": []map[string]any{{"message": msg, "extensions": map[string]any{"code": code}}}})
	return b
}
