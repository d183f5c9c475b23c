#!/usr/bin/env python3
"""The plan on every distribution fixture of tests/fixtures/distros, for an NVIDIA guest GPU on
an AMD CPU and an AMD guest GPU on an Intel CPU (tests/fixtures/hw-*.card):
- the text plan matches a reviewed golden file (UPDATE_GOLDEN=1 rewrites them);
- what it writes is read back by its real consumer: bash sources grub, mkinitcpio and
  dracut files, modprobe -C lists the options and softdeps;
- applied (files written, grubby and kernelstub played by stand-ins), a second plan is
  empty; switching to the other GPU leaves no trace of the first; --release gives back
  every file byte for byte.
Then malformed configurations, which must be refused with file and line named.
Usage: plan.py VFIO_SETUP MKROOT TESTS_DIR   (TAP on stdout)
"""
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from xml.etree import ElementTree

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from vstest import Tap, card_tree, roots, run_binary  # noqa: E402

BINARY, MKROOT, TESTS = sys.argv[1:4]
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
MODPROBE = shutil.which("modprobe") or "/usr/sbin/modprobe"
HERE = os.path.join(TESTS, "plan")

# hardware card, guest GPU, the other GPU it can switch to, ids of each
HARDWARE = {
    "hw-amd-nvidia": ("0000:0c:00.0", "0000:0d:00.0", ["10de:2484", "10de:228b"], ["10de:1f82", "10de:10fa"]),
    "hw-intel-amd": ("0000:03:00.0", "0000:04:00.0", ["1002:73bf", "1002:ab28"], ["10de:21c4", "10de:1aeb"]),
}


def run(*args):
    return run_binary(BINARY, *args)


def build(distro, hw, dest):
    roots.build(MKROOT, distro, hw, dest)


def plan(root, *args):
    p = run("--root", root, "plan", "--no-trial", "--json", *args)
    return p, (json.loads(p.stdout) if p.returncode == 0 else None)


def tokens_update(line, add, remove):
    """What grubby and kernelstub do to an options line: set key=value, drop tokens."""
    words = line.split()
    for t in remove:
        words = [w for w in words if w != t and w.split("=")[0] != t]
    for t in add:
        key = t.split("=")[0]
        hit = [i for i, w in enumerate(words) if w.split("=")[0].replace("-", "_") == key.replace("-", "_")]
        if hit:
            words[hit[0]] = t
        elif t not in words:
            words.append(t)
    return words


STANDINS = os.path.join(TESTS, "lib", "standins")


def stand_in(root, argv):
    """grubby, kernelstub and rpm-ostree change state a plan reads again; others only regenerate
    images. The boot tools' stand-ins (tests/lib/standins) also refuse what the real tools refuse."""
    if os.path.exists(os.path.join(STANDINS, argv[0])):
        subprocess.run([os.path.join(STANDINS, argv[0])] + argv[1:], check=True, capture_output=True,
                       env=dict(os.environ, STANDIN_ROOT=root, STANDIN_LOG=os.path.join(root, "..", "standin.log")))
    elif argv[0] == "grubby":
        add = [a[len("--args="):] for a in argv if a.startswith("--args=")]
        rem = [a[len("--remove-args="):] for a in argv if a.startswith("--remove-args=")]
        add = add[0].split() if add else []
        rem = rem[0].split() if rem else []
        entries = os.path.join(root, "boot/loader/entries")
        for name in os.listdir(entries):
            path = os.path.join(entries, name)
            lines = open(path).read().split("\n")
            for i, line in enumerate(lines):
                if line.startswith("options "):
                    lines[i] = "options " + " ".join(tokens_update(line[8:], add, rem))
            open(path, "w").write("\n".join(lines))
    elif argv[0] == "kernelstub":
        path = os.path.join(root, "etc/kernelstub/configuration")
        doc = json.load(open(path))
        opts = doc["user"]["kernel_options"]
        if argv[1] == "-a":
            opts = tokens_update(" ".join(opts), argv[2].split(), [])
        else:
            opts = tokens_update(" ".join(opts), [], argv[2].split())
        doc["user"]["kernel_options"] = opts
        open(path, "w").write(json.dumps(doc, indent=2))


def apply(root, doc):
    for f in doc["files"]:
        path = root + f["path"]
        if f["action"] == "delete":
            os.unlink(path)
        else:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", newline="") as out:
                out.write(f["content"])
    for d in doc["remove_dirs"]:
        if os.path.isdir(root + "/" + d) and not os.listdir(root + "/" + d):
            os.rmdir(root + "/" + d)
    for argv in doc["commands"]:
        stand_in(root, argv)


# Files whose bytes a stand-in rewrites: compared by meaning instead.
def meaning(root, rel):
    if rel == "etc/kernelstub/configuration":
        return roots.kernelstub_options(root)
    if rel.startswith("boot/loader/entries/") and os.path.exists(os.path.join(root, "usr/sbin/grubby")):
        return [line.split() for line in open(os.path.join(root, rel)).read().split("\n")]
    return None


def tree(root):
    return roots.machine_tree(root, meaning=meaning)


def bash_vars(root, files, names):
    script = "".join(f'source "{root}/{f}" 2>/dev/null\n' for f in files)
    script += "".join(f'echo "{n}=${{{n}[*]}}"\n' for n in names)
    out = subprocess.run(["bash", "--norc", "-c", script], capture_output=True, text=True).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def check_consumers(tap, name, root, doc, ids):
    paths = [f["path"].lstrip("/") for f in doc["files"] if f["action"] != "delete"]
    wanted = doc["kernel_params"]["add"]
    modules = ["vfio_pci", "vfio", "vfio_iommu_type1"]
    if any(p.startswith("etc/default/grub") for p in paths):
        dropins = sorted("etc/default/grub.d/" + f for f in os.listdir(os.path.join(root, "etc/default/grub.d"))) \
            if os.path.isdir(os.path.join(root, "etc/default/grub.d")) else []
        v = bash_vars(root, ["etc/default/grub"] + dropins, ["GRUB_CMDLINE_LINUX", "GRUB_CMDLINE_LINUX_DEFAULT"])
        line = v.get("GRUB_CMDLINE_LINUX", "") + " " + v.get("GRUB_CMDLINE_LINUX_DEFAULT", "")
        tap.ok(all(t in line.split() for t in wanted), f"{name}: bash sourcing the GRUB files sees {' '.join(wanted)}", v)
    if "etc/mkinitcpio.conf" in paths:
        v = bash_vars(root, ["etc/mkinitcpio.conf"], ["MODULES", "HOOKS"])
        tap.ok(v["MODULES"].split()[:3] == modules and "modconf" in v["HOOKS"].split(),
               f"{name}: bash sourcing mkinitcpio.conf: vfio modules first, modconf hook", v)
    if any(p.startswith("etc/dracut.conf.d/") for p in paths):
        d = os.path.join(root, "etc/dracut.conf.d")
        v = bash_vars(root, sorted("etc/dracut.conf.d/" + f for f in os.listdir(d) if f.endswith(".conf")), ["force_drivers"])
        tap.ok(v["force_drivers"].split()[:3] == modules, f"{name}: bash sourcing dracut.conf.d: force_drivers", v)
    if "etc/modprobe.d/vfio-setup.conf" in paths:
        out = subprocess.run([MODPROBE, "-C", os.path.join(root, "etc/modprobe.d"), "--showconfig"],
                             capture_output=True, text=True).stdout
        got = re.search(r"^options vfio_pci ids=(\S+)", out, re.M)
        tap.ok(got and sorted(got.group(1).split(",")) == sorted(ids) and
               re.search(r"^softdep \S+ pre: vfio-pci", out, re.M) is not None,
               f"{name}: modprobe --showconfig lists the ids and softdeps", out[-400:])
    if "etc/initramfs-tools/modules" in paths:
        lines = [ln.split()[0] for ln in open(os.path.join(root, "etc/initramfs-tools/modules")) if ln.strip() and not ln.startswith("#")]
        tap.ok(lines[:3] == modules, f"{name}: initramfs-tools modules list", lines)
    for p in paths:
        if p in ("etc/kernel/cmdline",) or p.startswith(("efi/loader/entries", "boot/loader/entries", "boot/refind", "boot/limine")):
            text = open(os.path.join(root, p)).read()
            tap.ok(all(t in text for t in wanted), f"{name}: /{p} carries the parameters", text)


