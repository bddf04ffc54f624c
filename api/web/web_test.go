package web

import (
	"io/fs"
	"strings"
	"testing"
)

// TestBuiltPage checks that the committed build is complete: each page
// loads its bundle and stylesheet, GraphiQL links the explorer, the
// explorer talks to /graphql, and the licenses of React, GraphiQL and
// Cytoscape.js ship with them.
func TestBuiltPage(t *testing.T) {
	f := FS()
	page, err := fs.ReadFile(f, "index.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`src="graphiql.js"`, `href="graphiql.css"`} {
		if !strings.Contains(string(page), want) {
			t.Errorf("index.html lacks %s", want)
		}
	}
	js, err := fs.ReadFile(f, "graphiql.js")
	if err != nil {
		t.Fatal(err)
	}
	if len(js) < 100_000 || !strings.Contains(string(js), "/graphql") {
		t.Errorf("graphiql.js is %d bytes and does not post to /graphql", len(js))
	}
	explore, err := fs.ReadFile(f, "explore.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`src="explore.js"`, `href="explore.css"`, `id="cy"`} {
		if !strings.Contains(string(explore), want) {
			t.Errorf("explore.html lacks %s", want)
		}
	}
	ejs, err := fs.ReadFile(f, "explore.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"/graphql", "exportTransactions", "sessionStorage"} {
		if !strings.Contains(string(ejs), want) {
			t.Errorf("explore.js (%d bytes) lacks %q", len(ejs), want)
		}
	}
	if !strings.Contains(string(js), `"/explore"`) {
		t.Error("the GraphiQL page does not link the explorer")
	}
	for _, lic := range []string{"licenses/react@18.3.1.txt", "licenses/graphiql@3.8.3.txt", "licenses/react-dom@18.3.1.txt", "licenses/cytoscape@3.34.4.txt"} {
		if _, err := fs.Stat(f, lic); err != nil {
			t.Errorf("license missing: %v", err)
		}
	}
}
