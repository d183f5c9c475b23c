# bash completion for vfio-setup

_vfio_setup_root()
{
    # The machine's root: / unless --root was given.
    local root=/ i
    for ((i = 1; i < COMP_CWORD; i++)); do
        [[ ${COMP_WORDS[i]} == --root ]] && root=${COMP_WORDS[i + 1]}
    done
    echo "$root"
}

_vfio_setup_devices()
{
    compgen -W "$(ls "$(_vfio_setup_root)/sys/bus/pci/devices" 2>/dev/null)" -- "$1"
}

_vfio_setup_gpus()
{
    # Display controllers (class 03xxxx) only: what --gpu takes.
    local d gpus=""
    for d in "$(_vfio_setup_root)"/sys/bus/pci/devices/*; do
        [[ $(cat "$d/class" 2>/dev/null) == 0x03* ]] && gpus="$gpus ${d##*/}"
    done
    compgen -W "$gpus" -- "$1"
}

_vfio_setup_groups()
{
    compgen -W "$(ls "$(_vfio_setup_root)/sys/kernel/iommu_groups" 2>/dev/null)" -- "$1"
}

_vfio_setup_disks()
{
    # Whole disks by their stable names; partitions are not for --disk.
    compgen -W "$(ls "$(_vfio_setup_root)/dev/disk/by-id" 2>/dev/null | grep -v -- '-part[0-9]*$')" -- "$1"
}

_vfio_setup()
{
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
    local commands="detect plan apply undo commit trial verify doctor groups rom bind release snapshot"
    local global="--root --no-color --ascii --demo --keep --version --help"
    # After a command, --demo and --keep are errors: the others still apply.
    local after="--root --no-color --ascii --help"
    local command="" i

    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
            detect|plan|apply|undo|commit|trial|verify|doctor|groups|rom|bind|release|snapshot) command=${COMP_WORDS[i]} ;;
        esac
    done

    case $prev in
        --root) COMPREPLY=($(compgen -d -- "$cur")); return ;;
        -o|--output|--log) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --gpu) COMPREPLY=($(_vfio_setup_gpus "$cur")); return ;;
        --extra|--allow-host-device) COMPREPLY=($(_vfio_setup_devices "$cur")); return ;;
        --group) COMPREPLY=($(_vfio_setup_groups "$cur")); return ;;
        --goal) COMPREPLY=($(compgen -W "base looking-glass gaming storage" -- "$cur")); return ;;
        --bootloader) COMPREPLY=($(compgen -W "grub grub-bls systemd-boot kernelstub refind limine efistub proxmox-boot-tool:systemd-boot proxmox-boot-tool:grub rpm-ostree sdbootutil" -- "$cur")); return ;;
        --initramfs) COMPREPLY=($(compgen -W "mkinitcpio dracut initramfs-tools booster rpm-ostree" -- "$cur")); return ;;
        --disk) COMPREPLY=($(_vfio_setup_disks "$cur")); return ;;
        --lg-bit-depth) COMPREPLY=($(compgen -W "8 10" -- "$cur")); return ;;
        --guest-os) COMPREPLY=($(compgen -W "windows linux" -- "$cur")); return ;;
        --iso|--drivers-iso) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --proxmox) COMPREPLY=($(compgen -W "$(cd /etc/pve/qemu-server 2>/dev/null && for f in *.conf; do [ -e "$f" ] && echo "${f%.conf}"; done)" -- "$cur")); return ;;
        --input) COMPREPLY=($(compgen -G "/dev/input/by-id/*-event-*" -- "$cur")); return ;;
        --timeout|--vm-memory|--vm-cpus|--lg-resolution|--lg-user|--libvirt-domain|--single-gpu|--handover) return ;;
        --demo) COMPREPLY=($(compgen -W "$("${COMP_WORDS[0]}" --demo 2>/dev/null | sed -n 's/^  \([^ ]*\).*/\1/p')" -- "$cur")); return ;;
    esac

    local options
    case $command in
        detect) options="--json" ;;
        plan) options="--gpu --extra --goal --iommu-pt --allow-dirty-group --allow-boot-vga --allow-host-device --single-gpu --handover --no-trial --proxmox --bootloader --initramfs --release --lg-resolution --lg-bit-depth --lg-kvmfr --lg-user --vm-memory --vm-cpus --disk --json --libvirt-xml --libvirt-domain --guest-os --iso --drivers-iso --installed --input -o --force" ;;
        apply) options="--gpu --extra --goal --iommu-pt --allow-dirty-group --allow-boot-vga --allow-host-device --single-gpu --handover --no-trial --proxmox --guest-os --bootloader --initramfs --release --lg-resolution --lg-bit-depth --lg-kvmfr --lg-user --vm-memory --vm-cpus --disk --yes --no-regenerate --timeout --json" ;;
        undo) options="--yes --no-regenerate --timeout --json" ;;
        commit) options="--yes --no-regenerate --timeout --json" ;;
        trial) options="--yes --no-regenerate --timeout --json" ;;
        verify) options="--gpu --json --commit" ;;
        doctor) options="--log --json $(cd /var/log/libvirt/qemu 2>/dev/null && for f in *.log; do [ -e "$f" ] && echo "${f%.log}"; done)" ;;
        groups) options="--gpus --group --json" ;;
        rom) options="--gpu -o --force" ;;
        bind) options="--gpu --extra --allow-dirty-group --allow-host-device" ;;
        release) options="--gpu" ;;
        snapshot) options="-o --list" ;;
        *) COMPREPLY=($(compgen -W "$commands $global" -- "$cur")); return ;;
    esac
    COMPREPLY=($(compgen -W "$options $after" -- "$cur"))
}

complete -F _vfio_setup vfio-setup
