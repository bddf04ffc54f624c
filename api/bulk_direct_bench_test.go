package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/spoorhq/spoor/api/audit"
)

// BenchmarkBulkDirect runs POST /screen requests of one address each
// (answered by serveBulkDirect from the exposure index, audited to a real
// log without fsync) and GET /healthz through the server's handler, as
// bench api's load does, without the network.
func BenchmarkBulkDirect(b *testing.B) {
	w := goldenSim(b)
	addrs := []string{w.facts["SanctionPayer"], w.facts["Payer"], w.facts["Payee"], w.facts["PathTo"], w.facts["ExchangeSibling"]}
	key, _ := NewKey()
	kr, err := NewKeyRing([]KeyConfig{{ID: "bench", Role: "analyst", SHA256: HashKey(key)}})
	if err != nil {
		b.Fatal(err)
	}
	alog, err := audit.Open(filepath.Join(b.TempDir(), "audit"), &audit.Options{Sync: audit.SyncNone})
	if err != nil {
		b.Fatal(err)
	}
	defer alog.Close()
	h := NewServer(w.schema, kr, alog, ServerOptions{RatePerSecond: 1e9, RateBurst: 1e9}).Handler()
	bodies := make([][]byte, len(addrs))
	for i, a := range addrs {
		bodies[i], _ = json.Marshal(bulkScreenRequest{Addresses: []string{a}})
	}
	b.Run("screen", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			req := httptest.NewRequest("POST", "/screen", bytes.NewReader(bodies[i%len(bodies)]))
			req.Header.Set("Authorization", "Bearer "+key)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK || bytes.Contains(rec.Body.Bytes(), []byte(`"errors"`)) {
				b.Fatalf("%d %s", rec.Code, rec.Body.Bytes())
			}
			i++
		}
	})
	b.Run("healthz", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
			if rec.Code != http.StatusOK {
				b.Fatal(rec.Code)
			}
		}
	})
}
