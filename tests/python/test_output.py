#!/usr/bin/python3
"""End-to-end check of the results file from the analyst's side.

Runs `cascade run` on the shipped default scenario, opens the HDF5 file with
h5py and checks it against numpy recomputations and against the contract in
docs/output-format.md (both ways: everything in the file is documented, and
everything documented is in the file).

Run from the repository root with Debian's Python (h5py + numpy):
    /usr/bin/python3 tests/python/test_output.py
The executable is $CASCADE_EXE (default ./build/cascade). The last line printed
is "N passed, M failed"; the exit status is non-zero on any failure.
"""

import json
import math
import os
import re
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np

REPO = os.getcwd()
EXE = os.path.abspath(os.environ.get("CASCADE_EXE", os.path.join("build", "cascade")))
SCENARIO = os.path.join(REPO, "scenarios", "flash-crash.json")
DOC = os.path.join(REPO, "docs", "output-format.md")

PATHS = 300
SEED = 12345
# Determinism runs use several 64-path blocks and a ragged last block.
DETERMINISM_PATHS = 1000
DETERMINISM_THREADS = (1, 2, 4)
# Root attributes that legitimately differ between otherwise identical runs.
VOLATILE_ROOT_ATTRIBUTES = {"created_utc", "threads", "simulation_seconds", "reduction_seconds",
                            "scenario"}

_tmp = None
_run = {}  # filled by setUpModule: file path, scenario dict


def run_cascade(output, *extra):
    command = [EXE, "run", SCENARIO, "-o", output, "--quiet", *extra]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} exited {done.returncode}\n{done.stdout}\n{done.stderr}")
    return output


def setUpModule():
    global _tmp
    _tmp = tempfile.TemporaryDirectory(prefix="cascade-test-output-")
    output = os.path.join(_tmp.name, "out.h5")
    run_cascade(output, "--paths", str(PATHS), "--seed", str(SEED))
    with open(SCENARIO, encoding="utf-8") as f:
        _run["input_scenario"] = json.load(f)
    _run["file"] = output


def tearDownModule():
    if _tmp is not None:
        _tmp.cleanup()


def all_objects(f):
    """{'/path': object} for every group and dataset below the root."""
    objects = {}
    f.visititems(lambda name, obj: objects.__setitem__("/" + name, obj))
    return objects


def as_str(value):
    return value.decode("utf-8") if isinstance(value, bytes) else value


# ---------------------------------------------------------------------------
# docs/output-format.md tables


class DocTable:
    def __init__(self, heading, header, rows):
        self.heading = heading
        self.header = header
        self.rows = rows  # list of dicts: header cell -> text, plus "name"


def split_row(line):
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def parse_doc(path):
    """Every Markdown table outside code fences, with the heading above it.

    Body rows must name one thing, in backticks, in the first column:
    `/full/path` for a group or dataset, `name` for an attribute.
    """
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    tables = []
    heading = ""
    in_code = False
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.lstrip().startswith("```"):
            in_code = not in_code
            i += 1
            continue
        if in_code:
            i += 1
            continue
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
        if line.lstrip().startswith("|"):
            block = []
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                block.append(lines[i])
                i += 1
            header = split_row(block[0])
            if len(block) < 2 or not re.fullmatch(r"[\s|:-]+", block[1]):
                raise ValueError(f"{path}: table under '{heading}' has no separator row")
            rows = []
            for body in block[2:]:
                cells = split_row(body)
                if len(cells) != len(header):
                    raise ValueError(f"{path}: row {body!r} has {len(cells)} cells, "
                                     f"header has {len(header)}")
                m = re.fullmatch(r"`([^`]+)`", cells[0])
                if not m:
                    raise ValueError(f"{path}: first cell of {body!r} is not one `name`")
                row = dict(zip(header, cells))
                row["name"] = m.group(1)
                rows.append(row)
            tables.append(DocTable(heading, header, rows))
            continue
        i += 1
    return tables


def backticked(text):
    return re.findall(r"`([^`]+)`", text)


def doc_shape(text, sizes):
    """'(steps + 1, L)' -> tuple of ints, using the sizes of this run."""
    if not re.fullmatch(r"\(\s*[A-Za-z0-9_+\-*\s,]*\)", text):
        raise ValueError(f"cannot read shape {text!r}")
    value = eval(text, {"__builtins__": {}}, dict(sizes))  # names and + only
    return value if isinstance(value, tuple) else (value,)


# ---------------------------------------------------------------------------


