# Shared by the benchmark scripts: build once, start and stop a demo server, time commands.
# Everything runs on 127.0.0.1 only.

GALLEY="${GALLEY:-target/release/galley}"
# Files land on tmpfs when there is one, for every tool alike: this VM's disk throttles
# writeback unpredictably (a 1,000-file run varied 0.4-1.0 s on ext4). BENCH_DIR=/tmp
# measures on disk instead.
if [ -z "${BENCH_DIR:-}" ]; then
    BENCH_DIR=/tmp
    [ -d /dev/shm ] && [ -w /dev/shm ] && BENCH_DIR=/dev/shm
fi
WORK="$(mktemp -d -p "$BENCH_DIR" galley-bench-XXXXXX)"
SERVER_PID=""

build_galley() {
    # libjpeg-turbo (thumbnails) is built with its SIMD code only when nasm is present.
    if ! command -v nasm > /dev/null; then
        local sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
        $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nasm
        cargo clean --release -p mozjpeg-sys
    fi
    if [ -z "${SKIP_BUILD:-}" ]; then
        cargo build --release --quiet
    fi
}

# start_demo IMAGES LATENCY_MS [DEMO-SERVER OPTIONS...]: starts `galley demo-server` and
# sets BASE to its address.
start_demo() {
    stop_demo
    "$GALLEY" demo-server --port 0 --images "$1" --latency-ms "$2" "${@:3}" > "$WORK/server.out" &
    SERVER_PID=$!
    for _ in $(seq 1 200); do
        BASE="$(sed -n 's/^listening on //p' "$WORK/server.out" | head -n1)"
        [ -n "$BASE" ] && break
        sleep 0.05
    done
    [ -n "$BASE" ] || { echo "demo server did not start" >&2; exit 1; }
    curl -fsS "$BASE/urls.txt" > "$WORK/urls.txt"
    # The demo paints each picture on first request; fetch everything once so timed runs
    # measure transfers, not painting.
    "$GALLEY" fetch --urls "$WORK/urls.txt" --out "$WORK/warm" --no-archive --no-thumbnails \
        --concurrency 64 --json > /dev/null 2>&1 || true
    rm -rf "$WORK/warm"
}

stop_demo() {
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=""
    fi
}

cleanup() {
    stop_demo
    rm -rf "$WORK"
}
trap cleanup EXIT

now() { date +%s.%N; }

# seconds_of COMMAND...: runs it into a fresh $WORK/out and prints the wall-clock seconds.
seconds_of() {
    rm -rf "$WORK/out" && mkdir -p "$WORK/out"
    local start end
    start=$(now)
    "$@" > "$WORK/last.log" 2>&1 || { echo "failed: $*" >&2; tail -5 "$WORK/last.log" >&2; }
    end=$(now)
    echo "$end - $start" | bc -l
}

# best_of N COMMAND...: the fastest of N runs, in seconds.
best_of() {
    local n=$1 best="" s
    shift
    for _ in $(seq 1 "$n"); do
        s=$(seconds_of "$@")
        if [ -z "$best" ] || [ "$(echo "$s < $best" | bc -l)" = 1 ]; then best=$s; fi
    done
    echo "$best"
}

files_in_out() { find "$WORK/out" -maxdepth 1 -type f ! -name '.*' | wc -l; }

# warm_api: lists the demo's gallery once through its API, so the pictures its pages
# describe (videos and animated GIFs too) are painted before any timed run.
warm_api() {
    IMGUR_CLIENT_ID=demo "$GALLEY" fetch --api-base "$BASE" --source hot/viral/day --pages 1000 \
        --out "$WORK/warm" --no-archive --no-thumbnails --concurrency 64 --json > /dev/null 2>&1 || true
    rm -rf "$WORK/warm"
}

# api_fetch CONCURRENCY [OPTIONS...]: `galley fetch` listing the demo's gallery through its
# API (every page, every album), as a user's run does, into $WORK/out.
api_fetch() {
    local c=$1
    shift
    IMGUR_CLIENT_ID=demo "$GALLEY" fetch --api-base "$BASE" --source hot/viral/day --pages 1000 \
        --out "$WORK/out" --no-archive --concurrency "$c" --json "$@"
}
