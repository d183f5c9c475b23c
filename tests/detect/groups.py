#!/usr/bin/env python3
"""`vfio-setup groups` on every machine card: each group's devices, classes, ids and names as
lspci reads them from the same root (-vmm, with its IOMMUGroup field), each GPU's verdict as
detect gives it; --gpus keeps the groups of the GPUs and their other functions (what
`ls-iommu -g -r` shows), --group N one; reset methods from sysfs; ACS from config spaces
built here (a chain with ACS, a looped chain, a header of 256 bytes); the bridges above a GPU
in a tree nested as the kernel nests it.
Usage: groups.py VFIO_SETUP MKROOT TESTS_DIR   (TAP on stdout)
"""
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from vstest import Tap, card_tree, run_binary  # noqa: E402

BINARY, MKROOT, TESTS = sys.argv[1:4]


def cards():
    out = []
    for d in ("fixtures", "plan"):
        for f in sorted(os.listdir(os.path.join(TESTS, d))):
            if f.endswith(".card"):
                out.append(os.path.join(TESTS, d, f))
    return out


def lspci(root):
    """{address: {class, class_name, id, vendor, name, group}} as lspci reads the root."""
    p = subprocess.run(["lspci", "-A", "linux-sysfs", "-O", f"sysfs.path={root}/sys/bus/pci", "-vmm", "-D", "-nn"],
                       capture_output=True, text=True)
    out = {}
    for block in p.stdout.strip().split("\n\n"):
        f = dict(line.split(":\t", 1) for line in block.splitlines() if ":\t" in line)
        if "Slot" not in f:
            continue
        cls = re.match(r"(.*) \[([0-9a-f]{4})\]$", f.get("Class", ""))
        ven = re.match(r"(.*) \[([0-9a-f]{4})\]$", f.get("Vendor", ""))
        dev = re.match(r"(.*) \[([0-9a-f]{4})\]$", f.get("Device", ""))
        out[f["Slot"]] = {
            "class": cls.group(2) if cls else None, "class_name": cls.group(1) if cls else None,
            "id": f"{ven.group(2)}:{dev.group(2)}" if ven and dev else None,
            "group": int(f["IOMMUGroup"]) if "IOMMUGroup" in f else None,
        }
    return out


def lspci_paths(root):
    """{address: [bridge addresses, the root port first]} as lspci -PP walks the root's buses."""
    p = subprocess.run(["lspci", "-A", "linux-sysfs", "-O", f"sysfs.path={root}/sys/bus/pci", "-PP", "-D"],
                       capture_output=True, text=True)
    out = {}
    for line in p.stdout.splitlines():
        hops = line.split(" ", 1)[0].split("/")
        domain = hops[0][:5]
        chain = [hops[0]] + [domain + h for h in hops[1:]]
        out[chain[-1]] = chain[:-1]
    return out


def groups(root, *args):
    """The groups' document; None when groups failed (its document then says why, ok false)."""
    p = run_binary(BINARY, "--root", root, "groups", "--json", *args)
    try:
        doc = json.loads(p.stdout)
    except ValueError:
        return p, None
    return p, (None if doc.get("ok") is False else doc)


