#!/usr/bin/env bash
# Measures the switch latency that `personas msg stats` reports, on the headless
# backend at 1280x800 with a real client in each persona: N switches through
# the control socket, then N through the key binding (injected input).
# Usage: scripts/measure-switch.sh [N]   (default 100)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100}
cargo build --release --quiet
bin=target/release/personas
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
mkdir -m 0700 "$tmp/rt"
export XDG_RUNTIME_DIR=$tmp/rt
unset PERSONAS_SOCKET WAYLAND_DISPLAY DISPLAY
printf '[headless]\nsize = "1280x800"\n[[persona]]\nname = "work"\n[[persona]]\nname = "personal"\n' > "$tmp/config.toml"
RUST_LOG=warn "$bin" --backend headless --test-input --config "$tmp/config.toml" >/dev/null &
for _ in $(seq 100); do "$bin" msg active >/dev/null 2>&1 && break; sleep 0.1; done
XDG_RUNTIME_DIR=$tmp/rt/personas/work WAYLAND_DISPLAY=wayland-0 weston-simple-shm >/dev/null 2>&1 &
XDG_RUNTIME_DIR=$tmp/rt/personas/personal WAYLAND_DISPLAY=wayland-0 foot >/dev/null 2>&1 &
sleep 2
"$bin" msg list
for i in $(seq "$n"); do
    "$bin" msg next >/dev/null
done
for i in $(seq "$n"); do
    "$bin" msg input key Super_L press
    "$bin" msg input key Control_L press
    "$bin" msg input key Right tap
    "$bin" msg input key Control_L release
    "$bin" msg input key Super_L release
done >/dev/null
"$bin" msg stats
