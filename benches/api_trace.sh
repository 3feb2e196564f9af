#!/usr/bin/env bash
# Where the time of a run through the API goes: when each page, album and image request
# starts and ends, seen on the wire (tcpdump on the loopback) so the build under test needs
# no instrumenting. Prints the page and album requests, then every 0.125 s how many image
# downloads and API requests were open and how many images had started.
#
# Usage: bash benches/api_trace.sh [IMAGES] [CONCURRENCY] [DEMO-SERVER OPTIONS...]
#        (defaults 400 and 64; SKIP_BUILD=1 to use the existing release build; needs root
#        for tcpdump, installed with apt-get when missing)
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/common.sh
IMAGES=${1:-400}
C=${2:-64}
if ! command -v tcpdump > /dev/null; then
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq tcpdump
fi
build_galley
start_demo "$IMAGES" 250 "${@:3}"
warm_api
port=${BASE##*:}
tcpdump -i lo -nn -tt -l -A -s 400 "tcp port $port" > "$WORK/dump.txt" 2> /dev/null &
dump=$!
sleep 1
s=$(seconds_of api_fetch "$C" --no-thumbnails)
sleep 0.5
kill "$dump"; wait "$dump" 2> /dev/null || true
echo "galley fetch through the API, $IMAGES images, concurrency $C, no thumbnails: $s s ($(files_in_out) saved)"
# A request is the `GET /path` a client port sends; its end is the next `HTTP/1.1` the
# server sends back to that port (one request at a time on a connection).
awk -v port="$port" '
    function kind(path) { return path ~ /^\/3\/gallery/ ? "page" : path ~ /^\/3\/album/ ? "album" : "image" }
    match($0, /^[0-9]+\.[0-9]+ IP [0-9.]+\.[0-9]+ > [0-9.]+\.[0-9]+:/) {
        split($0, f, " "); ts = f[1]; n = split(f[3], a, "."); src = a[n]; n = split(f[5], b, "."); dst = b[n]
        sub(/:$/, "", dst); next
    }
    ts != "" && dst == port && (i = index($0, "GET /")) {
        path = substr($0, i + 4); sub(/ .*/, "", path)
        r = ++count; start[r] = ts; what[r] = path; queue[src] = queue[src] " " r; ts = ""; next
    }
    ts != "" && src == port && index($0, "HTTP/1.1 ") {
        split(queue[dst], q, " "); r = q[1]; sub(/^ *[0-9]+/, "", queue[dst])
        if (r != "") finish[r] = ts
        ts = ""; next
    }
    END {
        t0 = 1e18; last = 0
        for (r = 1; r <= count; r++) { if (start[r] < t0) t0 = start[r]; if (finish[r] > last) last = finish[r] }
        for (r = 1; r <= count; r++) if (kind(what[r]) != "image" && finish[r] != "")
            printf "%-5s %6.3f -> %6.3f  %s\n", kind(what[r]), start[r] - t0, finish[r] - t0, what[r]
        for (t = 0; t <= last - t0 + 0.01; t += 0.125) {
            open_images = 0; started = 0; open_api = 0
            for (r = 1; r <= count; r++) {
                if (finish[r] == "") continue
                at = start[r] - t0; to = finish[r] - t0; open = at <= t && t < to
                if (kind(what[r]) == "image") { open_images += open; started += at <= t } else open_api += open
            }
            printf "t=%5.3f  images open %3d, started %4d;  API requests open %3d\n", t, open_images, started, open_api
        }
        printf "last answer at %.3f s\n", last - t0
    }' "$WORK/dump.txt"
