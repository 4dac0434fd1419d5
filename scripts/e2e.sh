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
trap 'rm -rf "$FIELDSCREEN_DATA_DIR"' EXIT
run() { xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- node "$@"; }
# Training first, on a fresh folder: it must need no secret and leave the folder empty.
run scripts/e2e-training.mjs
run scripts/e2e.mjs
