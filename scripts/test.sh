#!/usr/bin/env bash
# Installs what is missing and runs the whole test suite: unit, protocol, input,
# pixel (pixman and GLES on llvmpipe) and property tests in-process, end-to-end
# tests of the real binary with Debian's Wayland clients, the tty backend in a
# QEMU virtual machine, the benchmarks once each as smoke tests, and the wlcs
# conformance suite (scripts/wlcs.sh) against its known-failure list. The
# benchmark harness (bench/) runs at a tiny size against sway as a smoke test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh test
export RUST_BACKTRACE=1
# One build, run once: incremental caches would only cost disk.
export CARGO_INCREMENTAL=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
# The VM test (tests/vm.rs) boots the tty backend under QEMU with the release
# binaries, as a user would run them.
cargo build --release --bins
# The VM and winit tests run examples/solid_client as their clients.
cargo build --examples
export PERSONAS_VM_TEST=1 PERSONAS_VM_BINARY="$PWD/target/release/personas"
cargo test --workspace --all-targets 2>&1 | tee "$log" || status=$?
passed=$(grep -Eo '^test result: .* ([0-9]+) passed' "$log" | grep -Eo '[0-9]+ passed' | awk '{s += $1} END {print s + 0}')
failed=$(grep -Eo '^test result: .* ([0-9]+) failed' "$log" | grep -Eo '[0-9]+ failed' | awk '{s += $1} END {print s + 0}')
# The cargo-fuzz targets (run by hand, see fuzz/README.md) must keep building.
cargo check -q --manifest-path fuzz/Cargo.toml || status=$?
wlcs_status=0
scripts/wlcs.sh || wlcs_status=$?
echo "tests: $passed passed, $failed failed"
[ "$status" -eq 0 ] && status=$wlcs_status
exit "$status"
