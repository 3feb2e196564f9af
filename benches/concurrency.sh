#!/usr/bin/env bash
# What concurrency buys: 400 demo images behind 250 ms of latency per request, fetched at
# concurrency 1, 4, 16 and 64, against the ideal ceil(400/C) x 0.25 s; the same through the
# API on a page of albums that each need their own request. Then, with no
# latency, how many images a second one core saves and thumbnails.
#
# Usage: bash benches/concurrency.sh      (SKIP_BUILD=1 to use the existing release build)
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/common.sh
build_galley

IMAGES=400
start_demo "$IMAGES" 250
echo "galley fetch --urls (thumbnails on), $IMAGES images, 250 ms latency per request"
printf '%-12s %10s %10s %8s %8s\n' concurrency seconds ideal ratio saved
for c in 1 4 16 64; do
    s=$(seconds_of "$GALLEY" fetch --urls "$WORK/urls.txt" --out "$WORK/out" --no-archive --concurrency "$c" --json)
    ideal=$(echo "(($IMAGES + $c - 1) / $c) * 0.25" | bc)
    printf '%-12s %10.2f %10.2f %8.2f %8s\n' "$c" "$s" "$ideal" "$(echo "$s / $ideal" | bc -l)" "$(files_in_out)"
done

# Through the API: one gallery page of 60 albums without inline images (4 images each),
# so each album needs its own request. The page comes first, then the album lists (C API
# requests at once, apart from the C downloads), and an image can start only after its
# album answered. Bound: 0.25 + 0.25 + ceil(240/C) x 0.25 s.
ALBUM_IMAGES=240
start_demo "$ALBUM_IMAGES" 250 --album-size 4
warm_api
echo
echo "galley fetch through the API (thumbnails on), 60 albums x 4 images listed without inline images, 250 ms per request"
printf '%-12s %10s %10s %8s %8s\n' concurrency seconds bound ratio saved
for c in 1 4 16 64; do
    s=$(seconds_of api_fetch "$c")
    bound=$(echo "0.5 + (($ALBUM_IMAGES + $c - 1) / $c) * 0.25" | bc)
    printf '%-12s %10.2f %10.2f %8.2f %8s\n' "$c" "$s" "$bound" "$(echo "$s / $bound" | bc -l)" "$(files_in_out)"
done

start_demo "$IMAGES" 0
cores=$(nproc)
echo
echo "no latency, loopback, $cores cores: images saved and thumbnailed per second"
printf '%-12s %10s %12s %16s\n' concurrency seconds images/s images/s/core
for c in 16 64; do
    s=$(best_of 3 "$GALLEY" fetch --urls "$WORK/urls.txt" --out "$WORK/out" --no-archive --concurrency "$c" --json)
    rate=$(echo "$IMAGES / $s" | bc -l)
    printf '%-12s %10.2f %12.0f %16.0f\n' "$c" "$s" "$rate" "$(echo "$rate / $cores" | bc -l)"
done
