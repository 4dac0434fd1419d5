#!/usr/bin/env bash
# Runs the end-to-end walk in the real app window under Xvfb. Needs the app built
# (make e2e builds it). SCREENSHOTS=DIR saves what the officer sees along the way.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
# WebKitGTK under Xvfb: software rendering, no compositing (paints blank otherwise on some machines).
export WEBKIT_DISABLE_COMPOSITING_MODE=1 WEBKIT_DISABLE_DMABUF_RENDERER=1 LIBGL_ALWAYS_SOFTWARE=1
exec xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- node scripts/e2e.mjs