def check(tap, tmp, distro, hw):
    gpu, other, ids, other_ids = HARDWARE[hw]
    name = f"{distro}--{hw}"
    root = os.path.join(tmp, name)
    build(distro, hw, root)
    before = tree(root)

    text = run("--root", root, "--no-color", "plan", "--no-trial", "--gpu", gpu)
    golden = os.path.join(HERE, "golden", name + ".txt")
    if UPDATE:
        with open(golden, "w") as f:
            f.write(text.stdout + text.stderr)
    expected = open(golden).read() if os.path.exists(golden) else ""
    tap.ok(text.stdout + text.stderr == expected, f"{name}: plan matches golden",
           "".join(difflib.unified_diff(expected.splitlines(True), (text.stdout + text.stderr).splitlines(True))))

    p, doc = plan(root, "--gpu", gpu)
    if not tap.ok(doc is not None, f"{name}: plan --json", p.stderr):
        return
    tap.ok(sorted(doc["vfio_ids"]) == sorted(ids), f"{name}: vfio ids", doc["vfio_ids"])
    apply(root, doc)
    check_consumers(tap, name, root, doc, ids)
    if doc["files"]:
        d = json.loads(run("--root", root, "detect", "--json").stdout)
        tap.ok((d["vfio"]["tool"] or {}).get("devices") == doc["devices"], f"{name}: detect reads back what vfio-setup set up",
               d["vfio"]["tool"])

    p, again = plan(root, "--gpu", gpu)
    tap.ok(again is not None and again["files"] == [] and again["commands"] == [], f"{name}: a second plan is empty",
           p.stderr or json.dumps(again)[:600])

    p, switch = plan(root, "--gpu", other)
    if tap.ok(switch is not None, f"{name}: plan for the other GPU", p.stderr):
        apply(root, switch)
        leftovers = [rel for rel, content in tree(root).items() if any(i in repr(content) for i in ids)]
        tap.ok(leftovers == [], f"{name}: no trace of the first GPU's ids after switching", leftovers)
        if distro not in ("nixos", "unknown"):
            tap.ok(sorted(switch["vfio_ids"]) == sorted(other_ids), f"{name}: the other GPU's ids", switch["vfio_ids"])

    p, release = plan(root, "--release")
    if tap.ok(release is not None, f"{name}: plan --release", p.stderr):
        apply(root, release)
        after = tree(root)
        changed = roots.differences(before, after)
        kept = roots.made_and_kept(root, before, after)
        tap.ok([c for c in changed if c not in kept] == [], f"{name}: --release gives every file back byte for byte",
               changed)
        if kept:
            tap.ok(all(after.get(k) == v for k, v in kept.items()),
                   f"{name}: --release keeps /etc/kernel/cmdline, which it made, as the line the entries had before",
                   {k: after.get(k) for k in kept})
        p, empty = plan(root, "--release")
        tap.ok(empty is not None and empty["files"] == [] and empty["commands"] == [], f"{name}: a second --release is empty")


def write(root, rel, data, mode="w"):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, mode) as f:
        f.write(data)


