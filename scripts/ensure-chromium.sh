#!/usr/bin/env bash
# Make Debian's Chromium (and an emoji font, so verdict icons render in screenshots) available
# for the real-browser tests: Playwright drives it, since its own browser download is not
# possible here. Without root or sudo it explains and carries on: the browser tests then
# skip, except in CI (KB_REQUIRE_BROWSER=1), where they fail.
set -u
EMOJI_FONT=/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf
chromium=""
for candidate in "${CHROMIUM:-}" /usr/bin/chromium /usr/bin/chromium-browser; do
  if [ -n "$candidate" ] && [ -x "$candidate" ]; then chromium=$candidate; break; fi
done
need=()
[ -n "$chromium" ] || need+=(chromium)
[ -f "$EMOJI_FONT" ] || need+=(fonts-noto-color-emoji)
if [ ${#need[@]} -eq 0 ]; then
  echo "chromium: $chromium"
  exit 0
fi
if [ "$(id -u)" = "0" ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO="sudo -n"
else
  echo "chromium: missing ${need[*]} and no root/sudo to install; browser tests may skip." >&2
  echo "          install with: sudo apt-get install -y ${need[*]}" >&2
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium: no apt-get here; install Chromium and set CHROMIUM=/path/to/chromium." >&2
  exit 0
fi
echo "chromium: installing ${need[*]} from Debian..."
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq && $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
if [ -x /usr/bin/chromium ] || [ -n "$chromium" ]; then
  echo "chromium: ${chromium:-/usr/bin/chromium}"
else
  echo "chromium: installation failed; browser tests will be skipped (or fail in CI)." >&2
fi
exit 0
