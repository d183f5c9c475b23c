/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vfio-setup/state.h"
#include "vfio-setup/strv.h"

/* What detection found out about one machine. Filled by detect/, read by everyone. */

enum tristate { TRI_UNKNOWN = -1, TRI_NO = 0, TRI_YES = 1 };

enum cpu_vendor { CPU_VENDOR_UNKNOWN, CPU_VENDOR_INTEL, CPU_VENDOR_AMD };

/*
 * Each struct of the model lists its members: X(OWNED, SHOWN, MEMBER, KEY, SUB).  machine_free
 * frees by OWNED (STR, STRV, PTR: free()d; ARRAY: each element by SUB's list, then the array
 * freed; STATE: state_free; NONE) and the detect report (machine_json.c) shows each under
 * KEY by SHOWN (STR, STRV, BOOL, NUM, TRI, ARRAY and STRUCT by SUB's list; HIDE: not shown;
 * CUSTOM: a function of its own).  A NONE/CUSTOM row may name what is no member (a value the
 * report derives; CUSTOM names are unique across the lists).  Rows are in the report's order;
 * n_MEMBER counts an ARRAY or a PTR the report shows.
 */

struct cpu_info {
        bool known;                 /* proc/cpuinfo was readable */
        enum cpu_vendor vendor;
        char *vendor_string;        /* "GenuineIntel", "AuthenticAMD", ... */
        char *model;
        const char *virt_flag;      /* "vmx" or "svm" when present, else NULL */
        bool hypervisor;            /* running inside a virtual machine */
        bool pdpe1gb;               /* 1 GiB pages */
        unsigned threads;
};
#define CPU_INFO_FIELDS(X) \
        X(STR, STR, vendor_string, "vendor", _) X(STR, STR, model, "model", _) \
        X(NONE, CUSTOM, virtualization, "virtualization", _) X(NONE, STR, virt_flag, "flag", _) \
        X(NONE, BOOL, hypervisor, "hypervisor", _) X(NONE, NUM, threads, "threads", _) \
        X(NONE, BOOL, pdpe1gb, "pdpe1gb", _) X(NONE, CUSTOM, topology, "topology", _)

/* Hybrid CPUs (Intel Alder Lake and later) have performance and efficiency cores. */
enum core_kind { CORE_KIND_ONLY, CORE_KIND_PERFORMANCE, CORE_KIND_EFFICIENCY };

struct cpu_core {
        unsigned *cpus;             /* its hardware threads (SMT siblings), sorted */
        size_t n_cpus;
        unsigned l3;                /* lowest CPU sharing its L3 cache: one value per CCX/CCD */
        enum core_kind kind;
};
#define CPU_CORE_FIELDS(X) \
        X(PTR, CUSTOM, cpus, "cpus", _) X(NONE, NUM, l3, "l3", _) X(NONE, CUSTOM, kind, "kind", _)

/* From sys/devices/system/cpu; empty when unreadable. */
struct cpu_topology {
        struct cpu_core *cores;     /* ordered by their lowest CPU */
        size_t n_cores;
        size_t n_threads;
        size_t n_l3;                /* distinct L3 groups */
        bool hybrid;
};
#define CPU_TOPOLOGY_FIELDS(X) \
        X(ARRAY, ARRAY, cores, "cores", cpu_core) X(NONE, NUM, n_threads, "threads", _) \
        X(NONE, NUM, n_l3, "l3_groups", _) X(NONE, BOOL, hybrid, "hybrid", _)

struct board_info {
        char *vendor;               /* each NULL when sys/class/dmi/id lacks it */
        char *name;
        char *bios_vendor;
        char *bios_version;
        char *bios_date;
        char *sys_vendor;
        char *product_name;
        int chassis_type;           /* SMBIOS chassis type, 0 when unknown */
        bool laptop;                /* a portable chassis (laptop, notebook, convertible, tablet) */
};
#define BOARD_INFO_FIELDS(X) \
        X(STR, STR, vendor, "vendor", _) X(STR, STR, name, "name", _) X(STR, STR, bios_vendor, "bios_vendor", _) \
        X(STR, STR, bios_version, "bios_version", _) X(STR, STR, bios_date, "bios_date", _) \
        X(STR, STR, sys_vendor, "sys_vendor", _) X(STR, STR, product_name, "product_name", _) \
        X(NONE, CUSTOM, chassis_type, "chassis_type", _) X(NONE, BOOL, laptop, "laptop", _)