def bad_input(tap, tmp):
    gpu = HARDWARE["hw-intel-amd"][0]
    cases = [
        ("unterminated", 'GRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX_DEFAULT="quiet\n', "/etc/default/grub:2: the quote is not closed"),
        ("assembled", 'GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT quiet"\n', "/etc/default/grub:1: the value is built"),
        ("binary", "GRUB_TIMEOUT=5\n\x00\x01\x02garbage", "/etc/default/grub: holds binary data"),
        ("huge", "# padding\n" * 120000, "/etc/default/grub: larger than 1 MiB"),
    ]
    for case, content, message in cases:
        root = os.path.join(tmp, "bad-" + case)
        build("arch-grub", "hw-intel-amd", root)
        write(root, "etc/default/grub", content)
        p = run("--root", root, "plan", "--no-trial", "--gpu", gpu)
        tap.ok(p.returncode == 2 and message in p.stderr and p.stdout == "", f"bad input {case}: refused, file and line named",
               f"exit {p.returncode}: {p.stderr}")

    root = os.path.join(tmp, "bad-crlf")
    build("arch-grub", "hw-intel-amd", root)
    original = open(os.path.join(root, "etc/default/grub"), "rb").read().replace(b"\n", b"\r\n")
    write(root, "etc/default/grub", original, "wb")
    p, doc = plan(root, "--gpu", gpu)
    if tap.ok(doc is not None, "CRLF file: planned", p.stderr):
        apply(root, doc)
        edited = open(os.path.join(root, "etc/default/grub"), "rb").read()
        tap.ok(edited.count(b"\r\n") == original.count(b"\r\n") and b"intel_iommu=on\"\r\n" in edited,
               "CRLF file: line endings kept", edited[:300])
        p, release = plan(root, "--release")
        apply(root, release)
        tap.ok(open(os.path.join(root, "etc/default/grub"), "rb").read() == original, "CRLF file: --release gives it back")

    root = os.path.join(tmp, "bad-link")
    build("arch-grub", "hw-intel-amd", root)
    os.rename(os.path.join(root, "etc/default/grub"), os.path.join(root, "etc/default/grub.real"))
    os.symlink("grub.real", os.path.join(root, "etc/default/grub"))
    p, doc = plan(root, "--gpu", gpu)
    grub = [f for f in (doc or {}).get("files", []) if "grub" in f["path"]]
    tap.ok(grub and grub[0]["path"] == "/etc/default/grub.real" and "is a link" in (grub[0]["note"] or ""),
           "symlinked config: the target is edited, and the plan says so", json.dumps(grub)[:400])

    for card, args, code, message in [
        ("chipset-slot-dirty", ["--gpu", "04:00.0"], 2, "also hold what the host needs: 0000:00:1f.0 is the chipset's "
         "ISA/LPC bridge; 0000:02:00.0 is the only network controller; 0000:03:00.0 is a disk controller whose use is "
         "unknown. vfio-pci gives a guest a group whole or not at all"),
        ("identical-rx580", ["--gpu", "0b:00.0", "--initramfs", "booster"], 2, "booster does not run them"),
        ("amd-x570-two-gpus", ["--gpu", "01:00.0"], 2, "is not a GPU"),
        # The IOMMU is on and leaves the iGPU out (intel_iommu=on,igfx_off): vfio-pci could not take it.
        ("intel-igfx-off", ["--gpu", "00:02.0", "--allow-boot-vga"], 2, "igfx_off (or intgpu_off) of intel_iommu= on "
         "the kernel command line leaves integrated graphics outside the IOMMU: remove that option and reboot"),
        ("intel-igfx-off", ["--gpu", "01:00.0", "--extra", "00:02.0"], 2, "0000:00:02.0 is in no IOMMU group although "
         "the kernel's IOMMU is on"),
        ("intel-igfx-off", ["--gpu", "00:02.0", "--single-gpu", "win11"], 2, "is in no IOMMU group"),
        ("amd-x570-two-gpus", ["--gpu", "0f:00.0"], 2, "no such PCI device"),
        ("amd-x570-two-gpus", ["--gpu", "bogus"], 2, "no such PCI device"),
        ("amd-x570-two-gpus", [], 2, "name the GPU"),
        ("amd-x570-two-gpus", ["--gpu", "0b:00.0", "--goal", "pinball"], 1, "unknown goal"),
        ("amd-x570-two-gpus", ["--gpu", "0b:00.0", "--goal", "storage"], 2, "no controller or disk is chosen"),
        ("amd-x570-two-gpus", ["--release", "--gpu", "0b:00.0"], 1, "--release takes no devices"),
        ("amd-x570-two-gpus", ["--gpu", "0b:00.0", "--bootloader", "lilo"], 1, "unknown boot loader"),
    ]:
        root = os.path.join(tmp, "sel-" + card)
        if not os.path.exists(root):
            card_tree(MKROOT, card, root)
        p = run("--root", root, "plan", "--no-trial", *args)
        tap.ok(p.returncode == code and message in p.stderr, f"selection {card} {' '.join(args)}: exit {code}",
               f"exit {p.returncode}: {p.stderr}")
    # One GPU in a group with the Wi-Fi card: both confirmations named at once, and what each means.
    root = os.path.join(tmp, "minipc")
    card_tree(MKROOT, "minipc-wifi-group", root)
    p = run("--root", root, "plan", "--no-trial", "--gpu", "c5:00.0")
    tap.ok(p.returncode == 2 and "2 reasons:" in p.stderr and "1. 0000:c5:00.0 is the boot VGA device" in p.stderr and
           "--allow-boot-vga" in p.stderr and "2. the IOMMU groups of the devices also hold 0000:c4:00.0" in p.stderr and
           "--allow-dirty-group" in p.stderr and "the guest then starts only once they go to vfio-pci too" in p.stderr,
           "one GPU in a group with the Wi-Fi card: both reasons and both flags at once", p.stderr)
    p = run("--root", root, "plan", "--no-trial", "--gpu", "c5:00.0", "--allow-boot-vga")
    tap.ok(p.returncode == 2 and "reasons" not in p.stderr and "--allow-dirty-group" in p.stderr and
           "boot VGA" not in p.stderr, "... with --allow-boot-vga, the group alone is left", p.stderr)
    p, doc = plan(root, "--gpu", "c5:00.0", "--allow-boot-vga", "--allow-dirty-group")
    tap.ok(doc is not None and any("only GPU" in w for w in doc["warnings"]) and
           any("also hold 0000:c4:00.0, which stay with the host: the guest will not start" in w for w in doc["warnings"]),
           "... with both, planned, saying that the guest will not start until the group goes whole", p.stderr)
    p, doc = plan(root, "--gpu", "c5:00.0", "--allow-boot-vga", "--extra", "c4:00.0")
    tap.ok(doc is not None and "0000:c4:00.0" in doc["devices"] and not any("also hold" in w for w in doc["warnings"]),
           "... or the Wi-Fi card passed along: the group goes whole", p.stderr)
    # The group holds the controller of the host's only disk: no confirmation takes it.
    root = os.path.join(tmp, "minipc-nvme")
    card_tree(MKROOT, "minipc-one-gpu-nvme-group", root)
    for extra in ([], ["--allow-dirty-group"]):
        p = run("--root", root, "plan", "--no-trial", "--gpu", "c5:00.0", "--allow-boot-vga", *extra)
        tap.ok(p.returncode == 2 and "0000:c4:00.0 is the controller of nvme0n1 (/ /boot)" in p.stderr and
               "could never start" in p.stderr and "--allow-dirty-group" not in p.stderr,
               f"one GPU in a group with the root disk's NVMe: refused {' '.join(extra)}, nothing offered".rstrip(),
               p.stderr)
    root = os.path.join(tmp, "reset-quirk")
    card_tree(MKROOT, "intel-no-kernel-iommu", root)
    p = run("--root", root, "plan", "--no-trial", "--gpu", "00:02.0")
    tap.ok(p.returncode == 2 and "boot VGA device" in p.stderr and "--allow-boot-vga" in p.stderr,
           "the boot VGA GPU: refused, with the reasons and the way on", p.stderr)
    p, doc = plan(root, "--gpu", "00:02.0", "--allow-boot-vga")
    tap.ok(doc is not None and "initcall_blacklist=sysfb_init" in doc["kernel_params"]["add"]
           and any("boot VGA" in w for w in doc["warnings"]), "--allow-boot-vga: planned, the firmware framebuffer kept off it",
           p.stderr)
    p, doc = plan(root, "--gpu", "01:00.0", "--allow-boot-vga")
    tap.ok(doc is not None and "initcall_blacklist=sysfb_init" not in doc["kernel_params"]["add"],
           "--allow-boot-vga changes nothing for another GPU", p.stderr)
    p, doc = plan(root, "--gpu", "01:00.0")
    tap.ok(doc is not None and not any("vendor-reset" in w for w in doc["warnings"]),
           "Navi 23 is not in vendor-reset's device list: no such advice", p.stderr)
    root = os.path.join(tmp, "reset-quirk-polaris")
    card_tree(MKROOT, "amd-firmware-iommu-off", root)
    p, doc = plan(root, "--gpu", "0a:00.0", "--allow-boot-vga")
    tap.ok(doc is not None and any("Polaris 10" in w and "vendor-reset" in w for w in doc["warnings"]),
           "a GPU with the AMD reset bug (Polaris 10): the plan points to vendor-reset", p.stderr)
    p, doc = plan(os.path.join(tmp, "sel-amd-x570-two-gpus"), "--gpu", "0b:00.0")
    tap.ok(doc is not None and not any("vendor-reset" in w for w in doc["warnings"]), "other GPUs: no such warning",
           p.stderr)
    root = os.path.join(tmp, "sel-chipset-slot-dirty")
    p = run("--root", root, "plan", "--no-trial", "--gpu", "04:00.0", "--allow-dirty-group")
    tap.ok(p.returncode == 2 and "could never start" in p.stderr and "ISA/LPC bridge" in p.stderr,
           "--allow-dirty-group never takes a group that holds what the host needs", p.stderr)
    p = run("--root", root, "plan", "--no-trial", "--gpu", "04:00.0", "--extra", "00:1f.0")
    tap.ok(p.returncode == 2 and "ISA/LPC bridge" in p.stderr and "stays with the host" in p.stderr,
           "--extra refuses the chipset's LPC bridge", p.stderr)
    p = run("--root", root, "plan", "--no-trial", "--gpu", "04:00.0", "--extra", "03:00.0")
    tap.ok(p.returncode == 2 and "disk controller whose use is unknown" in p.stderr,
           "--extra refuses a disk controller whose disks' use could not be read", p.stderr)
    p = run("--root", root, "plan", "--no-trial", "--gpu", "04:00.0", "--extra", "02:00.0")
    tap.ok(p.returncode == 2 and "0000:02:00.0 is the only network controller" in p.stderr and
           "--allow-host-device" in p.stderr, "--extra refuses the only network controller without --allow-host-device",
           p.stderr)
    root = os.path.join(tmp, "sel-minipc-wifi-group")
    card_tree(MKROOT, "minipc-wifi-group", root)
    p, doc = plan(root, "--gpu", "c5:00.0", "--allow-boot-vga", "--extra", "c4:00.0")
    p = run("--root", root, "plan", "--no-trial", "--gpu", "c5:00.0", "--allow-boot-vga", "--extra", "c4:00.0", "--libvirt-xml")
    try:
        hostdevs = ElementTree.fromstring("<devices>" + p.stdout + "</devices>").findall("hostdev")
        addresses = ["{}:{}:{}.{}".format(*(format(int(h.find("source/address").get(k), 16), w)
                                            for k, w in (("domain", "04x"), ("bus", "02x"), ("slot", "02x"), ("function", "x"))))
                     for h in hostdevs]
    except ElementTree.ParseError:
        addresses = None
    tap.ok(doc is not None and addresses == doc["devices"] and all(h.get("managed") == "yes" for h in hostdevs),
           "--libvirt-xml: well-formed <hostdev> elements, one per device", p.stdout)


