#!/usr/bin/env python3
"""--proxmox VMID: a Proxmox VE guest set up for the plan's devices with qm set, and undone.

On a Proxmox VE tree with a guest's configuration in etc/pve/qemu-server, the plan names the
qm set that gives the guest the devices (hostpci, all functions of a slot, pcie and x-vga),
q35, OVMF with an EFI disk, a TPM for Windows, CPU type host, the gaming goal's hugepages
(with numa) and affinity, Looking Glass's ivshmem, and the qm set that puts back what the
guest had. apply runs it through lib/standins/qm, which takes only what qemu-server's schema
takes; a second apply changes nothing; undo gives the guest its options back.
Usage: proxmox.py VFIO_SETUP MKROOT TESTS_DIR   (TAP on stdout)
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from vstest import Tap, in_root, roots, stand_ins  # noqa: E402

BINARY, MKROOT, TESTS = sys.argv[1:4]
GPU = "0000:03:00.0"
GUEST = """boot: order=scsi0;ide2;net0
cores: 4
ide2: local:iso/Win11_24H2.iso,media=cdrom,size=5G
machine: pc-i440fx-8.1
memory: 8192
name: win11
net0: virtio=BC:24:11:00:00:01,bridge=vmbr0
numa: 0
ostype: win11
scsi0: local-zfs:vm-100-disk-0,iothread=1,size=128G
scsihw: virtio-scsi-single
sockets: 1