/*
 * Whether the IOMMU groups are the hardware's: the out-of-tree ACS override patch
 * (pcie_acs_override=) pretends isolation the hardware does not give; mainline's
 * pci=config_acs= (Linux 6.11) sets devices' ACS by hand.
 */
enum acs_override {
        ACS_OVERRIDE_NONE,
        ACS_OVERRIDE_IGNORED,       /* on the command line of a kernel without the patch: it does nothing */
        ACS_OVERRIDE_CLAIMED,       /* on the command line; whether the kernel honours it could not be read */
        ACS_OVERRIDE_IN_USE,        /* the kernel log says so, or the kernel carries the patch */
};

struct iommu_info {
        const char *firmware_table; /* "DMAR" (Intel VT-d), "IVRS" (AMD-Vi) or NULL */
        bool kernel_active;         /* sys/class/iommu has units and groups exist */
        size_t unit_count;
        size_t group_count;
        char *cmdline;              /* proc/cmdline as read, NULL if unreadable */
        struct strv cmdline_tokens; /* the IOMMU/VFIO-related tokens of it */
        enum acs_override acs_override;
        char *acs_evidence;         /* what decided it, a sentence; NULL for none */
};
#define IOMMU_INFO_FIELDS(X) \
        X(NONE, CUSTOM, firmware, "firmware", _) X(NONE, STR, firmware_table, "firmware_table", _) \
        X(NONE, BOOL, kernel_active, "kernel_active", _) X(NONE, NUM, unit_count, "unit_count", _) \
        X(NONE, NUM, group_count, "group_count", _) X(STR, HIDE, cmdline, NULL, _) \
        X(STRV, STRV, cmdline_tokens, "cmdline", _) X(NONE, CUSTOM, acs_override, "acs_override", _) \
        X(STR, STR, acs_evidence, "acs_evidence", _)

#define PCI_GROUP_NONE (-1)

/*
 * The ways the user reaches the host: a plan takes a device that is one only when told to
 * (--allow-host-device), and then says how to get back in.  Name for JSON, then words.
 */
#define HOST_WAYS(X)                                                                                   \
        X(ROUTE,    "route",    "the network controller of the default route")                        \
        X(SSH,      "ssh",      "the network controller of a running ssh session")                    \
        X(ONLY_NIC, "only-nic", "the only network controller")                                         \
        X(INPUT,    "input",    "the controller of the host's keyboard or mouse")                      \
        X(ONLY_USB, "only-usb", "the only USB controller")                                             \
        X(DISPLAY,  "display",  "the only GPU lighting a screen the host shows now")

enum host_way {
#define HOST_WAY_ENUM(id, name, text) HOST_WAY_##id,
        HOST_WAYS(HOST_WAY_ENUM)
#undef HOST_WAY_ENUM
        _HOST_WAY_MAX
};

