// Package web holds the pages spoor serve shows: GraphiQL at "/" and the
// graph explorer (Cytoscape.js over the GraphQL API) at "/explore". They
// are built from npm packages by build.sh into dist/, which is committed
// and embedded here, so building spoor never needs npm.
package web

import (
	"embed"
	"io/fs"
)

//go:embed dist
var dist embed.FS

// FS returns the built pages: index.html, graphiql.js and graphiql.css;
// explore.html, explore.js and explore.css; and licenses/ with the
// license of every bundled package.
func FS() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		// fs.Sub fails only on an invalid path; "dist" is a constant.
		panic(err)
	}
	return sub
}
