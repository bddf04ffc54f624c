package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// bulkScreenQuery is the GraphQL query behind POST /screen: every
// screening field; with evidence, also the entities and evidence paths of
// each category (which makes every screening walk instead of reading the
// exposure index). Both are constants, so that the direct path's audit
// entry carries the same string each time (its hash is remembered).
func bulkScreenQuery(evidence bool) string {
	if evidence {
		return bulkQueryHead + bulkQueryEvidence + bulkQueryTail
	}
	return bulkQueryHead + bulkQueryTail
}

// The parts of bulkScreenQuery.
const (
	bulkQueryHead = `query BulkScreen($addresses: [String!]!, $hops: Int) {
  screenMany(addresses: $addresses, hops: $hops) {
    address risk partial source indexNote
    reasons { code level direction category share amountSat }
    tags { entity category source confidence }
    receiving { ...exposure }
    sending { ...exposure }
  }
}
fragment exposure on Exposure {
  direction totalSat unattributedSat transfers partial
  direct { ...category }
  indirect { ...category }
}
fragment category on CategoryExposure {
  category amountSat share minHop `
	bulkQueryEvidence = "entities paths { amountSat tag { entity category source confidence } steps { txid height time address } }"
	bulkQueryTail     = `
}`
)

// bulkScreenRequest is the JSON body of POST /screen.
type bulkScreenRequest struct {
	Addresses []string `json:"addresses"`
	Hops      *int     `json:"hops,omitempty"`
	// Evidence asks for each category's entities and evidence paths.
	Evidence bool `json:"evidence,omitempty"`
}

// variables returns the request's GraphQL variables.
func (req bulkScreenRequest) variables() map[string]any {
	vars := map[string]any{"addresses": req.Addresses}
	if req.Hops != nil {
		vars["hops"] = *req.Hops
	}
	return vars
}

// serveBulkScreen answers POST /screen: a plain JSON body
// {"addresses": [...], "hops": n, "evidence": false} runs as the screenMany GraphQL query,
// with the same key, role, rate, size and time limits and the same audit
// entry as any query; the answer is GraphQL's {"data": {"screenMany":
// [...]}} or {"errors": [...]}. Without evidence, a request that
// succeeds is answered directly (serveBulkDirect); everything else goes
// through the GraphQL executor.
func (s *Server) serveBulkScreen(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	buf := s.bulkBufs.get()
	defer s.bulkBufs.put(buf)
	body, err := readAllInto(buf.in[:0], http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes))
	buf.in = body
	if err != nil {
		httpError(w, http.StatusRequestEntityTooLarge, CodeLimit, fmt.Sprintf("the body exceeds the limit of %d bytes", s.opts.MaxBodyBytes))
		return
	}
	req, ok := parseBulkRequest(body)
	if !ok {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			httpError(w, http.StatusBadRequest, CodeBadInput, "POST a JSON body {\"addresses\": [\"…\"], \"hops\": 4} to /screen: "+clip(err.Error(), 200))
			return
		}
	}
	if len(req.Addresses) == 0 {
		httpError(w, http.StatusBadRequest, CodeBadInput, "addresses: at least one address is needed")
		return
	}
	caller, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	if !req.Evidence && s.serveBulkDirect(w, r, caller, req, start, buf) {
		return
	}
	gql, err := json.Marshal(map[string]any{"query": bulkScreenQuery(req.Evidence), "variables": req.variables(), "operationName": "BulkScreen"})
	if err != nil {
		httpError(w, http.StatusInternalServerError, CodeInternal, "internal error")
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(gql))
	r.ContentLength = int64(len(gql))
	s.runGraphQL(w, r, caller, start)
}

// readAllInto reads r to its end as io.ReadAll does, appending to b.
func readAllInto(b []byte, r io.Reader) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = nil
			}
			return b, err
		}
	}
}