struct pci_device {
        char address[16];           /* "0000:0b:00.0" */
        unsigned domain, bus, dev, func;
        bool ids_known;             /* vendor/device readable and sane */
        bool class_known;
        uint16_t vendor_id, device_id;
        uint16_t class_id;          /* base class << 8 | subclass, e.g. 0x0300 */
        uint8_t prog_if;
        char *vendor_name;          /* from the PCI ID database, NULL if unknown */
        char *device_name;
        char *class_name;           /* "VGA compatible controller", from the PCI ID database; NULL if unknown */
        char *driver;               /* bound driver, NULL if none */
        char *driver_module;        /* the module of that driver (sysfs driver/module), NULL if none or built in */
        int iommu_group;            /* PCI_GROUP_NONE without a kernel IOMMU */
        int boot_vga;               /* 1, 0, or -1 where the attribute is absent */
        struct strv usb_devices;    /* a USB controller's: what is plugged in, hubs aside ("Logitech USB Receiver") */
        struct strv net_ifaces;     /* network interfaces on it, its own or a USB adapter's ("enp5s0") */
        struct strv inputs;         /* keyboards and pointers reached through it ("Logitech USB Keyboard") */
        struct strv screens;        /* connectors it drives now ("DP-1") */
        unsigned host_ways;         /* 1u << enum host_way */
        struct strv host_way_texts; /* one sentence per way, with what decided it */
};
#define PCI_DEVICE_FIELDS(X) \
        X(NONE, STR, address, "address", _) X(NONE, CUSTOM, vendor_id, "vendor_id", _) \
        X(NONE, CUSTOM, device_id, "device_id", _) X(NONE, CUSTOM, class_id, "class", _) \
        X(STR, STR, vendor_name, "vendor", _) X(STR, STR, device_name, "name", _) X(STR, HIDE, class_name, NULL, _) \
        X(STR, STR, driver, "driver", _) X(STR, HIDE, driver_module, NULL, _) \
        X(NONE, CUSTOM, iommu_group, "iommu_group", _) X(NONE, CUSTOM, boot_vga, "boot_vga", _) \
        X(STRV, CUSTOM, usb_devices, "usb_devices", _) X(STRV, STRV, net_ifaces, "net_interfaces", _) \
        X(STRV, STRV, inputs, "inputs", _) X(STRV, STRV, screens, "screens", _) \
        X(NONE, CUSTOM, host_ways, "host_ways", _) X(STRV, STRV, host_way_texts, "host_way_texts", _)

/* How the host is reached over the network, from procfs and the sysfs network class. */
struct host_net {
        bool known;                 /* proc/net/route was readable */
        struct strv default_ifaces; /* interfaces of the default routes, IPv4 and IPv6 ("vmbr0") */
        struct strv ssh_peers;      /* "192.168.1.20 over vmbr0", one per running ssh session */
};
#define HOST_NET_FIELDS(X) \
        X(NONE, BOOL, known, "known", _) X(STRV, STRV, default_ifaces, "default_interfaces", _) \
        X(STRV, STRV, ssh_peers, "ssh_sessions", _)

struct iommu_group {
        int id;
        size_t *devices;            /* indices into machine.devices */
        size_t n_devices;
};
#define IOMMU_GROUP_FIELDS(X) \
        X(NONE, NUM, id, "id", _) X(PTR, CUSTOM, devices, "devices", _)

/* Why a GPU can or cannot be passed through as it is; bit per reason. */
#define GPU_REASONS(X)                                                              \
        X(IOMMU_OFF,     true,  "the kernel IOMMU is not active")                   \
        X(NO_GROUP,      true,  "the device has no IOMMU group")                    \
        X(DIRTY_GROUP,   true,  "its IOMMU group holds other devices")              \
        X(BOOT_VGA,      true,  "it is the boot VGA device (the firmware console)") \
        X(ONLY_GPU,      true,  "it is the only GPU: the host would have no display") \
        X(IDENTICAL,     false, "another GPU has the same vendor:device id")        \
        X(BOUND_VFIO,    false, "already bound to vfio-pci")                         \
        X(UNKNOWN_IDS,   true,  "its vendor/device id could not be read")          \
        X(HOST_DISK,     true,  "a function of its slot holds a disk the host uses")  \
        X(HOST_WAY,      true,  "the host is reached through it")                   \
        X(ACS_OVERRIDE,  false, "its IOMMU group comes from an ACS override, not from the hardware's isolation")

enum gpu_reason {
#define GPU_REASON_ENUM(name, blocking, text) GPU_REASON_##name,
        GPU_REASONS(GPU_REASON_ENUM)
#undef GPU_REASON_ENUM
        _GPU_REASON_MAX
};

