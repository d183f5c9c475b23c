#!/usr/bin/env python3
"""Several GPUs: --gpu repeated passes every GPU named, each with its companions and the same
refusals (the boot VGA one per GPU), never the last one alone; a GPU named twice, or several in
single-GPU mode, is refused. A libvirt domain per GPU, saved with -o DIR.
Usage: gpus.py VFIO_SETUP MKROOT TESTS_DIR   (TAP on stdout)
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from vstest import Tap, roots, run_binary  # noqa: E402

BINARY, MKROOT, TESTS = sys.argv[1:4]
RX, RTX = "0000:21:00.0", "0000:4a:00.0"    # threadripper-3970x.card: the boot VGA RX 6600 and an RTX 3090


def hostdevs(dom):
    if dom is None:
        return None
    return ["%04x:%02x:%02x.%x" % tuple(int(a.get(k), 16) for k in ("domain", "bus", "slot", "function"))
            for a in dom.findall("./devices/hostdev/source/address")]


def plan(root, *args):
    return run_binary(BINARY, "--root", root, "--no-color", "plan", "--no-trial", *args)


def main():
    tap = Tap()
    with tempfile.TemporaryDirectory() as tmp:
        root = os.path.join(tmp, "tr")
        roots.build(MKROOT, "debian12-grub", "threadripper-3970x", root)

        p = plan(root, "--gpu", RTX, "--gpu", RX, "--allow-boot-vga", "--json")
        doc = json.loads(p.stdout or "{}")
        tap.ok(p.returncode == 0 and doc.get("devices") == [RTX, "0000:4a:00.1", RX, "0000:21:00.1"] and
               len(doc.get("vfio_ids", [])) == 4,
               "both GPUs, each with its audio function, in the order named; every id", p.stdout[-800:] + p.stderr)
        warnings = " ".join(doc.get("warnings", []))
        tap.ok(f"{RX} is the boot VGA device" in warnings and f"{RTX} is the boot VGA" not in warnings,
               "the boot VGA warning names the GPU that is, not the other", warnings)
        p = plan(root, "--gpu", RTX, "--gpu", RX)
        tap.ok(p.returncode == 2 and f"{RX} is the boot VGA device" in p.stderr and "--allow-boot-vga" in p.stderr,
               "the second GPU's refusal is its own: the boot VGA device, with the option that lifts it", p.stderr)
        p = plan(root, "--gpu", RTX, "--gpu", "4a:00.0")
        tap.ok(p.returncode == 2 and "named twice" in p.stderr, "the same GPU twice (in another spelling): refused",
               p.stderr)
        p = plan(root, "--gpu", RTX, "--gpu", RTX)
        tap.ok(p.returncode == 1 and "named twice" in p.stderr, "the same address twice: a usage error", p.stderr)
        p = plan(root, "--gpu", RTX, "--gpu", "4a:00.1")
        tap.ok(p.returncode == 2 and "named twice" in p.stderr, "a GPU's own function named as another GPU: refused",
               p.stderr)
        p = plan(root, "--gpu", RTX, "--gpu", RX, "--allow-boot-vga", "--single-gpu", "win11")
        tap.ok(p.returncode == 2 and "name one GPU" in p.stderr, "single-GPU mode with two GPUs: refused", p.stderr)

        # One libvirt domain per GPU, saved where -o says; the goals' memory is the first guest's.
        out = os.path.join(tmp, "domains")
        os.makedirs(out)
        two = ["--gpu", RTX, "--gpu", RX, "--allow-boot-vga", "--goal", "gaming", "--vm-memory", "8G"]
        p = plan(root, *two, "--libvirt-domain", "w1", "--libvirt-domain", "w2", "-o", out)
        docs = {n: ET.parse(os.path.join(out, f"{n}.xml")).getroot() for n in ("w1", "w2")
                if os.path.exists(os.path.join(out, f"{n}.xml"))}
        tap.ok(p.returncode == 0 and [hostdevs(docs.get(n)) for n in ("w1", "w2")] ==
               [[RTX, "0000:4a:00.1"], [RX, "0000:21:00.1"]],
               "a domain per GPU, in the order of --gpu, each with its GPU's functions", p.stdout + p.stderr)
        tap.ok(docs.get("w1") is not None and docs["w1"].find("memoryBacking") is not None and
               docs.get("w2") is not None and docs["w2"].find("memoryBacking") is None,
               "the gaming goal's hugepages go to the first guest only")
        for n in ("w1", "w2"):
            v = subprocess.run(["virsh", "-c", "test:///default", "define", os.path.join(out, f"{n}.xml")],
                               capture_output=True, text=True) if shutil.which("virsh") else None
            tap.ok(v is None or v.returncode == 0, f"{n}.xml: virsh define (test driver) takes it",
                   v.stderr if v else "virsh not installed")
        p = plan(root, *two, "--libvirt-domain", "w1", "--libvirt-domain", "w2", "-o", out)
        tap.ok(p.returncode == 1 and "exists; --force replaces it" in p.stderr, "an existing file is kept unless --force",
               p.stderr)
        p = plan(root, *two, "--libvirt-domain", "w1", "--libvirt-domain", "w2", "-o", out, "--force")
        tap.ok(p.returncode == 0, "--force replaces them", p.stderr)
        p = plan(root, *two, "--libvirt-domain", "w1", "--libvirt-domain", "w2", "--libvirt-domain", "w3", "-o", out)
        tap.ok(p.returncode == 1 and "as many --gpu as names" in p.stderr, "three domains for two GPUs: refused",
               p.stderr)
        p = plan(root, *two, "--libvirt-domain", "w1", "-o", out)
        tap.ok(p.returncode == 1 and "-o and --force go with several" in p.stderr, "-o with one domain: refused",
               p.stderr)
    tap.done()


if __name__ == "__main__":
    main()
