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
  # A throw-away login keyring for this run only (its own data directory, so the user's
  # keyrings are neither used nor touched), unlocked with a throw-away password. The session
  # bus starts it on first use through a service file in that directory, which comes before
  # the system's in the bus's search path, and starts it the same way again if it exits: a
  # crash of gnome-keyring-daemon then costs the calls in flight, not every keychain test after
  # it. Each start and exit, and the daemon's output, are logged there and reported at the end.
  keyring_home=$(mktemp -d -t kubejoin-keyring.XXXXXX)
  mkdir -p "$keyring_home/dbus-1/services"
  cat >"$keyring_home/keyring.sh" <<SCRIPT
#!/bin/sh
echo "start \$(date -u +%FT%TZ)" >>"$keyring_home/starts"
printf 'kubejoin-test\\n' | XDG_DATA_HOME="$keyring_home" gnome-keyring-daemon --unlock --foreground --components=secrets >>"$keyring_home/daemon.log" 2>&1
{ echo "exit \$? \$(date -u +%FT%TZ)" >>"$keyring_home/starts"; } 2>/dev/null
SCRIPT
  chmod 0755 "$keyring_home/keyring.sh"
  printf '[D-BUS Service]\nName=org.freedesktop.secrets\nExec=%s/keyring.sh\n' "$keyring_home" >"$keyring_home/dbus-1/services/org.freedesktop.secrets.service"
  exec env KUBEJOIN_IN_DBUS=1 KUBEJOIN_KEYRING_HOME="$keyring_home" XDG_DATA_HOME="$keyring_home" dbus-run-session -- bash "$0" "$@"
fi
if [ -n "${KUBEJOIN_KEYRING_HOME:-}" ]; then
  keyring_home=$KUBEJOIN_KEYRING_HOME
  trap 'rm -rf "$keyring_home"' EXIT
  # Started now, not by the first keychain test.
  if command -v gdbus >/dev/null && ! gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
    --method org.freedesktop.DBus.StartServiceByName org.freedesktop.secrets 0 >/dev/null; then
    echo "run-tests: the session's gnome-keyring-daemon did not start: $(tail -n 5 "$keyring_home/daemon.log" 2>/dev/null)" >&2
  fi
fi
keyring_report() {
  [ -n "${keyring_home:-}" ] && [ -f "$keyring_home/starts" ] || return 0
  local starts
  starts=$(grep -c '^start' "$keyring_home/starts")
  if [ "$starts" -gt 1 ]; then
    echo "run-tests: the session's gnome-keyring-daemon exited during the run and was started again ($starts starts):" >&2
    sed 's/^/run-tests:   /' "$keyring_home/starts" >&2
    tail -n 20 "$keyring_home/daemon.log" | sed 's/^/run-tests:   daemon: /' >&2
  fi
}

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
keyring_report
exit "$status"
