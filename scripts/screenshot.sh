#!/usr/bin/env bash
# Takes assets/screenshot.png: the real galley window on the demo gallery, under Xvfb.
# Installs the X server and tools with apt-get when missing.
#
# Usage: bash scripts/screenshot.sh      (SKIP_BUILD=1 to use the existing release build)
set -euo pipefail
cd "$(dirname "$0")/.."

[ -n "${SKIP_BUILD:-}" ] || cargo build --release --quiet

display=":${DISPLAY_NUM:-91}"
# shellcheck source=scripts/xvfb-home.sh
source scripts/xvfb-home.sh

# A fresh HOME keeps the user's settings, Client-ID and history out of the picture; the
# demo run starts by itself and downloads into the fresh home's Pictures/galley-demo.
HOME="$home" XDG_CONFIG_HOME="$home/.config" XDG_DATA_HOME="$home/.local/share" \
    DISPLAY="$display" WAYLAND_DISPLAY= GALLEY_DEMO_AUTOSTART=1 LIBGL_ALWAYS_SOFTWARE=1 \
    target/release/galley --demo > "$home/app.log" 2>&1 &
app_pid=$!

for _ in $(seq 1 100); do
    DISPLAY="$display" xdotool search --name '^galley$' > /dev/null 2>&1 && break
    sleep 0.2
done
# Wait for the demo run to save all its images (120, into the fresh home's
# Pictures/galley-demo), then a little longer for the grid and the runs table to catch up.
folder="$home/Pictures/galley-demo"
for _ in $(seq 1 120); do
    count="$(find "$folder" -maxdepth 1 -type f ! -name '.*' 2> /dev/null | wc -l)"
    [ "$count" -ge 120 ] && break
    sleep 0.5
done
sleep "${SHOT_DELAY:-3}"
window="$(DISPLAY="$display" xdotool search --name '^galley$' | head -n1)"
# Rest the pointer on a thumbnail so the picture shows its hover card too.
DISPLAY="$display" xdotool mousemove 640 540
sleep 1
DISPLAY="$display" import -window "${window:-root}" assets/screenshot.png
echo "wrote assets/screenshot.png"
