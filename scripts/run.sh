#!/usr/bin/env bash
# Installs what is missing, builds, and runs personas with the embedded default
# config (or --config FILE) on the backend that fits this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh build
cargo build --release --quiet
if [ -z "${XDG_RUNTIME_DIR:-}" ]; then
    export XDG_RUNTIME_DIR="/tmp/personas-runtime-$(id -u)"
    mkdir -p -m 0700 "$XDG_RUNTIME_DIR"
fi
exec target/release/personas --backend auto "$@"
