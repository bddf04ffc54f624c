package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"testing"
	"testing/iotest"
)

// checkParseBulkRequest checks that whatever parseBulkRequest reads,
// json.Decoder (as serveBulkScreen runs it) reads the same.
func checkParseBulkRequest(t *testing.T, body []byte) bool {
	t.Helper()
	got, ok := parseBulkRequest(body)
	if !ok {
		return false
	}
	var want bulkScreenRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&want); err != nil {
		t.Fatalf("%q: read by the fast path as %+v, but json.Decoder fails: %v", body, got, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: fast path read %+v, json.Decoder %+v", body, got, want)
	}
	return true
}

// TestParseBulkRequestMatchesDecoder covers the bodies the fast path
// reads and those it leaves to json.Decoder.
func TestParseBulkRequestMatchesDecoder(t *testing.T) {
	for _, tc := range []struct {
		body string
		fast bool
	}{
		{`{"addresses":["bcrt1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh"]}`, true},
		{`{"addresses":["bcrt1qxy","2N3o"],"hops":4}`, true},
		{`{"addresses":["a"],"hops":4}` + "\n", true},
		{`{"addresses":["a"],"hops":-0}`, true},
		{`{"addresses":["a"],"hops":-123456789}`, true},
		{`{"addresses":["a"],"hops":0,"evidence":true}`, true},
		{`{"addresses":["a"],"evidence":false}`, true},
		{`{"addresses":[""]}`, true},
		{`{"addresses":[]}`, false},
		{`{"addresses":["a"],"hops":1234567890}`, false},
		{`{"addresses":["a"],"hops":04}`, false},
		{`{"addresses":["a"],"hops":4.0}`, false},
		{`{"addresses":["a"],"hops":null}`, false},
		{`{"addresses":["a"],"hops":}`, false},
		{`{"addresses":["a"],"hops":-}`, false},
		{`{"addresses":["a"],"evidence":1}`, false},
		{`{"addresses":["a"],"evidence":tru}`, false},
		{`{"addresses":["a"],"hops":4,"hops":5}`, false},
		{`{"addresses":["a"],"extra":1}`, false},
		{`{"evidence":true,"addresses":["a"]}`, false},
		{`{"Addresses":["a"]}`, false},
		{`{"addresses": ["a"]}`, false},
		{`{"addresses":["a"]} `, false},
		{`{"addresses":["a"]}x`, false},
		{`{"addresses":["a\u0062"]}`, false},
		{`{"addresses":["a b"]}`, false},
		{`{"addresses":["é"]}`, false},
		{`{"addresses":["a",]}`, false},
		{`{"addresses":["a"`, false},
		{`{"addresses":["a"]`, false},
		{`{"addresses":[`, false},
		{``, false},
	} {
		if got := checkParseBulkRequest(t, []byte(tc.body)); got != tc.fast {
			t.Errorf("%q: fast path %v, want %v", tc.body, got, tc.fast)
		}
	}
}

// FuzzParseBulkRequest checks the fast path against json.Decoder on
// arbitrary bodies.
func FuzzParseBulkRequest(f *testing.F) {
	for _, s := range []string{`{"addresses":["a"]}`, `{"addresses":["a","b"],"hops":4,"evidence":true}` + "\n", `{"addresses":["a"],"hops":-0}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) { checkParseBulkRequest(t, body) })
}

// TestReadAllInto checks that readAllInto reads as io.ReadAll does, into
// the buffer it is given, and passes on errors other than EOF.
func TestReadAllInto(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 300)
	for _, tc := range []struct {
		name string
		r    io.Reader
		buf  []byte
	}{
		{"empty", bytes.NewReader(nil), nil},
		{"one read", bytes.NewReader(data), make([]byte, 0, 4096)},
		{"growing", iotest.OneByteReader(bytes.NewReader(data)), make([]byte, 0, 7)},
		{"half", iotest.HalfReader(bytes.NewReader(data)), nil},
		{"data with EOF", iotest.DataErrReader(bytes.NewReader(data)), []byte("x")[:0]},
	} {
		got, err := readAllInto(tc.buf, tc.r)
		if err != nil || !bytes.Equal(got, data[:len(got)]) || len(got) != len(data) && tc.name != "empty" {
			t.Errorf("%s: read %d bytes, %v", tc.name, len(got), err)
		}
	}
	got, err := readAllInto(nil, io.MultiReader(bytes.NewReader(data[:5]), iotest.ErrReader(iotest.ErrTimeout)))
	if !errors.Is(err, iotest.ErrTimeout) || string(got) != "01234" {
		t.Errorf("after an error: %q, %v", got, err)
	}
}
