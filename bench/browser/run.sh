#!/bin/sh
# Browser bench: time to `connected` for two headless Chromium peers relay-only through icegate
# vs coturn. Usage: bench/browser/run.sh [--smoke] [--reps 10] [--json FILE]
# ICEGATE_BINARY (default build/icegate) is the icegate to test; needs /usr/bin/chromium,
# /usr/bin/turnserver (Debian coturn), node and npm.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
[ -d "$here/node_modules/playwright-core" ] || (cd "$here" && npm ci --no-audit --no-fund)
: "${ICEGATE_BINARY:=$here/../../build/icegate}"
export ICEGATE_BINARY
exec timeout 900 node "$here/connect_bench.mjs" "$@"
