#!/usr/bin/env bash
# Builds galley's Debian package with cargo-deb and checks what it holds.
#
#   1. the binary, built with the dist profile (or $PROFILE);
#   2. from it, the manual pages and the bash/zsh/fish completions (generated from the
#      same clap definitions as the parser) into target/packaging/;
#   3. the desktop entry and AppStream metainfo checked by desktop-file-validate and
#      appstreamcli;
#   4. `cargo deb --no-build`, then its file list (`dpkg-deb -c`) compared with
#      packaging/contents.txt.
#
# Installs cargo-deb (from crates.io) and the checkers (apt-get) when missing.
# Usage: bash scripts/package.sh   PROFILE=dist (default; Cargo.toml says why) or release;
#                                   SKIP_BUILD=1 reuses target/$PROFILE/galley;
#                                   INSTALL=1 also installs the package with apt and runs
#                                   /usr/bin/galley --version)
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
if ! command -v appstreamcli > /dev/null || ! command -v desktop-file-validate > /dev/null \
    || ! command -v dpkg-shlibdeps > /dev/null; then
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq appstream desktop-file-utils dpkg-dev
fi
command -v cargo-deb > /dev/null || cargo install cargo-deb --locked

profile="${PROFILE:-dist}"
[ -n "${SKIP_BUILD:-}" ] || cargo build --profile "$profile" --locked
binary="${CARGO_TARGET_DIR:-target}/$profile/galley"

generated=target/packaging
rm -rf "$generated"
mkdir -p "$generated/completions"
"$binary" manpages "$generated/man"
"$binary" completions bash > "$generated/completions/galley.bash"
"$binary" completions zsh > "$generated/completions/_galley"
"$binary" completions fish > "$generated/completions/galley.fish"

desktop-file-validate packaging/galley.desktop
appstreamcli validate --no-net packaging/io.github.galley.galley.metainfo.xml

cargo deb --profile "$profile" --no-build
version="$(grep -m1 '^version' Cargo.toml | cut -d'"' -f2)"
package="$(ls -t "${CARGO_TARGET_DIR:-target}"/debian/galley_"$version"-*.deb | head -n1)"

# dpkg-deb -c lists "./usr/bin/galley"; directories end in "/" and are left out.
expected="$(grep -v '^#' packaging/contents.txt)"
actual="$(dpkg-deb -c "$package" | awk '{print $6}' | sed 's|^\./||' | grep -v '/$' | LC_ALL=C sort)"
if [ "$expected" != "$actual" ]; then
    echo "the package's contents differ from packaging/contents.txt (< expected, > in $package):" >&2
    diff <(echo "$expected") <(echo "$actual") >&2 || true
    exit 1
fi
echo "contents match packaging/contents.txt ($(echo "$actual" | wc -l) files)"
dpkg-deb -I "$package" | grep -E '^ (Package|Version|Depends|Recommends|Installed-Size):'
ls -l "$package"

if [ -n "${INSTALL:-}" ]; then
    # --reinstall: the same version may be installed already, from an earlier build.
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --reinstall "$(realpath "$package")"
    /usr/bin/galley --version
fi
