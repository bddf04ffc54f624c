// Package jsonenc appends JSON values to byte slices exactly as
// encoding/json's Marshal writes them, without reflection, for the
// encoders written by hand on the server's hot paths (audit entries and
// POST /screen answers). Byte-identical output matters: audit hashes are
// taken over json.Marshal's encoding, and answers must not depend on
// which path wrote them.
package jsonenc
