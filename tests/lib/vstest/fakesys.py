"""A fake sysfs whose "kernel" answers the writes a script makes as the real one does (unbind
drops the driver link, drivers_probe binds by driver_override or else the device's own driver),
and stand-ins for the commands such scripts run; every write and command goes to one log, in
order.  Used by the tests of the scripts vfio-setup writes: the single-GPU hook and the service
that takes devices from built-in drivers."""

import os
import shutil
import subprocess

# The one line of a script that writes to sysfs; a test puts the fake kernel in its place.
PUT = "put() {\n\tprintf '%s\\n' \"$2\" 2>/dev/null >\"$1\"\n}\n"

# The kernel's side of the sysfs files a script writes, synchronous as the real writes are.
FAKE_KERNEL = r'''#!/usr/bin/env python3
import os, sys
sys_root, log = os.environ["FAKE_SYS"], os.environ["FAKE_LOG"]
path, value = sys.argv[1], sys.argv[2]
rel = os.path.relpath(os.path.realpath(path), os.path.realpath(sys_root))
with open(log, "a") as f:
    f.write(f"write {rel} {value}\n")
if rel in os.environ.get("FAKE_FAIL", "").split(","):
    sys.exit(1)
parts = rel.split("/")
pci = os.path.join(sys_root, "bus/pci")

def driver(dev):
    link = os.path.join(pci, "devices", dev, "driver")
    return os.path.basename(os.readlink(link)) if os.path.islink(link) else None

def bind(dev, name):
    if os.path.isdir(os.path.join(pci, "drivers", name)) and not (name == "vfio-pci" and dev in os.environ.get("FAKE_NOBIND", "").split(",")):
        os.symlink(os.path.join(pci, "drivers", name), os.path.join(pci, "devices", dev, "driver"))
        drm = os.path.join(pci, "devices", dev, "drm")
        if name != "vfio-pci" and os.path.isdir(drm + ".gone"):
            os.rename(drm + ".gone", drm)

if parts[:3] == ["bus", "pci", "devices"] and parts[4:] == ["driver_override"]:
    open(os.path.join(sys_root, rel), "w").write((value or "(null)") + "\n")
elif parts[:3] == ["bus", "pci", "drivers"] and parts[4:] == ["unbind"]:
    if driver(value) != parts[3]:
        sys.exit(1)
    os.unlink(os.path.join(pci, "devices", value, "driver"))
    # The device's DRM nodes go with its driver.
    drm = os.path.join(pci, "devices", value, "drm")
    if os.path.isdir(drm):
        os.rename(drm, drm + ".gone")
elif parts[:3] == ["bus", "pci", "drivers"] and parts[4:] == ["bind"]:
    if driver(value) is not None or not os.path.isdir(os.path.join(pci, "drivers", parts[3])):
        sys.exit(1)
    bind(value, parts[3])
elif rel == "bus/pci/drivers_probe":
    if driver(value) is None:
        override = open(os.path.join(pci, "devices", value, "driver_override")).read().strip()
        bind(value, override if override != "(null)" else open(os.path.join(pci, "devices", value, "native")).read().strip())
elif parts[:3] == ["bus", "platform", "drivers"] and parts[4:] in (["unbind"], ["bind"]):
    mark = os.path.join(sys_root, "bus/platform/drivers", parts[3], value)
    if parts[4] == "unbind":
        os.rmdir(mark)
    else:
        os.mkdir(mark)
elif parts[:2] == ["class", "vtconsole"] and parts[3:] == ["bind"]:
    open(os.path.join(sys_root, rel), "w").write(value + "\n")
else:
    sys.exit(2)
'''

STANDINS = {
    # is-active answers from a file the stand-in keeps; stop and start change it.
    "systemctl": 'echo "systemctl $*" >> "$FAKE_LOG"\n'
                 'case "$1" in\n'
                 'is-active) [ -e "$FAKE_DIR/dm-active" ] ;;\n'
                 'stop) [ -z "$FAKE_DM_STUCK" ] && rm -f "$FAKE_DIR/dm-active" ;;\n'
                 'start) touch "$FAKE_DIR/dm-active" ;;\n'
                 'esac\n',
    "modprobe": 'echo "modprobe $*" >> "$FAKE_LOG"\n'
                '[ -z "$FAKE_MODPROBE_FAILS" ] || exit 1\n'
                'mkdir -p "$FAKE_SYS/bus/pci/drivers/vfio-pci"\n',
    # A hook that calls back into libvirt deadlocks it: any call is a failure of the test.
    "virsh": 'echo "virsh $*" >> "$FAKE_LOG"\nexit 1\n',
}




