package audit

import (
	"strconv"

	"github.com/spoorhq/spoor/api/internal/jsonenc"
)

// appendEntry appends e's JSON encoding as json.Marshal writes it, byte
// for byte, without reflection: the fields in their declared order,
// strings escaped as encoding/json escapes them (HTML characters and
// U+2028/U+2029 included) and Variables and Detail left out when empty.
//
// e must be canonical (canonicalize): its Variables, when present, are
// valid JSON. Variables holding anything that json.Marshal would rewrite
// on the way through (spaces, "<", ">", "&", U+2028/U+2029) are not
// copied; appendEntry then returns false and the caller encodes e with
// json.Marshal. quotedQuery, if not nil, is e.Query's JSON string,
// written as it is.
func appendEntry(b []byte, e *Entry, quotedQuery []byte) ([]byte, bool) {
	if len(e.Variables) > 0 && !compactAsIs(e.Variables) {
		return b, false
	}
	b = append(b, `{"seq":`...)
	b = strconv.AppendUint(b, e.Seq, 10)
	b = append(b, `,"time":`...)
	b = jsonenc.AppendString(b, e.Time)
	b = append(b, `,"key_id":`...)
	b = jsonenc.AppendString(b, e.KeyID)
	b = append(b, `,"role":`...)
	b = jsonenc.AppendString(b, e.Role)
	b = append(b, `,"operation":`...)
	b = jsonenc.AppendString(b, e.Operation)
	b = append(b, `,"query_sha256":`...)
	b = jsonenc.AppendString(b, e.QueryHash)
	b = append(b, `,"query":`...)
	if quotedQuery != nil {
		b = append(b, quotedQuery...)
	} else {
		b = jsonenc.AppendString(b, e.Query)
	}
	if len(e.Variables) > 0 {
		b = append(b, `,"variables":`...)
		b = append(b, e.Variables...)
	}
	b = append(b, `,"result_bytes":`...)
	b = strconv.AppendInt(b, e.ResultBytes, 10)
	b = append(b, `,"status":`...)
	b = jsonenc.AppendString(b, e.Status)
	if e.Detail != "" {
		b = append(b, `,"detail":`...)
		b = jsonenc.AppendString(b, e.Detail)
	}
	b = append(b, `,"prev":`...)
	b = jsonenc.AppendString(b, e.Prev)
	b = append(b, `,"hash":`...)
	b = jsonenc.AppendString(b, e.Hash)
	return append(b, '}'), true
}

// compactAsIs reports whether json.Marshal copies the valid JSON raw
// unchanged as a json.RawMessage: it compacts it (drops spaces) and
// escapes "<", ">", "&", U+2028 and U+2029, so raw must hold none of
// them (0xE2, the first byte of both separators, is refused whole).
func compactAsIs(raw []byte) bool {
	for _, c := range raw {
		switch c {
		case ' ', '\t', '\n', '\r', '<', '>', '&', 0xE2:
			return false
		}
	}
	return true
}
