package audit

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestCanonicalFlatMatchesSlowPath checks that the fast path of
// canonicalJSON keeps exactly what decoding and re-encoding would give,
// and leaves everything else to the slow path.
func TestCanonicalFlatMatchesSlowPath(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		fast bool
	}{
		{`{"a":"bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh"}`, true},
		{`{"a":"x","b":"y-1.2:3_Z"}`, true},
		{`{"a":""}`, true},
		{`{"b":"x","a":"y"}`, false}, // keys out of order
		{`{"a":"x","a":"y"}`, false}, // repeated key
		{`{"a": "x"}`, false},        // space
		{`{"a":"<&>"}`, false},       // HTML-escaped by json.Marshal
		{`{"a":"\u0041"}`, false},    // escape
		{`{"addresses":["bcrt1qxy","2N3o"],"hops":4}`, true},
		{`{"a":[],"b":-12,"c":0,"d":-0}`, true},
		{`{"a":["x"]}`, true},
		{`{"hops":4,"addresses":["x"]}`, false}, // keys out of order
		{`{"a":["x",]}`, false},
		{`{"a":["x" ]}`, false},
		{`{"a":["x"`, false},
		{`{"a":[1]}`, false}, // array of numbers
		{`{"a":[["x"]]}`, false},
		{`{"a":01}`, false},  // leading zero
		{`{"a":1.5}`, false}, // fraction
		{`{"a":1e3}`, false}, // exponent
		{`{"a":-}`, false},
		{`{"a":+1}`, false},
		{`{"a":true}`, false},
		{`{"a":null}`, false},
		{`{"a":{"b":"c"}}`, false}, // nested
		{`{}`, false},
		{`{"a":"x"}x`, false},
		{`{"a":"x",}`, false},
		{`{"a":"x"`, false},
		{`null`, false},
	} {
		if got := isCanonicalFlat([]byte(tc.raw)); got != tc.fast {
			t.Errorf("%s: fast path %v, want %v", tc.raw, got, tc.fast)
		}
		if !tc.fast {
			continue
		}
		var v any
		if err := json.Unmarshal([]byte(tc.raw), &v); err != nil {
			t.Fatal(err)
		}
		slow, _ := json.Marshal(v)
		got, err := canonicalJSON([]byte(tc.raw))
		if err != nil || !bytes.Equal(got, slow) {
			t.Errorf("%s: canonical %s, %v; decoding and encoding gives %s", tc.raw, got, err, slow)
		}
	}
}

// FuzzCanonicalFlat checks that whatever the fast path of canonicalJSON
// keeps is what decoding and re-encoding gives.
func FuzzCanonicalFlat(f *testing.F) {
	for _, s := range []string{`{"a":"x"}`, `{"addresses":["a","b"],"hops":4}`, `{"a":[],"b":-0}`, `{"a":1.5}`, `{"b":"x","a":"y"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !isCanonicalFlat(raw) {
			return
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil || dec.More() {
			t.Fatalf("%s: kept by the fast path but does not decode: %v", raw, err)
		}
		slow, err := json.Marshal(v)
		if err != nil || !bytes.Equal(slow, raw) {
			t.Fatalf("%s: kept by the fast path, decoding and encoding gives %s, %v", raw, slow, err)
		}
	})
}

// BenchmarkCanonicalJSON measures canonicalJSON on the variables of a
// screening query, which take the fast path, against the slow path.
func BenchmarkCanonicalJSON(b *testing.B) {
	raw := []byte(`{"a":"bcrt1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh"}`)
	b.Run("flat", func(b *testing.B) {
		for b.Loop() {
			if _, err := canonicalJSON(raw); err != nil {
				b.Fatal(err)
			}
		}
	})
	spaced := []byte(`{"a": "bcrt1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh"}`)
	b.Run("decode", func(b *testing.B) {
		for b.Loop() {
			if _, err := canonicalJSON(spaced); err != nil {
				b.Fatal(err)
			}
		}
	})
}
