#!/usr/bin/env bash
# Measures galley's start-up: the time from exec to the first frame with content on
# screen, under Xvfb, over RUNS runs (default 10), and prints each run, the median and the
# max. scripts/startup_probe.py does the timing (python-xlib polling the X server every
# millisecond for the window, then for drawn content in it). Installs Xvfb and
# python3-xlib with apt-get when missing.
#
# Usage: bash scripts/startup.sh [BINARY [ARGS...]]
#        default: target/release/galley --demo, with a fresh HOME whose Pictures/galley-demo
#        holds FOLDER_IMAGES (default 400) demo images and whose archive holds one run, so
#        the folder scan and the archive open have real work. Env: RUNS, DISPLAY_NUM (95),
#        SKIP_BUILD=1 to use the existing release build.
set -euo pipefail
cd "$(dirname "$0")/.."

runs="${RUNS:-10}"
display=":${DISPLAY_NUM:-95}"
if [ "$#" -eq 0 ]; then
    [ -n "${SKIP_BUILD:-}" ] || cargo build --release --locked --quiet
    set -- target/release/galley --demo
fi
# shellcheck source=scripts/xvfb-home.sh
source scripts/xvfb-home.sh
export HOME="$home" XDG_CONFIG_HOME="$home/.config" XDG_DATA_HOME="$home/.local/share" \
    DISPLAY="$display" WAYLAND_DISPLAY= LIBGL_ALWAYS_SOFTWARE=1

# A folder and a history to open, as a person who has used galley has.
images="${FOLDER_IMAGES:-400}"
if [ "$images" -gt 0 ]; then
    "$1" fetch --demo --demo-images "$images" --out "$home/Pictures/galley-demo" --no-thumbnails --json > /dev/null 2>&1
fi

# python-xlib from Debian: the system python3, not a virtualenv's.
/usr/bin/python3 scripts/startup_probe.py "$runs" "$@"
