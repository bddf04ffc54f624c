package audit

import (
	"strconv"
	"unicode/utf8"
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
// json.Marshal.
func appendEntry(b []byte, e *Entry) ([]byte, bool) {
	if len(e.Variables) > 0 && !compactAsIs(e.Variables) {
		return b, false
	}
	b = append(b, `{"seq":`...)
	b = strconv.AppendUint(b, e.Seq, 10)
	b = append(b, `,"time":`...)
	b = appendString(b, e.Time)
	b = append(b, `,"key_id":`...)
	b = appendString(b, e.KeyID)
	b = append(b, `,"role":`...)
	b = appendString(b, e.Role)
	b = append(b, `,"operation":`...)
	b = appendString(b, e.Operation)
	b = append(b, `,"query_sha256":`...)
	b = appendString(b, e.QueryHash)
	b = append(b, `,"query":`...)
	b = appendString(b, e.Query)
	if len(e.Variables) > 0 {
		b = append(b, `,"variables":`...)
		b = append(b, e.Variables...)
	}
	b = append(b, `,"result_bytes":`...)
	b = strconv.AppendInt(b, e.ResultBytes, 10)
	b = append(b, `,"status":`...)
	b = appendString(b, e.Status)
	if e.Detail != "" {
		b = append(b, `,"detail":`...)
		b = appendString(b, e.Detail)
	}
	b = append(b, `,"prev":`...)
	b = appendString(b, e.Prev)
	b = append(b, `,"hash":`...)
	b = appendString(b, e.Hash)
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

// jsonSafe marks the ASCII bytes that encoding/json writes as themselves
// in a string when it escapes HTML: everything from space up but the
// quote, the backslash, "<", ">" and "&".
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = true
	}
	for _, c := range `"\<>&` {
		t[c] = false
	}
	return t
}()

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string escaped exactly as
// encoding/json escapes it (with HTML escaping): short escapes for the
// quote, the backslash, \b, \f, \n, \r and \t, \u00XX for the other
// control characters and for "<", ">" and "&", \ufffd for each byte of
// invalid UTF-8, and \u2028 and \u2029 for the line and paragraph
// separators.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if jsonSafe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
