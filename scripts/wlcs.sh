#!/usr/bin/env bash
# Runs the wlcs conformance suite (Debian's `wlcs` package) against
# wlcs_personas and compares the failures with wlcs_personas/known-failures.txt:
# red on a failure not on the list, and on a listed test that now passes.
# Usage: scripts/wlcs.sh [extra gtest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

runner=/usr/lib/x86_64-linux-gnu/wlcs/wlcs
if [ ! -x "$runner" ]; then
    echo "wlcs: $runner is missing; run scripts/deps.sh test" >&2
    exit 1
fi
cargo build -q -p wlcs_personas
lib=target/debug/libwlcs_personas.so
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

set +e
"$runner" "$lib" "$@" > "$out/console" 2>&1
set -e

# The end summary: "[  PASSED  ] N tests", "[  SKIPPED ] N tests skipped:",
# "[  FAILED  ] N tests failed:" followed by one line per test.
passed=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) tests\?\.\?$/\1/p' "$out/console" | tail -1)
skipped=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) tests\? skipped.*/\1/p' "$out/console" | tail -1)
if [ -z "$passed" ]; then
    tail -40 "$out/console" >&2
    echo "wlcs: the runner did not finish (no summary)" >&2
    exit 1
fi
sed -n 's/^\[  FAILED  \] \([^ ,]*\)\(, where.*\)\? (.*$/\1/p; s/^\[  FAILED  \] \([^ ,]*\)$/\1/p' "$out/console" \
    | sort -u > "$out/failed"
sed -n 's/^\[       OK \] \([^ ]*\) (.*$/\1/p' "$out/console" | sort -u > "$out/ok"
grep -v '^\s*#' wlcs_personas/known-failures.txt | sed 's/ *#.*//; /^\s*$/d' | sort -u > "$out/known"

unexpected=$(comm -23 "$out/failed" "$out/known")
fixed=$(comm -12 "$out/ok" "$out/known")
failed=$(wc -l < "$out/failed")
known=$(wc -l < "$out/known")

echo "wlcs: ${passed} passed, ${failed} failed (${known} known), ${skipped:-0} skipped (protocols personas does not offer)"
status=0
if [ -n "$unexpected" ]; then
    echo "wlcs: failures not in wlcs_personas/known-failures.txt:" >&2
    echo "$unexpected" | sed 's/^/  /' >&2
    for test in $unexpected; do
        awk -v t="[ RUN      ] $test" 'index($0,t)==1{p=1} p{print "    " $0} /^\[  FAILED  \]/{if(p) exit}' "$out/console" | head -20 >&2
    done
    status=1
fi
if [ -n "$fixed" ]; then
    echo "wlcs: listed as known failures but passing now (take them off the list):" >&2
    echo "$fixed" | sed 's/^/  /' >&2
    status=1
fi
exit $status
