#!/usr/bin/env bash
# Make Debian's Chromium available for the real-browser tests (Playwright drives it; its own
# browser download is not possible here). Without root or sudo it explains and carries on:
# the browser tests then skip, except in CI (KB_REQUIRE_BROWSER=1), where they fail.
set -u
for candidate in "${CHROMIUM:-}" /usr/bin/chromium /usr/bin/chromium-browser; do
  if [ -n "$candidate" ] && [ -x "$candidate" ]; then
    echo "chromium: $candidate"
    exit 0
  fi
done
if [ "$(id -u)" = "0" ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO="sudo -n"
else
  echo "chromium: not installed and no root/sudo to install it; browser tests will be skipped." >&2
  echo "          install it with: sudo apt-get install -y chromium" >&2
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium: no apt-get here; install Chromium and set CHROMIUM=/path/to/chromium." >&2
  exit 0
fi
echo "chromium: installing Debian's chromium package..."
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq && $SUDO apt-get install -y -qq chromium >/dev/null
if [ -x /usr/bin/chromium ]; then
  echo "chromium: /usr/bin/chromium"
else
  echo "chromium: installation failed; browser tests will be skipped (or fail in CI)." >&2
fi
exit 0
