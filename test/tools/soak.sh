#!/usr/bin/env bash
# npm run soak: the rotation agent for minutes at a scaled clock (test/integration/soak.test.ts),
# against one control plane (run-tests.sh starts it unless KUBEJOIN_TEST_CLUSTER names one).
# KUBEJOIN_SOAK_SECONDS (default 600, after KUBEJOIN_SOAK_WARMUP_SECONDS, default 45) and
# KUBEJOIN_SOAK_SCALE (default 1000) set the run; the samples (one JSON line every 2 s: heap
# after a forced GC, RSS, descriptors) are kept in test/out/soak.jsonl. The figures are printed as "soak figures: {...}" (docs/performance.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p test/out
export KUBEJOIN_SOAK_SECONDS="${KUBEJOIN_SOAK_SECONDS:-600}"
export KUBEJOIN_SOAK_SCALE="${KUBEJOIN_SOAK_SCALE:-1000}"
export KUBEJOIN_SOAK_PROBE="${KUBEJOIN_SOAK_PROBE:-$PWD/test/out/soak.jsonl}"
exec bash test/tools/run-tests.sh test/integration/soak.test.ts