[before-gpu]
machine: pc-i440fx-8.1
memory: 8192
"""


def config(root, vmid=100):
    path = os.path.join(root, f"etc/pve/qemu-server/{vmid}.conf")
    top = open(path).read().split("\n[")[0]
    return dict(line.split(": ", 1) for line in top.splitlines() if ": " in line)


def host(tmp, name, guest=GUEST, card="hw-intel-amd"):
    root = os.path.join(tmp, name)
    roots.build(MKROOT, "proxmox8-zfs-grub", card, root)
    os.makedirs(os.path.join(root, "etc/pve/qemu-server"))
    open(os.path.join(root, "etc/pve/qemu-server/100.conf"), "w").write(guest)
    return root


def run(root, commands, *args):
    return in_root(BINARY, root, *args, commands=commands)


def main():
    tap = Tap()
    with tempfile.TemporaryDirectory() as tmp:
        root = host(tmp, "pve")
        commands = os.path.join(tmp, "cmd")
        stand_ins(commands)
        before = roots.machine_tree(root)

        p = run(root, commands, "plan", "--no-trial", "--gpu", GPU, "--proxmox", "100")
        tap.ok(p.returncode == 0 and
               "qm set 100 --hostpci0 0000:03:00,pcie=1,x-vga=1 --machine q35 --bios ovmf --cpu host "
               "--efidisk0 local-zfs:1,efitype=4m,pre-enrolled-keys=1 --tpmstate0 local-zfs:1,version=v2.0" in p.stdout
               and "(undo runs qm set 100 --machine pc-i440fx-8.1 --delete hostpci0,bios,cpu,efidisk0,tpmstate0)"
               in p.stdout and roots.machine_tree(root) == before,
               "the plan: the GPU's slot with all its functions, q35, OVMF with an EFI disk and a TPM on the guest's "
               "storage, CPU host; Windows 11 stays; and the qm set that puts it back; nothing written",
               p.stdout[-1500:] + p.stderr)
        doc = json.loads(run(root, commands, "plan", "--no-trial", "--gpu", GPU, "--proxmox", "100", "--json").stdout)
        qm = [c for c in doc.get("commands", []) if c and c[0] == "qm"]
        tap.ok(len(qm) == 1 and qm[0][:3] == ["qm", "set", "100"], "--json lists the same qm set", qm)

        a = run(root, commands, "apply", "--no-trial", "--gpu", GPU, "--proxmox", "100", "--yes")
        conf = config(root)
        tap.ok(a.returncode == 0 and conf.get("hostpci0") == "0000:03:00,pcie=1,x-vga=1" and
               conf.get("machine") == "q35" and conf.get("bios") == "ovmf" and conf.get("cpu") == "host" and
               conf.get("efidisk0", "").startswith("local-zfs:vm-100-disk-1,efitype=4m,pre-enrolled-keys=1") and
               conf.get("tpmstate0", "").startswith("local-zfs:vm-100-disk-2,version=v2.0"),
               "apply: qm (the stand-in, qemu-server's schema) took every option; the guest has them",
               a.stdout[-1500:] + a.stderr + str(conf))
        tap.ok("[before-gpu]" in open(os.path.join(root, "etc/pve/qemu-server/100.conf")).read(),
               "the guest's snapshot section is left as it was")
        again = run(root, commands, "apply", "--no-trial", "--gpu", GPU, "--proxmox", "100", "--yes", "--json")
        doc = json.loads(again.stdout or "{}")
        tap.ok(again.returncode == 0 and doc.get("changed") is False, "a second apply changes nothing", again.stdout)

        u = run(root, commands, "undo", "--yes")
        conf = config(root)
        tap.ok(u.returncode == 0 and conf.get("machine") == "pc-i440fx-8.1" and
               not any(k in conf for k in ("hostpci0", "bios", "cpu", "efidisk0", "tpmstate0")) and
               conf.get("unused0", "").startswith("local-zfs:vm-100-disk-") and conf.get("ostype") == "win11",
               "undo: the guest's options as they were; the EFI disk and TPM state it made stay as unused disks, as "
               "qemu-server keeps a detached volume", u.stdout[-1500:] + u.stderr + str(conf))

        p = run(root, commands, "plan", "--no-trial", "--gpu", GPU, "--libvirt-domain", "win11")
        tap.ok(p.returncode == 0 and "this is Proxmox VE, whose guests are qm's" in p.stderr and "--proxmox VMID" in
               p.stderr, "a libvirt domain asked for on Proxmox VE: printed, with a note that names --proxmox", p.stderr)
        p = run(root, commands, "plan", "--no-trial", "--gpu", GPU, "--proxmox", "999")
        tap.ok(p.returncode == 2 and "Proxmox VE has no guest 999 here" in p.stderr, "a guest that is not there: "
               "refused before anything is written", p.stderr)
        p = run(root, commands, "plan", "--no-trial", "--gpu", GPU, "--proxmox", "42")
        tap.ok(p.returncode == 1 and "100 to 999999999" in p.stderr, "an id Proxmox VE cannot have: refused", p.stderr)

        # A Linux guest with another device in hostpci0, the gaming goal and Looking Glass, on a Threadripper.
        guest = GUEST.replace("ostype: win11", "ostype: l26") + ""
        guest = guest.replace("sockets: 1\n", "sockets: 1\nhostpci0: 0000:05:00.0,pcie=1\nmachine: q35\n", 1)
        guest = guest.replace("machine: pc-i440fx-8.1\n", "", 1)
        root = host(tmp, "pve-linux", guest, "threadripper-3970x")
        args = ["--no-trial", "--gpu", "0000:4a:00.0", "--proxmox", "100", "--guest-os", "linux", "--goal", "gaming",
                "--vm-memory", "4G", "--goal", "looking-glass", "--lg-user", "alice"]
        p = run(root, commands, "plan", *args)
        tap.ok(p.returncode == 0, "Linux, gaming and Looking Glass: planned", p.stderr)
        a = run(root, commands, "apply", *args, "--yes")
        conf = config(root)
        tap.ok(a.returncode == 0 and conf.get("hostpci0") == "0000:05:00.0,pcie=1" and
               conf.get("hostpci1") == "0000:4a:00,pcie=1,x-vga=1" and conf.get("machine") == "q35" and
               conf.get("ostype") == "l26" and "tpmstate0" not in conf,
               "the devices in the first free hostpci, the guest's own device left; q35 kept; no TPM for Linux",
               a.stdout[-1200:] + a.stderr + str(conf))
        tap.ok(conf.get("memory") == "4096" and conf.get("hugepages") == "1024" and conf.get("numa") == "1" and
               conf.get("affinity") and conf.get("ivshmem", "").startswith("size=") and
               conf["ivshmem"].endswith(",name=looking-glass"),
               "gaming: the memory on hugepages with numa (qemu-server refuses hugepages without it), affinity; "
               "Looking Glass: ivshmem", conf)
        tap.ok("/dev/shm/pve-shm-looking-glass" in p.stdout and "chown alice" in p.stdout and "-f /dev/shm/pve-shm-"
               in p.stdout, "the plan says which file Looking Glass's client opens, and how alice gets to write it",
               p.stdout[-1500:])

        # Two GPUs: one guest takes both, or one guest each in the order given.
        root = host(tmp, "pve-two", GUEST, "threadripper-3970x")
        open(os.path.join(root, "etc/pve/qemu-server/101.conf"), "w").write(GUEST.replace("name: win11", "name: win11b"))
        two = ["--no-trial", "--gpu", "0000:4a:00.0", "--gpu", "0000:21:00.0", "--allow-boot-vga"]
        p = run(root, commands, "plan", *two, "--proxmox", "100", "--proxmox", "101", "--proxmox", "102")
        tap.ok(p.returncode == 2 and "3 Proxmox VE guests for 2 GPUs" in p.stderr, "three guests for two GPUs: refused",
               p.stderr)
        a = run(root, commands, "apply", *two, "--proxmox", "100", "--proxmox", "101", "--yes")
        first, second = config(root, 100), config(root, 101)
        tap.ok(a.returncode == 0 and first.get("hostpci0") == "0000:4a:00,pcie=1,x-vga=1" and "hostpci1" not in first
               and second.get("hostpci0") == "0000:21:00,pcie=1,x-vga=1" and "hostpci1" not in second,
               "one guest per GPU, in the order given, each GPU its guest's display", a.stderr + str(first) + str(second))
        u = run(root, commands, "undo", "--yes")
        tap.ok(u.returncode == 0 and "hostpci0" not in config(root, 100) and "hostpci0" not in config(root, 101),
               "undo gives both guests their options back", u.stderr)
        a = run(root, commands, "apply", *two, "--proxmox", "100", "--yes")
        first = config(root, 100)
        tap.ok(a.returncode == 0 and first.get("hostpci0") == "0000:4a:00,pcie=1,x-vga=1" and
               first.get("hostpci1") == "0000:21:00,pcie=1",
               "one guest for both: two hostpci options, the first GPU its display", a.stderr + str(first))

        # A value of the guest's own that qm could not be given back as it is: refused, nothing written.
        root = host(tmp, "pve-odd", GUEST.replace("cores: 4", "cores: 4\ncpu: kvm64 $(reboot)"))
        before = roots.machine_tree(root)
        p = run(root, commands, "apply", "--no-trial", "--gpu", GPU, "--proxmox", "100", "--yes")
        tap.ok(p.returncode == 2 and "set the guest's options by hand" in p.stderr and roots.machine_tree(root) == before,
               "a guest option with characters qm is not given: refused before anything is written", p.stderr)

        # The stand-in refuses what qemu-server refuses: it is a test of the plan only if it is strict.
        env = dict(os.environ, STANDIN_ROOT=root, STANDIN_LOG=os.path.join(tmp, "strict.log"))
        qm = os.path.join(TESTS, "lib", "standins", "qm")
        refused = [subprocess.run([qm, "set", "100", *a], env=env, capture_output=True, text=True).returncode
                   for a in (["--hostpci2", "03:00.0,pcie=2"], ["--hugepages", "4"], ["--machine", "q36"],
                             ["--ivshmem", "name=lg"], ["--hostpci16", "03:00"], ["--no-such", "1"])]
        tap.ok(refused == [2] * 6, "the qm stand-in refuses values and options qemu-server's schema does not take",
               refused)
    tap.done()


if __name__ == "__main__":
    main()
