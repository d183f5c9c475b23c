#!/usr/bin/env python3
"""The layers' rules the linker cannot see (meson.build's layer-* objects see the calls):
a source file includes public headers (vfio-setup/...) and its own folder's, never another
folder's private ones; a public header includes only public headers; and no library text
speaks a front end's language (a key to press, a screen, an option): that is remedy.h's;
and the options the wizard names (its equivalent command line, its advice) are the CLI's.
Usage: layers.py SOURCE_ROOT   (TAP on stdout)"""
import glob
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from vstest import Tap  # noqa: E402

TOP = sys.argv[1]
LIBRARIES = ("core", "detect", "card", "plan", "apply", "verify", "snapshot")
INCLUDE = re.compile(r'^#include "([^"]+)"', re.M)
# vfio-setup's own options (src/cli/options.h's OPTIONS), a key to press, or a step of the wizard.
OPTIONS = re.findall(r'X\(\w+, "([a-z-]+)", \w+\)', open(os.path.join(TOP, "src", "cli", "options.h")).read())
FRONT_END = re.compile(r'"[^"\n]*(?:(?<![\w-])--(?:%s)(?![\w-])|\bpress [a-zA-Z]\b|\b(?:GPU|Goal|Boot|Review|Apply|Done) '
                       r'screen\b)[^"\n]*"' % "|".join(OPTIONS))
# Text written into the machine's files names the command that removes it: a file has no front end.
FILE_HEADER = re.compile(r"'vfio-setup plan --release'")


def strings_outside_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def main():
    tap = Tap()
    bad = []
    for path in sorted(glob.glob(os.path.join(TOP, "src", "*", "*.[ch]"))):
        folder = os.path.basename(os.path.dirname(path))
        for inc in INCLUDE.findall(open(path).read()):
            if not inc.startswith("vfio-setup/") and not os.path.exists(os.path.join(TOP, "src", folder, inc)):
                bad.append(f"{os.path.relpath(path, TOP)}: {inc}")
    tap.ok(not bad, "sources include public headers and their own folder's only", "\n".join(bad))

    bad = [f"{os.path.relpath(p, TOP)}: {inc}" for p in sorted(glob.glob(os.path.join(TOP, "include", "vfio-setup", "*.h")))
           for inc in INCLUDE.findall(open(p).read()) if not inc.startswith("vfio-setup/")]
    tap.ok(not bad, "public headers include public headers only", "\n".join(bad))

    bad = [] if len(OPTIONS) > 20 else ["src/cli/options.h: its OPTIONS could not be read"]
    for layer in LIBRARIES:
        for path in sorted(glob.glob(os.path.join(TOP, "src", layer, "*.[ch]"))):
            text = FILE_HEADER.sub("''", strings_outside_comments(open(path).read()))
            for m in FRONT_END.finditer(text):
                bad.append(f"{os.path.relpath(path, TOP)}: {m.group(0)[:100]}")
    tap.ok(not bad, "the libraries name no option, key or screen (remedy.h's codes do)", "\n".join(bad))

    bad = []
    for path in sorted(glob.glob(os.path.join(TOP, "src", "tui", "*.c"))):
        for literal in re.findall(r'"[^"\n]*"', strings_outside_comments(open(path).read())):
            bad += [f"{os.path.relpath(path, TOP)}: --{o}" for o in re.findall(r"(?<![\w-])--([a-z][a-z-]*)", literal)
                    if o not in OPTIONS]
    tap.ok(OPTIONS and not bad, "the options the wizard names are the command line's", "\n".join(bad))
    tap.done()


if __name__ == "__main__":
    main()
