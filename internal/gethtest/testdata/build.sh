#!/usr/bin/env bash
# build.sh recompiles the test contracts into the committed *.bin and *.abi
# files with solc 0.8.37 from npm (solcjs, no network needed once
# installed):
#   npm install --prefix /tmp/solc solc@0.8.37
#   SOLCJS=/tmp/solc/node_modules/.bin/solcjs ./build.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
SOLCJS="${SOLCJS:-solcjs}"
out="$(mktemp -d)"
"$SOLCJS" --bin --abi --optimize -o "$out" Token.sol Splitter.sol WETH.sol Collectibles.sol
for c in Token:Token Splitter:Splitter Splitter:Child WETH:WETH Collectibles:Collectibles; do
	file="${c%%:*}" name="${c##*:}"
	cp "$out/${file}_sol_${name}.bin" "$name.bin"
	cp "$out/${file}_sol_${name}.abi" "$name.abi"
done
rm -r "$out"
