#!/usr/bin/env bash
# Installs what Fieldscreen needs to build, run and test, skipping what is present.
# Safe to run again: it only installs missing packages.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential pkg-config file libssl-dev
  libwebkit2gtk-4.1-dev librsvg2-dev libayatana-appindicator3-dev
  webkit2gtk-driver xvfb xauth dbus dbus-x11 age
  sqlite3 python3-venv chromium imagemagick espeak-ng
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "bootstrap: system packages present"
fi

# tauri-driver drives the real app window in the end-to-end test (with Debian's WebKitWebDriver).
if ! command -v tauri-driver >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/tauri-driver" ]; then
  echo "bootstrap: cargo install tauri-driver"
  cargo install tauri-driver --version '^2' --locked
fi

# An independent SQLCipher client (Python sqlcipher3, from PyPI) for the vault's interop test.
VENV=target/tools/sqlcipher-venv
if ! "$VENV/bin/python" -c "import sqlcipher3" >/dev/null 2>&1; then
  echo "bootstrap: sqlcipher3 in $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "sqlcipher3==0.6.4"
fi

# UI dependencies, from the lock file; skipped when node_modules matches the lock.
if [ -f ui/package-lock.json ]; then
  if [ ! -f ui/node_modules/.package-lock.json ] || ! cmp -s ui/package-lock.json ui/node_modules/.fieldscreen-lock; then
    echo "bootstrap: npm ci in ui/"
    (cd ui && npm ci --no-audit --no-fund && cp package-lock.json node_modules/.fieldscreen-lock)
  else
    echo "bootstrap: ui/node_modules up to date"
  fi
fi