def looking_glass(tap, tmp):
    gpu = HARDWARE["hw-intel-amd"][0]
    root = os.path.join(tmp, "lg")
    build("arch-grub", "hw-intel-amd", root)
    before = tree(root)
    p = run("--root", root, "plan", "--no-trial", "--gpu", gpu, "--goal", "looking-glass")
    tap.ok(p.returncode == 2 and "--lg-user" in p.stderr, "Looking Glass without a user: refused, says how", p.stderr)
    p, doc = plan(root, "--gpu", gpu, "--goal", "looking-glass", "--lg-user", "alice")
    files = {f["path"]: f["content"] for f in (doc or {}).get("files", [])}
    tap.ok(files.get("/etc/tmpfiles.d/10-looking-glass.conf", "").endswith("f /dev/shm/looking-glass 0660 alice kvm -\n") and
           ["systemd-tmpfiles", "--create", "--prefix=/dev/shm/looking-glass"] in doc["commands"],
           "Looking Glass: a tmpfiles entry for /dev/shm/looking-glass, created right away", json.dumps(doc)[:500])
    xml = run("--root", root, "plan", "--no-trial", "--gpu", gpu, "--goal", "looking-glass", "--lg-user", "alice", "--libvirt-xml").stdout
    shmem = ElementTree.fromstring("<devices>" + xml + "</devices>").find("shmem")
    tap.ok(shmem is not None and shmem.find("size").text == "32" and shmem.find("model").get("type") == "ivshmem-plain",
           "Looking Glass: 32 MiB <shmem> for 1920x1080", xml)
    xml = run("--root", root, "plan", "--no-trial", "--gpu", gpu, "--goal", "looking-glass", "--lg-user", "alice", "--lg-bit-depth", "10",
              "--libvirt-xml").stdout
    shmem = ElementTree.fromstring("<devices>" + xml + "</devices>").find("shmem")
    tap.ok(shmem is not None and shmem.find("size").text == "64", "Looking Glass: 64 MiB for 1920x1080 HDR (10 bits)", xml)
    p = run("--root", root, "plan", "--no-trial", "--gpu", gpu, "--goal", "looking-glass", "--lg-user", "alice", "--lg-bit-depth", "12")
    tap.ok(p.returncode == 1 and "8 (SDR) or 10 (HDR)" in p.stderr, "Looking Glass: --lg-bit-depth 12 is a usage error",
           p.stderr)
    apply(root, doc)
    p, again = plan(root, "--gpu", gpu, "--goal", "looking-glass", "--lg-user", "alice")
    tap.ok(again is not None and again["files"] == [] and again["commands"] == [],
           "Looking Glass: planned again, nothing to change and nothing to run", again)
    with open(os.path.join(root, "var/lib/vfio-setup/state")) as f:
        state = f.read()
    tap.ok("goals=looking-glass\n" in state and "looking_glass=1920x1080 shm alice\n" in state,
           "Looking Glass: the state records the goal and its settings", state)
    p, kv = plan(root, "--gpu", gpu, "--goal", "looking-glass", "--lg-user", "alice", "--lg-kvmfr", "--lg-resolution",
                 "3840x2160")
    actions = {f["path"]: f["action"] for f in (kv or {}).get("files", [])}
    tap.ok(actions.get("/etc/tmpfiles.d/10-looking-glass.conf") == "delete" and
           actions.get("/etc/modprobe.d/kvmfr.conf") == "create" and actions.get("/etc/udev/rules.d/99-kvmfr.rules") == "create",
           "Looking Glass: switching to kvmfr replaces the tmpfiles entry with the module's files", actions)
    apply(root, kv)
    out = subprocess.run([MODPROBE, "-C", os.path.join(root, "etc/modprobe.d"), "--showconfig"], capture_output=True,
                         text=True).stdout
    tap.ok("options kvmfr static_size_mb=128" in out, "Looking Glass: modprobe reads static_size_mb=128 for 3840x2160",
           out[-300:])
    p, release = plan(root, "--release")
    apply(root, release)
    tap.ok(roots.differences(before, tree(root)) == [], "Looking Glass: --release gives every file back",
           roots.differences(before, tree(root)))


