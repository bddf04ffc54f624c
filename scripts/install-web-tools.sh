#!/usr/bin/env bash
# install-web-tools.sh installs the independent readers the export tests
# load spoor's exports with: graphology's GEXF and GraphML parsers and
# Cytoscape.js from npm (pinned by api/export/testdata/readers/
# package-lock.json), and Python's networkx for GraphML and GEXF 1.3
# spells; and, for the web explorer's browser test, Debian's chromium and
# playwright-core (pinned by api/web/testdata/e2e/package-lock.json). It
# does nothing when they are already there.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
READERS="$REPO/api/export/testdata/readers"
E2E="$REPO/api/web/testdata/e2e"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	apt-get update -qq && apt-get install -y -qq nodejs npm
fi
stamp="$READERS/node_modules/.package-lock.json"
if [[ ! -f "$stamp" || "$READERS/package-lock.json" -nt "$stamp" ]]; then
	(cd "$READERS" && npm ci --no-audit --no-fund --loglevel=error)
fi

if ! python3 -c 'import networkx' 2>/dev/null; then
	apt-get update -qq && apt-get install -y -qq python3-networkx
fi

stamp="$E2E/node_modules/.package-lock.json"
if [[ ! -f "$stamp" || "$E2E/package-lock.json" -nt "$stamp" ]]; then
	(cd "$E2E" && npm ci --no-audit --no-fund --loglevel=error)
fi
if [[ ! -x /usr/bin/chromium ]]; then
	apt-get update -qq && apt-get install -y -qq chromium
fi
