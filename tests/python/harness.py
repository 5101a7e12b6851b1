"""Shared runner of cascade's Python tests (plain unittest, Debian's python3).

Prints a closing line "N passed, M failed" (tests, not subtests) that CI
reads, and exits non-zero on any failure.
"""

import os
import sys
import unittest

# The executable under test: $CASCADE_EXE, or the default build.
EXE = os.path.abspath(os.environ.get("CASCADE_EXE", os.path.join("build", "cascade")))


class CountingResult(unittest.TextTestResult):
    """Counts tests (not subtests) as passed or failed, by test id."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.passed_ids = set()
        self.failed_ids = set()

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed_ids.add(test.id())

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self.failed_ids.add(test.id())

    def addError(self, test, err):
        # Also called for setUpModule / setUpClass errors, with a placeholder test.
        super().addError(test, err)
        self.failed_ids.add(test.id())

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self.failed_ids.add(test.id())

    def addSubTest(self, test, subtest, outcome):
        super().addSubTest(test, subtest, outcome)
        if outcome is not None:
            self.failed_ids.add(test.id())


def main(module_name):
    """Runs every test in the module; returns the process exit code."""
    if not os.path.exists(EXE):
        print(f"cascade executable not found: {EXE} (set CASCADE_EXE)", file=sys.stderr)
        print("0 passed, 1 failed")
        return 1
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[module_name])
    runner = unittest.TextTestRunner(verbosity=2, resultclass=CountingResult, stream=sys.stdout)
    result = runner.run(suite)
    failed = len(result.failed_ids)
    passed = len(result.passed_ids - result.failed_ids)
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and result.wasSuccessful() else 1
