package jsonenc

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// checkString compares AppendString with json.Marshal on s.
func checkString(t *testing.T, s string) {
	t.Helper()
	want, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if got := AppendString([]byte("x"), s); !bytes.Equal(got, append([]byte("x"), want...)) {
		t.Fatalf("AppendString(%q) = %s, json.Marshal gives %s", s, got[1:], want)
	}
}

// TestAppendStringMatchesMarshal covers each escape of encoding/json.
func TestAppendStringMatchesMarshal(t *testing.T) {
	var all strings.Builder
	for c := range 0x80 {
		all.WriteByte(byte(c))
	}
	for _, s := range []string{
		"", "plain", all.String(), `"\`, "a\b\f\n\r\tb", "<script>&amp;</script>",
		"a\u2028b\u2029c\u2027\u202a", "é日本語🙂\uFFFD\U0010FFFF",
		"a\xffb", "\xe2\x80", "\xc3", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\x80\x80", "end\xe2",
	} {
		checkString(t, s)
	}
}

// FuzzAppendString compares AppendString with json.Marshal.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "a\"b", "<&>", "\u2028", "\xff\xfe", "\x00\x1f\x7f"} {
		f.Add(s)
	}
	f.Fuzz(checkString)
}

// checkFloat compares AppendFloat with json.Marshal on v.
func checkFloat(t *testing.T, v float64) {
	t.Helper()
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return
	}
	want, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if got := AppendFloat([]byte("x"), v); !bytes.Equal(got, append([]byte("x"), want...)) {
		t.Fatalf("AppendFloat(%v) = %s, json.Marshal gives %s", v, got[1:], want)
	}
}

// TestAppendFloatMatchesMarshal covers both notations and the cutoffs
// between them.
func TestAppendFloatMatchesMarshal(t *testing.T) {
	for _, v := range []float64{0, math.Copysign(0, -1), 1, -1, 0.5, 1.0 / 3, 2.0 / 3, 0.1, 1e-6, 9.99999e-7, 1e-7, 1.5e-9,
		1e-10, 1e20, 1e21, 9.999999999999999e20, 1.234e25, -1e-300, math.MaxFloat64, math.SmallestNonzeroFloat64, 123456789.125} {
		checkFloat(t, v)
	}
}

// FuzzAppendFloat compares AppendFloat with json.Marshal.
func FuzzAppendFloat(f *testing.F) {
	for _, v := range []float64{0, 0.25, 1e-7, 1e21} {
		f.Add(v)
	}
	f.Fuzz(checkFloat)
}
