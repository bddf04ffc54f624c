package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/spoorhq/spoor/storage"
)

// Error codes in the "code" extension of GraphQL errors.
const (
	CodeBadInput  = "BAD_INPUT"   // an argument cannot be understood
	CodeNotFound  = "NOT_INDEXED" // the thing asked for is not in the index
	CodeForbidden = "FORBIDDEN"   // the key's role may not ask this
	CodeLimit     = "LIMIT"       // a depth, cost, page size or size limit
	CodeTimeout   = "TIMEOUT"     // the request's time limit passed
	CodeInternal  = "INTERNAL"    // the server failed; details are in its log
	CodeSyntax    = "SYNTAX"      // the query does not parse or validate
)

// Error is an error meant for the client: a message naming the field or
// input, and a code. Resolvers return it; anything else a resolver
// returns is logged and replaced by a bare internal error, so no internal
// detail (paths, storage errors) reaches a client.
type Error struct {
	Code    string
	Message string
}

// Error returns the message.
func (e *Error) Error() string { return e.Message }

// Extensions returns the code for the GraphQL error's extensions.
func (e *Error) Extensions() map[string]any { return map[string]any{"code": e.Code} }

// Errorf returns an *Error with code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// publicError turns err from resolving field into what the client sees.
func publicError(ctx context.Context, log *slog.Logger, field string, err error) *Error {
	var pe *Error
	switch {
	case errors.As(err, &pe):
		return pe
	case errors.Is(err, context.DeadlineExceeded):
		return Errorf(CodeTimeout, "%s: stopped at the request's time limit", field)
	case errors.Is(err, context.Canceled):
		return Errorf(CodeTimeout, "%s: the request was cancelled", field)
	case errors.Is(err, ErrBadInput):
		return Errorf(CodeBadInput, "%s: %s", field, clip(strings.TrimPrefix(err.Error(), ErrBadInput.Error()+": "), 300))
	case errors.Is(err, storage.ErrNotFound):
		return Errorf(CodeNotFound, "%s: not indexed", field)
	}
	var ref [6]byte
	_, _ = rand.Read(ref[:])
	id := hex.EncodeToString(ref[:])
	if log != nil {
		log.ErrorContext(ctx, "resolver failed", "field", field, "ref", id, "err", err)
	}
	return Errorf(CodeInternal, "%s: internal error (reference %s in the server log)", field, id)
}

// clip shortens s to at most n bytes for echoing client input in errors.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 { // do not cut a UTF-8 sequence
		n--
	}
	return s[:n] + "…"
}
