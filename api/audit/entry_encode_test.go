package audit

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestEncodeMatchesMarshal checks that encoding an entry once gives the
// same line and hash as hashing it and then encoding it with its hash.
func TestEncodeMatchesMarshal(t *testing.T) {
	for _, e := range []Entry{
		{},
		{Seq: 1, Time: "2026-01-01T00:00:00Z", KeyID: "k", Role: "admin", Operation: OpQuery, Query: "{ stats { height } }", Status: StatusOK, Prev: "00"},
		{Seq: 2, KeyID: "<&>", Query: "query($a: String!) { screen(address: $a) { risk } }", Variables: json.RawMessage(`{"a":"bc1q\u00e9"}`),
			ResultBytes: 123, Status: StatusError, Detail: "operation \"X\"\n", Hash: "stale"},
	} {
		if err := e.canonicalize(nil); err != nil {
			t.Fatal(err)
		}
		line, h, err := encode(e)
		if err != nil {
			t.Fatal(err)
		}
		want, err := hashOf(e)
		if err != nil {
			t.Fatal(err)
		}
		e.Hash = want
		wantLine, _ := json.Marshal(e)
		if h != want || !bytes.Equal(line, wantLine) {
			t.Fatalf("encode gave %s %s, want %s %s", h, line, want, wantLine)
		}
	}
}
