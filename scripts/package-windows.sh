#!/usr/bin/env bash
# Builds galley for 64-bit Windows on Linux and packages it:
#
#   target/windows/galley-VERSION-windows-x86_64.zip   portable: galley.exe (the window
#       program), galley.com (the console build, which `galley ...` typed in a shell runs),
#       README.md, LICENSE.txt
#   target/windows/galley-VERSION-setup.exe            NSIS installer (64-bit): Program
#       Files, a Start-menu entry, the uninstaller in Apps and Features; /S is silent
#
# Cross-builds the `dist` profile with mingw-w64 (the icon and version information are
# embedded by build.rs) and checks the exe's resources with wrestool. Installs what it
# needs when missing: the Rust target (rustup), mingw-w64, nsis, zip and icoutils (apt-get).
# Usage: bash scripts/package-windows.sh   PROFILE=dist (default) or release;
#                                           SKIP_BUILD=1 reuses the last build
set -euo pipefail
cd "$(dirname "$0")/.."

target=x86_64-pc-windows-gnu
profile="${PROFILE:-dist}"
sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo

rustup target list --installed | grep -qx "$target" || rustup target add "$target"
if ! command -v x86_64-w64-mingw32-gcc > /dev/null || ! command -v makensis > /dev/null \
    || ! command -v zip > /dev/null || ! command -v wrestool > /dev/null; then
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq mingw-w64 nsis zip icoutils
fi

if [ -z "${SKIP_BUILD:-}" ]; then
    cargo build --locked --profile "$profile" --target "$target" --features windows-console --bins
fi
built="${CARGO_TARGET_DIR:-target}/$target/$profile"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)

out=target/windows
stage="$out/galley-$version-windows-x86_64"
rm -rf "$stage"
mkdir -p "$stage"
cp "$built/galley.exe" "$stage/galley.exe"
cp "$built/galley-console.exe" "$stage/galley.com"
cp README.md packaging/windows/LICENSE.txt assets/icon/galley.ico "$stage/"

# The exe must carry its icon and version (what Explorer and the taskbar show).
resources=$(wrestool -l "$stage/galley.exe")
grep -q "type=14" <<< "$resources" || { echo "galley.exe has no icon" >&2; exit 1; }
grep -q "type=16" <<< "$resources" || { echo "galley.exe has no version information" >&2; exit 1; }

zip_file="$out/galley-$version-windows-x86_64.zip"
rm -f "$zip_file"
(cd "$out" && zip -q -r "$(basename "$zip_file")" "$(basename "$stage")" -x '*/galley.ico')

setup="$out/galley-$version-setup.exe"
makensis -V2 -DVERSION="$version" -DSTAGE="$(realpath "$stage")" -DOUTFILE="$(realpath -m "$setup")" \
    packaging/windows/galley.nsi

ls -l "$zip_file" "$setup"
