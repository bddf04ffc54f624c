#!/usr/bin/env bash
# Builds the pages spoor serve shows into dist/: GraphiQL at / and the graph
# explorer at /explore, from the npm packages pinned in package.json and
# package-lock.json (graphiql, react, react-dom, graphql; cytoscape for the
# explorer; esbuild bundles them). The output, with the licenses of
# every bundled package, is committed, so building spoor never needs npm.
# Run it after changing src/ or the package versions.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Install in a scratch directory: node_modules inside the Go module would
# be seen by the go command (some npm packages carry .go files).
cp "$here/package.json" "$here/package-lock.json" "$work/"
cp -r "$here/src" "$work/src"
(cd "$work" && npm ci --no-audit --no-fund --loglevel=error)

rm -rf "$here/dist"
mkdir -p "$here/dist/licenses"
(cd "$work" && ./node_modules/.bin/esbuild src/main.jsx --bundle --minify --format=iife \
  --target=es2020 --define:process.env.NODE_ENV='"production"' --jsx=automatic \
  --legal-comments=none --log-level=warning --outfile="$here/dist/graphiql.js")
cp "$work/src/index.html" "$here/dist/index.html"
(cd "$work" && ./node_modules/.bin/esbuild src/explore.js --bundle --minify --format=iife \
  --target=es2020 --legal-comments=none --log-level=warning --outfile="$here/dist/explore.js")
cp "$work/src/explore.html" "$here/dist/explore.html"
cp "$work/src/explore.css" "$here/dist/explore.css"

# The license file of every package in the bundle, named after the package.
(cd "$work" && ./node_modules/.bin/esbuild src/main.jsx src/explore.js --bundle --metafile="$work/meta.json" \
  --jsx=automatic --log-level=error --outdir="$work/probe")
node -e '
const fs = require("fs"), path = require("path");
const meta = JSON.parse(fs.readFileSync(process.argv[1]));
const pkgs = new Set();
for (const f of Object.keys(meta.inputs)) {
  const m = f.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//g);
  if (m) pkgs.add(m[m.length - 1].replace(/^node_modules\//, "").replace(/\/$/, ""));
}
for (const p of [...pkgs].sort()) {
  const dir = path.join(process.argv[2], "node_modules", p);
  const lic = fs.readdirSync(dir).find((f) => /^(licen[cs]e|copying)/i.test(f));
  const ver = JSON.parse(fs.readFileSync(path.join(dir, "package.json"))).version;
  const out = path.join(process.argv[3], p.replace("/", "__") + "@" + ver + ".txt");
  if (lic) fs.copyFileSync(path.join(dir, lic), out);
  else fs.writeFileSync(out, "license: " + JSON.parse(fs.readFileSync(path.join(dir, "package.json"))).license + " (the package ships no license file)\n");
}
' "$work/meta.json" "$work" "$here/dist/licenses"
echo "built $(du -sh "$here/dist" | cut -f1) into $here/dist"
