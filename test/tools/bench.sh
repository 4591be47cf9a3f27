#!/usr/bin/env bash
# npm run bench [-- --quick] [-- --runs N --fleet 50,200,500 --fleet-runs N --out FILE]
# kubejoin beside the official Go join path on one local control plane; not part
# of `npm test`. Builds what it lacks first: node_modules (npm ci), dist/ (npm run build),
# the control-plane binaries (test/control-plane/build.sh, ~6 min the first time) and the
# Go reference refjoin (built by the bench itself into ~/.cache/kubejoin/refjoin/).
# Prints a table; writes the same figures to bench/results.json.
# KUBEJOIN_BENCH_NO_BUILD=1 skips `npm run build` when dist/cli.mjs exists (the test uses it).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
say() { printf '[bench] %s\n' "$*" >&2; }

if [[ ! -f node_modules/tsx/dist/loader.mjs ]]; then
  say "node_modules is missing: running npm ci"
  ELECTRON_SKIP_BINARY_DOWNLOAD=1 npm_config_nodedir=/usr npm ci --no-audit --no-fund >&2
fi
if [[ "${KUBEJOIN_BENCH_NO_BUILD:-}" == 1 && -f dist/cli.mjs ]]; then
  say "using the existing dist/ (KUBEJOIN_BENCH_NO_BUILD=1)"
else
  say "npm run build"
  npm run -s build >&2
fi
[[ -x /usr/bin/time ]] || say "warning: /usr/bin/time is missing (apt-get install time): peak RSS will be n/a"
bash test/control-plane/build.sh >/dev/null
exec node --import "$ROOT/node_modules/tsx/dist/loader.mjs" "$ROOT/test/bench/main.ts" "$@"
