package api

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/graphql-go/graphql/language/ast"
)

func TestDocCacheBounds(t *testing.T) {
	c := newDocCache(3, 1600)
	doc := &ast.Document{}
	for i := range 5 {
		c.put(fmt.Sprintf("q%d", i), doc)
	}
	if c.len() != 3 || c.get("q0") != nil || c.get("q4") == nil {
		t.Fatalf("after 5 puts into 3 entries: %d entries", c.len())
	}
	c.get("q2") // now the most recently used
	c.put("q5", doc)
	if c.get("q3") != nil || c.get("q2") == nil {
		t.Fatal("the least recently used entry was not the one dropped")
	}
	c.put(strings.Repeat("x", 101), doc) // over 1600/16: not cached
	if c.len() != 3 || c.get(strings.Repeat("x", 101)) != nil {
		t.Fatal("a query over a sixteenth of the byte limit was cached")
	}
	for i := range 20 {
		c.put(fmt.Sprintf("%099d", i), doc)
	}
	if c.bytes > 1600 || c.len() > 3 {
		t.Fatalf("%d bytes in %d entries", c.bytes, c.len())
	}
}

// TestCachedDocumentSharedSafely runs one query from many goroutines with
// different variables (so all but the first use the cached document) and
// checks each gets its own answer. Run with -race.
func TestCachedDocumentSharedSafely(t *testing.T) {
	s := testSchema(t)
	q := `query($h: Int) { block(height: $h) { height transactions(first: 1) { edges { node { txid } } } } }`
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				h := g*100 + i
				out := s.Execute(viewerCtx(), Request{Query: q, Variables: map[string]any{"h": float64(h)}}, DefaultLimits())
				b, _ := json.Marshal(out.Result)
				if len(out.Result.Errors) > 0 || !strings.Contains(string(b), fmt.Sprintf(`"height":%d,`, h)) {
					t.Errorf("height %d: %s", h, b)
					return
				}
			}
		}()
	}
	wg.Wait()
	if s.docs.get(q) == nil {
		t.Fatal("the query was not cached")
	}
	// A cached document is still held to the limits with new variables.
	out := s.Execute(viewerCtx(), Request{Query: `query($n: Int) { block(height: 1) { transactions(first: $n) { totalCount } } }`,
		Variables: map[string]any{"n": float64(5)}}, DefaultLimits())
	if len(out.Result.Errors) > 0 {
		t.Fatal(out.Result.Errors)
	}
	out = s.Execute(viewerCtx(), Request{Query: `query($n: Int) { block(height: 1) { transactions(first: $n) { totalCount } } }`,
		Variables: map[string]any{"n": float64(5000)}}, DefaultLimits())
	if !out.Rejected || out.Result.Errors[0].Extensions["code"] != CodeLimit {
		t.Fatalf("cached query with first 5000: %+v", out.Result)
	}
}
