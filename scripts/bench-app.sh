#!/usr/bin/env bash
# App benchmark: cold start to an interactive unlock screen and memory after a full screening, in
# the real window under Xvfb, and the size of the .deb the Tauri bundler builds offline.
#   bash scripts/bench-app.sh           # release build and .deb (made here if missing or stale)
#   bash scripts/bench-app.sh --smoke   # the debug app `make app` builds; the .deb if one exists
# Figures are printed and appended to FIELDSCREEN_BENCH_OUT (see scripts/bench.py).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
SMOKE=""
[ "${1:-}" = "--smoke" ] && SMOKE="--smoke"

TAURI_CLI_VERSION=2.12.5
TAURI=target/tools/tauri-cli/node_modules/.bin/tauri
if [ -z "$SMOKE" ]; then
  if [ ! -x "$TAURI" ] || [ "$("$TAURI" --version)" != "tauri-cli $TAURI_CLI_VERSION" ]; then
    mkdir -p target/tools/tauri-cli
    [ -f target/tools/tauri-cli/package.json ] || echo '{"private": true}' > target/tools/tauri-cli/package.json
    (cd target/tools/tauri-cli && npm install --no-audit --no-fund --silent "@tauri-apps/cli@$TAURI_CLI_VERSION")
  fi
  # The release app and its .deb, built offline by the Tauri bundler (cargo skips it when fresh).
  "$TAURI" build --ci --bundles deb >&2
  export FIELDSCREEN_APP="$PWD/target/release/fieldscreen-app"
else
  export FIELDSCREEN_APP="$PWD/target/debug/fieldscreen-app"
fi
[ -x "$FIELDSCREEN_APP" ] || { echo "bench-app: $FIELDSCREEN_APP is not built (make app)" >&2; exit 1; }

echo "app benchmark${SMOKE:+ (smoke: one run each)}: $FIELDSCREEN_APP"
DEB="$(ls -t target/release/bundle/deb/*.deb 2>/dev/null | head -1 || true)"
if [ -n "$DEB" ]; then
  bytes=$(stat -c %s "$DEB")
  python3 - "$bytes" "$DEB" "$SMOKE" <<'PY'
import json, os, sys
mib = int(sys.argv[1]) / 1048576
smoke = bool(sys.argv[3])
print(f"  {'.deb package size (Tauri bundler, offline)':<58} {mib:>12.2f} MiB   at most 25 MiB         {'(smoke run: not a measurement)' if smoke else ('met' if mib <= 25 else 'NOT met')}")
out = os.environ.get("FIELDSCREEN_BENCH_OUT")
if out:
    with open(out, "a") as f:
        f.write(json.dumps({"figure": ".deb package size (Tauri bundler, offline)", "value": mib, "unit": "MiB", "goal": 25, "better": "lower", "met": mib <= 25, "note": os.path.basename(sys.argv[2]), "smoke": smoke}) + "\n")
PY
else
  echo "  .deb package size: no .deb built yet (make bench builds one)"
fi

export WEBKIT_DISABLE_COMPOSITING_MODE=1 WEBKIT_DISABLE_DMABUF_RENDERER=1 LIBGL_ALWAYS_SOFTWARE=1
export GTK_THEME="${GTK_THEME:-Adwaita:dark}" E2E_PORT="${E2E_PORT:-4454}"
FIELDSCREEN_DATA_DIR="$(mktemp -d -t fieldscreen-bench-XXXXXX)"
export FIELDSCREEN_DATA_DIR
trap 'rm -rf "$FIELDSCREEN_DATA_DIR"' EXIT
xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- node scripts/bench-app.mjs $SMOKE