def agree_with_lspci_and_detect(tap, tmp):
    bad, gpus_bad, filters_bad, paths_bad, checked, checked_gpus, nested = [], [], [], [], 0, set(), 0
    ungrouped = 0
    for card in cards():
        name = os.path.basename(card)[:-5]
        root = os.path.join(tmp, name)
        subprocess.run([MKROOT, card, root], check=True, capture_output=True)
        p, doc = groups(root)
        seen = lspci(root)
        if doc is None:
            if any(v["group"] is not None for v in seen.values()):
                bad.append(f"{name}: no document though lspci sees groups ({p.stderr.strip()})")
            continue
        checked += 1
        mine = {d["address"]: dict(d, group=g["id"]) for g in doc["groups"] for d in g["devices"]}
        mine.update({d["address"]: dict(d, group=None) for d in doc["ungrouped"]})
        ungrouped += len(doc["ungrouped"])
        for addr, want in seen.items():
            got = mine.get(addr)
            if got is None or got["group"] != want["group"] or got["class"] != want["class"] or \
               got["id"] != want["id"] or (want["class_name"] and got["class_name"] != want["class_name"]):
                bad.append(f"{name} {addr}: lspci {want}, groups {got}")
        if set(mine) != set(seen):
            bad.append(f"{name}: devices differ {sorted(set(mine) ^ set(seen))}")
        detect = json.loads(run_binary(BINARY, "--root", root, "detect", "--json").stdout)
        verdict = {a: g for g in doc["groups"] for a in [d["address"] for d in g["devices"]]}
        for g in detect["gpus"]:
            got = mine.get(g["address"], {})
            if got.get("gpu_passthrough_ok") != g["passthrough_ok"]:
                gpus_bad.append(f"{name} {g['address']}: detect {g['passthrough_ok']}, groups {got}")
            # The slot goes with its GPU: no function of a ready GPU's slot is one the host keeps.
            kept = [a for a in [g["address"]] + g["companions"] if mine.get(a, {}).get("host_needs")]
            if g["passthrough_ok"] and kept:
                gpus_bad.append(f"{name} {g['address']}: ready by detect, groups keeps {kept} for the host")
            if g["passthrough_ok"] and g["group_clean"] and not verdict[g["address"]]["whole_to_guest"]:
                gpus_bad.append(f"{name} {g['address']}: ready with a clean group by detect, groups says "
                                f"group {verdict[g['address']]['id']} cannot go whole")
            if "a function of its slot holds a disk the host uses" in " ".join(g["reasons"]) and not kept:
                gpus_bad.append(f"{name} {g['address']}: a host disk on its slot by detect, groups keeps nothing")
            checked_gpus.add(name)
        walked = lspci_paths(root)
        for g in doc["gpus"]:
            got = [b["address"] for b in g["bridges"]]
            nested += bool(got)
            if got != walked.get(g["address"]):
                paths_bad.append(f"{name} {g['address']}: groups {got}, lspci -PP {walked.get(g['address'])}")
        # --gpus: the groups of the GPUs and of their slots' other functions, and only those.
        related = [a for g in detect["gpus"] for a in [g["address"]] + g["companions"] if a in mine]
        want = {mine[a]["group"] for a in related} - {None}
        p, only = groups(root, "--gpus")
        if only is None or {g["id"] for g in only["groups"]} != want:
            filters_bad.append(f"{name}: --gpus {only and [g['id'] for g in only['groups']]}, want {sorted(want)}")
        if only is not None and sorted(d["address"] for d in only["ungrouped"]) != \
                sorted(a for a in related if mine[a]["group"] is None):
            filters_bad.append(f"{name}: --gpus left out in no group {[d['address'] for d in only['ungrouped']]}")
        some = sorted({d["group"] for d in mine.values()} - {None})[-1]
        p, one = groups(root, "--group", str(some))
        if one is None or [g["id"] for g in one["groups"]] != [some]:
            filters_bad.append(f"{name}: --group {some} gave {one and [g['id'] for g in one['groups']]}")
    tap.ok(checked >= 20 and ungrouped >= 1 and not bad, f"groups agrees with lspci on every card ({checked} with "
           f"groups, {ungrouped} devices in none): members, class, class name, ids", bad[:20])
    tap.ok(not gpus_bad and "gpu-usbc-host-disk" in checked_gpus, "each GPU's verdict in groups is detect's; a ready "
           "GPU's slot and clean group can go whole, a slot with a host disk is kept", gpus_bad[:20])
    tap.ok(not filters_bad, "--gpus keeps the GPUs' groups (their other functions' too), --group N that one",
           filters_bad[:20])
    tap.ok(not paths_bad and nested >= 3, f"the bridges above each GPU are the path lspci -PP walks ({nested} GPUs "
           "behind bridges)", paths_bad[:20])


