#!/usr/bin/env bash
# install-nodes.sh installs the real blockchain node binaries that spoor's
# integration tests start (see internal/btcdtest). Binaries go to
# ${SPOOR_BIN:-<repo>/.bin}; an install is skipped when the binary is already
# there and reports the pinned version.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${SPOOR_BIN:-$REPO/.bin}"

BTCD_VERSION="0.26.2"

mkdir -p "$BIN"

# --- btcd + btcctl (Bitcoin, regtest nodes for internal/btcdtest) -----------
# btcd --version prints "btcd version 0.26.2-beta"; print just "0.26.2-beta",
# or nothing when btcd or btcctl is missing.
btcd_installed_version() {
	if [[ -x "$BIN/btcd" && -x "$BIN/btcctl" ]]; then
		"$BIN/btcd" --version 2>/dev/null | awk '{print $3}' || true
	fi
}

have="$(btcd_installed_version)"
if [[ "$have" == "$BTCD_VERSION" || "$have" == "$BTCD_VERSION"-* ]]; then
	echo "btcd ${BTCD_VERSION}: already installed at $BIN/btcd ($have), skipping"
else
	echo "btcd ${BTCD_VERSION}: installing btcd and btcctl into $BIN (found: ${have:-none}) ..."
	start=$SECONDS
	GOFLAGS= GOBIN="$BIN" go install \
		"github.com/btcsuite/btcd@v${BTCD_VERSION}" \
		"github.com/btcsuite/btcd/cmd/btcctl@v${BTCD_VERSION}"
	echo "btcd ${BTCD_VERSION}: installed in $((SECONDS - start))s: $("$BIN/btcd" --version)"
fi

# --- addblock (btcd's bulk importer, the peer of `spoor bench ingest`) -----
# addblock has no --version flag; the binary is installed from the same
# pinned btcd release and skipped when present.
if [[ -x "$BIN/addblock" ]]; then
	echo "addblock ${BTCD_VERSION}: already installed at $BIN/addblock, skipping"
else
	echo "addblock ${BTCD_VERSION}: installing into $BIN ..."
	GOFLAGS= GOBIN="$BIN" go install "github.com/btcsuite/btcd/cmd/addblock@v${BTCD_VERSION}"
	echo "addblock ${BTCD_VERSION}: installed"
fi

# --- geth (Ethereum, dev-mode nodes for internal/gethtest) ------------------
# The latest go-ethereum tag does not build from the module proxy here (one of
# its dependencies is not served), so geth is pinned at v1.17.8, the same
# version spoor imports as a library. "geth version" prints "Version: 1.17.8-stable".
GETH_VERSION="1.17.8"

geth_installed_version() {
	if [[ -x "$BIN/geth" ]]; then
		"$BIN/geth" version 2>/dev/null | awk '/^Version:/ {print $2}' || true
	fi
}

have="$(geth_installed_version)"
if [[ "$have" == "$GETH_VERSION" || "$have" == "$GETH_VERSION"-* ]]; then
	echo "geth ${GETH_VERSION}: already installed at $BIN/geth ($have), skipping"
else
	echo "geth ${GETH_VERSION}: installing geth into $BIN (found: ${have:-none}); this takes a few minutes ..."
	start=$SECONDS
	GOFLAGS= GOBIN="$BIN" go install "github.com/ethereum/go-ethereum/cmd/geth@v${GETH_VERSION}"
	echo "geth ${GETH_VERSION}: installed in $((SECONDS - start))s: $("$BIN/geth" version | awk '/^Version:/ {print $2}')"
fi

echo "nodes ready in $BIN"