def check_script(tap, path, what):
    """A script vfio-setup writes parses (sh -n) and passes shellcheck, when it is installed."""
    p = subprocess.run(["sh", "-n", path], capture_output=True, text=True)
    tap.ok(p.returncode == 0, f"{what}: sh -n", p.stderr)
    if shutil.which("shellcheck"):
        p = subprocess.run(["shellcheck", "-s", "sh", path], capture_output=True, text=True)
        tap.ok(p.returncode == 0, f"{what}: shellcheck", p.stdout)
    else:
        tap.skip(f"{what}: shellcheck", "shellcheck is not installed")


def adapt_text(text, sys_dir, proc_dir, run_dir, more=()):
    """A script's writes to the fake kernel, its sysfs, /proc and /run (where it has them) to those given."""
    for old, new in ((PUT, 'put() {\n\tfake-kernel "$1" "$2"\n}\n'), ("\nsys=/sys\n", f"\nsys={sys_dir}\n"), *more):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    for old, new in (("\nproc=/proc\n", f"\nproc={proc_dir}\n"), ("\nrun=/run/vfio-setup\n", f"\nrun={run_dir}\n")):
        assert text.count(old) <= 1, old
        text = text.replace(old, new)
    return text


class FakeSys:
    """A directory with sys/ (PCI devices bound to drivers), bin/ (the stand-ins and the fake
    kernel) and the log; scripts are adapted to it and run by sh."""

    def __init__(self, directory, devices):
        self.dir = directory
        self.sys = os.path.join(directory, "sys")
        self.proc = os.path.join(directory, "proc")
        os.makedirs(self.proc)
        self.log = os.path.join(directory, "log")
        self.bin = os.path.join(directory, "bin")
        pci = os.path.join(self.sys, "bus/pci")
        for dev, drv in devices.items():
            os.makedirs(os.path.join(pci, "drivers", drv), exist_ok=True)
            os.makedirs(os.path.join(pci, "devices", dev))
            os.symlink(os.path.join(pci, "drivers", drv), os.path.join(pci, "devices", dev, "driver"))
            with open(os.path.join(pci, "devices", dev, "native"), "w") as f:
                f.write(drv + "\n")
            with open(os.path.join(pci, "devices", dev, "driver_override"), "w") as f:
                f.write("(null)\n")
        os.makedirs(self.bin)
        for name, body in STANDINS.items():
            self.tool(os.path.join(self.bin, name), "#!/bin/sh\n" + body)
        self.tool(os.path.join(self.bin, "fake-kernel"), FAKE_KERNEL)

    @staticmethod
    def tool(path, text):
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, 0o755)

    def adapt(self, text, name, *more):
        """The script with its writes going to the fake kernel and its sysfs here; more: (old, new) pairs."""
        text = adapt_text(text, self.sys, self.proc, os.path.join(self.dir, "run/vfio-setup"), more)
        path = os.path.join(self.dir, name)
        self.tool(path, text)
        return path

    def run(self, script, *args, stdin=None, **env):
        e = dict(os.environ, PATH=self.bin + ":" + os.environ["PATH"], FAKE_SYS=self.sys, FAKE_LOG=self.log,
                 FAKE_DIR=self.dir, **env)
        if os.path.exists(self.log):
            os.unlink(self.log)
        p = subprocess.run(["sh", script, *args], input=stdin, capture_output=True, text=True, env=e, timeout=60)
        p.log = open(self.log).read().splitlines() if os.path.exists(self.log) else []
        return p

    def holder(self, pid, comm, *nodes):
        """A process with the device nodes open, as /proc shows it."""
        fd = os.path.join(self.proc, str(pid), "fd")
        os.makedirs(fd)
        with open(os.path.join(self.proc, str(pid), "comm"), "w") as f:
            f.write(comm + "\n")
        for n, node in enumerate(nodes):
            os.symlink(node, os.path.join(fd, str(n + 3)))

    def drm(self, dev, *nodes):
        """The device's DRM nodes (card1, renderD128) in sysfs."""
        for node in nodes:
            os.makedirs(os.path.join(self.sys, "bus/pci/devices", dev, "drm", node))

    def driver(self, dev):
        link = os.path.join(self.sys, "bus/pci/devices", dev, "driver")
        return os.path.basename(os.readlink(link)) if os.path.islink(link) else None

    def read(self, rel):
        with open(os.path.join(self.sys, rel)) as f:
            return f.read().strip()