class ResultsFile(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.f = h5py.File(_run["file"], "r")
        cls.scenario = json.loads(as_str(cls.f.attrs["scenario"]))
        cls.levels = np.asarray(_run["input_scenario"]["output"]["quantiles"], dtype=float)
        cls.steps = int(cls.f.attrs["steps"])
        cls.final_price = cls.f["paths/final_price"][()]

    @classmethod
    def tearDownClass(cls):
        cls.f.close()

    def test_filetype_and_version(self):
        self.assertEqual(as_str(self.f.attrs["filetype"]), "cascade-results")
        version = self.f.attrs["format_version"]
        self.assertEqual(version.shape, (2,))
        self.assertTrue(np.issubdtype(version.dtype, np.integer))
        self.assertEqual(int(version[0]), 1)
        self.assertGreaterEqual(int(version[1]), 0)

    def test_run_attributes(self):
        self.assertEqual(int(self.f.attrs["seed"]), SEED)
        self.assertEqual(int(self.f.attrs["paths"]), PATHS)
        self.assertEqual(self.scenario["simulation"]["paths"], PATHS)
        self.assertEqual(self.scenario["simulation"]["seed"], SEED)
        self.assertEqual(self.scenario["simulation"]["steps"], self.steps)
        self.assertEqual(as_str(self.f.attrs["scenario_name"]),
                         _run["input_scenario"]["name"])
        self.assertEqual(self.scenario["name"], _run["input_scenario"]["name"])
        self.assertGreaterEqual(int(self.f.attrs["threads"]), 1)
        self.assertGreaterEqual(float(self.f.attrs["simulation_seconds"]), 0.0)
        self.assertRegex(as_str(self.f.attrs["created_utc"]),
                         r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        for name in ("cascade_version", "git_revision"):
            self.assertTrue(as_str(self.f.attrs[name]), name)

    def test_time_grid(self):
        time = self.f["time"][()]
        self.assertEqual(time.shape, (self.steps + 1,))
        self.assertEqual(time[0], 0.0)
        self.assertEqual(self.steps, 1440)  # flash-crash: 24 h of 1 min steps
        self.assertEqual(time[-1], 24 * 3600.0)
        self.assertTrue(np.all(np.diff(time) > 0))

    def test_path_columns_have_one_value_per_path(self):
        columns = self.f["paths"]
        self.assertGreater(len(columns), 0)
        for name, ds in columns.items():
            self.assertEqual(ds.shape, (PATHS,), name)
            self.assertTrue(np.all(np.isfinite(ds[()])), name)

    def test_path_columns_are_consistent(self):
        p = {name: ds[()] for name, ds in self.f["paths"].items()}
        initial = _run["input_scenario"]["market"]["initial_price"]
        np.testing.assert_allclose(p["log_return"], np.log(p["final_price"] / initial),
                                   rtol=0, atol=1e-12)
        self.assertTrue(np.all(p["min_price"] <= p["final_price"]))
        self.assertTrue(np.all(p["min_price"] <= initial))
        self.assertTrue(np.all((p["max_drawdown"] >= 0) & (p["max_drawdown"] < 1)))

    def test_quantile_bands(self):
        q = self.f["series/price/quantiles"]
        self.assertEqual(q.shape, (self.steps + 1, len(self.levels)))
        np.testing.assert_array_equal(q.attrs["levels"], self.levels)
        np.testing.assert_array_equal(
            q.attrs["levels"], np.asarray(self.scenario["output"]["quantiles"], dtype=float))
        values = q[()]
        self.assertTrue(np.all(np.diff(values, axis=1) >= 0),
                        "quantiles decrease across levels at some step")
        initial = _run["input_scenario"]["market"]["initial_price"]
        np.testing.assert_array_equal(values[0], np.full(len(self.levels), initial))
        self.assertIn("type 7", as_str(q.attrs["method"]))

    def test_series_shapes(self):
        for name in ("mean", "std"):
            self.assertEqual(self.f["series/price"][name].shape, (self.steps + 1,), name)
        initial = _run["input_scenario"]["market"]["initial_price"]
        self.assertEqual(self.f["series/price/mean"][0], initial)
        self.assertEqual(self.f["series/price/std"][0], 0.0)

    def test_samples_are_the_first_paths(self):
        samples = self.f["samples/price"][()]
        k = min(_run["input_scenario"]["output"]["sample_paths"], PATHS)
        self.assertEqual(samples.shape, (k, self.steps + 1))
        initial = _run["input_scenario"]["market"]["initial_price"]
        np.testing.assert_array_equal(samples[:, 0], np.full(k, initial))
        np.testing.assert_array_equal(samples[:, -1], self.final_price[:k])
        np.testing.assert_array_equal(samples.min(axis=1), self.f["paths/min_price"][:k])
        self.assertEqual(samples[0, -1], self.final_price[0])
        self.assertEqual(samples[0].min(), self.f["paths/min_price"][0])

    def test_series_match_numpy_at_the_horizon(self):
        fp = self.final_price
        np.testing.assert_allclose(self.f["series/price/mean"][-1], np.mean(fp), rtol=1e-12)
        np.testing.assert_allclose(self.f["series/price/std"][-1], np.std(fp, ddof=1),
                                   rtol=1e-12)
        np.testing.assert_allclose(self.f["series/price/quantiles"][-1],
                                   np.quantile(fp, self.levels), rtol=1e-12)

    def test_metrics_match_numpy(self):
        fp = self.final_price
        n = len(fp)
        m = self.f["metrics/final_price_mean"]
        self.assertEqual(m.shape, ())
        np.testing.assert_allclose(m[()], np.mean(fp), rtol=1e-12)
        np.testing.assert_allclose(m.attrs["standard_error"],
                                   np.std(fp, ddof=1) / math.sqrt(n), rtol=1e-12)
        self.assertEqual(int(m.attrs["count"]), n)
        np.testing.assert_allclose(m.attrs["sum"], np.sum(fp), rtol=1e-12)
        np.testing.assert_allclose(m.attrs["sum_squares"], np.sum(fp * fp), rtol=1e-12)
        # The raw moments reproduce the estimate and its error bar.
        mean = m.attrs["sum"] / m.attrs["count"]
        var = (m.attrs["sum_squares"] - n * mean * mean) / (n - 1)
        np.testing.assert_allclose(mean, m[()], rtol=1e-12)
        np.testing.assert_allclose(math.sqrt(var / n), m.attrs["standard_error"], rtol=1e-6)

        dd = self.f["paths/max_drawdown"][()]
        m = self.f["metrics/max_drawdown_mean"]
        np.testing.assert_allclose(m[()], np.mean(dd), rtol=1e-12)
        np.testing.assert_allclose(m.attrs["standard_error"],
                                   np.std(dd, ddof=1) / math.sqrt(n), rtol=1e-12)

    def test_every_object_carries_its_attributes(self):
        for path, obj in all_objects(self.f).items():
            with self.subTest(path=path):
                if isinstance(obj, h5py.Dataset):
                    required = ("units", "description")
                    self.assertEqual(obj.dtype, np.float64)
                else:
                    required = ("description",)
                for name in required:
                    self.assertIn(name, obj.attrs)
                    value = obj.attrs[name]
                    self.assertIsInstance(as_str(value), str, f"{path}@{name}")
                    # units may be "1" (dimensionless) but never empty
                    self.assertTrue(as_str(value).strip(), f"{path}@{name} is empty")
        for path in ("/series/price/quantiles",):
            self.assertIn("levels", self.f[path].attrs)
            self.assertIn("method", self.f[path].attrs)
        for path, obj in self.f["metrics"].items():
            for name in ("standard_error", "count", "sum", "sum_squares"):
                self.assertIn(name, obj.attrs, f"/metrics/{path}")

    def test_no_temporary_file_left_behind(self):
        directory = os.path.dirname(_run["file"])
        leftovers = [n for n in os.listdir(directory) if n.endswith(".tmp")]
        self.assertEqual(leftovers, [])


class DocumentedContract(unittest.TestCase):
    """docs/output-format.md and a real file name exactly the same things."""

    @classmethod
    def setUpClass(cls):
        cls.tables = parse_doc(DOC)
        cls.f = h5py.File(_run["file"], "r")
        cls.objects = all_objects(cls.f)
        cls.object_rows = {}
        cls.attribute_rows = {}
        for table in cls.tables:
            for row in table.rows:
                target = cls.object_rows if row["name"].startswith("/") else cls.attribute_rows
                target.setdefault(row["name"], row)
        scenario = json.loads(as_str(cls.f.attrs["scenario"]))
        cls.sizes = {
            "paths": int(cls.f.attrs["paths"]),
            "steps": int(cls.f.attrs["steps"]),
            "L": len(scenario["output"]["quantiles"]),
            "K": min(int(scenario["output"]["sample_paths"]), int(cls.f.attrs["paths"])),
        }

    @classmethod
    def tearDownClass(cls):
        cls.f.close()

    def test_doc_has_tables(self):
        self.assertGreater(len(self.object_rows), 5)
        self.assertGreater(len(self.attribute_rows), 5)
        for table in self.tables:
            kinds = {row["name"].startswith("/") for row in table.rows}
            self.assertEqual(len(kinds), 1, f"table under '{table.heading}' mixes paths "
                             "and attribute names")
            if True in kinds:
                self.assertIn("Attributes", table.header, table.heading)

    def test_every_object_in_the_file_is_documented(self):
        missing = sorted(set(self.objects) - set(self.object_rows))
        self.assertEqual(missing, [], "objects in the file but not in docs/output-format.md")

    def test_every_documented_path_exists(self):
        absent = sorted(set(self.object_rows) - set(self.objects))
        self.assertEqual(absent, [], "paths in docs/output-format.md but not in the file")

    def test_every_attribute_is_documented(self):
        undocumented = set()
        for name in self.f.attrs:
            if name not in self.attribute_rows:
                undocumented.add("/@" + name)
        for path, obj in self.objects.items():
            for name in obj.attrs:
                if name not in self.attribute_rows:
                    undocumented.add(f"{path}@{name}")
        self.assertEqual(sorted(undocumented), [])

    def test_root_attributes_match_their_table(self):
        root = [t for t in self.tables if t.heading == "Root attributes"]
        self.assertEqual(len(root), 1)
        documented = {row["name"] for row in root[0].rows}
        self.assertEqual(sorted(set(self.f.attrs)), sorted(documented))

    def test_each_object_has_exactly_its_documented_attributes(self):
        for path, row in self.object_rows.items():
            if path not in self.objects:
                continue  # reported by test_every_documented_path_exists
            with self.subTest(path=path):
                listed = set(backticked(row["Attributes"]))
                self.assertTrue(listed <= set(self.attribute_rows),
                                f"{path}: attributes without a definition table row")
                self.assertEqual(sorted(self.objects[path].attrs), sorted(listed))

    def test_documented_shape_type_and_units(self):
        for path, row in self.object_rows.items():
            obj = self.objects.get(path)
            if obj is None:
                continue
            with self.subTest(path=path):
                if row["Shape"] == "group":
                    self.assertIsInstance(obj, h5py.Group)
                    continue
                self.assertIsInstance(obj, h5py.Dataset)
                self.assertEqual(obj.shape, doc_shape(row["Shape"], self.sizes))
                self.assertEqual(obj.dtype, np.dtype(row["Type"]))
                self.assertEqual(as_str(obj.attrs["units"]), row["Units"])

    def test_documented_version_matches(self):
        with open(DOC, encoding="utf-8") as f:
            text = f.read()
        major, minor = (int(v) for v in self.f.attrs["format_version"])
        self.assertIn(f"(currently `[{major}, {minor}]`)", text)


class ThreadCountIndependence(unittest.TestCase):
    """Same seed and scenario: bit-identical datasets for any thread count."""

    def test_datasets_are_bit_identical(self):
        files = []
        for threads in DETERMINISM_THREADS:
            output = os.path.join(_tmp.name, f"threads-{threads}.h5")
            run_cascade(output, "--paths", str(DETERMINISM_PATHS), "--seed", str(SEED),
                        "--threads", str(threads))
            files.append(h5py.File(output, "r"))
        try:
            reference = files[0]
            ref_objects = all_objects(reference)
            self.assertEqual(int(reference.attrs["threads"]), DETERMINISM_THREADS[0])
            for threads, other in zip(DETERMINISM_THREADS[1:], files[1:]):
                with self.subTest(threads=threads):
                    self.assertEqual(int(other.attrs["threads"]), threads)
                    objects = all_objects(other)
                    self.assertEqual(sorted(objects), sorted(ref_objects))
                    for path, a in ref_objects.items():
                        b = objects[path]
                        self.assertEqual(type(a), type(b), path)
                        if isinstance(a, h5py.Dataset):
                            self.assertEqual(a.dtype, b.dtype, path)
                            self.assertEqual(a.shape, b.shape, path)
                            va, vb = a[()], b[()]
                            self.assertTrue(np.array_equal(va, vb), f"{path} differs")
                            self.assertEqual(np.asarray(va).tobytes(), np.asarray(vb).tobytes(),
                                             f"{path} differs in its bits")
                        self.assertEqual(sorted(a.attrs), sorted(b.attrs), path)
                        for name in a.attrs:
                            self.assertEqual(np.asarray(a.attrs[name]).tobytes(),
                                             np.asarray(b.attrs[name]).tobytes(),
                                             f"{path}@{name}")
                    self.assertEqual(sorted(reference.attrs), sorted(other.attrs))
                    for name in reference.attrs:
                        if name in VOLATILE_ROOT_ATTRIBUTES:
                            continue
                        self.assertTrue(np.array_equal(reference.attrs[name], other.attrs[name]),
                                        f"root attribute {name}")
                    # The resolved scenarios differ only in the requested thread count.
                    sa = json.loads(as_str(reference.attrs["scenario"]))
                    sb = json.loads(as_str(other.attrs["scenario"]))
                    self.assertEqual(sb["simulation"].pop("threads"), threads)
                    sa["simulation"].pop("threads")
                    self.assertEqual(sa, sb)
        finally:
            for f in files:
                f.close()


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


def main():
    if not os.path.exists(EXE):
        print(f"cascade executable not found: {EXE} (set CASCADE_EXE)", file=sys.stderr)
        print("0 passed, 1 failed")
        return 1
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    runner = unittest.TextTestRunner(verbosity=2, resultclass=CountingResult, stream=sys.stdout)
    result = runner.run(suite)
    failed = len(result.failed_ids)
    passed = len(result.passed_ids - result.failed_ids)
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