def boot_chains(tap, tmp):
    """The tools that own a boot chain: what each plan touches and runs, and the cases around them."""
    gpu = HARDWARE["hw-intel-amd"][0]

    def machine(name, distro):
        root = os.path.join(tmp, "chain-" + name)
        build(distro, "hw-intel-amd", root)
        return root

    def detected(root):
        d = json.loads(run("--root", root, "detect", "--json").stdout)
        return d["bootloader"]["name"], d["initramfs"]["name"]

    root = machine("pve-no-list", "proxmox8-zfs-grub")
    write(root, "etc/kernel/proxmox-boot-uuids", "")
    p, doc = plan(root, "--gpu", gpu)
    tap.ok(detected(root)[0] == "grub" and doc is not None and ["update-grub"] in doc["commands"] and
           not any(c[0] == "proxmox-boot-tool" for c in doc["commands"]),
           "Proxmox VE with an empty ESP list: plain Debian GRUB", (detected(root), p.stderr))

    # The mode without mounting the ESPs: UEFI with GRUB (Secure Boot), UEFI with systemd-boot but no LoaderInfo.
    root = machine("pve-uefi-grub", "proxmox8-zfs-grub")
    os.makedirs(os.path.join(root, "sys/firmware/efi/efivars"))
    d = json.loads(run("--root", root, "detect", "--json").stdout)["bootloader"]
    tap.ok(d["name"] == "proxmox-boot-tool:grub" and any("GRUB (as with Secure Boot)" in e for e in d["evidence"]),
           "Proxmox VE booted by UEFI without systemd-boot's signs: GRUB mode, and why", d)
    root = machine("pve-uefi-sdboot", "proxmox8-zfs-systemd-boot")
    os.unlink(os.path.join(root, "sys/firmware/efi/efivars/LoaderInfo-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f"))
    d = json.loads(run("--root", root, "detect", "--json").stdout)["bootloader"]
    tap.ok(d["name"] == "proxmox-boot-tool:systemd-boot" and any("/etc/kernel/cmdline" in e for e in d["evidence"]),
           "Proxmox VE booted by UEFI with /etc/kernel/cmdline and no LoaderInfo: systemd-boot mode", d)

    root = machine("pve-no-cmdline", "proxmox8-zfs-systemd-boot")
    os.unlink(os.path.join(root, "etc/kernel/cmdline"))
    p, doc = plan(root, "--gpu", gpu)
    files = {f["path"]: f for f in (doc or {}).get("files", [])}
    cmdline = files.get("/etc/kernel/cmdline", {})
    tap.ok(cmdline.get("action") == "create" and
           cmdline.get("content") == "root=ZFS=rpool/ROOT/pve-1 boot=zfs intel_iommu=on\n" and
           doc["commands"][-1] == ["proxmox-boot-tool", "refresh"],
           "Proxmox VE, systemd-boot without /etc/kernel/cmdline: made from the running line without initrd=, then "
           "proxmox-boot-tool refresh", p.stderr or cmdline)
    apply(root, doc)

    root = machine("ostree", "fedora41-silverblue")
    tap.ok(detected(root) == ("rpm-ostree", "rpm-ostree"), "Silverblue: rpm-ostree boot chain and initramfs",
           detected(root))
    entry = os.path.join(root, "boot/loader.1/entries/ostree-2-fedora.conf")
    text = open(entry).read().replace(" rw ", " rw intel_iommu=off ")
    write(root, "boot/loader.1/entries/ostree-2-fedora.conf", text)
    p, doc = plan(root, "--gpu", gpu)
    paths = [f["path"] for f in (doc or {}).get("files", [])]
    tools = sorted({c[0] for c in (doc or {}).get("commands", [])})
    tap.ok(doc is not None and tools == ["rpm-ostree"] and
           not any(x.startswith(("/boot/", "/usr/", "/etc/default/grub", "/etc/dracut")) for x in paths),
           "rpm-ostree: no file under /boot, /usr, /etc/default/grub or dracut's, and no command but rpm-ostree",
           (paths, tools, p.stderr))
    kargs = doc["commands"][0] if doc and doc["commands"] else []
    tap.ok("--append-if-missing=intel_iommu=on" in kargs and "--delete-if-present=intel_iommu=off" in kargs and
           "--delete-if-present=intel_iommu=on" in doc["undo_commands"][0] and
           "--append-if-missing=intel_iommu=off" in doc["undo_commands"][0],
           "rpm-ostree: intel_iommu=off is replaced, and undo puts it back", (kargs, doc and doc["undo_commands"]))
    tap.ok(any("next reboot" in w for w in doc["warnings"]), "rpm-ostree: the plan says the change comes with the "
           "next deployment, at reboot", doc["warnings"])
    verify_root = os.path.join(tmp, "chain-ostree-verify")
    shutil.copytree(root, verify_root, symlinks=True)
    apply(verify_root, doc)

    def cmdline_checks():
        v = json.loads(run("--root", verify_root, "verify", "--json").stdout)
        return {c["check"]: c["ok"] for c in v["checks"] if c["check"].startswith("the kernel command line")}
    before_boot = cmdline_checks()
    entry_options = [ln for ln in open(os.path.join(verify_root, "boot/loader.1/entries/ostree-2-fedora.conf"))
                     if ln.startswith("options ")][0][len("options "):]
    write(verify_root, "proc/cmdline", "BOOT_IMAGE=(hd0,gpt2)/ostree/vmlinuz " + entry_options)
    after_boot = cmdline_checks()
    tap.ok(before_boot.get("the kernel command line lacks rd.driver.pre=vfio_pci") is False and
           after_boot.get("the kernel command line has rd.driver.pre=vfio_pci") is True and
           after_boot.get("the kernel command line has rd.driver.blacklist=amdgpu,radeon") is True,
           "rpm-ostree: verify checks the arguments of the deployment once it has booted", (before_boot, after_boot))
    # snd_hda_intel also drives the host's own audio: never blacklisted; the service takes the HDMI audio back.
    files = {f["path"]: f for f in doc["files"]}
    unit = files.get("/etc/systemd/system/vfio-setup-takeback.service", {}).get("content") or ""
    script = files.get("/etc/vfio-setup/vfio-pci-takeback.sh", {}).get("content") or ""
    wants = files.get("/etc/systemd/system/sysinit.target.d/vfio-setup-takeback.conf", {}).get("content") or ""
    tap.ok(not any("snd_hda_intel" in a for a in kargs if "blacklist" in a) and "Before=sysinit.target display-manager.service" in unit
           and 'devices="0000:03:00.1"' in script and "Wants=vfio-setup-takeback.service" in wants,
           "rpm-ostree: a driver the host shares stays out of rd.driver.blacklist; a service takes the device back early",
           (kargs, sorted(files)))
    # Applied but not booted: the deployment is staged, its entry not written yet.
    for f in doc["files"]:
        write(root, f["path"].lstrip("/"), f["content"])
    write(root, "run/ostree/staged-deployment", "")
    p, again = plan(root, "--gpu", gpu)
    tap.ok(again is not None and again["commands"] == [], "rpm-ostree, staged: what vfio-setup gave the pending "
           "deployment counts as there, nothing is appended twice", p.stderr or again["commands"])
    p, release = plan(root, "--release")
    deletes = sorted(a for a in (release or {}).get("commands", [[]])[0] if a.startswith("--delete-if-present="))
    tap.ok(release is not None and deletes == sorted("--delete-if-present=" + t for t in doc["kernel_params"]["add"]
                                                     if t != "intel_iommu=off"),
           "rpm-ostree, staged: --release deletes exactly the arguments vfio-setup added", deletes)
    os.unlink(os.path.join(root, "usr/bin/rpm-ostree"))
    p = run("--root", root, "plan", "--no-trial", "--gpu", gpu)
    tap.ok(p.returncode == 2 and "rpm-ostree is not installed" in p.stderr, "an ostree system without rpm-ostree: "
           "refused, nothing under /boot is edited", p.stderr)

    root = machine("suse", "opensuse-tw-sdbootutil")
    os.unlink(os.path.join(root, "etc/kernel/cmdline"))
    write(root, "usr/lib/kernel/cmdline", "root=UUID=8f4c2e1a-5b3d-4c7e-9a1f-2d6b8e0c4a73 quiet\n")
    p, doc = plan(root, "--gpu", gpu)
    files = {f["path"]: f for f in (doc or {}).get("files", [])}
    tap.ok(files.get("/etc/kernel/cmdline", {}).get("content") == "root=UUID=8f4c2e1a-5b3d-4c7e-9a1f-2d6b8e0c4a73 "
           "quiet intel_iommu=on\n" and doc["commands"] == [["sdbootutil", "mkinitrd"]],
           "sdbootutil without /etc/kernel/cmdline: made from /usr/lib/kernel/cmdline; sdbootutil mkinitrd, no dracut",
           p.stderr or doc)
    apply(root, doc)
    p, doc = plan(root, "--gpu", gpu, "--iommu-pt")
    tap.ok(doc is not None and doc["commands"] == [["sdbootutil", "update-all-entries"]],
           "sdbootutil: only the command line changed, sdbootutil update-all-entries", p.stderr or doc)


