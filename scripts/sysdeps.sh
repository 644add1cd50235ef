#!/usr/bin/env bash
# System packages the portal needs on a fresh Debian/Ubuntu machine:
#   fonts-wqy-microhei  CJK glyphs for PDF reports (TrueType, fast to subset)
#   gettext             compilemessages for the zh-hans/en translations
#   poppler-utils       pdftoppm/pdftotext, to look at rendered reports
#   chromium            headless browser for the accessibility and browser tests
#   libpango-1.0-0 libpangoft2-1.0-0  WeasyPrint's text layout
#   libharfbuzz-subset0 fast font subsetting for PDFs (else a 4x slower fallback)
#   wrk                 HTTP load generator for bench/load_bench.py
set -euo pipefail
PACKAGES=(fonts-wqy-microhei gettext poppler-utils chromium libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 wrk)
missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing system packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "Please install as root: apt-get install -y ${missing[*]}" >&2; exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fc-cache -f >/dev/null 2>&1 || true