struct gpu_info {
        size_t device;              /* index into machine.devices */
        size_t *companions;         /* other functions of the same slot */
        size_t n_companions;
        size_t *blockers;           /* must go along, or the card must move */
        size_t n_blockers;
        enum tristate group_clean;  /* no blockers; unknown when the kernel has no IOMMU groups */
        struct strv vfio_ids;       /* "10de:2484", sorted, unique */
        unsigned reasons;           /* 1u << enum gpu_reason */
        bool passthrough_ok;        /* no blocking reason */
        struct strv reason_texts;   /* one readable sentence per reason */
        char *reset_quirk;          /* family that needs vendor-reset to reset (data/reset-quirks), or NULL */
};
#define GPU_INFO_FIELDS(X) \
        X(NONE, CUSTOM, device_address, "address", _) X(NONE, CUSTOM, device_vendor, "vendor", _) \
        X(NONE, CUSTOM, device_name, "name", _) X(NONE, CUSTOM, device_group, "iommu_group", _) \
        X(NONE, CUSTOM, device_boot_vga, "boot_vga", _) X(NONE, CUSTOM, device_driver, "driver", _) \
        X(PTR, CUSTOM, companions, "companions", _) \
        X(PTR, CUSTOM, blockers, "blockers", _) X(NONE, TRI, group_clean, "group_clean", _) \
        X(STRV, STRV, vfio_ids, "vfio_ids", _) X(NONE, BOOL, passthrough_ok, "passthrough_ok", _) \
        X(STRV, STRV, reason_texts, "reasons", _) X(STR, STR, reset_quirk, "reset_quirk", _)

/* A partition, or the whole disk when it has none. */
struct block_part {
        char *name;                 /* "nvme0n1p2" */
        unsigned major, minor;
        char *fs_type, *label;      /* NULL when unknown */
        struct strv mounts;         /* where the host uses it: mount points, "[swap]" (through LVM, LUKS, RAID too) */
};
#define BLOCK_PART_FIELDS(X) \
        X(STR, STR, name, "name", _) X(STR, STR, fs_type, "fs_type", _) X(STR, STR, label, "label", _) \
        X(STRV, STRV, mounts, "mounts", _)

/* A disk on a PCI storage or USB controller. */
struct block_disk {
        char *name;                 /* "nvme0n1", as in sys/block */
        char *by_id;                /* "nvme-Samsung_SSD_970_EVO_500GB_S466NX0K123456", NULL without one */
        char *model;                /* NULL when unknown */
        unsigned long long bytes;
        size_t controller;          /* index into machine.devices */
        struct block_part *parts;   /* partitions, or the disk itself when unpartitioned */
        size_t n_parts;
        struct strv mounts;         /* all of its partitions' */
};
#define BLOCK_DISK_FIELDS(X) \
        X(STR, STR, name, "name", _) X(STR, STR, by_id, "by_id", _) X(STR, STR, model, "model", _) \
        X(NONE, NUM, bytes, "bytes", _) X(NONE, CUSTOM, controller, "controller", _) \
        X(ARRAY, ARRAY, parts, "partitions", block_part) X(STRV, STRV, mounts, "host_uses", _)

struct distro_info {
        char *id, *id_like, *name, *pretty_name, *version_id;
        const char *source;         /* "etc/os-release", "usr/lib/os-release" or NULL */
        bool proxmox_ve;            /* a Proxmox VE host: its guests are qm's, not libvirt's */
};
#define DISTRO_INFO_FIELDS(X) \
        X(STR, STR, id, "id", _) X(STR, STR, id_like, "id_like", _) X(STR, STR, name, "name", _) \
        X(STR, STR, pretty_name, "pretty_name", _) X(STR, STR, version_id, "version", _) \
        X(NONE, BOOL, proxmox_ve, "proxmox_ve", _)

struct evidence_result {
        int kind;                   /* enum bootloader_kind / enum initramfs_kind */
        struct strv evidence;       /* files and facts that decided it */
        struct strv also_found;     /* other candidates seen, for the user */
};
#define EVIDENCE_RESULT_FIELDS(X) \
        X(STRV, STRV, evidence, "evidence", _) X(STRV, STRV, also_found, "also_found", _)

/*
 * The boot loaders vfio-setup knows, one row each: X(ID, NAME, EMITTER, NOTE).  NAME is what
 * --bootloader takes and the reports show; EMITTER the plan's writer for it
 * (EMITTER_emitter, src/plan/emitters.c); NOTE what a plan changes in that chain, in a
 * sentence.  The rows after EFISTUB are tools that own the whole boot chain: the loader under
 * them is theirs to configure.  Help, completions and the manual page are checked against it.
 */
