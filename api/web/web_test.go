package web

import (
	"io/fs"
	"strings"
	"testing"
)

// TestBuiltPage checks that the committed build is complete: the page
// loads the bundle and the stylesheet, the bundle holds GraphiQL and the
// licenses of React and GraphiQL ship with it.
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
	for _, lic := range []string{"licenses/react@18.3.1.txt", "licenses/graphiql@3.8.3.txt", "licenses/react-dom@18.3.1.txt"} {
		if _, err := fs.Stat(f, lic); err != nil {
			t.Errorf("license missing: %v", err)
		}
	}
}
