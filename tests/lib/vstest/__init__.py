"""What every Python suite of tests/ shares: TAP and the running of vfio-setup (tap), fake
machines from the fixtures (roots), the stand-in commands a plan runs and the journal they
leave (commands), and a fake sysfs for the scripts vfio-setup writes (fakesys).

A suite puts tests/lib on its path:  sys.path.insert(0, os.path.join(HERE, "..", "lib"))."""
from .commands import in_root, journal_states, stand_ins
from .roots import FIXTURES, TESTS, card_path, card_tree
from .tap import WRAP, Tap, run_binary

__all__ = ["FIXTURES", "TESTS", "WRAP", "Tap", "card_path", "card_tree", "in_root", "journal_states", "run_binary",
           "stand_ins"]
