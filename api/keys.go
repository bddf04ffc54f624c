package api

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
)

// KeyConfig is one API key as the config holds it: an id (shown in logs
// and the audit log), a role, and the SHA-256 of the key in hex. The key
// itself is never stored.
type KeyConfig struct {
	ID     string `yaml:"id"`
	Role   string `yaml:"role"`
	SHA256 string `yaml:"sha256"`
}

// KeyRing checks presented API keys against the configured hashes.
type KeyRing struct {
	keys []ringKey
}

type ringKey struct {
	id   string
	role Role
	hash [32]byte
}

// NewKeyRing checks and loads the configured keys. Ids must be unique and
// hashes 64 hex digits.
func NewKeyRing(cfg []KeyConfig) (*KeyRing, error) {
	kr := &KeyRing{}
	ids := map[string]bool{}
	for i, k := range cfg {
		if k.ID == "" || ids[k.ID] {
			return nil, fmt.Errorf("api key %d: id %q is empty or used twice", i+1, k.ID)
		}
		ids[k.ID] = true
		role, err := ParseRole(k.Role)
		if err != nil {
			return nil, fmt.Errorf("api key %s: %w", k.ID, err)
		}
		b, err := hex.DecodeString(k.SHA256)
		if err != nil || len(b) != 32 {
			return nil, fmt.Errorf("api key %s: sha256 must be 64 hex digits (spoor keys hash prints it)", k.ID)
		}
		rk := ringKey{id: k.ID, role: role}
		copy(rk.hash[:], b)
		kr.keys = append(kr.keys, rk)
	}
	return kr, nil
}

// IDs returns the configured key ids in config order.
func (kr *KeyRing) IDs() []string {
	out := make([]string, len(kr.keys))
	for i, k := range kr.keys {
		out[i] = k.id
	}
	return out
}

// Lookup returns the caller holding key. Every configured hash is
// compared in constant time, whether or not an earlier one matched, so
// the time taken says nothing about which key (or how much of one)
// matched.
func (kr *KeyRing) Lookup(key string) (Caller, bool) {
	// Keys are short: copied into a buffer on the stack, they need no
	// allocation to be hashed.
	var buf [128]byte
	sum := sha256.Sum256(append(buf[:0], key...))
	found := -1
	for i := range kr.keys {
		if subtle.ConstantTimeCompare(sum[:], kr.keys[i].hash[:]) == 1 {
			found = i
		}
	}
	if found < 0 || key == "" {
		return Caller{}, false
	}
	return Caller{KeyID: kr.keys[found].id, Role: kr.keys[found].role}, true
}

// HashKey returns the SHA-256 of key in hex, as the config stores it.
func HashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// NewKey returns a new random API key: "spoor_" and 43 characters of
// base64url (256 bits).
func NewKey() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("api key: %w", err)
	}
	return "spoor_" + base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// keyFromRequest returns the key presented in "Authorization: Bearer …"
// or "X-API-Key", and whether one was presented.
func keyFromRequest(r *http.Request) (string, bool) {
	if auth := r.Header.Get("Authorization"); auth != "" {
		scheme, key, ok := strings.Cut(auth, " ")
		if ok && strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(key), true
		}
		return "", true // some other scheme: presented but not usable
	}
	if key := r.Header.Get("X-API-Key"); key != "" {
		return strings.TrimSpace(key), true
	}
	return "", false
}
