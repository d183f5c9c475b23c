"""A small TAP producer shared by the command-line tests, and the running of the binary."""
import os
import re
import shlex
import subprocess
import sys

# VFIO_SETUP_WRAP runs the binary under a tool, e.g. valgrind.
WRAP = shlex.split(os.environ.get("VFIO_SETUP_WRAP", ""))
# A wrapping tool's own notes (valgrind's "==pid==" and "--pid--") are not the program's.
TOOL_NOTE = re.compile(r"^(==|--)\d+(==|--).*\n?", re.M)


def run_binary(binary, *args, env=None):
    p = subprocess.run([*WRAP, binary, *args], capture_output=True, text=True, timeout=600, env=env)
    p.stderr = TOOL_NOTE.sub("", p.stderr)
    return p


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, diag=None):
        self.n += 1
        if not cond:
            self.failed += 1
        print(f"{'ok' if cond else 'not ok'} {self.n} - {name}")
        if not cond and diag:
            for line in str(diag).splitlines():
                print(f"# {line}")
        sys.stdout.flush()
        return cond

    def skip(self, name, why):
        self.n += 1
        print(f"ok {self.n} - {name} # SKIP {why}")
        sys.stdout.flush()

    def comment(self, lines):
        for line in lines:
            print(f"# {line}")
        sys.stdout.flush()

    def done(self):
        print(f"1..{self.n}")
        sys.exit(1 if self.failed else 0)