def ext_caps(caps):
    """A 4096-byte config space: the standard header, then extended capabilities (id, body) chained from 0x100."""
    config = bytearray(4096)
    at = 0x100
    for i, (cap_id, body) in enumerate(caps):
        nxt = 0x100 + 0x40 * (i + 1) if i + 1 < len(caps) else 0
        struct.pack_into("<I", config, at, cap_id | 1 << 16 | nxt << 20)
        config[at + 4:at + 4 + len(body)] = body
        at = nxt
    return config


def special_trees(tap, tmp):
    root = os.path.join(tmp, "special")
    card_tree(MKROOT, "hw-intel-amd", root)
    dev = os.path.join(root, "sys/bus/pci/devices")
    gpu, audio = "0000:03:00.0", "0000:03:00.1"
    open(os.path.join(dev, gpu, "reset_method"), "w").write("flr bus\n")
    header = open(os.path.join(dev, gpu, "config"), "rb").read()[:256]
    # AER, then ACS: capable of SV TB RR CR UF DT, with SV RR CR UF enabled.
    open(os.path.join(dev, gpu, "config"), "wb").write(
        header + ext_caps([(0x0001, b"\0" * 8), (0x000d, struct.pack("<HH", 0x5f, 0x1d))])[256:])
    # A chain that points back at itself ends; no ACS in it.  (The header is the function's own: its identity
    # is read from it.)
    own = open(os.path.join(dev, audio, "config"), "rb").read()[:256]
    looped = bytearray(own + bytes(4096 - len(own)))
    struct.pack_into("<I", looped, 0x100, 0x0001 | 1 << 16 | 0x100 << 20)
    open(os.path.join(dev, audio, "config"), "wb").write(looped)
    p, doc = groups(root, "--gpus")
    devs = {d["address"]: d for g in (doc or {}).get("groups", []) for d in g["devices"]}
    group_of = {d["address"]: g["id"] for g in (doc or {}).get("groups", []) for d in g["devices"]}
    tap.ok(devs.get(gpu, {}).get("reset_method") == "flr bus", "the reset methods of sysfs's reset_method",
           devs.get(gpu))
    tap.ok(devs.get(gpu, {}).get("acs") == {"capable": "SV TB RR CR UF DT", "enabled": "SV RR CR UF"},
           "ACS read from the extended capabilities, past another one", devs.get(gpu))
    tap.ok(devs.get(audio, {}).get("acs") is False, "a looped capability chain ends: no ACS", devs.get(audio))
    others = [d for a, d in devs.items() if a not in (gpu, audio)]
    tap.ok(all(d["acs"] is None for d in others), "a config space of 256 bytes: ACS unknown (null)", others)
    p = run_binary(BINARY, "--root", root, "--no-color", "groups", "--group", str(group_of.get(gpu, 13)))
    tap.ok("reset flr bus, ACS SV RR CR UF" in p.stdout, "the text says the reset methods and the ACS enabled",
           p.stdout)

    # As the kernel nests it: the GPU below a root port (given an address and a class here).
    nested = os.path.join(tmp, "nested")
    shutil.copytree(root, nested, symlinks=True)
    devices = os.path.join(nested, "sys/devices/pci0000:00")
    port = "0000:00:01.0"
    tap.ok(os.path.isdir(os.path.join(devices, port)), f"the card has the root port {port}")
    port_header = open(os.path.join(devices, port, "config"), "rb").read()[:256]
    open(os.path.join(devices, port, "config"), "wb").write(
        port_header + ext_caps([(0x000d, struct.pack("<HH", 0x1f, 0x1f))])[256:])
    for fn in (gpu, audio):
        shutil.move(os.path.join(devices, fn), os.path.join(devices, port, fn))
        link = os.path.join(nested, "sys/bus/pci/devices", fn)
        os.unlink(link)
        os.symlink(f"../../../devices/pci0000:00/{port}/{fn}", link)
        group = os.readlink(os.path.join(devices, port, fn, "iommu_group"))
        os.unlink(os.path.join(devices, port, fn, "iommu_group"))
        os.symlink("../" + group, os.path.join(devices, port, fn, "iommu_group"))
    p, doc = groups(nested, "--gpus")
    path = next((g for g in (doc or {}).get("gpus", []) if g["address"] == gpu), None)
    tap.ok(path is not None and [b["address"] for b in path["bridges"]] == [port] and
           path["bridges"][0]["acs"] == {"capable": "SV TB RR CR UF", "enabled": "SV TB RR CR UF"},
           "the bridges above a GPU, from the kernel's nesting, with their ACS", (path, p.stderr))
    seen = lspci(nested)
    mine = {d["address"]: g["id"] for g in (doc or {}).get("groups", []) for d in g["devices"]}
    tap.ok(mine.get(gpu) is not None and seen.get(gpu, {}).get("group") == mine.get(gpu),
           "lspci reads the nested tree the same", (seen.get(gpu), mine))
    # What the kernel gives: 64 bytes without CAP_SYS_ADMIN, 256 without an extended space.
    said = []
    for size in (64, 256):
        open(os.path.join(devices, port, "config"), "wb").write(port_header[:size])
        p = run_binary(BINARY, "--root", nested, "--no-color", "groups", "--gpus")
        said += [ln.strip() for ln in p.stdout.splitlines() if ln.strip().startswith(port)]
    tap.ok(len(said) == 2 and said[0].endswith("ACS unknown (the config space past 64 bytes needs root)") and
           said[1].endswith("ACS unknown (no extended config space was readable)"),
           "a bridge's ACS unknown says why: root needed (64 bytes) or no extended space (256)", said)