def fixture_root(tmp, name):
    root = os.path.join(tmp, name)
    card_tree(MKROOT, name, root)
    return root


def cpus(text):
    out = set()
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out.update(range(int(lo), int(hi or lo) + 1))
    return out


def gaming(tap, tmp):
    root = fixture_root(tmp, "threadripper-3970x")
    before = tree(root)
    args = ["--gpu", "4a:00.0", "--goal", "gaming", "--vm-memory", "32G"]
    p, doc = plan(root, *args)
    tap.ok(doc is not None and {"default_hugepagesz=1G", "hugepagesz=1G", "hugepages=32"} <= set(doc["kernel_params"]["add"])
           and not any("sysctl.d" in f["path"] for f in doc["files"]),
           "gaming on a Threadripper: 32 GiB as 1 GiB pages through kernel parameters", p.stderr or doc)
    xml = run("--root", root, "plan", "--no-trial", "--libvirt-xml", *args).stdout
    dom = ElementTree.fromstring("<domain>" + xml + "</domain>")
    pins = {int(v.get("vcpu")): int(v.get("cpuset")) for v in dom.iter("vcpupin")}
    emulator = cpus(dom.find("cputune/emulatorpin").get("cpuset"))
    topo = dom.find("cpu/topology")
    tap.ok(len(pins) == 56 and emulator == {0, 1, 2, 3, 32, 33, 34, 35} and not emulator & set(pins.values()) and
           all(pins[i + 1] == pins[i] + 32 for i in range(0, 56, 2)) and topo.get("cores") == "28" and
           topo.get("threads") == "2" and dom.find("vcpu").text == "56" and
           dom.find("memoryBacking/hugepages/page").get("size") == "1048576",
           "gaming: <cputune> pins 56 vCPUs sibling by sibling, the emulator on core 0's CCX, 1 GiB pages", xml)
    g = (doc or {}).get("gaming") or {}
    tap.ok(g.get("memory_mib") == 32768 and g.get("hugepage_kib") == 1048576 and g.get("vcpu_pins", [])[:4] == [4, 36, 5, 37]
           and g.get("host_cpus") == [0, 1, 2, 3, 32, 33, 34, 35] and g.get("threads_per_core") == 2,
           "gaming: plan --json carries the hugepages and the pinning", g)
    apply(root, doc)
    p, again = plan(root, *args)
    tap.ok(again is not None and again["files"] == [] and again["commands"] == [],
           "gaming: planned again, nothing to change", again)
    p, less = plan(root, "--gpu", "4a:00.0", "--goal", "gaming")
    tap.ok(less is not None and {"default_hugepagesz=1G", "hugepagesz=1G", "hugepages=32"} <= set(less["kernel_params"]["remove"]),
           "gaming without --vm-memory: the hugepage parameters go again", less)
    p, release = plan(root, "--release")
    apply(root, release)
    tap.ok(roots.differences(before, tree(root)) == [], "gaming: --release gives every file back",
           roots.differences(before, tree(root)))

    root = fixture_root(tmp, "intel-12700k-hybrid")
    before = tree(root)
    p, doc = plan(root, "--gpu", "01:00.0", "--goal", "gaming", "--vm-memory", "16G")
    files = {f["path"]: f["content"] for f in (doc or {}).get("files", [])}
    tap.ok(doc is not None and files.get("/etc/sysctl.d/80-vfio-setup-hugepages.conf", "").endswith("vm.nr_hugepages = 8192\n")
           and not any(t.startswith("huge") for t in doc["kernel_params"]["add"]) and
           any("14 vCPUs on host CPUs 2-15" in m and "0-1,16-19" in m for m in doc["manual"]),
           "gaming on a hybrid Intel without pdpe1gb: a sysctl drop-in of 2 MiB pages, P-cores for the guest", doc)
    apply(root, doc)
    p, release = plan(root, "--release")
    apply(root, release)
    tap.ok(roots.differences(before, tree(root)) == [], "gaming: --release removes the sysctl drop-in",
           roots.differences(before, tree(root)))
    for extra, words in ((["--vm-memory", "30G"], "--vm-memory"), (["--vm-cpus", "7"], "multiple of 2"),
                         (["--vm-cpus", "16"], "14 threads are left")):
        p = run("--root", root, "plan", "--no-trial", "--gpu", "01:00.0", "--goal", "gaming", *extra)
        tap.ok(p.returncode == 2 and words in p.stderr, f"gaming {' '.join(extra)}: refused, says why", p.stderr)
    p = run("--root", root, "plan", "--no-trial", "--gpu", "01:00.0", "--goal", "gaming", "--vm-memory", "lots")
    tap.ok(p.returncode != 0 and "16G" in p.stderr, "gaming --vm-memory lots: a usage error with an example", p.stderr)


