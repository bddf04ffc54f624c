package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
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
// query's hash, variables re-encoded with sorted keys.
func (e *Entry) canonicalize() error {
	e.KeyID = strings.ToValidUTF8(e.KeyID, "\uFFFD")
	e.Role = strings.ToValidUTF8(e.Role, "\uFFFD")
	e.Operation = strings.ToValidUTF8(e.Operation, "\uFFFD")
	e.Query = strings.ToValidUTF8(e.Query, "\uFFFD")
	e.Status = strings.ToValidUTF8(e.Status, "\uFFFD")
	e.Detail = strings.ToValidUTF8(e.Detail, "\uFFFD")
	e.QueryHash = ""
	if e.Query != "" {
		sum := sha256.Sum256([]byte(e.Query))
		e.QueryHash = hex.EncodeToString(sum[:])
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

// canonicalJSON re-encodes raw with sorted object keys and no spaces;
// numbers keep their digits. "null" and "{}" become nothing.
func canonicalJSON(raw []byte) (json.RawMessage, error) {
	if isCanonicalFlat(raw) {
		return append(json.RawMessage(nil), raw...), nil
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
// and the hash. It encodes the entry once: the hash is taken over the
// encoding with Hash empty, which is the line up to its last field.
func encode(e Entry) ([]byte, string, error) {
	e.Hash = ""
	b, err := json.Marshal(e)
	if err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256(b)
	h := hex.EncodeToString(sum[:])
	if !bytes.HasSuffix(b, hashSuffix) {
		// Not the layout expected: encode again, the slow way.
		e.Hash = h
		b, err = json.Marshal(e)
		return b, h, err
	}
	line := make([]byte, 0, len(b)+len(h)+1)
	line = append(line, b[:len(b)-len(`"}`)]...)
	line = append(line, h...)
	line = append(line, `"}`...)
	return line, h, nil
}

// isCanonicalFlat reports whether raw is already in canonical form as
// the common case of query variables: a non-empty object of string
// values, keys in increasing order, no spaces, and keys and values made
// only of characters that JSON encodes as themselves (letters, digits,
// "_", "-", ".", ":"). Such an object is its own canonical encoding, so
// canonicalJSON can keep it without decoding it.
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
	var prev []byte
	i := 1
	for n := 0; ; n++ {
		key, next, ok := str(i)
		if !ok || (n > 0 && bytes.Compare(prev, key) >= 0) || next >= len(raw) || raw[next] != ':' {
			return false
		}
		_, next, ok = str(next + 1)
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
