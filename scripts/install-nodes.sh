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

# --- geth (Ethereum) ---------------------------------------------------------
# PLACEHOLDER: geth v1.17.8 belongs to a later issue. Do NOT install it now.
# When that issue lands, add an install step here following the btcd pattern:
# skip when "$BIN/geth version" already reports 1.17.8, otherwise install it
# into "$BIN".

echo "nodes ready in $BIN"
