#!/usr/bin/env bash
# Screenshots of the real app window under Xvfb, taken during the end-to-end walk, into
# docs/screenshots/. Needs ImageMagick's `import`; installs it when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v import >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends imagemagick
fi
SCREENSHOTS=docs/screenshots bash scripts/e2e.sh
