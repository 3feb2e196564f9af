# Sourced by the scripts that run galley's window headless (screenshot.sh, startup.sh):
# installs the X server and tools with apt-get when missing, starts Xvfb on $display, and
# makes a fresh $home (so the user's settings, Client-ID and history stay out). Both are
# removed on exit, with the app if $app_pid is set.
packages="xvfb xdotool imagemagick python3-xlib libgl1-mesa-dri libegl1 libxkbcommon-x11-0 libxcursor1 libxrandr2 libxi6"
if ! command -v Xvfb > /dev/null || ! command -v xdotool > /dev/null || ! command -v import > /dev/null \
    || ! /usr/bin/python3 -c 'import Xlib' 2> /dev/null; then
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
    $sudo apt-get update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $packages
fi

home="$(mktemp -d -t galley-home-XXXXXX)"
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
