#!/usr/bin/env bash
# test.sh runs every test of spoor: it installs the real nodes the
# integration tests start (scripts/install-nodes.sh), checks formatting and
# go vet, and runs all tests with the race detector. CI runs it with CI=true,
# where a missing node fails the tests instead of skipping them.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

"$REPO/scripts/install-nodes.sh"
"$REPO/scripts/install-web-tools.sh"
"$REPO/scripts/install-bench-tools.sh"

unformatted="$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"
if [[ -n "$unformatted" ]]; then
	echo "gofmt would change:" >&2
	echo "$unformatted" >&2
	exit 1
fi
go vet ./...
GORACE="halt_on_errors=1" go test -race -count=1 -timeout 45m ./...
