package export

import (
	"crypto/sha1"
	"fmt"
)

// UUID is an RFC 9562 UUID.
type UUID [16]byte

// String returns the canonical hyphenated form.
func (u UUID) String() string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// ParseUUID reads the hyphenated form.
func ParseUUID(s string) (UUID, error) {
	var u UUID
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, fmt.Errorf("uuid %q: not in the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", s)
	}
	hex := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:36]
	for i := range u {
		var b byte
		if _, err := fmt.Sscanf(hex[2*i:2*i+2], "%02x", &b); err != nil {
			return u, fmt.Errorf("uuid %q: %w", s, err)
		}
		u[i] = b
	}
	return u, nil
}

// UUIDv5 returns the name-based UUID (version 5, SHA-1) of name in
// namespace ns.
func UUIDv5(ns UUID, name string) UUID {
	h := sha1.New()
	h.Write(ns[:])
	h.Write([]byte(name))
	var u UUID
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	return u
}

// mustUUID parses a constant.
func mustUUID(s string) UUID {
	u, err := ParseUUID(s)
	if err != nil {
		panic(err)
	}
	return u
}

// STIXSCONamespace is the namespace STIX 2.1 (section 2.9) gives for the
// deterministic ids of cyber-observable objects.
func STIXSCONamespace() UUID { return mustUUID("00abedb4-aa42-466c-9c01-fed23315a9b7") }

// SpoorNamespace is spoor's own namespace for the deterministic ids of the
// STIX domain objects and MISP objects it writes: the UUIDv5 of "spoor" in
// the RFC 9562 URL namespace.
func SpoorNamespace() UUID {
	return UUIDv5(mustUUID("6ba7b811-9dad-11d1-80b4-00c04fd430c8"), "https://github.com/spoorhq/spoor")
}
