package audit

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
)

// checkAppendMatchesMarshal canonicalizes e (dropping variables that are
// not JSON) and checks that appendEntry and appendLine write exactly what
// json.Marshal and hashOf give, so the hash chain does not depend on
// which encoder wrote a line: without a memo, with a memo that has just
// learnt the query, and with one that knew it before.
func checkAppendMatchesMarshal(t *testing.T, e Entry) {
	t.Helper()
	orig := e
	if err := e.canonicalize(nil); err != nil {
		e.Variables, orig.Variables = nil, nil
		if err := e.canonicalize(nil); err != nil {
			t.Fatal(err)
		}
	}
	var memo queryMemo
	for _, m := range []*queryMemo{nil, &memo, &memo} {
		again := orig
		if err := again.canonicalize(m); err != nil || !reflect.DeepEqual(again, e) {
			t.Fatalf("canonicalize with memo %p gave %+v, %v; want %+v", m, again, err, e)
		}
		checkAppendLine(t, e, m)
	}
}

// checkAppendLine checks appendEntry and appendLine on the canonical e.
func checkAppendLine(t *testing.T, e Entry, memo *queryMemo) {
	t.Helper()
	want, err := json.Marshal(e)
	if err != nil {
		t.Fatalf("json.Marshal(%+v): %v", e, err)
	}
	prefix := []byte("earlier line\n")
	got, ok := appendEntry(bytes.Clone(prefix), &e, memo.quoted(e.Query))
	switch {
	case !ok && compactAsIs(e.Variables):
		t.Fatalf("appendEntry refused %+v", e)
	case ok && !bytes.Equal(got, append(bytes.Clone(prefix), want...)):
		t.Fatalf("appendEntry wrote\n%q\njson.Marshal writes\n%q", got[len(prefix):], want)
	}
	line, h, err := appendLine(bytes.Clone(prefix), e, memo)
	if err != nil {
		t.Fatal(err)
	}
	wantHash, err := hashOf(e)
	if err != nil {
		t.Fatal(err)
	}
	e.Hash = wantHash
	wantLine, _ := json.Marshal(e)
	if h != wantHash || !bytes.Equal(line, append(bytes.Clone(prefix), wantLine...)) {
		t.Fatalf("appendLine gave %s\n%q\nwant %s\n%q", h, line[len(prefix):], wantHash, wantLine)
	}
}

// TestQueryMemoKeepsCanonicalQueries checks that a memo holding a
// query's canonical form does not take the same query with invalid
// UTF-8 for it, and that it follows the query appended last.
func TestQueryMemoKeepsCanonicalQueries(t *testing.T) {
	var memo queryMemo
	for _, q := range []string{"a\uFFFDb", "a\xffb", "a\uFFFDb", "other", "a\xffb", "", "<q>"} {
		e := Entry{Query: q}
		if err := e.canonicalize(&memo); err != nil {
			t.Fatal(err)
		}
		want := Entry{Query: q}
		if err := want.canonicalize(nil); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(e, want) || e.Query != strings.ToValidUTF8(q, "\uFFFD") {
			t.Fatalf("%q: canonical %+v with the memo, %+v without", q, e, want)
		}
		checkAppendLine(t, e, &memo)
	}
}

