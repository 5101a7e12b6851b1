#!/usr/bin/python3
"""Checks scripts/cascade_results.py, the analysts' reader, on real files.

Runs `cascade run` once (printing its console summary), opens the file with
the reader and compares what it returns with the file read directly by h5py
and with the metric table the console printed; then checks that damaged,
foreign, newer-major and incomplete files raise the reader's errors.

Run from the repository root with Debian's Python (h5py + numpy + pandas):
    /usr/bin/python3 tests/python/test_reader.py
The executable is $CASCADE_EXE (default ./build/cascade). The last line printed
is "N passed, M failed"; the exit status is non-zero on any failure.
"""

import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
from decimal import Decimal

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import harness  # noqa: E402  (the shared runner beside this file)

REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "scripts"))
import cascade_results  # noqa: E402

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

EXE = harness.EXE
SCENARIO = os.path.join(REPO, "scenarios", "flash-crash.json")
PATHS = 200
SEED = 4242
# The shipped scenario's /output/quantiles and cohorts.
LEVEL_COLUMNS = ["q0.01", "q0.05", "q0.25", "q0.5", "q0.75", "q0.95", "q0.99"]
COHORTS = [("retail-longs", 1, "long"), ("whale-longs", 1, "long"),
           ("retail-shorts", -1, "short")]
# A row of the console's metric table: `name  estimate  [  lo,  hi]`.
METRIC_ROW = re.compile(r"^\s*([a-z][a-z0-9_]*)\s+(\S+)\s+\[\s*(\S+)\s*,\s*(\S+)\s*\]\s*$")

_tmp = None
_run = {}  # file, console output


def setUpModule():
    global _tmp
    _tmp = tempfile.TemporaryDirectory(prefix="cascade-test-reader-")
    output = os.path.join(_tmp.name, "out.h5")
    command = [EXE, "run", SCENARIO, "-o", output, "--paths", str(PATHS), "--seed", str(SEED)]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} exited {done.returncode}\n{done.stdout}\n{done.stderr}")
    _run["file"] = output
    _run["console"] = done.stdout


def tearDownModule():
    if _tmp is not None:
        _tmp.cleanup()


def copy_of(name):
    """A fresh copy of the run's file, to damage."""
    path = os.path.join(_tmp.name, name)
    shutil.copyfile(_run["file"], path)
    return path


def printed_metrics(console):
    """{name: (estimate, lo, hi)} as printed tokens, from the metric table."""
    rows = {}
    in_table = False
    for line in console.splitlines():
        if re.match(r"^\s*metric\s+estimate\b", line):
            in_table = True
            continue
        if in_table:
            match = METRIC_ROW.match(line)
            if match is None:
                if rows:
                    break
                continue
            rows[match.group(1)] = match.group(2, 3, 4)
    return rows


def agrees_to_printed_precision(value, token):
    """True when `value` rounds to the printed `token` (half a unit of its last digit)."""
    printed = float(token)
    if math.isnan(printed) or math.isnan(value):
        return math.isnan(printed) and math.isnan(value)
    if math.isinf(printed):
        return value == printed
    half_unit = 0.5 * 10.0 ** Decimal(token).as_tuple().exponent
    return abs(value - printed) <= half_unit * (1 + 1e-9) + 1e-300


def as_str(value):
    return value.decode("utf-8") if isinstance(value, bytes) else value


