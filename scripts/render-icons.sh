#!/usr/bin/env bash
# Renders galley's app icon from its SVG sources into the PNGs in assets/icon/ (the window
# icon, the desktop entry's and the package's). 16 and 24 px come from galley-small.svg,
# which drops the detail that blurs at a few pixels; the rest from galley.svg.
# Installs rsvg-convert (librsvg2-bin) with apt-get when missing.
#
# Usage: bash scripts/render-icons.sh
set -euo pipefail
cd "$(dirname "$0")/../assets/icon"

if ! command -v rsvg-convert > /dev/null; then
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq librsvg2-bin
fi

for size in 16 24; do
    rsvg-convert --width "$size" --height "$size" galley-small.svg --output "galley-$size.png"
done
for size in 32 48 64 128 256 512; do
    rsvg-convert --width "$size" --height "$size" galley.svg --output "galley-$size.png"
done
# Windows' icon (galley.exe, the installer, the Start-menu entry): every size up to 256,
# the largest stored as PNG (icotool from icoutils).
icotool -c -o galley.ico galley-16.png galley-24.png galley-32.png galley-48.png galley-64.png galley-128.png \
    -r galley-256.png
ls -l galley-*.png galley.ico
