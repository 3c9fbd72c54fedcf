#!/usr/bin/env bash
# Make sure the browser tests have a Chromium (and an emoji font, so page icons render in screenshots).
#
# As root on Debian/Ubuntu: apt-get install Debian's `chromium` when none is on PATH, plus
# fonts-noto-color-emoji. Otherwise: Playwright's own build (`playwright install chromium`), which
# tests/browser/conftest.py finds when no `chromium` is on PATH. Does nothing when all is in place.
#
# Usage: scripts/install_chromium.sh [path/to/playwright]   (default .venv/bin/playwright)
set -euo pipefail

playwright="${1:-.venv/bin/playwright}"

is_installed() {
    dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null | grep -qx installed
}

missing=()
command -v chromium >/dev/null || missing+=(chromium)

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    is_installed fonts-noto-color-emoji || missing+=(fonts-noto-color-emoji)
    if [ ${#missing[@]} -gt 0 ]; then
        echo "Installing ${missing[*]} for the browser tests (apt-get)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q
        apt-get install -y -q "${missing[@]}"
    fi
elif [ ${#missing[@]} -gt 0 ]; then
    echo "No chromium on PATH and not root: installing Playwright's Chromium"
    "$playwright" install chromium
fi
