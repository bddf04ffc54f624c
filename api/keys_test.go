package api

import (
	"net/http"
	"strings"
	"testing"
)

func TestHashKey(t *testing.T) {
	// FIPS 180-2 test vector.
	if got := HashKey("abc"); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Fatalf("HashKey(abc) = %s", got)
	}
}

func TestKeyRing(t *testing.T) {
	k1, _ := NewKey()
	k2, _ := NewKey()
	if !strings.HasPrefix(k1, "spoor_") || len(k1) != 6+43 || k1 == k2 {
		t.Fatalf("keys %q %q", k1, k2)
	}
	kr, err := NewKeyRing([]KeyConfig{{ID: "ana", Role: "analyst", SHA256: HashKey(k1)}, {ID: "vic", Role: "viewer", SHA256: strings.ToUpper(HashKey(k2))}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		key  string
		ok   bool
		want Caller
	}{
		{"analyst", k1, true, Caller{KeyID: "ana", Role: RoleAnalyst}},
		{"viewer (hash in capitals)", k2, true, Caller{KeyID: "vic", Role: RoleViewer}},
		{"one character off", k1[:len(k1)-1] + "x", false, Caller{}},
		{"empty", "", false, Caller{}},
		{"the hash itself", HashKey(k1), false, Caller{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ok := kr.Lookup(tt.key)
			if ok != tt.ok || c != tt.want {
				t.Fatalf("Lookup = %+v, %v", c, ok)
			}
		})
	}
}

func TestNewKeyRingRejects(t *testing.T) {
	h := HashKey("x")
	tests := []struct {
		name string
		cfg  []KeyConfig
		want string
	}{
		{"no id", []KeyConfig{{Role: "viewer", SHA256: h}}, "id"},
		{"duplicate id", []KeyConfig{{ID: "a", Role: "viewer", SHA256: h}, {ID: "a", Role: "admin", SHA256: h}}, "used twice"},
		{"bad role", []KeyConfig{{ID: "a", Role: "root", SHA256: h}}, `role "root"`},
		{"short hash", []KeyConfig{{ID: "a", Role: "viewer", SHA256: h[:10]}}, "64 hex digits"},
		{"key instead of hash", []KeyConfig{{ID: "a", Role: "viewer", SHA256: "spoor_abc"}}, "64 hex digits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewKeyRing(tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestKeyFromRequest(t *testing.T) {
	tests := []struct {
		name      string
		header    map[string]string
		key       string
		presented bool
	}{
		{"bearer", map[string]string{"Authorization": "Bearer k1"}, "k1", true},
		{"bearer lower case", map[string]string{"Authorization": "bearer k1"}, "k1", true},
		{"x-api-key", map[string]string{"X-API-Key": "k2"}, "k2", true},
		{"basic auth is not a key", map[string]string{"Authorization": "Basic dXNlcjpwYXNz"}, "", true},
		{"none", nil, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := http.NewRequest("POST", "/graphql", nil)
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			key, presented := keyFromRequest(r)
			if key != tt.key || presented != tt.presented {
				t.Fatalf("got %q, %v", key, presented)
			}
		})
	}
}
