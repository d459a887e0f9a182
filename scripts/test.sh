#!/usr/bin/env bash
# Runs every test from a fresh clone: installs what it needs, then typecheck, lint, build, unit,
# integration and end-to-end tests, inside a throwaway keyring session. Last line: "N passed, N failed".
#
# Needs: Debian/Ubuntu (installs its system packages with apt-get when run as root, or via sudo),
# Node 20+ with npm. See README.md "Running the tests" for macOS and Windows.
set -uo pipefail
cd "$(dirname "$0")/.."

# 1. System packages. keytar's build needs libsecret-1-dev before `npm ci`; the tests need a real
#    Prosody and ejabberd (the second XMPP server the server-sensitive tests run against), Chromium, a Secret Service (gnome-keyring on D-Bus), libotr (the independent OTRv3
#    peer), PostgreSQL (push/prekey replicas), gcc and openssl.
packages=(prosody ejabberd chromium gnome-keyring dbus libsecret-1-dev libotr5-dev postgresql gcc libc6-dev openssl ca-certificates)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing system packages: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq </dev/null || { echo "apt-get update failed"; echo "0 passed, 1 failed"; exit 1; }
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null \
    || { echo "apt-get install failed"; echo "0 passed, 1 failed"; exit 1; }
fi
# Debian starts a system PostgreSQL cluster on install; the tests run their own on loopback.
# Debian also starts a system ejabberd on install (5222, 5269, 5280, …). The tests run their own on
# free loopback ports without Erlang distribution (scripts/stack/ejabberd.ts), so the system one is
# only in the way: stop it, and keep it from starting at boot where systemd runs.
if pgrep -u ejabberd -f 'beam.*ejabberd' >/dev/null 2>&1; then
  echo "== stopping the system ejabberd started by its package"
  sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  if [ -d /run/systemd/system ]; then
    "${sudo_cmd[@]}" systemctl disable --now ejabberd >/dev/null 2>&1
  else
    "${sudo_cmd[@]}" service ejabberd stop >/dev/null 2>&1 || "${sudo_cmd[@]}" ejabberdctl stop >/dev/null 2>&1
  fi
fi

# 2. Node packages, exactly as locked. The Electron binary cannot be downloaded on every machine
#    (CI has only the npm registry); the electron Playwright project skips where it is missing.
export ELECTRON_SKIP_BINARY_DOWNLOAD=1
echo "== npm ci"
npm ci --no-audit --no-fund </dev/null >.npm-ci.log 2>&1 || { tail -40 .npm-ci.log; echo "0 passed, 1 failed"; exit 1; }

# 3. Everything else runs in a private D-Bus session with a throwaway unlocked keyring.
exec dbus-run-session -- bash scripts/test-in-keyring.sh
