# Sourced by each step: report blocks the host parses, and the guest's state.
export VS=/var/lib/vmtest/vfio-setup
export VFIO_SETUP_DATADIR=/var/lib/vmtest/data NO_COLOR=1

# block NAME COMMAND...: the command's output between markers, with its exit status.
block() {
        name=$1
        shift
        echo "@@BEGIN $name"
        "$@" 2>&1
        rc=$?
        echo "@@END $name $rc"
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
