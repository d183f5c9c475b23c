"""Guest images and boots for the VM tier.

An image is a Debian guest made by mmdebstrap from the apt sources of the machine
running the tests, with one boot loader and one initramfs generator, installed by the
guest itself in a first boot started with QEMU's -kernel.  Images are cached by a hash
of their package list, their apt sources and of the code that makes them.

Each boot gets its step as a tar through fw_cfg (opt/vmtest/payload): a shell script
named step, the vfio-setup binary and data, guest/lib.sh.  The guest's agent runs it
at boot, writes to the second serial port and powers off; the host reads that log.
The first serial port is the guest's console (kernel and systemd), kept beside it.
"""
import fcntl
import glob
import hashlib
import inspect
import io
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
GUEST = os.path.join(HERE, "guest")
# The guest's units and the targets that want them: the step at boot, a report when the boot fails.
UNITS = {"vmtest-agent.service": ["multi-user.target"], "vmtest-emergency.service": ["emergency.target", "rescue.target"]}

# What every guest needs: a kernel, systemd, the tools vfio-setup runs and reads with,
# and the libraries the vfio-setup built on the host links against.
COMMON = ["linux-image-amd64", "systemd-sysv", "udev", "kmod", "pciutils", "procps", "e2fsprogs",
          "libpci3", "libblkid1", "libjson-c5", "libncursesw6", "zlib1g", "libudev1"]

GRUB_SETUP = """set -e
grub-install --target=x86_64-efi --efi-directory=/boot/efi --removable --no-nvram
update-grub
"""

SDBOOT_SETUP = """set -e
bootctl install --no-variables --esp-path=/boot/efi
for image in /boot/vmlinuz-*; do
        version=${image#/boot/vmlinuz-}
        kernel-install add "$version" "$image" "/boot/initrd.img-$version"
done
ls -R /boot/efi/loader
cat /boot/efi/loader/entries/*.conf
"""

IMAGES = {
    "grub": {"packages": COMMON + ["grub-efi-amd64", "initramfs-tools"], "setup": GRUB_SETUP},
    "sdboot": {"packages": COMMON + ["systemd-boot", "initramfs-tools"], "setup": SDBOOT_SETUP},
    # The initramfs dracut makes when the kernel is installed is the image's own (generic, made where the image is
    # built, as an rpm-ostree image's is), with bochs in it: the VM tier's image-initramfs cycle needs a display
    # driver there.  Written before the packages are installed, so that it is made once, at native speed.
    "dracut": {"packages": COMMON + ["grub-efi-amd64", "dracut"], "setup": GRUB_SETUP,
               "before": {"etc/dracut.conf.d/00-vmtest-image.conf": 'add_drivers+=" bochs "\n'}},
}

# The command line every guest starts with: the Intel IOMMU off, which plans replace.  Without the CPU
# vulnerability mitigations an emulated boot and initramfs build take a fifth less time.
CMDLINE = "console=ttyS0 intel_iommu=off mitigations=off"
DISK_MIB, ESP_MIB = 3072, 256
OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd"

# The serial log of a boot is cut to this many bytes on the disk (the start and end are kept).
LOG_MAX = 2 * 1024 * 1024


class VmError(Exception):
    pass


def log(msg):
    print(f"# {time.strftime('%H:%M:%S')} {msg}", flush=True)