#define BOOTLOADERS(X) \
        X(UNKNOWN, "unknown", unknown_bootloader, "The parameters are listed for you to add by hand.") \
        X(GRUB, "grub", grub, "GRUB: /etc/default/grub (or a drop-in beside it), then grub.cfg is made again.") \
        X(GRUB_BLS, "grub-bls", grubby, "GRUB with BLS entries: grubby changes the installed kernels' entries, " \
                                        "/etc/default/grub the future ones.") \
        X(SYSTEMD_BOOT, "systemd-boot", systemd_boot, "systemd-boot: /etc/kernel/cmdline and the entries made " \
                                                      "from it, or the entries themselves.") \
        X(KERNELSTUB, "kernelstub", kernelstub, "Pop!_OS: kernelstub adds the parameters to its configuration.") \
        X(REFIND, "refind", refind, "rEFInd: the options in refind_linux.conf or refind.conf.") \
        X(LIMINE, "limine", limine, "Limine: the cmdline of its entries (or /etc/default/limine).") \
        X(EFISTUB, "efistub", efistub, "The firmware boots the kernel directly: the boot entry is yours to change.") \
        X(PROXMOX_SDBOOT, "proxmox-boot-tool:systemd-boot", proxmox_systemd_boot, \
          "Proxmox VE: /etc/kernel/cmdline, then proxmox-boot-tool refresh copies it and the initrds to every " \
          "ESP it keeps.") \
        X(PROXMOX_GRUB, "proxmox-boot-tool:grub", proxmox_grub, \
          "Proxmox VE: /etc/default/grub, then proxmox-boot-tool refresh makes GRUB's configuration on every " \
          "ESP it keeps.") \
        X(RPM_OSTREE, "rpm-ostree", rpm_ostree, \
          "Fedora Atomic: rpm-ostree kargs stages a deployment with the parameters; they take effect at the " \
          "next reboot, and no file under /boot or /usr changes.") \
        X(SDBOOTUTIL, "sdbootutil", sdbootutil, \
          "openSUSE: /etc/kernel/cmdline, then sdbootutil writes the entries (and initrds) on the ESP.")

/* The initramfs generators, X(ID, NAME, EMITTER) as for BOOTLOADERS; RPM_OSTREE is the image's. */
#define INITRAMFS_GENERATORS(X) \
        X(UNKNOWN, "unknown", unknown_initramfs) \
        X(MKINITCPIO, "mkinitcpio", mkinitcpio) \
        X(DRACUT, "dracut", dracut) \
        X(INITRAMFS_TOOLS, "initramfs-tools", initramfs_tools) \
        X(BOOSTER, "booster", booster) \
        X(RPM_OSTREE, "rpm-ostree", rpm_ostree_initramfs)

#define BOOTLOADER_ENUM(id, name, emitter, note) BOOTLOADER_##id,
enum bootloader_kind { BOOTLOADERS(BOOTLOADER_ENUM) _BOOTLOADER_MAX };
#undef BOOTLOADER_ENUM
#define INITRAMFS_ENUM(id, name, emitter) INITRAMFS_##id,
enum initramfs_kind { INITRAMFS_GENERATORS(INITRAMFS_ENUM) _INITRAMFS_MAX };
#undef INITRAMFS_ENUM

struct esp_info {
        char *path;                 /* mount point, "/boot/efi"; NULL when none found */
        char *device;               /* "/dev/nvme0n1p1" when known */
        enum tristate confirmed;    /* vfat with the GPT ESP type, by udev or libblkid */
        unsigned major, minor;      /* the device's number, from the mount table */
        char *fs_type, *part_type;  /* what probing said, NULL if it could not */
        struct strv evidence;
};
#define ESP_INFO_FIELDS(X) \
        X(STR, STR, path, "path", _) X(STR, STR, device, "device", _) X(NONE, TRI, confirmed, "confirmed", _) \
        X(STR, HIDE, fs_type, NULL, _) X(STR, HIDE, part_type, NULL, _) X(STRV, STRV, evidence, "evidence", _)

