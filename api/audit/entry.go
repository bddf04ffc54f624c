package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"github.com/spoorhq/spoor/api/internal/jsonenc"
)

// Operations named in entries by spoor itself. Other code may use its own
// dotted names.
const (
	OpQuery       = "graphql.query"
	OpExport      = "export"
	OpLabelImport = "labels.import"
)

// Statuses of an entry.
const (
	StatusOK       = "ok"       // the operation ran and returned its result
	StatusError    = "error"    // the operation ran and returned errors
	StatusRejected = "rejected" // refused before running (limits, role, syntax)
	StatusTimeout  = "timeout"  // stopped at its time limit
)

// genesis is the prev of the first entry.
const genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// Entry is one line of the audit log. Callers fill KeyID, Role, Operation,
// Query, Variables, ResultBytes, Status and Detail; Append fills Seq,
// Time, QueryHash, Prev and Hash.
type Entry struct {
	Seq         uint64          `json:"seq"`
	Time        string          `json:"time"` // RFC 3339 with nanoseconds, UTC
	KeyID       string          `json:"key_id"`
	Role        string          `json:"role"`
	Operation   string          `json:"operation"`
	QueryHash   string          `json:"query_sha256"` // of Query; empty when Query is
	Query       string          `json:"query"`
	Variables   json.RawMessage `json:"variables,omitempty"`
	ResultBytes int64           `json:"result_bytes"`
	Status      string          `json:"status"`
	Detail      string          `json:"detail,omitempty"`
	Prev        string          `json:"prev"`
	Hash        string          `json:"hash"`
}

// canonicalize makes e's free-form parts canonical: valid UTF-8 text, the
// query's hash, variables re-encoded with sorted keys. memo, if not nil,
// remembers the hash of the last query seen, which is most often the
// next one too.
func (e *Entry) canonicalize(memo *queryMemo) error {
	e.KeyID = validUTF8(e.KeyID)
	e.Role = validUTF8(e.Role)
	e.Operation = validUTF8(e.Operation)
	e.Status = validUTF8(e.Status)
	e.Detail = validUTF8(e.Detail)
	if last := memo.lookup(e.Query); last != nil {
		// The memo holds only valid text.
		e.QueryHash = last.hash
	} else {
		e.Query = validUTF8(e.Query)
		e.QueryHash = memo.hash(e.Query)
	}
	if len(e.Variables) > 0 {
		v, err := canonicalJSON(e.Variables)
		if err != nil {
			return fmt.Errorf("audit: variables: %w", err)
		}
		e.Variables = v
	}
	return nil
}

// validUTF8 returns s with each run of invalid UTF-8 replaced by U+FFFD.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// queryHashed is a query (valid UTF-8), its hash and its JSON string.
type queryHashed struct {
	query, hash string
	quoted      []byte // jsonenc.AppendString(nil, query)
}

// queryMemo remembers the last query hashed: its SHA-256 and its JSON
// string, the costly parts of an entry to make. It is safe for
// concurrent use; the nil memo remembers nothing.
type queryMemo struct {
	last atomic.Pointer[queryHashed]
}

// lookup returns what the memo holds for query, or nil.
func (m *queryMemo) lookup(query string) *queryHashed {
	if m == nil || query == "" {
		return nil
	}
	if last := m.last.Load(); last != nil && last.query == query {
		return last
	}
	return nil
}

// hash returns the hex SHA-256 of query, or "" for the empty query. The
// memo keeps it, with the JSON string of query, which must be valid
// UTF-8.
func (m *queryMemo) hash(query string) string {
	if query == "" {
		return ""
	}
	if last := m.lookup(query); last != nil {
		return last.hash
	}
	sum := sha256.Sum256([]byte(query))
	h := hex.EncodeToString(sum[:])
	if m != nil {
		m.last.Store(&queryHashed{query: query, hash: h, quoted: jsonenc.AppendString(nil, query)})
	}
	return h
}

// quoted returns the JSON string of query if the memo holds it, else
// nil.
func (m *queryMemo) quoted(query string) []byte {
	if last := m.lookup(query); last != nil {
		return last.quoted
	}
	return nil
}

// canonicalJSON re-encodes raw with sorted object keys and no spaces;
// numbers keep their digits. "null" and "{}" become nothing.
func canonicalJSON(raw []byte) (json.RawMessage, error) {
	if isCanonicalFlat(raw) {
		return raw, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("more than one JSON value")
	}
	if m, ok := v.(map[string]any); v == nil || ok && len(m) == 0 {
		return nil, nil
	}
	return json.Marshal(v)
}

