"""What the boot tools' stand-ins share: the log apply.py reads, and the machine they act on.

A stand-in records its command line in $STANDIN_LOG, else in "log" beside itself (as the
shell stand-ins of apply.py do), refuses arguments the real tool would refuse (exit 2, the message on
stderr), and, given STANDIN_ROOT, changes that fake root as the real tool would change
what vfio-setup reads back.
"""
import os
import sys


def record(argv):
    log = os.environ.get("STANDIN_LOG") or os.path.join(os.path.dirname(os.path.abspath(argv[0])), "log")
    with open(log, "a") as f:
        f.write(" ".join([os.path.basename(argv[0])] + argv[1:]) + "\n")


def refuse(tool, message):
    sys.stderr.write(f"{tool}: {message}\n")
    sys.exit(2)


def root():
    return os.environ.get("STANDIN_ROOT")