/*
 * What a trial boot (a boot entry the boot loader starts once) depends on: systemd-boot's
 * variables of the Boot Loader Interface, and where GRUB keeps its environment block, which
 * it must be able to write to clear a one-time entry.
 */
struct boot_once {
        char *entry_selected;       /* LoaderEntrySelected: the systemd-boot entry this boot started, or NULL */
        char *entry_default;        /* LoaderEntryDefault (bootctl set-default), or NULL */
        unsigned long long loader_features; /* LoaderFeatures, 0 when the loader does not say */
        char *grub_fs;              /* file system of the mount holding boot/grub (or boot/grub2), NULL unknown */
        char *grub_layer;           /* "LVM or device-mapper", "mdraid" below that file system, or NULL */
        bool trial_booted;          /* this boot's command line carries vfio-setup's trial marker */
        bool trial_armed;           /* the next boot starts vfio-setup's trial (LoaderEntryOneShot, grubenv) */
};
#define BOOT_ONCE_FIELDS(X) \
        X(STR, STR, entry_selected, "entry_selected", _) X(STR, STR, entry_default, "entry_default", _) \
        X(NONE, NUM, loader_features, "loader_features", _) X(STR, STR, grub_fs, "grub_fs", _) \
        X(STR, STR, grub_layer, "grub_layer", _) X(NONE, BOOL, trial_booted, "trial_booted", _) \
        X(NONE, BOOL, trial_armed, "trial_armed", _)

struct vfio_id_source {
        char *id;                   /* "10de:2484" */
        char *source;               /* "proc/cmdline" or "etc/modprobe.d/vfio.conf:3" */
};
#define VFIO_ID_SOURCE_FIELDS(X) \
        X(STR, STR, id, "id", _) X(STR, STR, source, "source", _)

struct vfio_state {
        struct vfio_id_source *ids;
        size_t n_ids;
        struct strv bound;          /* addresses bound to vfio-pci now */
        enum tristate builtin;      /* vfio-pci built into the kernel */
        char *kernel;               /* running kernel release */
        struct tool_state tool;     /* what vfio-setup set up before, if anything */
        char *tool_error;           /* why the record of that could not be read ("file:line: ...") */
};
#define VFIO_STATE_FIELDS(X) \
        X(NONE, CUSTOM, unique_ids, "ids", _) X(ARRAY, ARRAY, ids, "sources", vfio_id_source) \
        X(STRV, STRV, bound, "bound", _) X(NONE, TRI, builtin, "builtin", _) X(STR, STR, kernel, "kernel", _) \
        X(STATE, CUSTOM, tool, "tool", _) X(STR, HIDE, tool_error, NULL, _)

struct machine {
        struct cpu_info cpu;
        struct cpu_topology topology;
        unsigned long memory_mib;   /* MemTotal, 0 when unknown */
        struct board_info board;
        struct iommu_info iommu;
        struct pci_device *devices; /* sorted by address */
        size_t n_devices;
        struct iommu_group *groups; /* sorted by id */
        size_t n_groups;
        struct gpu_info *gpus;      /* in device order */
        size_t n_gpus;
        struct block_disk *disks;   /* by controller, then name */
        size_t n_disks;
        bool storage_known;         /* sys/block and the mount table were read: disks and their uses are known */
        struct host_net net;
        struct distro_info distro;
        struct esp_info esp;
        struct evidence_result bootloader;
        struct evidence_result initramfs;
        struct boot_once boot_once;
        struct vfio_state vfio;
        struct strv warnings;       /* facts that could not be read */
};
#define MACHINE_FIELDS(X) \
        X(STRUCT, STRUCT, cpu, "cpu", cpu_info) X(STRUCT, HIDE, topology, NULL, cpu_topology) \
        X(NONE, NUM, memory_mib, "memory_mib", _) X(STRUCT, STRUCT, board, "board", board_info) \
        X(STRUCT, STRUCT, iommu, "iommu", iommu_info) X(STRUCT, STRUCT, net, "network", host_net) \
        X(ARRAY, ARRAY, devices, "devices", pci_device) X(ARRAY, ARRAY, groups, "groups", iommu_group) \
        X(ARRAY, ARRAY, gpus, "gpus", gpu_info) X(ARRAY, ARRAY, disks, "disks", block_disk) \
        X(NONE, CUSTOM, recommended_gpu, "recommended_gpu", _) X(STRUCT, STRUCT, distro, "distro", distro_info) \
        X(STRUCT, STRUCT, esp, "esp", esp_info) X(STRUCT, CUSTOM, bootloader, "bootloader", evidence_result) \
        X(STRUCT, CUSTOM, initramfs, "initramfs", evidence_result) X(STRUCT, STRUCT, boot_once, "boot_once", boot_once) \
        X(STRUCT, STRUCT, vfio, "vfio", vfio_state) \
        X(STRV, STRV, warnings, "warnings", _)

