#!/usr/bin/env bash
# Inner half of scripts/test.sh: runs inside `dbus-run-session`, with HOME pointed at a temporary
# directory and gnome-keyring unlocked with a throwaway password, so keytar reaches a real Secret
# Service and nothing touches the user's own keyring.
set -uo pipefail
cd "$(dirname "$0")/.."

results=$(mktemp -d)
export HOME=$(mktemp -d)
export MESSENGER_TEST_RESULTS="$results"
echo -n "throwaway-$RANDOM$RANDOM" | gnome-keyring-daemon --unlock --components=secrets >/dev/null

checks_passed=0
checks_failed=0
check() { # name, command...
  local name=$1; shift
  echo "== $name"
  if "$@"; then checks_passed=$((checks_passed + 1)); echo "-- $name: ok"
  else checks_failed=$((checks_failed + 1)); echo "-- $name: FAILED"; fi
}

check typecheck npx tsc -p tsconfig.json --noEmit
check lint npx eslint . --max-warnings 0
check format npx prettier --check .
check build npx electron-vite build
echo "== unit tests"
npx vitest run --project unit --reporter=default --reporter=json --outputFile="$results/unit.json" </dev/null
echo "== integration tests (Prosody; the server-sensitive files again on ejabberd)"
npx vitest run --project integration --project integration-ejabberd --reporter=default --reporter=json --outputFile="$results/integration.json" </dev/null
echo "== end-to-end tests"
PLAYWRIGHT_JSON_OUTPUT_NAME="$results/e2e.json" npx playwright test --reporter=list,json </dev/null

node scripts/summarize-results.mjs "$results" "$checks_passed" "$checks_failed"
