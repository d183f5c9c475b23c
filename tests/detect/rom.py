#!/usr/bin/env python3
"""`vfio-setup rom` on fake sysfs: ROM images laid out as the PCI Firmware Specification has
them (0x55AA, the PCIR structure, code types, the last-image flag), built here. A legacy x86
image followed by a UEFI one is saved byte for byte and described; a bad signature, another
card's ids, a PCIR pointer out of the image and a chain that ends early are refused with
nothing written; the boot display is refused before anything is touched; the ROM is enabled,
read and disabled again, also when the read fails (the sysfs writes are recorded through
VFIO_SETUP_SYSFS_LOG).
Usage: rom.py VFIO_SETUP MKROOT TESTS_DIR   (TAP on stdout)
"""
import os
import subprocess
import struct
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from vstest import Tap, card_tree, run_binary  # noqa: E402

BINARY, MKROOT, TESTS = sys.argv[1:4]
GPU, VENDOR, DEVICE = "0000:03:00.0", 0x1002, 0x73bf     # hw-intel-amd.card's RX 6800
BOOT_VGA = "0000:00:02.0"


def image(vendor, device, code_type, blocks, last, signature=b"\x55\xaa", pcir_at=0x40):
    """One ROM image of blocks * 512 bytes."""
    data = bytearray(blocks * 512)
    data[0:2] = signature
    data[2] = blocks
    struct.pack_into("<H", data, 0x18, pcir_at)
    if pcir_at + 0x18 <= len(data):
        data[pcir_at:pcir_at + 4] = b"PCIR"
        struct.pack_into("<HH", data, pcir_at + 4, vendor, device)
        struct.pack_into("<H", data, pcir_at + 0x0a, 0x18)
        data[pcir_at + 0x0d:pcir_at + 0x10] = bytes([0x00, 0x00, 0x03])
        struct.pack_into("<H", data, pcir_at + 0x10, blocks)
        data[pcir_at + 0x14] = code_type
        data[pcir_at + 0x15] = 0x80 if last else 0
    return bytes(data)


