#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages personas needs, if any is missing.
# Usage: scripts/deps.sh build|test
set -euo pipefail

build=(pkg-config gcc libudev-dev libinput-dev libseat-dev libgbm-dev libpixman-1-dev
       libxkbcommon-dev libwayland-dev libdbus-1-dev xkb-data xwayland)
test=(weston foot wayland-utils wl-clipboard grim wlcs fonts-dejavu-core hostname util-linux procps
      libegl1 libegl-mesa0 libgl1-mesa-dri
      qemu-system-x86 linux-image-amd64 busybox-static udev
      xvfb x11-apps x11-utils xdotool xterm xclip sway
      python3-gi gir1.2-gtk-4.0 python3-pyqt6 qt6-wayland wvkbd cage swaylock
      dbus-daemon dbus-bin)

want=("${build[@]}")
[ "${1:-build}" = test ] && want+=("${test[@]}")

missing=()
for pkg in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "personas: installing ${missing[*]}" >&2
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1; then
    echo "personas: cargo is missing; install a current Rust toolchain (https://rustup.rs), then run this again" >&2
    exit 1
fi