// hashOf returns the hash of e: SHA-256 over its canonical encoding with
// Hash empty.
func hashOf(e Entry) (string, error) {
	e.Hash = ""
	b, err := json.Marshal(e)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// hashSuffix ends the encoding of an entry whose Hash is empty: Hash is
// the last field.
var hashSuffix = []byte(`"hash":""}`)

// encode returns e's line (without the newline) with its hash filled in,
// and the hash.
func encode(e Entry) ([]byte, string, error) {
	return appendLine(nil, e, nil)
}

// appendLine appends e's line (without the newline) with its hash filled
// in to dst, and returns it with the hash. It encodes the entry once: the
// hash is taken over the encoding with Hash empty, which is the line up
// to its last field. The line is json.Marshal's encoding of e, written by
// appendEntry when e allows it, with the query's JSON string from memo
// when it holds it. e must be canonical (canonicalize).
func appendLine(dst []byte, e Entry, memo *queryMemo) ([]byte, string, error) {
	e.Hash = ""
	n := len(dst)
	b, ok := appendEntry(dst, &e, memo.quoted(e.Query))
	if !ok {
		m, err := json.Marshal(e)
		if err != nil {
			return dst, "", err
		}
		b = append(dst, m...)
	}
	sum := sha256.Sum256(b[n:])
	var hx [2 * sha256.Size]byte
	hex.Encode(hx[:], sum[:])
	h := string(hx[:])
	if !bytes.HasSuffix(b[n:], hashSuffix) {
		// Not the layout expected: encode again, the slow way.
		e.Hash = h
		m, err := json.Marshal(e)
		if err != nil {
			return dst, "", err
		}
		return append(b[:n], m...), h, nil
	}
	b = append(b[:len(b)-len(`"}`)], hx[:]...)
	return append(b, `"}`...), h, nil
}

// isCanonicalFlat reports whether raw is already in canonical form as
// the common case of query variables: a non-empty object, keys in
// increasing order, no spaces, whose values are strings, arrays of
// strings or integers, with keys and strings made only of characters
// that JSON encodes as themselves (letters, digits, "_", "-", ".", ":")
// and integers written as JSON writes them (no "+", no leading zeros).
// Such an object is its own canonical encoding, so canonicalJSON can keep
// it without decoding it. POST /screen's variables,
// {"addresses":[...],"hops":n}, are of this form.
func isCanonicalFlat(raw []byte) bool {
	if len(raw) < 2 || raw[0] != '{' || raw[len(raw)-1] != '}' {
		return false
	}
	// str reads a quoted safe string at raw[i:], returning its contents
	// and the index after the closing quote.
	str := func(i int) ([]byte, int, bool) {
		if i >= len(raw) || raw[i] != '"' {
			return nil, 0, false
		}
		for j := i + 1; j < len(raw); j++ {
			c := raw[j]
			switch {
			case c == '"':
				return raw[i+1 : j], j + 1, true
			case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '-', c == '.', c == ':':
			default:
				return nil, 0, false
			}
		}
		return nil, 0, false
	}
	// integer reads an integer at raw[i:], returning the index after it.
	integer := func(i int) (int, bool) {
		if i < len(raw) && raw[i] == '-' {
			i++
		}
		switch {
		case i >= len(raw) || raw[i] < '0' || raw[i] > '9':
			return 0, false
		case raw[i] == '0':
			i++
		default:
			for i < len(raw) && '0' <= raw[i] && raw[i] <= '9' {
				i++
			}
		}
		if i < len(raw) && (raw[i] == '.' || raw[i] == 'e' || raw[i] == 'E' || '0' <= raw[i] && raw[i] <= '9') {
			return 0, false
		}
		return i, true
	}
	// value reads a string, an array of strings or an integer at raw[i:],
	// returning the index after it.
	value := func(i int) (int, bool) {
		if i >= len(raw) {
			return 0, false
		}
		switch c := raw[i]; {
		case c == '"':
			_, next, ok := str(i)
			return next, ok
		case c == '-' || '0' <= c && c <= '9':
			return integer(i)
		case c != '[':
			return 0, false
		}
		i++
		if i < len(raw) && raw[i] == ']' {
			return i + 1, true
		}
		for {
			_, next, ok := str(i)
			if !ok || next >= len(raw) {
				return 0, false
			}
			switch raw[next] {
			case ']':
				return next + 1, true
			case ',':
				i = next + 1
			default:
				return 0, false
			}
		}
	}
	var prev []byte
	i := 1
	for n := 0; ; n++ {
		key, next, ok := str(i)
		if !ok || (n > 0 && bytes.Compare(prev, key) >= 0) || next >= len(raw) || raw[next] != ':' {
			return false
		}
		next, ok = value(next + 1)
		if !ok || next >= len(raw) {
			return false
		}
		prev = key
		switch raw[next] {
		case '}':
			return next == len(raw)-1
		case ',':
			i = next + 1
		default:
			return false
		}
	}
}