def storage(tap, tmp):
    root = fixture_root(tmp, "threadripper-3970x")
    before = tree(root)
    gpu = ["--gpu", "4a:00.0"]
    for args, words in ((["--extra", "01:00.0"], "which the host uses for / /home /boot /boot/efi"),
                        (["--goal", "storage", "--extra", "04:00.0"], "which the host uses for /srv/data"),
                        (["--disk", "nvme0n1"], "the host uses it (/ /home /boot /boot/efi)"),
                        (["--disk", "/dev/disk/by-id/ata-ST4000DM004-2CV104_ZFN0ABCD"], "the host uses it (/srv/data)"),
                        (["--disk", "nvme9n1"], "no such disk"),
                        (["--goal", "storage", "--extra", "02:00.0", "--disk", "nvme1n1"], "goes to the guest already")):
        p = run("--root", root, "plan", "--no-trial", *gpu, *args)
        tap.ok(p.returncode == 2 and words in p.stderr, f"storage {' '.join(args)}: refused, says why", p.stderr)

    p, doc = plan(root, *gpu, "--goal", "storage", "--extra", "02:00.0")
    tap.ok(doc is not None and "0000:02:00.0" in doc["devices"] and "15b7:5006" in doc["vfio_ids"] and
           any("nvme1n1" in w and "Windows" in w for w in doc["warnings"]),
           "storage: the free NVMe controller goes to vfio-pci, and the plan names the disk it takes", doc)
    apply(root, doc)
    p, again = plan(root, *gpu, "--goal", "storage", "--extra", "02:00.0")
    tap.ok(again is not None and again["files"] == [] and again["commands"] == [], "storage: planned again, nothing to change",
           again)
    with open(os.path.join(root, "var/lib/vfio-setup/state")) as f:
        state = f.read()
    tap.ok("goals=storage\n" in state and "0000:02:00.0" in state, "storage: the state records the goal and the controller",
           state)
    p, release = plan(root, "--release")
    apply(root, release)
    tap.ok(roots.differences(before, tree(root)) == [], "storage: --release gives every file back",
           roots.differences(before, tree(root)))

    stick = "usb-SanDisk_Cruzer_Blade_4C530001234567-0:0"
    p, doc = plan(root, *gpu, "--disk", "sdb", "--disk", "nvme-WD_BLACK_SN750_1TB_19283A800123")
    tap.ok(doc is not None and doc["disks"] == ["/dev/disk/by-id/" + stick,
                                                "/dev/disk/by-id/nvme-WD_BLACK_SN750_1TB_19283A800123"] and
           "0000:03:00.0" not in doc["devices"], "storage --disk: whole disks by their by-id names, controllers stay", doc)
    xml = run("--root", root, "plan", "--no-trial", *gpu, "--disk", "sdb", "--libvirt-xml").stdout
    disk = ElementTree.fromstring("<devices>" + xml + "</devices>").find("disk")
    tap.ok(disk is not None and disk.get("type") == "block" and disk.find("source").get("dev") == "/dev/disk/by-id/" + stick
           and disk.find("target").get("dev") == "sdb", "storage --disk: a libvirt <disk> on the by-id path", xml)

    # A GPU whose group holds the controller of the root file system: not even --allow-dirty-group.
    card = open(os.path.join(TESTS, "fixtures", "chipset-slot-dirty.card")).read()
    card = "# disk: 03:00.0 sda 500 ata-CT500MX500SSD1_2038E4B1C2D3 CT500MX500SSD1\n# partition: sda 1 ext4\n" \
           "# mount: / ext4 /dev/sda1\n" + card
    path = os.path.join(tmp, "dirty-root.card")
    os.symlink(os.path.join(os.path.abspath(TESTS), "fixtures", "files"), os.path.join(tmp, "files"))
    with open(path, "w") as f:
        f.write(card)
    root = os.path.join(tmp, "dirty-root")
    subprocess.run([MKROOT, path, root], check=True)
    p = run("--root", root, "plan", "--no-trial", "--gpu", "04:00.0", "--allow-dirty-group")
    tap.ok(p.returncode == 2 and "0000:03:00.0 is the controller of sda (/)" in p.stderr,
           "a dirty group with the root disk's controller: refused even with --allow-dirty-group", p.stderr)

    # The GPU's own USB controller holds a disk the host mounts: the slot cannot go, in either mode.
    root = fixture_root(tmp, "gpu-usbc-host-disk")
    before = tree(root)
    for extra in ([], ["--single-gpu", "win11"], ["--allow-dirty-group", "--allow-boot-vga"]):
        p = run("--root", root, "plan", "--no-trial", "--gpu", "01:00.0", *extra)
        tap.ok(p.returncode == 2 and "0000:01:00.2, a function of the slot of GPU 0000:01:00.0, holds sdb" in p.stderr
               and "/srv/backup" in p.stderr and "another port" in p.stderr and p.stdout == "",
               f"a disk the host uses on the GPU's own USB controller: refused {' '.join(extra)}".rstrip(), p.stderr)
    p = run("--root", root, "apply", "--no-trial", "--gpu", "01:00.0", "--yes")
    tap.ok(p.returncode == 2 and roots.differences(before, tree(root)) == [],
           "the same refused by apply, nothing written", (p.stderr, roots.differences(before, tree(root))))


