#!/usr/bin/env bash
# Installs what is missing and runs the whole test suite: unit, protocol and
# pixel tests in-process, and end-to-end tests of the real binary with Debian's
# Wayland clients.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh test
export RUST_BACKTRACE=1
cargo test --all-targets 2>&1
