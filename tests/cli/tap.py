"""A small TAP producer shared by the command-line tests."""
import sys


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

    def done(self):
        print(f"1..{self.n}")
        sys.exit(1 if self.failed else 0)
