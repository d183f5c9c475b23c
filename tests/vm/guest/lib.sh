# Sourced by each step: report blocks the host parses, and the guest's state.
export VS=/var/lib/vmtest/vfio-setup
export VFIO_SETUP_DATADIR=/var/lib/vmtest/data NO_COLOR=1

# block NAME COMMAND...: the command's output between markers, with its exit status.
# Each block's start and end in seconds since the boot follow it, for the time a step takes.
block() {
        name=$1
        shift
        start=$(cut -d' ' -f1 /proc/uptime)
        echo "@@BEGIN $name"
        "$@" 2>&1
        rc=$?
        echo "@@END $name $rc"
        echo "@@TIME $name $start $(cut -d' ' -f1 /proc/uptime)"
        return $rc
}

# oneshot ENTRY: succeeds when systemd-boot is to start ENTRY once at the next boot (LoaderEntryOneShot: four
# bytes of attributes, then UTF-16LE, whose high bytes are all zero for an entry's name).
oneshot() {
        f=/sys/firmware/efi/efivars/LoaderEntryOneShot-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f
        [ -e "$f" ] || return 1
        # efivarfs cannot seek, and tail seeks in a regular file: the bytes come through a pipe.
        # shellcheck disable=SC2002
        v=$(cat "$f" | tail -c +5 | tr -d '\000')
        echo "LoaderEntryOneShot: $v"
        [ "$v" = "$1" ]
}

# Every PCI function: address, vendor:device, class, the driver bound ("-" for none).
drivers() {
        for d in /sys/bus/pci/devices/*; do
                drv=-
                [ -e "$d/driver" ] && drv=$(basename "$(readlink "$d/driver")")
                echo "$(basename "$d") $(cat "$d/vendor"):$(cat "$d/device") $(cat "$d/class") $drv"
        done
}

# What the boot chain and vfio-setup read and write, hashed; a missing file is absent.
WATCHED="/etc/default/grub /etc/default/grub.d /etc/modprobe.d /etc/modules-load.d /etc/initramfs-tools/modules
/etc/initramfs-tools/conf.d /etc/dracut.conf.d /etc/kernel/cmdline /boot/grub/grub.cfg /boot/efi/loader/entries
/etc/vfio-setup /etc/tmpfiles.d /etc/sysctl.d /etc/udev/rules.d /var/lib/vfio-setup/state"
files() {
        for f in $WATCHED; do
                if [ -d "$f" ]; then
                        find "$f" -type f | sort | while read -r g; do sha256sum "$g"; done
                elif [ -f "$f" ]; then
                        sha256sum "$f"
                fi
        done
}

# state PREFIX: what the host compares between boots.
state() {
        block "$1.cmdline" cat /proc/cmdline
        block "$1.drivers" drivers
        block "$1.files" files
        block "$1.groups" sh -c 'ls /sys/kernel/iommu_groups | wc -l'
}

# single_gpu PREFIX GPU: single-GPU mode's libvirt hook for GPU, as the plan prints it, run on
# this kernel as libvirt runs it (the guest's start, then its stop), with the drivers after each.
single_gpu() {
        hook=/var/lib/vmtest/single-gpu-hook
        block "$1.plan" "$VS" plan --gpu "$2" --single-gpu vmtest >"$hook.plan"
        awk '/^New file \/etc\/libvirt\/hooks\/qemu.d\/vfio-setup-single-gpu / { on = 1; next }
             on && /^$/ { exit }
             on { print substr($0, 2) }' "$hook.plan" >"$hook"
        cat "$hook.plan"
        block "$1.start" sh "$hook" vmtest prepare begin -
        block "$1.started" drivers
        block "$1.stop" sh "$hook" vmtest release end -
        block "$1.stopped" drivers
        block "$1.left" sh -c 'cat /sys/bus/pci/devices/'"$2"'/driver_override; ls /run/vfio-setup 2>&1'
}

# pci_state DEVICE...: each device's driver ("-" for none) and its DRM nodes, as sysfs and /dev show them.
pci_state() {
        for d in "$@"; do
                drv=-
                [ -e "/sys/bus/pci/devices/$d/driver" ] && drv=$(basename "$(readlink "/sys/bus/pci/devices/$d/driver")")
                nodes=
                for n in "/sys/bus/pci/devices/$d"/drm/card* "/sys/bus/pci/devices/$d"/drm/renderD*; do
                        [ -e "$n" ] && [ -e "/dev/dri/${n##*/}" ] && nodes="$nodes${n##*/},"
                done
                printf '%s %s [%s] ' "$d" "$drv" "$nodes"
        done
        echo
}

# handover_rounds DEVICE BOOT_DISPLAY: handover's hook run as libvirt runs it for guest vmtest, ten starts and
# stops, each followed by both devices' drivers and DRM nodes.
handover_rounds() {
        hook=/etc/libvirt/hooks/qemu.d/vfio-setup-handover
        for n in 1 2 3 4 5 6 7 8 9 10; do
                sh "$hook" vmtest prepare begin - </dev/null || echo "round $n: the start failed"
                echo "round $n taken $(pci_state "$1" "$2")"
                sh "$hook" vmtest release end - </dev/null || echo "round $n: the stop failed"
                echo "round $n given $(pci_state "$1" "$2")"
        done
}

# handover PREFIX DEVICE BOOT_DISPLAY: the rounds; a start while a program holds DEVICE's DRM node; a start
# killed half way (once DEVICE has left its driver: a readlink earlier in PATH stalls there), then release.
handover() {
        hook=/etc/libvirt/hooks/qemu.d/vfio-setup-handover
        block "$1.rounds" handover_rounds "$2" "$3"
        for node in /sys/bus/pci/devices/"$2"/drm/card*; do
                node=${node##*/}
                break
        done
        # A program with the node open, as a session's compositor has it.
        sh -c 'exec 3<"$1"; exec sleep 600' holder "/dev/dri/$node" &
        holder=$!
        block "$1.held" sh "$hook" vmtest prepare begin - </dev/null
        block "$1.held.after" sh -c "echo holder $holder $node; ls /run/vfio-setup"
        block "$1.held.state" pci_state "$2" "$3"
        kill "$holder"
        wait "$holder" 2>/dev/null
        mkdir -p /tmp/stall
        cat >/tmp/stall/readlink <<STALL
#!/bin/sh
if [ ! -e /sys/bus/pci/devices/$2/driver ]; then
        touch /tmp/stall/stalled
        exec sleep 600
fi
exec /usr/bin/readlink "\$@"
STALL
        chmod 755 /tmp/stall/readlink
        PATH=/tmp/stall:$PATH setsid sh "$hook" vmtest prepare begin - </dev/null >/tmp/stall/out 2>&1 &
        pid=$!
        i=0
        while [ ! -e /tmp/stall/stalled ] && [ "$i" -lt 600 ]; do
                sleep 0.1
                i=$((i + 1))
        done
        # The hook and what it started (the stalled readlink): its whole session.
        /bin/kill -s KILL -- "-$pid"
        wait "$pid" 2>/dev/null
        block "$1.killed" sh -c "ls /tmp/stall; cat /run/vfio-setup/handover-$2"
        block "$1.killed.state" pci_state "$2" "$3"
        block "$1.release" "$VS" release --gpu "$2"
        block "$1.released" pci_state "$2" "$3"
        block "$1.left" sh -c "cat /sys/bus/pci/devices/$2/driver_override; ls /run/vfio-setup"
}
