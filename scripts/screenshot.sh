#!/usr/bin/env bash
# Takes assets/screenshot.png: the real galley window on the demo gallery, under Xvfb.
# Installs the X server and tools with apt-get when missing.
#
# Usage: bash scripts/screenshot.sh      (SKIP_BUILD=1 to use the existing release build)
set -euo pipefail
cd "$(dirname "$0")/.."

packages="xvfb xdotool imagemagick libgl1-mesa-dri libegl1 libxkbcommon-x11-0 libxcursor1 libxrandr2 libxi6"
if ! command -v Xvfb > /dev/null || ! command -v xdotool > /dev/null || ! command -v import > /dev/null; then
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
    $sudo apt-get update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $packages
fi
[ -n "${SKIP_BUILD:-}" ] || cargo build --release --quiet

display=":91"
home="$(mktemp -d -t galley-shot-XXXXXX)"
Xvfb "$display" -screen 0 1400x900x24 > /dev/null 2>&1 &
xvfb_pid=$!
app_pid=""
cleanup() {
    [ -n "$app_pid" ] && kill "$app_pid" 2> /dev/null || true
    kill "$xvfb_pid" 2> /dev/null || true
    rm -rf "$home"
}
trap cleanup EXIT
sleep 1

# A fresh HOME keeps the user's settings, Client-ID and history out of the picture; the
# demo run starts by itself and downloads into the fresh home's Pictures/galley.
HOME="$home" XDG_CONFIG_HOME="$home/.config" XDG_DATA_HOME="$home/.local/share" \
    DISPLAY="$display" WAYLAND_DISPLAY= GALLEY_DEMO_AUTOSTART=1 LIBGL_ALWAYS_SOFTWARE=1 \
    target/release/galley --demo > "$home/app.log" 2>&1 &
app_pid=$!

for _ in $(seq 1 100); do
    DISPLAY="$display" xdotool search --name '^galley$' > /dev/null 2>&1 && break
    sleep 0.2
done
# Let the demo run finish so the grid is full and the runs table has its row.
sleep "${SHOT_DELAY:-12}"
window="$(DISPLAY="$display" xdotool search --name '^galley$' | head -n1)"
DISPLAY="$display" import -window "${window:-root}" assets/screenshot.png
echo "wrote assets/screenshot.png"
