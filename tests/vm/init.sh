#!/bin/sh
# Guest init for tests/vm.rs. Stage 1 runs as /init from the initramfs, under
# busybox: it loads the modules, mounts the host's root (read-only 9p) and the
# test's share (writable 9p), and chroots into the host root so that the host's
# freshly built binaries and their shared libraries run unchanged. Stage 2
# (`init.sh inside`) runs in that chroot: it starts the compositor and serves
# the host's commands.
#
# The host writes share/vm.env (sourced here) with:
#   VM_SHARE     the share's path on the host; bound at the same path in the
#                chroot, so paths in it mean the same on both sides
#   VM_KEEP      host directories under /tmp or /run to keep visible in the
#                chroot despite the tmpfs mounted there (the binaries' dirs)
#   VM_UDEV      1: run the host's udevd in the guest, as on a real system
#                (libinput needs udev's database even for devices it opens
#                by path); 0: none, to try a system without it
# Protocol with the host, all files in the share:
#   start.sh         run by stage 2 once the environment is set: it starts the
#                    compositor (optional, so the guest can be tried without)
#   guest-facts      what the guest found (modules, devices), for the test log
#   guest-ready      written once the command loop runs
#   compositor.log   the compositor's stdout and stderr
#   compositor.exit  its exit status, once it ends
#   cmd-N.sh         a command from the host (written under another name and
#                    renamed, so it is never read half-written); the guest runs
#                    it in the background and writes cmd-N.out (stdout and
#                    stderr), cmd-N.rc (exit status), then cmd-N.done

if [ "$1" != inside ]; then
    export PATH=/bin
    mkdir -p /proc /sys /dev /mnt/host /mnt/hostview /mnt/share
    mount -t proc proc /proc
    mount -t sysfs sysfs /sys
    mount -t devtmpfs devtmpfs /dev
    # The host lists them in load order (dependencies first).
    for m in $(cat /modules/order); do
        insmod "/modules/$m" || echo "vm-init: insmod $m failed"
    done
    opts=trans=virtio,version=9p2000.L,msize=512000
    # The host root never changes while the test runs: let the guest cache it.
    mount -t 9p -o "$opts,ro,cache=loose" hostroot /mnt/host || echo "vm-init: mounting hostroot failed"
    mount -t 9p -o "$opts" share /mnt/share || echo "vm-init: mounting the share failed"
    # Exported, so that stage 2 sees them too.
    set -a
    . /mnt/share/vm.env
    set +a
    # A second view of the host root, not covered by the tmpfs mounts below.
    mount -o bind /mnt/host /mnt/hostview
    R=/mnt/host
    mount -t tmpfs -o mode=1777 tmpfs "$R/tmp"
    mount -t tmpfs -o mode=0755 tmpfs "$R/run"
    mount -o bind /dev "$R/dev"
    mkdir -p "$R/dev/shm" "$R/dev/pts"
    mount -t tmpfs -o mode=1777 tmpfs "$R/dev/shm"
    mount -t devpts devpts "$R/dev/pts"
    mount -o bind /proc "$R/proc"
    mount -o bind /sys "$R/sys"
    for d in $VM_KEEP; do
        mkdir -p "$R$d" && mount -o bind "/mnt/hostview$d" "$R$d" || echo "vm-init: cannot keep $d"
    done
    mkdir -p "$R$VM_SHARE" && mount -o bind /mnt/share "$R$VM_SHARE" || echo "vm-init: cannot bind the share"
    {
        echo "kernel: $(uname -r), up $(cut -d' ' -f1 /proc/uptime) s"
        echo "modules: $(cat /modules/order | tr '\n' ' ')"
        echo "loaded: $(cut -d' ' -f1 /proc/modules | tr '\n' ' ')"
        echo "drm: $(ls /sys/class/drm | tr '\n' ' ')"
        for c in /sys/class/drm/card*-*; do
            [ -e "$c/status" ] && echo "connector ${c##*/}: $(cat "$c/status") $(head -n1 "$c/modes" 2>/dev/null)"
        done
        for e in /sys/class/input/event*; do
            echo "input ${e##*/}: $(cat "$e/device/name")"
        done
        ls -l /dev/dri /dev/input
    } > /mnt/share/guest-facts 2>&1
    cat /mnt/share/guest-facts
    cp /init "$R/run/vm-init.sh"
    exec chroot "$R" /bin/sh /run/vm-init.sh inside
    # Powering off ends QEMU, so the host sees the failure at once.
    echo "vm-init: chroot failed"
    poweroff -f
fi

# Stage 2: in the host's root.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/tmp/home
export XDG_RUNTIME_DIR=/run/user/0
export XDG_CONFIG_HOME=/tmp/config
export XDG_DATA_HOME=/tmp/data
# Session logs land in the share, where the test can read them.
export XDG_STATE_HOME="$VM_SHARE/state"
mkdir -p "$HOME" "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR"
chmod 0700 "$XDG_RUNTIME_DIR"
cd /tmp || exit 1
S=$VM_SHARE

if [ "$VM_UDEV" = 1 ]; then
    # Only the subsystems the compositor uses: a full coldplug costs many
    # seconds under TCG.
    /lib/systemd/systemd-udevd --daemon &&
        udevadm trigger --action=add --subsystem-match=input --subsystem-match=drm &&
        udevadm settle --timeout=60 &&
        echo "vm-init: udevd running, input and drm devices triggered ($(cut -d' ' -f1 /proc/uptime) s)" ||
        echo "vm-init: starting udevd failed"
fi

if [ -e "$S/start.sh" ]; then
    # A crash leaves a core in the share, for gdb on the host (same root).
    echo "$S/core.%e.%p" > /proc/sys/kernel/core_pattern
    (
        sh "$S/start.sh" < /dev/null > "$S/compositor.log" 2>&1
        echo $? > "$S/compositor.exit"
    ) &
fi

echo "vm-init: serving commands from $S ($(cut -d' ' -f1 /proc/uptime) s)"
: > "$S/guest-ready"
while :; do
    for f in "$S"/cmd-*.sh; do
        [ -e "$f" ] || continue
        base=${f%.sh}
        mv "$f" "$base.run" || continue
        (
            sh "$base.run" > "$base.out" 2>&1
            echo $? > "$base.rc"
            : > "$base.done"
        ) &
    done
    sleep 0.1
done