class RoundTrip(unittest.TestCase):
    """The reader returns what the file holds, in the documented shapes."""

    @classmethod
    def setUpClass(cls):
        cls.r = cascade_results.open(_run["file"])
        cls.f = h5py.File(_run["file"], "r")

    @classmethod
    def tearDownClass(cls):
        cls.r.close()
        cls.f.close()

    def test_provenance_and_scenario(self):
        p = self.r.provenance
        self.assertTrue(self.r.complete)
        self.assertIs(self.r.complete, True)
        self.assertEqual(p["format_version"], (1, 7))
        self.assertEqual(p["paths"], PATHS)
        self.assertEqual(p["paths_completed"], PATHS)
        self.assertEqual(p["seed"], SEED)
        self.assertEqual(p["steps"], int(self.f.attrs["steps"]))
        self.assertEqual(p["scenario_name"], "flash-crash")
        self.assertEqual(p["engine"], "cursor")
        for name in ("cascade_version", "git_revision", "created_utc", "threads", "complete",
                     "population_seconds", "simulation_seconds", "reduction_seconds"):
            self.assertIn(name, p)
        for name, value in p.items():
            self.assertNotIsInstance(value, (bytes, np.generic, np.ndarray), name)
        self.assertIsInstance(self.r.scenario, dict)
        self.assertEqual(self.r.scenario, json.loads(as_str(self.f.attrs["scenario"])))
        self.assertEqual(self.r.scenario["simulation"]["paths"], PATHS)
        self.assertIsNone(self.r.sweep)

    def test_time(self):
        self.assertIsInstance(self.r.time, np.ndarray)
        np.testing.assert_array_equal(self.r.time, self.f["time"][()])
        self.assertEqual(len(self.r.time), int(self.f.attrs["steps"]) + 1)

    def test_paths(self):
        paths = self.r.paths
        self.assertIsInstance(paths, pd.DataFrame)
        self.assertEqual(len(paths), PATHS)
        self.assertEqual(paths.index.name, "path")
        self.assertEqual(list(paths.index), list(range(PATHS)))
        self.assertEqual(sorted(paths.columns), sorted(self.f["paths"]))
        for name in self.f["paths"]:
            np.testing.assert_array_equal(paths[name].to_numpy(), self.f["paths"][name][()],
                                          err_msg=name)

    def test_series(self):
        names = self.r.series_names
        self.assertEqual(sorted(names), sorted(self.f["series"]))
        self.assertIn("price", names)
        for name in names:
            with self.subTest(series=name):
                s = self.r.series(name)
                self.assertEqual(s.index.name, "time_s")
                np.testing.assert_array_equal(s.index.to_numpy(), self.f["time"][()])
                levels = self.f[f"series/{name}/quantiles"].attrs["levels"]
                self.assertEqual(list(s.columns),
                                 ["mean", "std"] + [f"q{float(v)!r}" for v in levels])
                self.assertEqual(list(s.columns), ["mean", "std"] + LEVEL_COLUMNS)
                np.testing.assert_array_equal(s["mean"], self.f[f"series/{name}/mean"][()])
                np.testing.assert_array_equal(s["std"], self.f[f"series/{name}/std"][()])
                np.testing.assert_array_equal(s[LEVEL_COLUMNS].to_numpy(),
                                              self.f[f"series/{name}/quantiles"][()])
                self.assertEqual(s.attrs["quantile_relative_error"], 0.0)  # exact by default

    def test_sketched_series_say_their_relative_error(self):
        path = os.path.join(_tmp.name, "sketched.h5")
        subprocess.run([EXE, "run", SCENARIO, "-o", path, "--paths", "128", "--seed", str(SEED),
                        "-q", "--set", "/output/band_method=sketch",
                        "--set", "/output/band_relative_error=0.002"],
                       cwd=REPO, check=True, capture_output=True, timeout=600)
        with cascade_results.open(path) as r:
            self.assertEqual(r.series("price").attrs["quantile_relative_error"], 0.002)

    def test_missing_series_is_a_key_error_listing_the_others(self):
        with self.assertRaises(KeyError) as caught:
            self.r.series("no_such_series")
        self.assertIn("price", str(caught.exception))
        self.assertIn("open_interest", str(caught.exception))

    def test_samples(self):
        k = min(int(self.r.scenario["output"]["sample_paths"]), PATHS)
        s = self.r.samples("price")
        self.assertEqual(s.shape, (len(self.r.time), k))
        self.assertEqual(s.index.name, "time_s")
        self.assertEqual(list(s.columns), list(range(k)))
        np.testing.assert_array_equal(s.to_numpy(), self.f["samples/price"][()].T)
        # Row 0 of the samples is path 0: its last price is the path's final price.
        self.assertEqual(s[0].iloc[-1], self.r.paths["final_price"].iloc[0])
        with self.assertRaises(KeyError):
            self.r.samples("no_such_sample")

    def test_cohorts_decode(self):
        c = self.r.cohorts
        self.assertEqual([(n, int(s), sn) for n, s, sn in
                          zip(c["name"], c["side"], c["side_name"])], COHORTS)
        for name in c["name"]:
            self.assertIsInstance(name, str)
        raw = self.f["population/cohorts"][()]
        for column in raw.dtype.names:
            if column not in ("name", "side"):
                np.testing.assert_array_equal(c[column].to_numpy(), raw[column], column)

    def test_events_join_cohort_names(self):
        events = self.r.events
        k = min(int(self.r.scenario["output"]["sample_paths"]), PATHS)
        self.assertGreater(len(events), 0)
        self.assertEqual(len(events), int(self.r.paths["liquidations"].iloc[:k].sum()))
        self.assertEqual(events.attrs["truncated_paths"], 0)
        self.assertEqual(events.attrs["max_per_path"],
                         self.r.scenario["output"]["max_events_per_path"])
        raw = self.f["events/liquidations"][()]
        for column in raw.dtype.names:
            np.testing.assert_array_equal(events[column].to_numpy(), raw[column], column)
        names = np.array([as_str(n) for n in self.f["population/cohorts"]["name"]],
                         dtype=object)
        expected = names[raw["cohort"].astype(np.int64)]
        got = events["cohort_name"].to_numpy(dtype=object)
        # Compare element-wise, not with assertEqual on lists: a failing diff of
        # ~1e5 rows would take minutes to print.
        wrong = np.flatnonzero(got != expected)
        self.assertEqual(len(wrong), 0, f"{len(wrong)} events with a wrong cohort_name, "
                         f"first at row {wrong[:1]}: {got[wrong[:1]]!r}, "
                         f"expected {expected[wrong[:1]]!r}")
        self.assertEqual({type(n) for n in set(got)}, {str})
        self.assertEqual(set(got) - {n for n, _, _ in COHORTS}, set())
        np.testing.assert_array_equal(events["time_s"].to_numpy(),
                                      self.f["time"][()][raw["step"]])

    def test_metrics_match_the_file(self):
        m = self.r.metrics
        self.assertEqual(sorted(m.index), sorted(self.f["metrics"]))
        self.assertEqual(list(m.columns), ["value", "standard_error", "ci_low", "ci_high",
                                           "units", "description", "count", "sum",
                                           "sum_squares"])
        for name, ds in self.f["metrics"].items():
            with self.subTest(metric=name):
                row = m.loc[name]
                self.assertEqual(row["value"], float(ds[()]))
                for attr in ("standard_error", "ci_low", "ci_high", "sum", "sum_squares"):
                    self.assertTrue(row[attr] == float(ds.attrs[attr])
                                    or (math.isnan(row[attr])
                                        and math.isnan(float(ds.attrs[attr]))), attr)
                self.assertEqual(row["count"], PATHS)
                self.assertEqual(row["units"], as_str(ds.attrs["units"]))
                self.assertIsInstance(row["description"], str)
                self.assertTrue(row["description"])

    def test_metrics_match_the_console(self):
        printed = printed_metrics(_run["console"])
        self.assertGreater(len(printed), 0, "no metric table in the console output:\n"
                           + _run["console"])
        m = self.r.metrics
        self.assertEqual(set(printed) - set(m.index), set(), "printed metrics the reader lacks")
        for name, tokens in printed.items():
            with self.subTest(metric=name):
                for column, token in zip(("value", "ci_low", "ci_high"), tokens):
                    self.assertTrue(agrees_to_printed_precision(float(m.loc[name, column]),
                                                                token),
                                    f"{name} {column}: file {m.loc[name, column]!r}, "
                                    f"printed {token}")

    def test_context_manager_and_close(self):
        with cascade_results.open(_run["file"]) as r:
            self.assertIsInstance(r, cascade_results.Results)
            self.assertEqual(len(r.paths), PATHS)
        r.close()  # idempotent
        self.assertEqual(len(r.paths), PATHS)  # what was read stays usable
        with self.assertRaises(cascade_results.CascadeResultsError):
            r.samples("price")


