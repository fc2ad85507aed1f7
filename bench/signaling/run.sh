#!/bin/sh
# Signaling bench (see run.py): icegate /ws vs a socket.io 4.8 room relay.
# Usage: bench/signaling/run.sh [--smoke] [--only rate|idle] [...]; ICEGATE_BINARY=path/to/icegate
set -eu
here=$(cd "$(dirname "$0")" && pwd)
[ -d "$here/node_modules/socket.io" ] || (cd "$here" && npm ci --no-audit --no-fund)
: "${ICEGATE_BINARY:=$here/../../build/icegate}"
export ICEGATE_BINARY
exec timeout 3600 python3 "$here/run.py" "$@"
