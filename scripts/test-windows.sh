#!/usr/bin/env bash
# Runs galley's test suite built for Windows under Wine, and says which tests pass.
#
# Cross-builds the tests for x86_64-pc-windows-gnu, runs each test binary under Wine
# (cargo's runner, scripts/wine-runner.sh) in a throwaway Wine prefix, and prints one line
# per binary: passed, failed, ignored. Debian 12's Wine 8 lacks bcryptprimitives.dll
# (ProcessPrng, which Rust's std calls; Windows 10 and later have it), so a stand-in built
# with mingw goes into the throwaway prefix: for testing only, never shipped.
# Installs what it needs when missing (the Rust target, mingw-w64, wine).
# Usage: bash scripts/test-windows.sh [cargo test filters...]   e.g. --test it cli::
set -euo pipefail
cd "$(dirname "$0")/.."

target=x86_64-pc-windows-gnu
sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
rustup target list --installed | grep -qx "$target" || rustup target add "$target"
if ! command -v x86_64-w64-mingw32-gcc > /dev/null || ! command -v wine64 > /dev/null; then
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq mingw-w64 wine wine64
fi
command -v wine64 > /dev/null || export PATH="$PATH:/usr/lib/wine"

WINEPREFIX="$(mktemp -d -t galley-wine-XXXXXX)"
export WINEPREFIX
trap 'wineserver -k 2> /dev/null || true; rm -rf "$WINEPREFIX"' EXIT
WINEDEBUG=-all wineboot -i > /dev/null 2>&1 || true
stub="$(mktemp -d)"
printf '#include <windows.h>\n#include <ntsecapi.h>\nBOOL WINAPI ProcessPrng(PBYTE d, SIZE_T n) { return RtlGenRandom(d, (ULONG)n); }\n' > "$stub/bcp.c"
printf 'LIBRARY bcryptprimitives\nEXPORTS\nProcessPrng\n' > "$stub/bcp.def"
x86_64-w64-mingw32-gcc -shared -o "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" \
    "$stub/bcp.c" "$stub/bcp.def" -ladvapi32
rm -rf "$stub"

export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER="$PWD/scripts/wine-runner.sh"
log="$(mktemp)"
set +e
cargo test --locked --target "$target" --no-fail-fast "$@" > "$log" 2>&1
status=$?
set -e
echo "== test binaries under Wine (full log: $log)"
# "Running tests/cli.rs (...)" then its "test result:" line.
awk '/^ *Running /{name=$2} /^test result:/{print name": "$0}' "$log"
grep -E "^test .* FAILED$|^---- " "$log" | sort -u || true
exit $status