class Errors(unittest.TestCase):
    """Foreign, damaged, newer and incomplete files raise the reader's errors."""

    def assertOpenRaises(self, error, path, **kwargs):
        with self.assertRaises(error) as caught:
            cascade_results.open(path, **kwargs)
        self.assertIsInstance(caught.exception, cascade_results.CascadeResultsError)
        return str(caught.exception)

    def test_error_hierarchy(self):
        for error in (cascade_results.NotCascadeFile, cascade_results.UnsupportedVersion,
                      cascade_results.IncompleteRun):
            self.assertTrue(issubclass(error, cascade_results.CascadeResultsError))
        self.assertTrue(issubclass(cascade_results.CascadeResultsError, Exception))

    def test_missing_file(self):
        self.assertOpenRaises(cascade_results.NotCascadeFile,
                              os.path.join(_tmp.name, "does-not-exist.h5"))

    def test_foreign_hdf5_file(self):
        path = os.path.join(_tmp.name, "foreign.h5")
        with h5py.File(path, "w") as f:
            f["time"] = np.arange(3.0)
            f.attrs["format_version"] = np.array([1, 0], dtype=np.int32)
        self.assertOpenRaises(cascade_results.NotCascadeFile, path)
        with h5py.File(path, "r+") as f:
            f.attrs["filetype"] = "something-else"
        message = self.assertOpenRaises(cascade_results.NotCascadeFile, path)
        self.assertIn("something-else", message)

    def test_text_file(self):
        path = os.path.join(_tmp.name, "notes.txt")
        with open(path, "w", encoding="utf-8") as f:
            f.write("not an HDF5 file\n")
        self.assertOpenRaises(cascade_results.NotCascadeFile, path)

    def test_truncated_file(self):
        path = os.path.join(_tmp.name, "truncated.h5")
        with open(_run["file"], "rb") as f:
            data = f.read()
        with open(path, "wb") as f:
            f.write(data[:len(data) // 2])
        self.assertOpenRaises(cascade_results.NotCascadeFile, path)

    def test_newer_major_version(self):
        path = copy_of("v2.h5")
        with h5py.File(path, "r+") as f:
            f.attrs["format_version"] = np.array([2, 0], dtype=np.int32)
        message = self.assertOpenRaises(cascade_results.UnsupportedVersion, path)
        self.assertIn("2.0", message)
        self.assertIn("1.", message)

    def test_newer_minor_version_is_accepted(self):
        path = copy_of("v1_7.h5")
        with h5py.File(path, "r+") as f:
            f.attrs["format_version"] = np.array([1, 7], dtype=np.int32)
            f.attrs["some_future_attribute"] = "ignored"
            f["paths"].attrs["future_group_attribute"] = 1
        with cascade_results.open(path) as r:
            self.assertEqual(r.provenance["format_version"], (1, 7))
            self.assertEqual(len(r.paths), PATHS)

    def test_incomplete_run(self):
        path = copy_of("incomplete.h5")
        with h5py.File(path, "r+") as f:
            f.attrs["complete"] = np.int32(0)
            f.attrs["paths_completed"] = np.uint64(PATHS // 4)
        message = self.assertOpenRaises(cascade_results.IncompleteRun, path)
        self.assertIn(f"{PATHS // 4} of {PATHS}", message)
        with cascade_results.open(path, allow_incomplete=True) as r:
            self.assertIs(r.complete, False)
            self.assertEqual(r.provenance["paths_completed"], PATHS // 4)
            self.assertEqual(len(r.paths), PATHS)
            self.assertEqual(len(r.series("price")), len(r.time))



class SweepFiles(unittest.TestCase):
    """open_sweep: a 2 x 2 sweep read back, checked against h5py and against
    the runs of its points."""

    @classmethod
    def setUpClass(cls):
        cls.file = os.path.join(_tmp.name, "sweep.h5")
        command = [EXE, "sweep", SCENARIO, "--paths", "128", "--seed", str(SEED), "-q",
                   "--grid", "/venue/maintenance_margin=0.006,0.01",
                   "--grid", "/venue/insurance_fund=1e5,1e7", "--baseline", "3",
                   "-o", cls.file]
        subprocess.run(command, cwd=REPO, check=True, capture_output=True, timeout=600)
        cls.s = cascade_results.open_sweep(cls.file)

    def test_axes_and_metrics(self):
        s = self.s
        self.assertEqual([p for p, _ in s.axes],
                         ["/venue/maintenance_margin", "/venue/insurance_fund"])
        self.assertEqual(s.shape, (2, 2))
        self.assertEqual(s.baseline, 3)
        self.assertIn("bad_debt_es99", s.metric_names)
        p = s.metric("p_bad_debt")
        self.assertEqual(len(p), 4)
        with h5py.File(self.file, "r") as f:
            np.testing.assert_array_equal(p["value"].to_numpy(),
                                          f["sweep/metrics/p_bad_debt/value"][()].ravel())
        # Row-major: the second axis varies fastest.
        self.assertEqual(p.index[1], (0.006, 1e7))
        self.assertEqual(p["difference"].iloc[3], 0.0)
        self.assertEqual(len(s.table()), 4 * len(s.metric_names))
        np.testing.assert_allclose(s.capital["max_leverage"], 1 / 0.02)
        with self.assertRaises(KeyError):
            s.metric("nope")

    def test_points_match_their_runs(self):
        output = os.path.join(_tmp.name, "point.h5")
        subprocess.run([EXE, "run", SCENARIO, "--paths", "128", "--seed", str(SEED), "-q",
                        "--set", "/venue/maintenance_margin=0.006",
                        "--set", "/venue/insurance_fund=1e7", "-o", output],
                       cwd=REPO, check=True, capture_output=True, timeout=600)
        with cascade_results.open(output) as r:
            for name in ("bad_debt_mean", "p_bad_debt", "bad_debt_es99"):
                row = self.s.metric(name).loc[(0.006, 1e7)]
                self.assertEqual(row["value"], r.metrics.loc[name, "value"], name)
                self.assertEqual(row["standard_error"], r.metrics.loc[name, "standard_error"])

    def test_a_results_file_is_not_a_sweep(self):
        output = os.path.join(_tmp.name, "out.h5")
        with self.assertRaises(cascade_results.NotCascadeFile):
            cascade_results.open_sweep(output)
        with self.assertRaises(cascade_results.NotCascadeFile):
            cascade_results.open(self.file)

if __name__ == "__main__":
    sys.exit(harness.main(__name__))