def identical(tap, tmp):
    """Two RX 580s: the second goes to vfio-pci by address, wired into each initramfs generator."""
    root = fixture_root(tmp, "identical-rx580")
    before = tree(root)
    p, doc = plan(root, "--gpu", "0b:00.0")
    files = {f["path"]: f for f in (doc or {}).get("files", [])}
    script = files.get("/etc/vfio-setup/vfio-pci-override.sh", {})
    conf = files.get("/etc/modprobe.d/vfio-setup.conf", {}).get("content", "")
    tap.ok(doc is not None and doc["vfio_ids"] == [] and doc["by_address"] == ["0000:0b:00.0", "0000:0b:00.1"] and
           script.get("mode") == 0o755 and "ids=" not in conf and not any("vfio-pci.ids" in t for t in doc["kernel_params"]["add"])
           and files.get("/etc/dracut.conf.d/11-vfio-setup-override.conf", {}).get("content", "").endswith(
               'install_items+=" /etc/vfio-setup/vfio-pci-override.sh "\n'),
           "identical GPUs: no ids anywhere; an executable script, carried into dracut's image", p.stderr or doc)
    with open(os.path.join(tmp, "rx-modprobe.conf"), "w") as f:
        f.write(conf)
    shown = subprocess.run([MODPROBE, "-C", os.path.join(tmp, "rx-modprobe.conf"), "--showconfig"], capture_output=True,
                           text=True).stdout
    # kmod ignores the install command of a module that has softdeps: the line loads vfio-pci itself.
    tap.ok("install amdgpu modprobe vfio-pci; /bin/sh /etc/vfio-setup/vfio-pci-override.sh; modprobe --ignore-install "
           "amdgpu $CMDLINE_OPTS" in shown and not any(line.startswith("softdep ") for line in shown.splitlines()),
           "identical GPUs: modprobe reads install lines that load vfio-pci first, and no softdep that would void them",
           shown[-600:])

    # The script itself, on the fake sysfs: the chosen card's functions get the override and a probe, the twin nothing.
    sysfs = os.path.join(root, "sys")
    for bdf in ("0000:0a:00.0", "0000:0a:00.1", "0000:0b:00.0", "0000:0b:00.1"):
        with open(os.path.join(sysfs, "bus/pci/devices", bdf, "driver_override"), "w") as f:
            f.write("(null)\n")
    for bdf in ("0000:0b:00.0", "0000:0b:00.1"):
        os.unlink(os.path.join(sysfs, "bus/pci/devices", bdf, "driver"))
    text = script.get("content", "").replace("/sys/", sysfs + "/")
    ran = subprocess.run(["sh", "-c", text], capture_output=True, text=True)
    override = {bdf: open(os.path.join(sysfs, "bus/pci/devices", bdf, "driver_override")).read()
                for bdf in ("0000:0a:00.0", "0000:0b:00.0", "0000:0b:00.1")}
    # A plain file keeps the last write; sysfs takes each write as one probe.
    probed = open(os.path.join(sysfs, "bus/pci/drivers_probe")).read()
    tap.ok(ran.returncode == 0 and override == {"0000:0a:00.0": "(null)\n", "0000:0b:00.0": "vfio-pci\n",
                                                "0000:0b:00.1": "vfio-pci\n"}
           and probed == "0000:0b:00.1\n", "identical GPUs: the script overrides the chosen card only, and asks for a probe",
           ran.stderr + repr(override) + repr(probed))
    os.unlink(os.path.join(sysfs, "bus/pci/drivers_probe"))
    for bdf in ("0000:0a:00.0", "0000:0a:00.1", "0000:0b:00.0", "0000:0b:00.1"):
        os.unlink(os.path.join(sysfs, "bus/pci/devices", bdf, "driver_override"))
    for bdf in ("0000:0b:00.0", "0000:0b:00.1"):
        os.symlink("../../../bus/pci/drivers/amdgpu" if bdf.endswith("0") else "../../../bus/pci/drivers/snd_hda_intel",
                   os.path.join(sysfs, "devices/pci0000:00", bdf, "driver"))

    # The other generators: initramfs-tools gets an executable hook, mkinitcpio a drop-in bash reads.
    p, tools = plan(root, "--gpu", "0b:00.0", "--initramfs", "initramfs-tools")
    hook = {f["path"]: f for f in (tools or {}).get("files", [])}.get("/etc/initramfs-tools/hooks/vfio-setup", {})
    syntax = subprocess.run(["sh", "-n", "-c", hook.get("content", "exit 1")], capture_output=True, text=True)
    tap.ok(hook.get("mode") == 0o755 and "copy_file script /etc/vfio-setup/vfio-pci-override.sh" in hook.get("content", "")
           and syntax.returncode == 0, "identical GPUs with initramfs-tools: an executable hook copies the script",
           hook)
    write(root, "etc/mkinitcpio.conf", "MODULES=()\nHOOKS=(base udev autodetect modconf block filesystems fsck)\n")
    p, cpio = plan(root, "--gpu", "0b:00.0", "--initramfs", "mkinitcpio")
    dropin = {f["path"]: f["content"] for f in (cpio or {}).get("files", [])}.get("/etc/mkinitcpio.conf.d/vfio-setup.conf")
    os.makedirs(os.path.join(tmp, "cpio"), exist_ok=True)
    with open(os.path.join(tmp, "cpio", "vfio-setup.conf"), "w") as f:
        f.write(dropin or "")
    got = bash_vars(tmp, ["cpio/vfio-setup.conf"], ["FILES"])
    tap.ok(got.get("FILES") == "/etc/vfio-setup/vfio-pci-override.sh",
           "identical GPUs with mkinitcpio: a conf.d drop-in adds the script to FILES", got)
    os.unlink(os.path.join(root, "etc/mkinitcpio.conf"))

    apply(root, doc)
    p, again = plan(root, "--gpu", "0b:00.0")
    tap.ok(again is not None and again["files"] == [] and again["commands"] == [],
           "identical GPUs: planned again, nothing to change", again)
    p, other = plan(root, "--gpu", "0a:00.0", "--allow-boot-vga")
    actions = {f["path"]: f["action"] for f in (other or {}).get("files", [])}
    script = {f["path"]: f["content"] for f in (other or {}).get("files", [])}.get("/etc/vfio-setup/vfio-pci-override.sh", "")
    tap.ok(actions.get("/etc/vfio-setup/vfio-pci-override.sh") == "modify" and "0000:0a:00.0 0000:0a:00.1" in script,
           "identical GPUs: switching cards rewrites the script for the other address", actions)
    p, release = plan(root, "--release")
    apply(root, release)
    tap.ok(roots.differences(before, tree(root)) == [], "identical GPUs: --release gives every file back",
           roots.differences(before, tree(root)))

    # Applied for real: the script is executable.
    p = run("--root", root, "apply", "--no-trial", "--gpu", "0b:00.0", "--yes", "--no-regenerate")
    mode = os.stat(os.path.join(root, "etc/vfio-setup/vfio-pci-override.sh")).st_mode & 0o777 if p.returncode == 0 else None
    tap.ok(mode == 0o755, "identical GPUs: apply writes the script with mode 0755", p.stdout[-300:] + p.stderr)
    run("--root", root, "undo", "--yes", "--no-regenerate")

    # NixOS: the same by hand, in preDeviceCommands.
    nixos = os.path.join(tmp, "rx-nixos")
    os.makedirs(nixos)
    os.symlink(os.path.join(os.path.abspath(TESTS), "fixtures", "files"), os.path.join(nixos, "files"))
    card = open(os.path.join(TESTS, "fixtures", "identical-rx580.card")).read()
    with open(os.path.join(nixos, "nixos.card"), "w") as f:
        f.write(card.replace("files/os-release.fedora", "files/os-release.nixos"))
    subprocess.run([MKROOT, os.path.join(nixos, "nixos.card"), os.path.join(nixos, "root")], check=True)
    p, nix = plan(os.path.join(nixos, "root"), "--gpu", "0b:00.0")
    steps = "\n".join((nix or {}).get("manual", []))
    tap.ok("boot.initrd.preDeviceCommands" in steps and "for dev in 0000:0b:00.0 0000:0b:00.1" in steps and
           "ids=" not in steps, "identical GPUs on NixOS: driver_override in preDeviceCommands, no ids", steps)
    # Released where the boot loader was not recognised: what the user was asked to add by hand, the ids among it.
    root = os.path.join(tmp, "unknown-release")
    roots.build(MKROOT, "unknown", "hw-intel-amd", root)
    os.makedirs(os.path.join(root, "var/lib/vfio-setup"), exist_ok=True)
    with open(os.path.join(root, "var/lib/vfio-setup/state"), "w") as f:
        f.write("# Written by vfio-setup: what it set up on this machine.\n"
                "devices=0000:03:00.0 0000:03:00.1\nids=1002:73bf,1002:ab28\n")
    p, doc = plan(root, "--release")
    steps = "\n".join((doc or {}).get("manual", []))
    tap.ok("vfio-pci.ids=1002:73bf,1002:ab28" in steps and "intel_iommu=on" in steps and
           "initcall_blacklist" not in steps,
           "unknown boot loader, --release: the parameters to remove by hand name the ids, and no initcall the "
           "user may own", steps)

    # The boot VGA card, whose entries already blacklist an initcall of the user's: grubby gets the whole list.
    root = os.path.join(tmp, "rx-blacklist")
    card_tree(MKROOT, "identical-rx580", root)
    entries = os.path.join(root, "boot/loader/entries")
    for name in os.listdir(entries):
        text = open(os.path.join(entries, name)).read()
        open(os.path.join(entries, name), "w").write(re.sub(r"^(options .*)$", r"\1 initcall_blacklist=foo_init", text,
                                                             flags=re.M))
    before = tree(root)
    p, doc = plan(root, "--gpu", "0a:00.0", "--allow-boot-vga")
    grubby = [c for c in (doc or {}).get("commands", []) if c[0] == "grubby"]
    tap.ok(grubby and "--args=initcall_blacklist=foo_init,sysfb_init" in grubby[0],
           "a user's initcall_blacklist: sysfb_init joins the list, through grubby too", doc and doc["commands"])
    apply(root, doc)
    p, again = plan(root, "--gpu", "0a:00.0", "--allow-boot-vga")
    tap.ok(again is not None and again["commands"] == [], "a user's initcall_blacklist: planned again, nothing to run",
           again and again["commands"])
    p, release = plan(root, "--release")
    apply(root, release)
    tap.ok(roots.differences(before, tree(root)) == [], "a user's initcall_blacklist: --release leaves foo_init",
           roots.differences(before, tree(root)))


def main():
    tap = Tap()
    distros = roots.distros()
    tap.ok(len(distros) >= 13, f"{len(distros)} distribution fixtures")
    with tempfile.TemporaryDirectory() as tmp:
        for distro in distros:
            for hw in sorted(HARDWARE):
                check(tap, tmp, distro, hw)
        bad_input(tap, tmp)
        looking_glass(tap, tmp)
        gaming(tap, tmp)
        storage(tap, tmp)
        identical(tap, tmp)
        boot_chains(tap, tmp)
    tap.done()


if __name__ == "__main__":
    main()
