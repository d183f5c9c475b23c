#!/usr/bin/env python3
"""data/reset-quirks against the device list of vendor-reset it names as its source
(tests/detect/vendor-reset-ids.txt): every family has a source, and its ids are exactly
that table's.  Usage: reset_quirks.py DATA_FILE REFERENCE_FILE   (TAP on stdout)"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from vstest import Tap  # noqa: E402


def lines(path):
    with open(path) as f:
        return [line.rstrip("\n") for line in f if line.strip() and not line.startswith("#")]


def main():
    tap = Tap()
    reference = {}
    for line in lines(sys.argv[2]):
        macro, *ids = line.split()
        reference[macro] = set(ids)
    seen = set()
    for line in lines(sys.argv[1]):
        fields = line.split("\t")
        tap.ok(len(fields) == 4, f"{fields[0]}: name, vendor, ids and source", line)
        if len(fields) != 4:
            continue
        name, vendor, ids, source = fields
        macro = source.split()[-1]
        tap.ok(source.startswith("vendor-reset src/device-db.h ") and macro in reference,
               f"{name}: its source is a table of vendor-reset's device list", source)
        tap.ok(vendor == "1002" and set(ids.split()) == reference.get(macro, set()),
               f"{name}: exactly the ids of {macro}",
               f"data: {sorted(set(ids.split()))}\nreference: {sorted(reference.get(macro, set()))}")
        seen.add(macro)
    tap.ok(seen == set(reference), "every table of vendor-reset's list is in data/reset-quirks",
           f"missing: {sorted(set(reference) - seen)}")
    tap.done()


if __name__ == "__main__":
    main()