def main():
    tap = Tap()
    with tempfile.TemporaryDirectory() as tmp:
        root = os.path.join(tmp, "root")
        card_tree(MKROOT, "hw-intel-amd", root)
        rom = os.path.join(root, "sys/bus/pci/devices", GPU, "rom")
        log = os.path.join(tmp, "writes")
        rel = f"sys/bus/pci/devices/{GPU}/rom"

        def read(contents, *args, device=GPU):
            if os.path.lexists(rom):
                os.unlink(rom)
            if isinstance(contents, bytes):
                open(rom, "wb").write(contents)
            elif contents == "fifo":
                os.mkfifo(rom)
            out = os.path.join(tmp, "out", "card.rom")
            if os.path.exists(out):
                os.unlink(out)
            if os.path.exists(log):
                os.unlink(log)
            p = run_binary(BINARY, "--root", root, "rom", "--gpu", device, "-o", out, *args,
                           env=dict(os.environ, VFIO_SETUP_SYSFS_LOG=log))
            writes = open(log).read().splitlines() if os.path.exists(log) else []
            return p, out, writes

        os.makedirs(os.path.join(tmp, "out"))
        good = image(VENDOR, DEVICE, 0, 128, False) + image(VENDOR, DEVICE, 3, 64, True)
        p, out, writes = read(good)
        tap.ok(p.returncode == 0 and os.path.exists(out) and open(out, "rb").read() == good,
               "a legacy and a UEFI image: saved byte for byte", p.stdout + p.stderr)
        tap.ok("image 1: legacy x86 (VGA BIOS), 64 KiB at byte 0" in p.stdout and
               "image 2: UEFI (GOP driver), 32 KiB at byte 65536" in p.stdout and
               "<rom file='/usr/share/vgabios/card.rom'/>" in p.stdout,
               "each image's type and size, and how to give the file to libvirt", p.stdout)
        tap.ok(writes == [f"{rel} 1", f"{rel} 0"], "the ROM is enabled for the read and disabled after", writes)
        tap.ok(oct(os.stat(out).st_mode & 0o777) == "0o644", "the file is readable by libvirt (0644)")

        cases = [
            (b"\x00" * 4096, "does not start with the 0x55AA signature", "no 0x55AA signature"),
            (image(0x10de, 0x2484, 0, 64, True), "image 1 names 10de:2484, the card is 1002:73bf", "another card's ROM"),
            (image(VENDOR, DEVICE, 0, 8, True, pcir_at=0x2000), "has no PCI data structure", "a PCIR pointer out of the image"),
            (image(VENDOR, DEVICE, 0, 16, False), "the image at byte 8192 does not start with the 0x55AA",
             "an image that says more follow, and none does"),
            (image(VENDOR, DEVICE, 0, 16, True)[:4096], "says it is longer than what was read", "a cut image"),
            (image(VENDOR, DEVICE, 0, 16, False) + image(VENDOR, 0x1234, 3, 8, True), None,
             "a second image with another device id of the vendor (as UEFI images may have)"),
            (b"".join(image(VENDOR, DEVICE, 0, 1, False) for _ in range(70)), "chain of images does not end: 64 images",
             "70 images, none the last"),
        ]
        for contents, text, what in cases:
            p, out, writes = read(contents)
            if text is None:
                tap.ok(p.returncode == 0 and os.path.exists(out), f"{what}: saved", p.stderr)
                continue
            tap.ok(p.returncode == 2 and text in p.stderr and "nothing was written" in p.stderr and
                   not os.path.exists(out) and writes == [f"{rel} 1", f"{rel} 0"],
                   f"{what}: refused, nothing written, the ROM disabled again", (p.stderr, writes))

        # A file that is there stays unless --force says otherwise; sizes under a KiB in bytes.
        small = image(VENDOR, DEVICE, 0, 1, True)
        p, out, writes = read(small)
        tap.ok(p.returncode == 0 and "image 1: legacy x86 (VGA BIOS), 512 bytes at byte 0" in p.stdout,
               "an image of 512 bytes: its size in bytes", p.stdout)
        open(rom, "wb").write(good)
        p = run_binary(BINARY, "--root", root, "rom", "--gpu", GPU, "-o", out, env=dict(os.environ, VFIO_SETUP_SYSFS_LOG=log))
        tap.ok(p.returncode == 1 and "exists; nothing was written" in p.stderr and "--force" in p.stderr and
               open(out, "rb").read() == small, "-o naming a file that exists: refused, the file as it was", p.stderr)
        p = run_binary(BINARY, "--root", root, "rom", "--gpu", GPU, "-o", out, "--force",
                       env=dict(os.environ, VFIO_SETUP_SYSFS_LOG=log))
        tap.ok(p.returncode == 0 and open(out, "rb").read() == good, "... replaced with --force", p.stderr)

        p, out, writes = read("fifo")
        tap.ok(p.returncode == 2 and "disabled again" in p.stderr and writes == [f"{rel} 1", f"{rel} 0"] and
               not os.path.exists(out), "a read that fails: the ROM is disabled again, nothing written",
               (p.stderr, writes))
        p, out, writes = read(None)
        tap.ok(p.returncode == 2 and "no ROM the kernel can read" in p.stderr and writes == [],
               "no rom attribute: said, nothing touched", (p.stderr, writes))
        p, out, writes = read(good, device=BOOT_VGA)
        tap.ok(p.returncode == 2 and "is the boot display" in p.stderr and "firmware" in p.stderr and writes == [] and
               not os.path.exists(out), "the boot display: refused with why and what to do, nothing touched",
               (p.stderr, writes))
        p, out, writes = read(good, device="0000:03:00.1")
        tap.ok(p.returncode == 1 and "is not a GPU" in p.stderr and writes == [], "a device that is not a GPU: refused",
               p.stderr)
        read(good)
        out = os.path.join(tmp, "out", "copy.rom")
        p = run_binary(BINARY, "--root", root, "rom", "--gpu", GPU, "-o", out)
        tap.ok(p.returncode == 2 and f"{root}/sys is not the kernel's sysfs" in p.stderr and
               "nothing was written" in p.stderr and open(rom, "rb").read() == good and not os.path.exists(out),
               "a copied tree (its sys not sysfs): refused before any write, its rom file as it was", p.stderr)
        p = run_binary(BINARY, "--root", root, "rom", "--gpu", GPU, "-o", os.path.join(tmp, "nowhere", "x.rom"),
                       env=dict(os.environ, VFIO_SETUP_SYSFS_LOG=log))
        tap.ok(p.returncode == 1 and "nowhere" in p.stderr, "a directory that does not exist: exit 1", p.stderr)
        p = subprocess.run([os.path.abspath(BINARY), "--root", root, "rom", "--gpu", GPU], capture_output=True,
                           text=True, cwd=tmp, env=dict(os.environ, VFIO_SETUP_SYSFS_LOG=log))
        saved = os.path.join(tmp, f"gpu-{GPU}.rom")
        tap.ok(p.returncode == 0 and os.path.exists(saved) and f"to gpu-{GPU}.rom:" in p.stdout,
               "without -o: gpu-ADDRESS.rom in the working directory", p.stdout + p.stderr)
    tap.done()


if __name__ == "__main__":
    main()