def outside_the_iommu(tap, tmp):
    """intel_iommu=on,igfx_off: the iGPU is in no group, and says so."""
    root = os.path.join(tmp, "igfx-off")
    card_tree(MKROOT, "intel-igfx-off", root)
    p = run_binary(BINARY, "--root", root, "--no-color", "groups", "--gpus")
    lines = p.stdout.splitlines()
    at = lines.index("In no IOMMU group  none can go to a guest: the IOMMU does not translate for them") \
        if "In no IOMMU group  none can go to a guest: the IOMMU does not translate for them" in lines else -1
    tap.ok(p.returncode == 0 and at >= 0 and lines[at + 1].startswith("  0000:00:02.0  VGA compatible controller") and
           "GPU: the device has no IOMMU group" in lines[at + 3] and "GPU 0000:00:02.0: no bridge above it" in p.stdout,
           "a GPU in no group is listed under its own heading with detect's reason, and its path", p.stdout)
    p, doc = groups(root, "--group", "1")
    tap.ok(doc is not None and doc["ungrouped"] == [], "--group N shows none of the devices in no group", doc)


def refusals(tap, tmp):
    root = os.path.join(tmp, "no-iommu")
    card_tree(MKROOT, "vm-no-iommu", root)
    p = run_binary(BINARY, "--root", root, "groups")
    tap.ok(p.returncode == 2 and "no IOMMU groups" in p.stderr, "no IOMMU groups: exit 2, says so", p.stderr)
    root = os.path.join(tmp, "special")
    p = run_binary(BINARY, "--root", root, "groups", "--group", "999")
    tap.ok(p.returncode == 1 and "there is no IOMMU group 999" in p.stderr, "--group of no group: refused", p.stderr)
    p = run_binary(BINARY, "--root", root, "groups", "--group", "x")
    tap.ok(p.returncode == 1 and "--group x" in p.stderr, "--group x: a usage error", p.stderr)
    p = run_binary(BINARY, "--root", root, "groups", "--gpus", "--group", "1")
    tap.ok(p.returncode == 1 and "give one" in p.stderr, "--gpus with --group: refused", p.stderr)


def main():
    tap = Tap()
    with tempfile.TemporaryDirectory() as tmp:
        agree_with_lspci_and_detect(tap, tmp)
        special_trees(tap, tmp)
        outside_the_iommu(tap, tmp)
        refusals(tap, tmp)
    tap.done()


if __name__ == "__main__":
    main()