def sh(*argv, **kw):
    p = subprocess.run(argv, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        raise VmError(f"{' '.join(argv)}: exit {p.returncode}\n{p.stdout[-2000:]}{p.stderr[-2000:]}")
    return p.stdout


def host_codename():
    for line in open("/etc/os-release"):
        if line.startswith("VERSION_CODENAME="):
            return line.split("=", 1)[1].strip().strip('"')
    raise VmError("/etc/os-release names no VERSION_CODENAME")


def apt_sources(codename, etc="/etc/apt"):
    """The machine's own apt sources for its release (suites named codename or codename-*), as files."""
    files = []
    for path in sorted(glob.glob(f"{etc}/sources.list") + glob.glob(f"{etc}/sources.list.d/*.list") +
                       glob.glob(f"{etc}/sources.list.d/*.sources")):
        text = open(path).read()
        if path.endswith(".sources"):
            stanzas = [s for s in re.split(r"\n\s*\n", text)
                       if re.search(r"^Types:.*\bdeb\b", s, re.M) and
                       any(w == codename or w.startswith(codename + "-")
                           for m in re.findall(r"^Suites:(.*)$", s, re.M) for w in m.split())]
            if stanzas:
                files.append((".sources", "\n\n".join(s.strip() for s in stanzas) + "\n"))
        else:
            # deb [options] URI SUITE COMPONENT...
            lines = [ln for ln in text.splitlines()
                     if re.match(r"\s*deb\s", ln) and
                     any(w == codename or w.startswith(codename + "-")
                         for w in re.sub(r"^\s*deb\s+(\[[^]]*\]\s*)?", "", ln).split()[1:2])]
            if lines:
                files.append((".list", "\n".join(lines) + "\n"))
    if not files:
        raise VmError(f"no apt source for {codename} is configured on this machine")
    return files


def recipe_hash(name, codename, sources):
    h = hashlib.sha256()
    h.update(repr((name, IMAGES[name], CMDLINE, DISK_MIB, ESP_MIB, codename, sources)).encode())
    # What ends up in the image; lib.sh and the step come with each boot.
    for f in (customize, make_disk):
        h.update(inspect.getsource(f).encode())
    for name in ("agent", *UNITS):
        h.update(open(os.path.join(GUEST, name), "rb").read())
    return h.hexdigest()[:16]


def write(root, rel, text, mode=0o644):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def customize(root, name):
    """The guest's own settings: disks, the agent, fast initramfs builds, no boot menu delay."""
    # systemd gives a device 90 s to appear; two emulated guests at once on a slow machine can take longer.
    wait = "x-systemd.device-timeout=10min"
    write(root, "etc/fstab", f"/dev/vda2 / ext4 rw,errors=remount-ro,{wait} 0 1\n"
                             f"/dev/vda1 /boot/efi vfat umask=0077,{wait} 0 2\n")
    write(root, "etc/hostname", "vmtest\n")
    os.makedirs(os.path.join(root, "boot/efi"), exist_ok=True)
    shutil.copy(os.path.join(GUEST, "agent"), os.path.join(root, "usr/local/sbin/vmtest-agent"))
    os.chmod(os.path.join(root, "usr/local/sbin/vmtest-agent"), 0o755)
    for unit, targets in UNITS.items():
        shutil.copy(os.path.join(GUEST, unit), os.path.join(root, "etc/systemd/system/"))
        for target in targets:
            wants = os.path.join(root, f"etc/systemd/system/{target}.wants")
            os.makedirs(wants, exist_ok=True)
            os.symlink(f"/etc/systemd/system/{unit}", os.path.join(wants, unit))
    # Under emulation an initramfs of every module takes many minutes; one of what this guest uses, two or three.
    if os.path.isdir(os.path.join(root, "etc/initramfs-tools")):
        write(root, "etc/initramfs-tools/conf.d/vmtest", "MODULES=dep\n")
    if os.path.isdir(os.path.join(root, "etc/dracut.conf.d")):
        write(root, "etc/dracut.conf.d/vmtest.conf", 'hostonly="yes"\n')
    grub = os.path.join(root, "etc/default/grub")
    if os.path.exists(grub):
        text = open(grub).read()
        text = re.sub(r"^GRUB_TIMEOUT=.*$", "GRUB_TIMEOUT=0", text, flags=re.M)
        text = re.sub(r"^GRUB_CMDLINE_LINUX_DEFAULT=.*$", f'GRUB_CMDLINE_LINUX_DEFAULT="{CMDLINE}"', text, flags=re.M)
        open(grub, "w").write(text)
    # The user of the Looking Glass goal (the owner of its shared memory).
    for rel, line in (("etc/passwd", "gamer:x:1000:1000::/home/gamer:/bin/sh\n"), ("etc/group", "gamer:x:1000:\n"),
                      ("etc/shadow", "gamer:!:19000::::::\n")):
        with open(os.path.join(root, rel), "a") as f:
            f.write(line)
    # No password, no network: nothing to log in to, nothing to reach.
    for unit in ("getty@tty1.service", "serial-getty@ttyS0.service"):
        link = os.path.join(root, "etc/systemd/system", unit)
        if not os.path.lexists(link):
            os.symlink("/dev/null", link)


def make_disk(root, image, tmp):
    """GPT: an empty FAT ESP and an ext4 root holding the tree; nothing is mounted on the host."""
    esp_start = 2048
    esp_sectors = ESP_MIB * 2048
    root_start = esp_start + esp_sectors
    root_sectors = DISK_MIB * 2048 - root_start - 2048
    with open(image, "wb") as f:
        f.truncate(DISK_MIB * 1024 * 1024)
    table = (f"label: gpt\nstart={esp_start}, size={esp_sectors}, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name=esp\n"
             f"start={root_start}, size={root_sectors}, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=root\n")
    p = subprocess.run(["sfdisk", "--quiet", image], input=table, capture_output=True, text=True)
    if p.returncode != 0:
        raise VmError(f"sfdisk: {p.stderr}")
    sh("mkfs.fat", "-F", "32", "-s", "1", "-n", "ESP", f"--offset={esp_start}", image, str(esp_sectors // 2))
    sh("mke2fs", "-q", "-F", "-t", "ext4", "-L", "root", "-d", root, "-E", f"offset={root_start * 512}", image,
       f"{root_sectors // 2}k")


def payload(step, binary, datadir, extra=None):
    """The tar a boot gets: step, lib.sh, the vfio-setup binary and its data."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        def add_bytes(name, data, mode=0o644):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = mode
            tar.addfile(info, io.BytesIO(data))
        add_bytes("step", (". ./lib.sh\n" + step).encode(), 0o755)
        tar.add(os.path.join(GUEST, "lib.sh"), "lib.sh")
        if binary:
            tar.add(binary, "vfio-setup")
            tar.add(datadir, "data")
        for name, data in (extra or {}).items():
            add_bytes(name, data.encode() if isinstance(data, str) else data, 0o755)
    return buf.getvalue()


def kvm_works():
    """KVM when it runs a guest: /dev/kvm can be there and still fail (the firmware stops at once)."""
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return False
    with tempfile.TemporaryFile() as err:
        p = subprocess.Popen(["qemu-system-x86_64", "-nodefaults", "-display", "none", "-machine", "q35",
                              "-accel", "kvm", "-m", "64", "-monitor", "none", "-serial", "none", "-no-reboot",
                              "-drive", f"if=pflash,format=raw,unit=0,readonly=on,file={OVMF_CODE}"],
                             stdout=subprocess.DEVNULL, stderr=err)
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        err.seek(0)
        text = err.read().decode(errors="replace")
    return p.returncode in (0, -9) and "error" not in text.lower() and "failure" not in text.lower()


class Machine:
    """The virtual hardware of a chain of boots: CPU, IOMMU, display devices."""

    def __init__(self, iommu="intel", cpu=None, devices=None):
        self.iommu = iommu
        self.cpu = cpu or ("EPYC" if iommu == "amd" else "Skylake-Client-v4")
        self.devices = devices or []

    def args(self):
        a = ["-machine", "q35,kernel-irqchip=split" if self.iommu == "intel" else "q35", "-cpu", self.cpu]
        if self.iommu == "intel":
            a += ["-device", "intel-iommu,intremap=on,caching-mode=on"]
        else:
            a += ["-device", "amd-iommu"]
        for d in self.devices:
            a += ["-device", d]
        return a


def serial_blocks(text):
    """@@BEGIN name ... @@END name rc blocks of a serial log: {name: (rc, text)}."""
    out = {}
    for m in re.finditer(r"^@@BEGIN (\S+)\r?\n(.*?)^@@END \1 (\d+)\r?$", text, re.M | re.S):
        out[m.group(1)] = (int(m.group(3)), m.group(2).replace("\r", ""))
    return out


class Boot:
    """What one boot reported (the step's output) and where its logs are (that and the console)."""

    def __init__(self, log_path, console_path, qemu_path, text, seconds):
        self.log_path = log_path
        self.console_path = console_path
        self.qemu_path = qemu_path
        self.text = text
        self.seconds = seconds
        self.blocks = serial_blocks(text)
        # Each step's seconds, from the times lib.sh's block gives; where the agent began, from its first step.
        times = [(name, float(start), float(end))
                 for name, start, end in re.findall(r"^@@TIME (\S+) ([\d.]+) ([\d.]+)\r?$", text, re.M)]
        self.steps = {name: end - start for name, start, end in times}
        self.agent_start = min((start for _, start, _ in times), default=None)
        m = re.search(r"^@@VMTEST done (\d+)", text, re.M)
        self.done = int(m.group(1)) if m else None
        m = re.search(r"^@@VMTEST emergency\r?\n(.*)", text, re.M | re.S)
        self.emergency = m.group(1).replace("\r", "") if m else None

    def out(self, name):
        return self.blocks.get(name, (None, ""))[1]

    def rc(self, name):
        return self.blocks.get(name, (None, ""))[0]


class Guest:
    """A disk (a copy-on-write layer over a cached image) and its UEFI variables, booted again and again."""

    def __init__(self, work, base, machine, accel, binary, datadir, name, cpus=2):
        self.work = work
        self.cpus = cpus
        self.machine = machine
        self.accel = accel
        self.binary = binary
        self.datadir = datadir
        self.name = name
        self.count = 0
        self.disk = os.path.join(work, f"{name}.qcow2")
        self.vars = os.path.join(work, f"{name}.vars.fd")
        sh("qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b", base, self.disk)
        shutil.copy(OVMF_VARS, self.vars)

    def boot(self, step, timeout=1500, kernel=None, extra=None):
        self.count += 1
        tag = f"{self.name}-{self.count}"
        pay = os.path.join(self.work, f"{tag}.tar")
        with open(pay, "wb") as f:
            f.write(payload(step, self.binary, self.datadir, extra))
        log_path = os.path.join(self.work, f"{tag}.log")
        console_path = os.path.join(self.work, f"{tag}.console.log")
        # The gaming goal leaves the host 4 GiB: 6 GiB lets a guest of 512 MiB be planned (TCG allocates lazily).
        argv = ["qemu-system-x86_64", "-nodefaults", "-display", "none", "-no-reboot", "-m", "6144", "-smp", str(self.cpus)]
        argv += ["-accel", "kvm"] if self.accel == "kvm" else ["-accel", "tcg,thread=multi"]
        argv += self.machine.args()
        argv += ["-drive", f"if=pflash,format=raw,unit=0,readonly=on,file={OVMF_CODE}",
                 "-drive", f"if=pflash,format=raw,unit=1,file={self.vars}",
                 "-drive", f"file={self.disk},if=none,id=disk,format=qcow2,cache=unsafe",
                 "-device", "virtio-blk-pci,drive=disk,bus=pcie.0,addr=0x6",
                 "-chardev", f"file,id=console,path={console_path}", "-serial", "chardev:console",
                 "-chardev", f"file,id=report,path={log_path}", "-serial", "chardev:report",
                 "-fw_cfg", f"name=opt/vmtest/payload,file={pay}", "-nic", "none"]
        if kernel:
            argv += ["-kernel", kernel[0], "-initrd", kernel[1], "-append", kernel[2]]
        qemu_path = os.path.join(self.work, f"{tag}.qemu.log")
        start = time.monotonic()
        with open(qemu_path, "w") as err:
            try:
                subprocess.run(argv, stdout=err, stderr=subprocess.STDOUT, timeout=timeout, check=False)
            except subprocess.TimeoutExpired:
                err.write(f"\n(killed after {timeout} s)\n")
        seconds = time.monotonic() - start
        text = open(log_path, errors="replace").read() if os.path.exists(log_path) else ""
        bound(log_path)
        bound(console_path)
        bound(qemu_path)
        return Boot(log_path, console_path, qemu_path, text, seconds)


def tail(path, n):
    """The last n lines of a log, as text."""
    try:
        return "".join(open(path, errors="replace").readlines()[-n:])
    except OSError:
        return ""


def bound(path):
    """Keeps a serial log's first and last LOG_MAX/2 bytes."""
    if not os.path.exists(path) or os.path.getsize(path) <= LOG_MAX:
        return
    with open(path, "rb") as f:
        head = f.read(LOG_MAX // 2)
        f.seek(-LOG_MAX // 2, os.SEEK_END)
        tail = f.read()
    with open(path, "wb") as f:
        f.write(head + b"\n[... cut ...]\n" + tail)


def image_path(name, cache):
    """Where the image for name, as its recipe is now, is cached."""
    codename = host_codename()
    return os.path.join(cache, f"{name}-{recipe_hash(name, codename, apt_sources(codename))}.img")


def image_cached(name, cache):
    return os.path.exists(image_path(name, cache))


def build_image(name, cache, accel):
    """The cached image for name, made when missing: mmdebstrap, customize, disk, a setup boot."""
    os.makedirs(cache, exist_ok=True)
    # Chains booted side by side, and runs sharing the cache, can need the same image: it is
    # made once.  Each open of the lock file is locked on its own, so this serializes threads too.
    with open(os.path.join(cache, f".{name}.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _build_image(name, cache, accel)


def own_mounts(*argv):
    """argv in its own mount namespace: what it mounts (a chroot's /proc, /sys, /dev) ends
    with it, even when it is killed before it can take the mounts down."""
    return ("unshare", "--mount", "--propagation", "private", *argv)


def mounts_under(path):
    """The mount points at or below path, deepest first (mountinfo escapes blanks as octal)."""
    path = os.path.realpath(path)
    found = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), line.split()[4])
            if point == path or point.startswith(path + "/"):
                found.append(point)
    return sorted(found, key=len, reverse=True)


def remove_build_dir(path):
    """Removes what a build killed part-way left, never reaching into a file system
    mounted inside it: a chroot's /dev/shm or /sys is the host's own."""
    for point in mounts_under(path):
        sh("umount", "--lazy", point)
    if os.path.lexists(path):
        sh("rm", "-rf", "--one-file-system", "--", path)


def _build_image(name, cache, accel):
    codename = host_codename()
    sources = apt_sources(codename)
    image = image_path(name, cache)
    key = os.path.basename(image)[len(name) + 1:-len(".img")]
    if os.path.exists(image):
        log(f"image {name}: cached ({os.path.basename(image)})")
        return image
    for stale in glob.glob(os.path.join(cache, f"{name}-*")):
        os.unlink(stale)
    # Under the lock, a build directory is one whose builder died.
    tmp = os.path.join(cache, f".{name}-build")
    remove_build_dir(tmp)
    os.makedirs(tmp)
    root = os.path.join(tmp, "root")
    src_files = []
    for i, (ext, text) in enumerate(sources):
        path = os.path.join(tmp, f"source{i}{ext}")
        open(path, "w").write(text)
        src_files.append(path)
    start = time.monotonic()
    log(f"image {name}: mmdebstrap {codename} with {', '.join(IMAGES[name]['packages'])}")
    hooks = []
    for rel, text in IMAGES[name].get("before", {}).items():
        path = os.path.join(tmp, os.path.basename(rel))
        open(path, "w").write(text)
        hooks.append(f'--setup-hook=mkdir -p "$1/{os.path.dirname(rel)}" && cp {path} "$1/{rel}"')
    sh(*own_mounts("mmdebstrap", "--quiet", "--mode=root", "--variant=minbase", "--include=" + ",".join(IMAGES[name]["packages"]),
       *hooks, codename, root, *src_files))
    customize(root, name)
    kernels = sorted(glob.glob(os.path.join(root, "boot/vmlinuz-*")))
    if not kernels:
        raise VmError(f"image {name}: no kernel in /boot")
    version = os.path.basename(kernels[-1])[len("vmlinuz-"):]
    kernel = os.path.join(tmp, "vmlinuz")
    initrd = os.path.join(tmp, "initrd.img")
    shutil.copy(kernels[-1], kernel)
    shutil.copy(os.path.join(root, f"boot/initrd.img-{version}"), initrd)
    raw = os.path.join(tmp, "disk.img")
    make_disk(root, raw, tmp)
    shutil.rmtree(root)
    log(f"image {name}: tree and disk made in {time.monotonic() - start:.0f} s; setup boot")
    g = Guest(tmp, raw, Machine(), accel, None, None, "setup")
    b = g.boot(IMAGES[name]["setup"].replace("set -e", "set -e\nexec 2>&1"), timeout=900,
               kernel=(kernel, initrd, f"root=/dev/vda2 rw {CMDLINE}"))
    if b.done != 0:
        raise VmError(f"image {name}: the setup boot failed (exit {b.done}); logs {b.log_path}, "
                      f"{b.console_path}:\n" + tail(b.qemu_path, 20) + b.text[-3000:] + tail(b.console_path, 40))
    shutil.copy(b.log_path, os.path.join(cache, f"{name}-{key}.setup.log"))
    shutil.copy(b.console_path, os.path.join(cache, f"{name}-{key}.setup.console.log"))
    sh("qemu-img", "convert", "-O", "raw", g.disk, image + ".new")
    os.rename(image + ".new", image)
    shutil.rmtree(tmp)
    log(f"image {name}: ready in {time.monotonic() - start:.0f} s (setup boot {b.seconds:.0f} s)")
    return image