void machine_free(struct machine *m);

/*
 * The machine has one GPU and the host's display is on it: passed at boot, the host has none.
 * Not so for a GPU without outputs (a 3D controller, as a laptop's muxless dGPU): the screen
 * is driven by something else, even when no other GPU is listed.
 */
bool machine_display_on_only_gpu(const struct machine *m);

/*
 * A device's names as lspci shows them: from the PCI ID database, else "Device 22bd" and
 * "Vendor 1d17" (the ids in hex; "Device" alone when even those were not read).  buf holds
 * the fallback.
 */
#define PCI_LABEL_SIZE 16
const char *pci_device_label(const struct pci_device *d, char buf[PCI_LABEL_SIZE]);
const char *pci_vendor_label(const struct pci_device *d, char buf[PCI_LABEL_SIZE]);

const char *bootloader_name(enum bootloader_kind k);
/* The BOOTLOADERS row's sentence on what a plan changes in that chain. */
const char *bootloader_note(enum bootloader_kind k);
const char *initramfs_name(enum initramfs_kind k);
const char *gpu_reason_text(enum gpu_reason r);
bool gpu_reason_blocking(enum gpu_reason r);
/* Device index by address ("0000:0b:00.0" or "0b:00.0"); -EINVAL, -ENOENT. */
int machine_find_device(const struct machine *m, const char *address, size_t *ret);
/* ... the device itself, or NULL when the machine has none at that address. */
const struct pci_device *machine_device(const struct machine *m, const char *address);

/* Whether the distribution's ID, or one of its ID_LIKE, is among the space-separated ids. */
bool distro_is(const struct distro_info *d, const char *ids);

/* Whether the device is a storage (class 01) or USB (0c03) controller, whose disks the storage goal shows. */
bool pci_class_is_storage(uint16_t class_id);
/* The IOMMU group by its number; NULL when there is none. */
const struct iommu_group *machine_find_group(const struct machine *m, int id);
/* The disk by its sys/block name or by-id name (with or without /dev/disk/by-id/); -ENOENT. */
int machine_find_disk(const struct machine *m, const char *name, size_t *ret);

/* "ignored", "claimed", "in-use"; "" for none. */
const char *acs_override_name(enum acs_override a);
/* Whether the groups may not be the hardware's (an override in use or claimed). */
bool acs_override_shown(const struct iommu_info *i);
const char *host_way_name(enum host_way w);
const char *host_way_text(enum host_way w);
/*
 * The ways the host is reached through the device that count for a plan: a boot VGA device's
 * screen is the boot VGA confirmation's to lift, not this one's.
 */
unsigned device_host_ways(const struct machine *m, size_t device);
/* A GPU driving a connected, enabled screen now. */
bool device_lights_screen(const struct pci_device *d);
/*
 * Whether the addresses taken, with the device also (SIZE_MAX for none), hold every GPU lighting
 * a screen, two or more: each alone leaves the host another screen (the only one is a way in of
 * its own, HOST_WAY_DISPLAY), all of them none.
 */
bool machine_takes_every_screen(const struct machine *m, const struct strv *taken, size_t also);

/* PCI classes the rules need. */
bool pci_class_is_gpu(uint16_t class_id);
bool pci_class_is_host_side_bridge(uint16_t class_id);
