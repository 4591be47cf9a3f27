#!/usr/bin/env bash
# A real control plane for the demo and the tests, running in the background:
#   npm run cluster -- up --state-dir DIR [--bare] [--audit]   (prints one JSON line)
#   npm run cluster -- token --state-dir DIR                    (prints a fresh bootstrap token)
#   npm run cluster -- down --state-dir DIR
# (`npm run -s cluster -- ...` keeps npm's own banner off stdout.)
# The binaries are built on first use by test/control-plane/build.sh (~6 min on 2 cores).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
if [[ ! -f "$ROOT/node_modules/tsx/dist/loader.mjs" ]]; then
  echo "[cluster] node_modules is missing: running npm ci" >&2
  (cd "$ROOT" && ELECTRON_SKIP_BINARY_DOWNLOAD=1 npm_config_nodedir=/usr npm ci) >&2
fi
exec node --import "$ROOT/node_modules/tsx/dist/loader.mjs" "$ROOT/test/harness/cli.ts" "$@"
