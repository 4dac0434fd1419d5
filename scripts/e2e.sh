#!/usr/bin/env bash
# Runs the end-to-end walks in the real app window under Xvfb (training, then the officer's). Needs the app built
# (make e2e builds it). SCREENSHOTS=DIR saves what the officer sees along the way.
# Each run starts at first-run setup in a fresh data folder (FIELDSCREEN_DATA_DIR), removed after.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
# WebKitGTK under Xvfb: software rendering, no compositing (paints blank otherwise on some machines).
export WEBKIT_DISABLE_COMPOSITING_MODE=1 WEBKIT_DISABLE_DMABUF_RENDERER=1 LIBGL_ALWAYS_SOFTWARE=1
# A dark system theme, as on an officer's device at night (the UI follows prefers-color-scheme).
export GTK_THEME="${GTK_THEME:-Adwaita:dark}"
FIELDSCREEN_DATA_DIR="$(mktemp -d -t fieldscreen-e2e-XXXXXX)"
export FIELDSCREEN_DATA_DIR
E2E_TMP="$(mktemp -d -t fieldscreen-e2e-unit-XXXXXX)"
E2E_LANG_DIR="$(mktemp -d -t fieldscreen-e2e-lang-XXXXXX)"
trap 'rm -rf "$FIELDSCREEN_DATA_DIR" "$E2E_TMP" "$E2E_LANG_DIR"' EXIT
run() { xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- node "$@"; }
# Training first, on a fresh folder: it must need no secret and leave the folder empty.
run scripts/e2e-training.mjs

# Language access on a device of its own: Arabic and Chinese read aloud in the hand-over view,
# axe on the pickers and the hand-over view in every shipped language.
FIELDSCREEN_DATA_DIR="$E2E_LANG_DIR" run scripts/e2e-languages.mjs

# The officer's walk runs with a unit custodian in the policy, so that it can export a case bundle
# and open it with Debian's age and the custodian's identity.
age-keygen -o "$E2E_TMP/custodian.txt" 2>"$E2E_TMP/keygen.txt"
CUSTODIAN_KEY="$(sed -n 's/^Public key: //p' "$E2E_TMP/keygen.txt")"
[ -n "$CUSTODIAN_KEY" ] || { echo "e2e: age-keygen printed no public key" >&2; exit 1; }
cp -r screening-protocols "$E2E_TMP/protocols"
printf '\n[[policy.recipients]]\nname = "Trafficking unit custodian"\nage = "%s"\n' "$CUSTODIAN_KEY" \
  >>"$E2E_TMP/protocols/policy/default.toml"
export FIELDSCREEN_PROTOCOLS="$E2E_TMP/protocols"
export FIELDSCREEN_E2E_IDENTITY="$E2E_TMP/custodian.txt"
export FIELDSCREEN_E2E_EXPORT="$E2E_TMP/case-bundle.age"
run scripts/e2e.mjs
