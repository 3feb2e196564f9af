#!/usr/bin/env bash
# cargo's runner for x86_64-pc-windows-gnu (set by scripts/test-windows.sh): runs a
# cross-built test or program under Wine, in the prefix that script prepared.
export WINEDEBUG=-all
exec wine64 "$@"