// TestAppendEntryMatchesMarshal covers each escape of encoding/json, the
// fields left out when empty and the variables copied or refused.
func TestAppendEntryMatchesMarshal(t *testing.T) {
	var ctl strings.Builder
	for c := range 0x20 {
		ctl.WriteByte(byte(c))
	}
	ctl.WriteString("\x7f")
	for _, tc := range []struct {
		name string
		e    Entry
	}{
		{"zero", Entry{}},
		{"plain", Entry{Seq: 1, Time: "2026-01-01T00:00:00.123456789Z", KeyID: "k", Role: "admin", Operation: OpQuery,
			Query: "{ stats { height } }", Status: StatusOK, Prev: genesis, Hash: "stale"}},
		{"control characters", Entry{KeyID: ctl.String(), Detail: "a\b\f\n\r\tb"}},
		{"quotes and backslashes", Entry{Query: `say "hi" \ \\ \"`, Detail: `"`}},
		{"HTML", Entry{Role: "<script>&amp;</script>", Detail: "a<b>c&d"}},
		{"separators", Entry{Query: "a\u2028b\u2029c\u2027\u202a", Detail: "\u2028"}},
		{"non-ASCII", Entry{KeyID: "é", Query: "日本語 🙂 \uFFFD \U0010FFFF", Status: "ß"}},
		{"invalid UTF-8", Entry{KeyID: "a\xffb", Query: "\xe2\x80", Time: "\xc3", Prev: "\xed\xa0\x80", Hash: "\xf4\x90\x80\x80"}},
		{"extreme numbers", Entry{Seq: math.MaxUint64, ResultBytes: math.MinInt64}},
		{"negative bytes", Entry{ResultBytes: -1, Seq: 0}},
		{"flat variables", Entry{Query: "q", Variables: json.RawMessage(`{"a":"bcrt1qxy"}`)}},
		{"bulk variables", Entry{Query: "q", Variables: json.RawMessage(`{"addresses":["a","b"],"hops":4}`)}},
		{"nested variables", Entry{Variables: json.RawMessage(`{"z":[1,2.5e3,{"y":null,"x":true}],"a":{}}`)}},
		{"HTML in variables", Entry{Variables: json.RawMessage(`{"a":"<&>"}`)}},
		{"separator in variables", Entry{Variables: json.RawMessage(`{"a":"\u2028 x"}`)}},
		{"separator bytes in variables", Entry{Variables: json.RawMessage("{\"a\":\"\u2028\u00e9\"}")}},
		{"spaced variables", Entry{Variables: json.RawMessage(` { "b" : [ 1 , 2 ] , "a" : "x y" } `)}},
		{"null variables", Entry{Variables: json.RawMessage(`null`)}},
		{"empty variables", Entry{Variables: json.RawMessage(`{}`)}},
		{"invalid variables", Entry{Variables: json.RawMessage(`{"a":`)}},
		{"empty detail", Entry{Detail: "", Status: StatusRejected}},
	} {
		t.Run(tc.name, func(t *testing.T) { checkAppendMatchesMarshal(t, tc.e) })
	}
}

// FuzzEncodeMatchesJSON checks appendEntry and appendLine against
// json.Marshal on arbitrary entries.
func FuzzEncodeMatchesJSON(f *testing.F) {
	f.Add(uint64(1), "2026-01-01T00:00:00Z", "key", "analyst", OpQuery, "{ stats { height } }", []byte(`{"a":"x"}`), int64(42), StatusOK, "operation X", genesis, "")
	f.Add(uint64(0), "", "", "", "", "", []byte(nil), int64(0), "", "", "", "")
	f.Add(uint64(7), "\xff", "<&>", "\u2028", "\x00\x1f\x7f", "\"\\\b\f\n\r\t", []byte(`{"b":[1,"<"],"a":null}`), int64(-3), "é", "\xe2\x80\xa8", "\xed\xa0\x80", "h")
	f.Add(uint64(9), "t", "k", "r", "o", "q", []byte(`{"addresses":["bcrt1q","2N"],"hops":4}`), int64(1), "s", "", "p", "")
	f.Fuzz(func(t *testing.T, seq uint64, tm, key, role, op, query string, vars []byte, n int64, status, detail, prev, hash string) {
		checkAppendMatchesMarshal(t, Entry{Seq: seq, Time: tm, KeyID: key, Role: role, Operation: op, Query: query,
			Variables: vars, ResultBytes: n, Status: status, Detail: detail, Prev: prev, Hash: hash})
	})
}

// BenchmarkEncode measures encoding a POST /screen entry by hand against
// json.Marshal.
func BenchmarkEncode(b *testing.B) {
	e := Entry{Seq: 123456, Time: "2026-12-07T22:42:45.123456789Z", KeyID: "bench", Role: "analyst", Operation: OpQuery,
		Query:     strings.Repeat("query BulkScreen($addresses: [String!]!) { screenMany { address } }\n", 8),
		Variables: json.RawMessage(`{"addresses":["bcrt1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh"]}`), ResultBytes: 1234,
		Status: StatusOK, Detail: "operation BulkScreen", Prev: genesis}
	if err := e.canonicalize(nil); err != nil {
		b.Fatal(err)
	}
	b.Run("append", func(b *testing.B) {
		var memo queryMemo
		memo.hash(e.Query)
		var buf []byte
		for b.Loop() {
			var err error
			if buf, _, err = appendLine(buf[:0], e, &memo); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("marshal", func(b *testing.B) {
		for b.Loop() {
			if _, err := json.Marshal(e); err != nil {
				b.Fatal(err)
			}
		}
	})
}
