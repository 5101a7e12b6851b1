#!/usr/bin/python3
"""End-to-end check of the results file from the analyst's side.

Runs `cascade run` on the shipped default scenario (and a few variations of
it), opens the HDF5 files with h5py and checks them against numpy
recomputations, against what the model guarantees, and against the contract
in docs/output-format.md (both ways: everything in the file is documented,
and everything documented is in the file).

Run from the repository root with Debian's Python (h5py + numpy):
    /usr/bin/python3 tests/python/test_output.py
The executable is $CASCADE_EXE (default ./build/cascade). The last line printed
is "N passed, M failed"; the exit status is non-zero on any failure.
"""

import csv
import json
import math
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402  (the shared runner beside this file)
from fractions import Fraction

import h5py
import numpy as np

REPO = os.getcwd()
EXE = harness.EXE
SCENARIO = os.path.join(REPO, "scenarios", "flash-crash.json")
DOC = os.path.join(REPO, "docs", "output-format.md")

PATHS = 300
SEED = 12345
# A stressed variant of the shipped scenario: a smaller insurance fund, so
# that bad debt, fund exhaustion and the tail metrics are surely exercised.
STRESSED_FUND = 1e5
# A small run that keeps every path as a sample path and records one series.
SELECTED_PATHS = 24
# The two engines are compared on a few paths (the reference engine is O(N)).
ENGINE_PATHS = 6
# Determinism runs use several 64-path blocks and a ragged last block.
DETERMINISM_PATHS = 1000
DETERMINISM_THREADS = (1, 2, 4)
# Root attributes that legitimately differ between otherwise identical runs.
VOLATILE_ROOT_ATTRIBUTES = {"created_utc", "threads", "population_seconds",
                            "simulation_seconds", "reduction_seconds", "scenario"}
# Two-sided 95 % standard normal quantile, as in sim/statistics.hpp.
Z95 = 1.959963984540054
# The run refuses to write a file above this; a correct ledger is far below.
LEDGER_TOLERANCE = 1e-9
# Each path's books see ~1e5 additions of rounding error 2^-53 relative: a
# conservation error beyond this is no longer rounding.
LEDGER_TINY = 1e-12
# A positions snapshot for the import test: a clipped short, a long that is
# clipped and then already bust at the initial price, a multi-byte id.
POSITIONS_CSV = """account,side,size,entry_price,collateral,cohort
0xabc,long,12.5,2010.4,2500,whales
bob,short,3,1990,100,
zoë,long,1,2000,1000,
already-bust,long,1,2500,10,
"""

_tmp = None
_run = {}  # filled by setUpModule: file paths, input scenario
_cache = {}  # lazily made runs: name -> file path


def run_cascade(output, *extra):
    command = [EXE, "run", SCENARIO, "-o", output, "--quiet", *extra]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} exited {done.returncode}\n{done.stdout}\n{done.stderr}")
    return output


def cached_run(name, *extra):
    """Runs cascade once per name for the whole module; returns the file."""
    if name not in _cache:
        _cache[name] = run_cascade(os.path.join(_tmp.name, f"{name}.h5"), *extra)
    return _cache[name]


def stressed_file():
    return cached_run("stressed", "--paths", str(PATHS), "--seed", str(SEED),
                      "--set", f"/venue/insurance_fund={STRESSED_FUND}")


def selected_file():
    return cached_run("selected", "--paths", str(SELECTED_PATHS), "--seed", str(SEED),
                      "--set", f"/output/sample_paths={SELECTED_PATHS}",
                      "--set", '/output/series=["price"]')


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


ORACLE_SERIES = ("oracle_price", "oracle_gap")


def has_own_oracle(scenario):
    """Whether liquidations trigger on something other than the market price itself: then
    the oracle's series are recorded by default."""
    oracle = scenario.get("venue", {}).get("oracle", {"model": "instant", "source": "market"})
    outages = [s for s in scenario.get("shocks", []) if s["type"] == "oracle_outage"]
    return oracle != {"model": "instant", "source": "market"} or bool(outages)


def has_adl(scenario):
    """Whether the venue auto-deleverages: then the cumulative ADL series is recorded by
    default."""
    return scenario.get("venue", {}).get("loss_waterfall", {}).get("adl", "off") != "off"


def scenario_of(f):
    return json.loads(as_str(f.attrs["scenario"]))


def sample_count(f):
    return min(int(scenario_of(f)["output"]["sample_paths"]), int(f.attrs["paths"]))


def same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


# ---------------------------------------------------------------------------
# docs/output-format.md tables


class DocTable:
    def __init__(self, heading, header, rows):
        self.heading = heading
        self.header = header
        self.rows = rows  # list of dicts: header cell -> text, plus "name"

    @property
    def is_columns(self):
        """A compound table's columns: header 'Column', heading names the dataset."""
        return self.header[0] == "Column"

    @property
    def dataset(self):
        names = re.findall(r"`(/[^`]+)`", self.heading)
        return names[0] if names else None


def split_row(line):
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def parse_doc(path):
    """Every Markdown table outside code fences, with the heading above it.

    Body rows must name one thing, in backticks, in the first column:
    `/full/path` for a group or dataset, `name` for an attribute or, in a
    table whose first header cell is "Column", a compound-table column.
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


class Contract:
    """The documented contract, indexed for lookups."""

    def __init__(self, path=DOC):
        self.tables = parse_doc(path)
        self.object_rows = {}     # '/path' -> row
        self.attribute_rows = {}  # name -> row
        self.column_rows = {}     # '/path' of a compound dataset -> [rows in order]
        for table in self.tables:
            if table.is_columns:
                self.column_rows.setdefault(table.dataset, []).extend(table.rows)
                continue
            for row in table.rows:
                target = self.object_rows if row["name"].startswith("/") else self.attribute_rows
                target.setdefault(row["name"], row)


def positions_csv_rows(scenario):
    """The data rows of the scenario's positions CSV as dicts ([] without one)."""
    name = scenario.get("population", {}).get("positions_csv")
    if not name:
        return []
    path = name if os.path.isabs(name) else os.path.join(os.path.dirname(SCENARIO), name)
    with open(path, encoding="utf-8-sig", newline="") as f:
        lines = [line for line in f if line.strip() and not line.lstrip().startswith("#")]
    reader = csv.DictReader(lines)
    return [{k.strip().lower(): (v or "").strip() for k, v in row.items()} for row in reader]


def exact_bands(f):
    """Whether the file's quantile bands are exact (else sketched)."""
    bands = [group["quantiles"] for group in f["series"].values()] if "series" in f else []
    if not bands:  # nothing recorded: only a stopped run's checkpoint tells
        return "checkpoint" not in f or "sketch" not in f["checkpoint"]
    return all(float(q.attrs["relative_error"]) == 0.0 for q in bands)


def shape_sizes(f):
    """Values of the shape symbols of docs/output-format.md for this file."""
    scenario = scenario_of(f)
    k = sample_count(f)
    imported = positions_csv_rows(scenario)
    imported_cohorts = []
    for row in imported:
        key = (row.get("cohort") or "imported", row["side"].lower())
        if key not in imported_cohorts:
            imported_cohorts.append(key)
    completed = int(f.attrs["paths_completed"])
    return {
        # A stopped run's datasets hold its completed paths (see `complete`).
        "paths": completed,
        "paths_completed": completed,
        "steps": int(f.attrs["steps"]),
        "L": len(scenario["output"]["quantiles"]),
        "K": k,
        "E": int(round(float(np.sum(f["paths/liquidations"][:k])))),
        "C": len(scenario["population"]["cohorts"]) + len(imported_cohorts),
        "I": len(imported),
    }


def check_documented_type(obj, type_text):
    """Problems (a list of str) with a dataset's dtype against its Type cell."""
    dtype = obj.dtype
    if type_text == "compound":
        return [] if dtype.names else [f"{obj.name}: not a compound table ({dtype})"]
    if type_text == "string":
        info = h5py.check_string_dtype(dtype)
        if info is None or info.length is None or info.encoding != "utf-8":
            return [f"{obj.name}: not a fixed-length UTF-8 string ({dtype}, {info})"]
        return []
    return [] if dtype == np.dtype(type_text) else [f"{obj.name}: {dtype} is not {type_text}"]


def check_column_type(dataset, column, type_text):
    member = dataset.dtype.fields[column][0]
    if type_text == "string":
        info = h5py.check_string_dtype(member)
        ok = info is not None and info.length is not None and info.encoding == "utf-8"
        return [] if ok else [f"{dataset.name}:{column} is {member}, not a UTF-8 string"]
    # Packed little-endian in the file, as the doc says.
    expected = np.dtype(type_text).newbyteorder("<")
    if member != expected and not (member.itemsize == 1 and member.kind == expected.kind):
        return [f"{dataset.name}:{column} is {member}, not {type_text}"]
    return []


def check_attribute_type(obj, name, type_text, sizes):
    """Problems with an attribute's stored type against its 'HDF5 type' cell."""
    attr = obj.attrs.get_id(name)
    base, _, shape_text = type_text.partition(", shape ")
    shape = doc_shape(shape_text, sizes) if shape_text else ()
    where = f"{obj.name}@{name}"
    problems = []
    if tuple(attr.shape) != shape:
        problems.append(f"{where}: shape {attr.shape}, documented {shape}")
    if base == "string":
        info = h5py.check_string_dtype(attr.dtype)
        if info is None or info.length is not None or info.encoding != "utf-8":
            problems.append(f"{where}: not a variable-length UTF-8 string ({attr.dtype})")
    elif attr.dtype != np.dtype(base):
        problems.append(f"{where}: {attr.dtype}, documented {base}")
    return problems


def contract_problems(f, contract, require_all=True):
    """Everything in which file `f` and the documented contract disagree.

    With require_all False, documented /series subgroups may be absent (a run
    that records only some series); everything else is still required.
    /checkpoint is required in a stopped run's file (complete = 0), with one
    dataset (exact bands) or group (sketched bands) per recorded series, and
    must be absent from a complete one.
    """
    problems = []
    objects = all_objects(f)
    sizes = shape_sizes(f)
    recorded = set(f["series"]) if "series" in f else set()
    own_oracle = has_own_oracle(scenario_of(f))
    adl = has_adl(scenario_of(f))
    for path in sorted(set(objects) - set(contract.object_rows)):
        problems.append(f"{path}: in the file but not documented")
    for path in sorted(set(contract.object_rows) - set(objects)):
        parts = path.split("/")
        optional = (len(parts) >= 3 and parts[1] == "series" and parts[2] not in recorded
                    and (not require_all or (parts[2] in ORACLE_SERIES and not own_oracle)
                         or (parts[2] == "adl_notional" and not adl)))
        if parts[1] == "checkpoint":
            unused = "sketch" if exact_bands(f) else "series"
            optional = int(f.attrs["complete"]) == 1 or (len(parts) >= 3 and parts[2] == unused) or (
                len(parts) >= 4 and parts[2] in ("series", "sketch") and parts[3] not in recorded)
        if not optional:
            problems.append(f"{path}: documented but not in the file")
    if int(f.attrs["complete"]) == 1 and "checkpoint" in f:
        problems.append("/checkpoint: in a complete file")
    for name in f.attrs:
        if name not in contract.attribute_rows:
            problems.append(f"/@{name}: attribute not documented")
        else:
            problems += check_attribute_type(f, name, contract.attribute_rows[name]["HDF5 type"],
                                             sizes)
    for path, obj in objects.items():
        row = contract.object_rows.get(path)
        for name in obj.attrs:
            if name not in contract.attribute_rows:
                problems.append(f"{path}@{name}: attribute not documented")
            else:
                problems += check_attribute_type(
                    obj, name, contract.attribute_rows[name]["HDF5 type"], sizes)
        if row is None:
            continue
        listed = set(backticked(row["Attributes"]))
        if sorted(obj.attrs) != sorted(listed):
            problems.append(f"{path}: attributes {sorted(obj.attrs)}, documented {sorted(listed)}")
        if row["Shape"] == "group":
            if not isinstance(obj, h5py.Group):
                problems.append(f"{path}: documented as a group")
            continue
        if not isinstance(obj, h5py.Dataset):
            problems.append(f"{path}: documented as a dataset")
            continue
        # B: the rows of a sketch's bucket table, which only the table itself knows.
        local = dict(sizes, B=obj.shape[0]) if path.endswith("/buckets") else sizes
        if obj.shape != doc_shape(row["Shape"], local):
            problems.append(f"{path}: shape {obj.shape}, documented {row['Shape']} = "
                            f"{doc_shape(row['Shape'], local)}")
        problems += check_documented_type(obj, row["Type"])
        if as_str(obj.attrs.get("units")) != row["Units"]:
            problems.append(f"{path}: units {obj.attrs.get('units')!r}, documented "
                            f"{row['Units']!r}")
        if row["Type"] == "compound":
            columns = contract.column_rows.get(path)
            if columns is None:
                problems.append(f"{path}: compound table without a column table")
                continue
            documented = [c["name"] for c in columns]
            if list(obj.dtype.names) != documented:
                problems.append(f"{path}: columns {list(obj.dtype.names)}, documented "
                                f"{documented}")
                continue
            for c in columns:
                problems += check_column_type(obj, c["name"], c["Type"])
    return problems


# ---------------------------------------------------------------------------
# Checks shared by several runs


def check_path_columns(test, f):
    """Per-path columns against each other and against the model's invariants."""
    p = {name: ds[()] for name, ds in f["paths"].items()}
    scenario = scenario_of(f)
    initial = scenario["market"]["initial_price"]
    fund = scenario["venue"]["insurance_fund"]
    time = f["time"][()]
    n = int(f.attrs["paths"])
    for name, values in p.items():
        test.assertEqual(values.shape, (n,), name)
        if name not in ("first_liquidation_time", "oracle_gap_mean"):
            test.assertTrue(np.all(np.isfinite(values)), name)
    np.testing.assert_allclose(p["log_return"], np.log(p["final_price"] / initial),
                               rtol=0, atol=1e-12)
    test.assertTrue(np.all(p["min_price"] <= p["final_price"]))
    test.assertTrue(np.all(p["min_price"] <= initial))
    test.assertTrue(np.all((p["max_drawdown"] >= 0) & (p["max_drawdown"] < 1)))
    for name in ("liquidations", "max_cascade_rounds"):
        test.assertTrue(np.all(p[name] == np.round(p[name])), f"{name} not whole")
        test.assertTrue(np.all(p[name] >= 0), name)
    test.assertTrue(np.all(p["max_cascade_rounds"] <= scenario["simulation"]["max_cascade_rounds"]))
    test.assertTrue(np.array_equal(p["liquidations"] == 0, p["max_cascade_rounds"] == 0))
    test.assertTrue(np.array_equal(p["liquidations"] == 0, p["liquidated_notional"] == 0))
    # NaN exactly when the path had no liquidation, otherwise a grid time after t = 0.
    first = p["first_liquidation_time"]
    test.assertTrue(np.array_equal(np.isnan(first), p["liquidations"] == 0),
                    "first_liquidation_time is NaN on a path with liquidations or vice versa")
    test.assertTrue(np.all(np.isin(first[~np.isnan(first)], time[1:])))
    # The oracle's gap at liquidations: NaN mean exactly when none, never above the largest;
    # none at all when liquidations trigger on the market price itself.
    gap_mean, gap_max = p["oracle_gap_mean"], p["oracle_gap_max"]
    test.assertTrue(np.array_equal(np.isnan(gap_mean), p["liquidations"] == 0))
    test.assertTrue(np.all(gap_max[p["liquidations"] == 0] == 0))
    liquidated = p["liquidations"] > 0
    test.assertTrue(np.all(gap_mean[liquidated] <= gap_max[liquidated] * (1 + 1e-12)))
    if not has_own_oracle(scenario):
        test.assertTrue(np.all(gap_max == 0))
    # The fund and the losses.
    for name in ("bad_debt", "insurance_fund_paid", "penalties_collected",
                 "insurance_fund_min", "liquidated_notional"):
        test.assertTrue(np.all(p[name] >= 0), name)
    test.assertTrue(np.all(p["insurance_fund_min"] <= p["insurance_fund_final"]))
    test.assertTrue(np.all(p["insurance_fund_min"] <= fund))
    scale = max(fund, float(np.max(p["penalties_collected"] + p["insurance_fund_paid"])), 1.0)
    np.testing.assert_allclose(
        p["insurance_fund_final"], fund + p["penalties_collected"] - p["insurance_fund_paid"],
        rtol=0, atol=1e-9 * scale)
    # Bad debt only once the fund is empty: the fund pays what it has first.
    test.assertTrue(np.all(p["insurance_fund_min"][p["bad_debt"] > 0] == 0))
    # Conservation of value.
    imbalance = p["ledger_imbalance"]
    test.assertTrue(np.all((imbalance >= 0) & (imbalance <= LEDGER_TINY)),
                    f"ledger imbalance up to {imbalance.max():.3g}")
    test.assertEqual(float(f.attrs["max_ledger_imbalance"]), float(imbalance.max()))
    test.assertLessEqual(float(f.attrs["max_ledger_imbalance"]), LEDGER_TOLERANCE)
    # Cascade amplification of the sample paths, from their sampled prices.
    k = sample_count(f)
    if k:
        market = f["samples/price"][()]
        exogenous = f["samples/exogenous_price"][()]
        low_market = np.log(market.min(axis=1) / initial)
        low_exogenous = np.log(exogenous.min(axis=1) / initial)
        expected = np.where(low_exogenous < 0, low_market / np.where(low_exogenous < 0,
                                                                      low_exogenous, 1.0), 1.0)
        np.testing.assert_allclose(p["cascade_amplification"][:k], expected, rtol=1e-7,
                                   atol=1e-7)
        np.testing.assert_array_equal(market.min(axis=1), p["min_price"][:k])
        np.testing.assert_array_equal(market[:, -1], p["final_price"][:k])


def check_series(test, f):
    """Per-step series: shapes, start values, horizon values, monotonicity."""
    scenario = scenario_of(f)
    initial = scenario["market"]["initial_price"]
    fund = scenario["venue"]["insurance_fund"]
    steps = int(f.attrs["steps"])
    levels = np.asarray(scenario["output"]["quantiles"], dtype=float)
    p = {name: ds[()] for name, ds in f["paths"].items()}
    at_horizon = {"price": p["final_price"], "liquidated_notional": p["liquidated_notional"],
                  "insurance_fund": p["insurance_fund_final"]}
    at_start = {"price": initial, "exogenous_price": initial, "liquidated_notional": 0.0,
                "insurance_fund": fund}
    test.assertEqual(sorted(f["series"]), sorted(scenario["output"]["series"]))
    for name, group in f["series"].items():
        with test.subTest(series=name):
            mean, std, q = group["mean"][()], group["std"][()], group["quantiles"][()]
            test.assertEqual(mean.shape, (steps + 1,))
            test.assertEqual(std.shape, (steps + 1,))
            test.assertEqual(q.shape, (steps + 1, len(levels)))
            np.testing.assert_array_equal(group["quantiles"].attrs["levels"], levels)
            test.assertIn("type 7", as_str(group["quantiles"].attrs["method"]))
            test.assertTrue(np.all(np.diff(q, axis=1) >= 0), "quantiles decrease across levels")
            test.assertTrue(np.all(std >= 0))
            # Every path starts at the same value.
            test.assertEqual(std[0], 0.0)
            if name in at_start:
                test.assertEqual(mean[0], at_start[name])
                np.testing.assert_array_equal(q[0], np.full(len(levels), at_start[name]))
            if name in at_horizon:
                x = at_horizon[name]
                np.testing.assert_allclose(mean[-1], np.mean(x), rtol=1e-12, atol=1e-9)
                np.testing.assert_allclose(std[-1], np.std(x, ddof=1), rtol=1e-9, atol=1e-9)
                np.testing.assert_allclose(q[-1], np.quantile(x, levels), rtol=1e-12)
            # Positions are only ever closed: monotone on every path, so also
            # every band and the mean.
            if name == "liquidated_notional":
                test.assertTrue(np.all(np.diff(q, axis=0) >= 0))
                test.assertTrue(np.all(np.diff(mean) >= -1e-9 * max(mean[-1], 1.0)))
            if name == "open_interest":
                test.assertTrue(np.all(np.diff(q, axis=0) <= 0))
                test.assertTrue(np.all(np.diff(mean) <= 1e-9 * mean[0]))
                test.assertGreater(mean[0], 0.0)


def check_events(test, f):
    """/events/liquidations against /paths and against what the engine guarantees."""
    scenario = scenario_of(f)
    e = f["events/liquidations"][()]
    cohorts = f["population/cohorts"][()]
    p = {name: ds[()] for name, ds in f["paths"].items()}
    time = f["time"][()]
    steps = int(f.attrs["steps"])
    k = sample_count(f)
    rate = scenario["venue"]["liquidation_penalty"]
    max_rounds = scenario["simulation"]["max_cascade_rounds"]

    # Rows: sample paths only, in path, step, round order; each account at most once a path.
    test.assertTrue(np.all(e["path"] < k))
    key = np.stack([e["path"].astype(np.int64), e["step"].astype(np.int64),
                    e["round"].astype(np.int64)], axis=1)
    if len(e) > 1:
        order = np.lexsort((key[:, 2], key[:, 1], key[:, 0]))
        test.assertTrue(np.array_equal(order, np.arange(len(e))), "events out of order")
    test.assertTrue(np.all((e["step"] >= 1) & (e["step"] <= steps)))
    test.assertTrue(np.all(e["round"] < max_rounds))
    pairs = np.stack([e["path"], e["account"]], axis=1)
    test.assertEqual(len(np.unique(pairs, axis=0)), len(e), "an account liquidated twice")

    # Per path: the events add up to the path's summary columns, unless a
    # path had more than the table keeps (not in the runs these checks see).
    limit = int(f["events/liquidations"].attrs["max_per_path"])
    test.assertEqual(limit, scenario["output"]["max_events_per_path"])
    test.assertEqual(int(f["events/liquidations"].attrs["truncated_paths"]),
                     int(np.sum(p["liquidations"][:k] > limit)))
    counts = np.bincount(e["path"].astype(np.int64), minlength=k)
    np.testing.assert_array_equal(counts, p["liquidations"][:k])
    notional = e["size"] * e["fill_price"]
    for path in range(k):
        rows = e["path"] == path
        with test.subTest(path=path):
            np.testing.assert_allclose(np.sum(notional[rows]), p["liquidated_notional"][path],
                                       rtol=1e-9)
            np.testing.assert_allclose(np.sum(e["penalty"][rows]),
                                       p["penalties_collected"][path], rtol=1e-9, atol=1e-6)
            np.testing.assert_allclose(np.sum(e["shortfall"][rows]),
                                       p["insurance_fund_paid"][path] + p["bad_debt"][path],
                                       rtol=1e-9, atol=1e-6)
            if rows.any():
                test.assertEqual(p["first_liquidation_time"][path], time[e["step"][rows].min()])
                # Rounds that liquidated something, per step: the most of them.
                most = max(int(e["round"][rows][e["step"][rows] == s].max()) + 1
                           for s in np.unique(e["step"][rows]))
                test.assertEqual(p["max_cascade_rounds"][path], most)
            else:
                test.assertTrue(np.isnan(p["first_liquidation_time"][path]))
            # The cursors walk each sorted book once: longs by descending
            # trigger price, shorts by ascending, ties by account index.
            for side, sign in ((1, -1.0), (-1, 1.0)):
                mine = e[rows & (e["side"] == side)]
                if len(mine) > 1:
                    step = sign * np.diff(mine["trigger_price"])
                    test.assertTrue(np.all(step >= 0), f"side {side} out of book order")
                    ties = step == 0
                    test.assertTrue(np.all(np.diff(mine["account"].astype(np.int64))[ties] > 0))

    # Values.
    for name in ("size", "trigger_price", "fill_price"):
        test.assertTrue(np.all(np.isfinite(e[name]) & (e[name] > 0)), name)
    test.assertTrue(np.all(np.isin(e["side"], (1, -1))))
    test.assertTrue(np.all((e["penalty"] >= 0) & (e["shortfall"] >= 0)))
    test.assertTrue(np.all((e["penalty"] == 0) | (e["shortfall"] == 0)),
                    "a liquidation both paid a penalty and left a shortfall")
    test.assertTrue(np.all(e["penalty"] <= rate * e["size"] * e["fill_price"] * (1 + 1e-12)))
    # A shortfall means a fill beyond the bankruptcy price, which lies beyond the trigger.
    short_of = e["shortfall"] > 0
    test.assertTrue(np.all(e["fill_price"][short_of & (e["side"] == 1)]
                           < e["trigger_price"][short_of & (e["side"] == 1)]))
    test.assertTrue(np.all(e["fill_price"][short_of & (e["side"] == -1)]
                           > e["trigger_price"][short_of & (e["side"] == -1)]))

    # Rounds: one fill price each; a net sale fills longs at or below their
    # trigger, a net purchase fills shorts at or above theirs.
    if len(e):
        starts = np.flatnonzero(np.r_[True, np.any(np.diff(key, axis=0) != 0, axis=1)])
        group = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(e)]))
        first_fill = e["fill_price"][starts]
        test.assertTrue(np.array_equal(e["fill_price"], first_fill[group]),
                        "two fill prices in one round")
        sold = np.bincount(group, weights=np.where(e["side"] == 1, e["size"], 0.0))
        bought = np.bincount(group, weights=np.where(e["side"] == -1, e["size"], 0.0))
        margin = 1e-9 * (sold + bought)
        net_sale = (sold - bought > margin)[group]
        net_purchase = (bought - sold > margin)[group]
        longs, shorts = e["side"] == 1, e["side"] == -1
        test.assertTrue(np.all(e["fill_price"][net_sale & longs]
                               <= e["trigger_price"][net_sale & longs]))
        test.assertTrue(np.all(e["fill_price"][net_purchase & shorts]
                               >= e["trigger_price"][net_purchase & shorts]))

    # Cohorts and account indices.
    test.assertTrue(np.all(e["cohort"] < len(cohorts)))
    if len(e):
        np.testing.assert_array_equal(e["side"], cohorts["side"][e["cohort"]])
    offsets = np.r_[0, np.cumsum((cohorts["accounts"] + cohorts["excluded"]).astype(np.int64))]
    n_scenario = len(scenario["population"]["cohorts"])
    first_imported = int(f["population/imported_accounts"].attrs["first_account"])
    test.assertEqual(first_imported, int(offsets[n_scenario]))
    for c in range(len(cohorts)):
        mine = e["account"][e["cohort"] == c].astype(np.int64)
        if c < n_scenario:
            test.assertTrue(np.all((mine >= offsets[c]) & (mine < offsets[c + 1])),
                            f"cohort {c}: account index outside its range")
        else:
            labels = f["population/imported_accounts"].shape[0]
            test.assertTrue(np.all((mine >= first_imported) & (mine < first_imported + labels)))


def check_cohorts(test, f):
    scenario = scenario_of(f)
    cohorts = f["population/cohorts"][()]
    paths = int(f.attrs["paths"])
    max_leverage = 1.0 / scenario["venue"]["initial_margin"]
    configured = scenario["population"]["cohorts"]
    test.assertGreaterEqual(len(cohorts), len(configured))
    for row, config in zip(cohorts, configured):
        test.assertEqual(as_str(row["name"]), config["name"])
        test.assertEqual(int(row["side"]), 1 if config["side"] == "long" else -1)
        test.assertEqual(int(row["accounts"] + row["excluded"]), config["accounts"])
        if scenario["population"].get("over_leverage", "error") == "error":
            test.assertEqual(int(row["clipped"]), 0)
    held = cohorts["accounts"] > 0
    # Leverage (entry notional over collateral) between 1 and the venue maximum.
    test.assertTrue(np.all(cohorts["notional"][held] >= cohorts["collateral"][held] * (1 - 1e-12)))
    test.assertTrue(np.all(cohorts["notional"][held]
                           <= cohorts["collateral"][held] * max_leverage * (1 + 1e-9)))
    test.assertTrue(np.all(cohorts["notional"][~held] == 0))
    # Mean liquidations per path: whole counts once multiplied back, adding up to /paths.
    totals = cohorts["liquidated_accounts_mean"] * paths
    np.testing.assert_allclose(totals, np.round(totals), rtol=0, atol=1e-6 * max(paths, 1))
    test.assertTrue(np.all(np.round(totals) <= cohorts["accounts"].astype(float) * paths))
    test.assertEqual(int(np.sum(np.round(totals))), int(np.sum(f["paths/liquidations"][()])))


def wilson(k, n):
    p = k / n
    z2 = Z95 * Z95
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = Z95 / denominator * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return low, high


def check_metrics(test, f):
    """Every metric recomputed with numpy from the per-path columns."""
    p = {name: ds[()] for name, ds in f["paths"].items()}
    m = f["metrics"]
    n = int(f.attrs["paths"])
    close = dict(rtol=1e-9, atol=1e-9)

    def moments(name, x):
        test.assertEqual(int(m[name].attrs["count"]), n, name)
        np.testing.assert_allclose(m[name].attrs["sum"], np.sum(x), rtol=1e-12, atol=1e-9)
        np.testing.assert_allclose(m[name].attrs["sum_squares"], np.sum(x * x), rtol=1e-12,
                                   atol=1e-9)

    means = {"bad_debt_mean": "bad_debt", "liquidated_notional_mean": "liquidated_notional",
             "liquidations_mean": "liquidations",
             "cascade_amplification_mean": "cascade_amplification",
             "final_price_mean": "final_price", "max_drawdown_mean": "max_drawdown"}
    for name, column in means.items():
        with test.subTest(metric=name):
            x = p[column]
            ds = m[name]
            test.assertEqual(ds.shape, ())
            se = np.std(x, ddof=1) / math.sqrt(n)
            np.testing.assert_allclose(ds[()], np.mean(x), rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(ds.attrs["standard_error"], se, **close)
            np.testing.assert_allclose(ds.attrs["ci_low"], np.mean(x) - Z95 * se, **close)
            np.testing.assert_allclose(ds.attrs["ci_high"], np.mean(x) + Z95 * se, **close)
            moments(name, x)
            # The raw moments reproduce the estimate and its error bar.
            a = ds.attrs
            mean = a["sum"] / a["count"]
            var = max((a["sum_squares"] - n * mean * mean) / (n - 1), 0.0)
            np.testing.assert_allclose(mean, ds[()], rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(math.sqrt(var / n), a["standard_error"], rtol=1e-6,
                                       atol=1e-6 * max(abs(mean), 1e-300))

    proportions = {"p_bad_debt": p["bad_debt"] > 0,
                   "p_fund_exhausted": p["insurance_fund_min"] <= 0}
    for name, passed in proportions.items():
        with test.subTest(metric=name):
            ds = m[name]
            k = int(np.sum(passed))
            prob = k / n
            test.assertEqual(ds[()], prob)
            np.testing.assert_allclose(ds.attrs["standard_error"],
                                       math.sqrt(prob * (1 - prob) / n), rtol=1e-12, atol=1e-15)
            low, high = wilson(k, n)
            np.testing.assert_allclose(ds.attrs["ci_low"], low, rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(ds.attrs["ci_high"], high, rtol=1e-12, atol=1e-15)
            test.assertLessEqual(ds.attrs["ci_low"], prob)
            test.assertGreaterEqual(ds.attrs["ci_high"], prob)
            test.assertEqual(int(ds.attrs["count"]), n)
            test.assertEqual(ds.attrs["sum"], k)
            test.assertEqual(ds.attrs["sum_squares"], k)
    test.assertLessEqual(m["p_bad_debt"][()], m["p_fund_exhausted"][()])

    def check_var(name, values, level):
        ds = m[name]
        ordered = np.sort(values)
        var = np.quantile(values, level)
        np.testing.assert_allclose(ds[()], var, rtol=1e-12, atol=1e-12)
        centre = n * level
        spread = Z95 * math.sqrt(n * level * (1 - level))
        low = ordered[min(max(math.floor(centre - spread), 1), n) - 1]
        high = ordered[min(max(math.ceil(centre + spread), 1), n) - 1]
        test.assertEqual(ds.attrs["ci_low"], low)
        test.assertEqual(ds.attrs["ci_high"], high)
        np.testing.assert_allclose(ds.attrs["standard_error"], (high - low) / (2 * Z95),
                                   rtol=1e-12, atol=1e-12)
        moments(name, values)

    for level, percent in ((0.95, 95), (0.99, 99)):
        with test.subTest(metric=f"liquidated_notional_var{percent}"):
            check_var(f"liquidated_notional_var{percent}", p["liquidated_notional"], level)

    bad_debt = p["bad_debt"]
    ordered = np.sort(bad_debt)
    for level, percent in ((0.95, "95"), (0.99, "99"), (0.999, "999")):
        with test.subTest(metric=f"bad_debt_var{percent}"):
            check_var(f"bad_debt_var{percent}", bad_debt, level)
            var = np.quantile(bad_debt, level)
        with test.subTest(metric=f"bad_debt_es{percent}"):
            ds = m[f"bad_debt_es{percent}"]
            # ceil(n (1 - level)) in exact arithmetic.
            tail_count = max(1, min(n, math.ceil(n * (1 - Fraction(str(level))))))
            tail = ordered[-tail_count:]
            es = np.mean(tail)
            np.testing.assert_allclose(ds[()], es, rtol=1e-12, atol=1e-12)
            tail_var = np.var(tail, ddof=1) if tail_count > 1 else 0.0
            se = math.sqrt((tail_var + level * (es - var) ** 2) / (n * (1 - level)))
            np.testing.assert_allclose(ds.attrs["standard_error"], se, **close)
            np.testing.assert_allclose(ds.attrs["ci_low"], es - Z95 * se, **close)
            np.testing.assert_allclose(ds.attrs["ci_high"], es + Z95 * se, **close)
            test.assertGreaterEqual(ds[()], m[f"bad_debt_var{percent}"][()] - 1e-9)
            moments(f"bad_debt_es{percent}", bad_debt)


def check_attributes_present(test, f):
    """units and description on every dataset, description on every group."""
    for path, obj in all_objects(f).items():
        with test.subTest(path=path):
            if isinstance(obj, h5py.Dataset):
                required = ("units", "description")
            else:
                required = ("description",)
            for name in required:
                test.assertIn(name, obj.attrs)
                value = obj.attrs[name]
                test.assertIsInstance(as_str(value), str, f"{path}@{name}")
                # units may be "1" (dimensionless) but never empty, except for text
                text_only = isinstance(obj, h5py.Dataset) and \
                    h5py.check_string_dtype(obj.dtype) is not None
                if name == "description" or not text_only:
                    test.assertTrue(as_str(value).strip(), f"{path}@{name} is empty")
    for path, obj in f["metrics"].items():
        for name in ("standard_error", "ci_low", "ci_high", "count", "sum", "sum_squares"):
            test.assertIn(name, obj.attrs, f"/metrics/{path}")


# ---------------------------------------------------------------------------


class ResultsFile(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.f = h5py.File(_run["file"], "r")
        cls.scenario = scenario_of(cls.f)
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
        # A finished run says so, and holds every path it asked for.
        self.assertEqual(int(self.f.attrs["complete"]), 1)
        self.assertEqual(int(self.f.attrs["paths_completed"]), int(self.f.attrs["paths"]))

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
        self.assertEqual(as_str(self.f.attrs["engine"]), "cursor")
        for name in ("population_seconds", "simulation_seconds", "reduction_seconds"):
            self.assertGreaterEqual(float(self.f.attrs[name]), 0.0, name)
        self.assertRegex(as_str(self.f.attrs["created_utc"]),
                         r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        for name in ("cascade_version", "git_revision"):
            self.assertTrue(as_str(self.f.attrs[name]), name)

    def test_time_grid(self):
        time = self.f["time"][()]
        self.assertEqual(time.shape, (self.steps + 1,))
        self.assertEqual(time[0], 0.0)
        self.assertEqual(self.steps, 720)  # flash-crash: 24 h of 2 min steps
        self.assertEqual(time[-1], 24 * 3600.0)
        np.testing.assert_array_equal(time, 24 * 3600.0 * np.arange(self.steps + 1) / self.steps)
        self.assertTrue(np.all(np.diff(time) > 0))

    def test_path_columns(self):
        check_path_columns(self, self.f)

    def test_path_columns_show_a_cascade(self):
        # The shipped scenario is a crash into a leveraged market: liquidations
        # happen on most paths and push the trough below the exogenous one.
        p = {name: ds[()] for name, ds in self.f["paths"].items()}
        self.assertGreater(np.mean(p["liquidations"] > 0), 0.5)
        self.assertGreater(np.mean(p["cascade_amplification"]), 1.0)

    def test_series(self):
        self.assertEqual(sorted(self.f["series"]),
                         sorted(["price", "exogenous_price", "liquidated_notional",
                                 "insurance_fund", "open_interest"]))
        check_series(self, self.f)

    def test_quantile_bands(self):
        q = self.f["series/price/quantiles"]
        self.assertEqual(q.shape, (self.steps + 1, len(self.levels)))
        np.testing.assert_array_equal(q.attrs["levels"], self.levels)
        values = q[()]
        initial = _run["input_scenario"]["market"]["initial_price"]
        np.testing.assert_array_equal(values[0], np.full(len(self.levels), initial))

    def test_samples_are_the_first_paths(self):
        samples = self.f["samples/price"][()]
        exogenous = self.f["samples/exogenous_price"][()]
        k = min(_run["input_scenario"]["output"]["sample_paths"], PATHS)
        self.assertEqual(samples.shape, (k, self.steps + 1))
        self.assertEqual(exogenous.shape, (k, self.steps + 1))
        initial = _run["input_scenario"]["market"]["initial_price"]
        np.testing.assert_array_equal(samples[:, 0], np.full(k, initial))
        np.testing.assert_array_equal(exogenous[:, 0], np.full(k, initial))
        np.testing.assert_array_equal(samples[:, -1], self.final_price[:k])
        np.testing.assert_array_equal(samples.min(axis=1), self.f["paths/min_price"][:k])
        self.assertTrue(np.all(samples > 0) and np.all(exogenous > 0))
        # The impact factor stays above the scenario's floor.
        floor = self.scenario["market"]["impact"]["floor"]
        self.assertTrue(np.all(samples / exogenous >= floor * (1 - 1e-12)))

    def test_events(self):
        self.assertGreater(len(self.f["events/liquidations"]), 0)
        check_events(self, self.f)

    def test_cohorts(self):
        check_cohorts(self, self.f)
        imported = self.f["population/imported_accounts"]
        self.assertEqual(imported.shape, (0,))

    def test_metrics_match_numpy(self):
        check_metrics(self, self.f)

    def test_every_object_carries_its_attributes(self):
        check_attributes_present(self, self.f)

    def test_no_temporary_file_left_behind(self):
        directory = os.path.dirname(_run["file"])
        leftovers = [n for n in os.listdir(directory) if n.endswith(".tmp")]
        self.assertEqual(leftovers, [])


class StressedRun(unittest.TestCase):
    """A small insurance fund: bad debt on some paths, so the tails are not all zero."""

    @classmethod
    def setUpClass(cls):
        cls.f = h5py.File(stressed_file(), "r")

    @classmethod
    def tearDownClass(cls):
        cls.f.close()

    def test_the_stress_bites(self):
        bad_debt = self.f["paths/bad_debt"][()]
        self.assertGreater(np.mean(bad_debt > 0), 0, "choose a fund that empties on some paths")
        self.assertGreater(self.f["metrics/bad_debt_var99"][()], 0.0)
        self.assertGreater(np.sum(self.f["events/liquidations"]["shortfall"] > 0), 0)

    def test_same_paths_as_the_shipped_scenario_until_the_fund_matters(self):
        # The fund changes where losses land, never the prices or who is liquidated.
        with h5py.File(_run["file"], "r") as base:
            for name in ("final_price", "liquidations", "liquidated_notional",
                         "penalties_collected"):
                self.assertTrue(same_bits(base["paths/" + name][()],
                                          self.f["paths/" + name][()]), name)

    def test_path_columns(self):
        check_path_columns(self, self.f)

    def test_series(self):
        check_series(self, self.f)

    def test_events(self):
        check_events(self, self.f)

    def test_metrics_match_numpy(self):
        check_metrics(self, self.f)


class SeriesSelection(unittest.TestCase):
    """/output/series picks the recorded series; nothing else changes."""

    @classmethod
    def setUpClass(cls):
        cls.f = h5py.File(selected_file(), "r")

    @classmethod
    def tearDownClass(cls):
        cls.f.close()

    def test_only_the_selected_series_exist(self):
        self.assertEqual(list(self.f["series"]), ["price"])
        self.assertEqual(sorted(self.f["series/price"]), ["mean", "quantiles", "std"])
        self.assertEqual(scenario_of(self.f)["output"]["series"], ["price"])
        # Samples are not series: both are always written.
        for name in ("price", "exogenous_price"):
            self.assertEqual(self.f["samples/" + name].shape,
                             (SELECTED_PATHS, int(self.f.attrs["steps"]) + 1))

    def test_paths_do_not_depend_on_the_selection_or_the_path_count(self):
        with h5py.File(_run["file"], "r") as base:
            for name, ds in self.f["paths"].items():
                self.assertTrue(same_bits(ds[()], base["paths/" + name][:SELECTED_PATHS]), name)
            self.assertTrue(same_bits(self.f["series/price/mean"][0], base["series/price/mean"][0]))
            self.assertTrue(same_bits(self.f["population/cohorts"][()]["accounts"],
                                      base["population/cohorts"][()]["accounts"]))
            # The main run's events are those of its first K paths.
            k = sample_count(base)
            ours = self.f["events/liquidations"][()]
            self.assertTrue(same_bits(ours[ours["path"] < k], base["events/liquidations"][()]))

    def test_every_path_sampled_gives_the_cohort_counts(self):
        # With K = paths the events are every liquidation of the run.
        e = self.f["events/liquidations"][()]
        cohorts = self.f["population/cohorts"][()]
        counts = np.bincount(e["cohort"].astype(np.int64), minlength=len(cohorts))
        np.testing.assert_array_equal(counts, np.round(cohorts["liquidated_accounts_mean"]
                                                       * SELECTED_PATHS))
        np.testing.assert_allclose(cohorts["liquidated_accounts_mean"], counts / SELECTED_PATHS,
                                   rtol=1e-15)

    def test_path_columns_events_and_metrics(self):
        check_path_columns(self, self.f)
        check_series(self, self.f)
        check_events(self, self.f)
        check_cohorts(self, self.f)
        check_metrics(self, self.f)

    def test_contract_with_series_left_out(self):
        problems = contract_problems(self.f, Contract(), require_all=False)
        self.assertEqual(problems, [])


class NoPopulation(unittest.TestCase):
    """No leveraged accounts: no liquidations, empty tables, NaN first times."""

    @classmethod
    def setUpClass(cls):
        cls.f = h5py.File(cached_run("empty", "--paths", "20", "--seed", str(SEED),
                                     "--set", "/population/cohorts=[]"), "r")

    @classmethod
    def tearDownClass(cls):
        cls.f.close()

    def test_nothing_happens(self):
        p = {name: ds[()] for name, ds in self.f["paths"].items()}
        self.assertTrue(np.all(np.isnan(p["first_liquidation_time"])))
        for name in ("liquidations", "liquidated_notional", "bad_debt", "max_cascade_rounds",
                     "penalties_collected", "insurance_fund_paid"):
            self.assertTrue(np.all(p[name] == 0), name)
        np.testing.assert_array_equal(p["cascade_amplification"], np.ones(20))
        # Without liquidations the market price is the exogenous price.
        np.testing.assert_array_equal(self.f["samples/price"][()],
                                      self.f["samples/exogenous_price"][()])
        self.assertEqual(self.f["events/liquidations"].shape, (0,))
        self.assertEqual(self.f["population/cohorts"].shape, (0,))
        self.assertEqual(int(self.f["population/imported_accounts"].attrs["first_account"]), 0)
        self.assertEqual(self.f["series/open_interest/mean"][-1], 0.0)
        self.assertEqual(self.f["metrics/p_bad_debt"][()], 0.0)
        self.assertEqual(self.f["metrics/cascade_amplification_mean"][()], 1.0)

    def test_checks_and_contract(self):
        check_path_columns(self, self.f)
        check_events(self, self.f)
        check_metrics(self, self.f)
        self.assertEqual(contract_problems(self.f, Contract()), [])


class ImportedPositions(unittest.TestCase):
    """A positions CSV: imported cohorts, account ids, clipping and exclusion."""

    @classmethod
    def setUpClass(cls):
        cls.csv = os.path.join(_tmp.name, "positions.csv")
        with open(cls.csv, "w", encoding="utf-8") as f:
            f.write(POSITIONS_CSV)
        cls.f = h5py.File(cached_run("imported", "--paths", "8", "--seed", str(SEED),
                                     "--set", f"/population/positions_csv={cls.csv}",
                                     "--set", "/population/over_leverage=clip"), "r")

    @classmethod
    def tearDownClass(cls):
        cls.f.close()

    def test_imported_accounts(self):
        imported = self.f["population/imported_accounts"]
        labels = [as_str(v) for v in imported[()]]
        self.assertEqual(labels, ["0xabc", "bob", "zoë", "already-bust"])
        info = h5py.check_string_dtype(imported.dtype)
        self.assertEqual((info.encoding, info.length), ("utf-8", len("already-bust")))
        scenario = scenario_of(self.f)
        drawn = sum(c["accounts"] for c in scenario["population"]["cohorts"])
        self.assertEqual(int(imported.attrs["first_account"]), drawn)

    def test_imported_cohorts(self):
        cohorts = self.f["population/cohorts"][()]
        tail = [(as_str(c["name"]), int(c["side"]), int(c["accounts"]), int(c["excluded"]),
                 int(c["clipped"])) for c in cohorts[3:]]
        # By (name, side) in order of first appearance; the bust long is clipped
        # to the maximum leverage and then still excluded: it counts as excluded
        # only (clipped counts accounts kept in the population).
        self.assertEqual(tail, [("whales", 1, 1, 0, 0), ("imported", -1, 1, 0, 1),
                                ("imported", 1, 1, 1, 0)])
        whales = cohorts[3]
        np.testing.assert_allclose(whales["notional"], 12.5 * 2010.4, rtol=1e-12)
        self.assertEqual(whales["collateral"], 2500.0)
        # bob: leverage 3 x 1990 / 100 = 59.7, clipped to 50.
        np.testing.assert_allclose(cohorts[4]["collateral"], 3 * 1990 / 50, rtol=1e-12)

    def test_checks_and_contract(self):
        check_path_columns(self, self.f)
        check_events(self, self.f)
        check_cohorts(self, self.f)
        self.assertEqual(contract_problems(self.f, Contract()), [])


class OracleRun(unittest.TestCase):
    """The shipped scenario with liquidations triggered on the index price three steps late."""

    DELAY_STEPS = 3

    @classmethod
    def setUpClass(cls):
        oracle = json.dumps({"model": "latency", "delay": "6min", "source": "index"})
        cls.f = h5py.File(cached_run("oracle", "--paths", "200", "--seed", str(SEED),
                                     "--set", f"/venue/oracle={oracle}"), "r")
        cls.base = h5py.File(cached_run("oracle-base", "--paths", "200", "--seed",
                                        str(SEED)), "r")

    @classmethod
    def tearDownClass(cls):
        cls.f.close()
        cls.base.close()

    def test_checks_and_contract(self):
        # Every documented object, the oracle's series included, exists.
        self.assertEqual(contract_problems(self.f, Contract()), [])
        check_path_columns(self, self.f)

    def test_oracle_series_is_the_index_three_steps_late(self):
        # Every path's oracle at grid point k is its exogenous price at k - 3 (the initial
        # price before that), so the bands over paths are the same numbers, shifted.
        d = self.DELAY_STEPS
        for name in ("mean", "quantiles"):
            oracle = self.f[f"series/oracle_price/{name}"][()]
            index = self.f[f"series/exogenous_price/{name}"][()]
            np.testing.assert_array_equal(oracle[d:], index[:-d])
            np.testing.assert_array_equal(oracle[:d],
                                          scenario_of(self.f)["market"]["initial_price"])

    def test_late_oracle_liquidates_late_and_deeper(self):
        p, b = self.f["paths"], self.base["paths"]
        # The exogenous paths are the same; only the venue's reaction differs.
        np.testing.assert_array_equal(self.f["samples/exogenous_price"][()],
                                      self.base["samples/exogenous_price"][()])
        liquidated = (p["liquidations"][()] > 0) & (b["liquidations"][()] > 0)
        self.assertGreater(liquidated.sum(), 50)
        self.assertTrue(np.all(p["first_liquidation_time"][()][liquidated] >=
                               b["first_liquidation_time"][()][liquidated]))
        self.assertGreater(np.mean(p["oracle_gap_max"][()][liquidated]), 0)
        self.assertTrue(np.all(b["oracle_gap_max"][()] == 0))
        self.assertGreater(p["bad_debt"][()].mean(), b["bad_debt"][()].mean())


class DocumentedContract(unittest.TestCase):
    """docs/output-format.md and a real file name exactly the same things."""

    @classmethod
    def setUpClass(cls):
        cls.contract = Contract()
        cls.tables = cls.contract.tables
        cls.f = h5py.File(_run["file"], "r")
        cls.objects = all_objects(cls.f)
        cls.object_rows = cls.contract.object_rows
        cls.attribute_rows = cls.contract.attribute_rows
        cls.column_rows = cls.contract.column_rows
        cls.sizes = shape_sizes(cls.f)

    @classmethod
    def tearDownClass(cls):
        cls.f.close()

    def test_doc_has_tables(self):
        self.assertGreater(len(self.object_rows), 5)
        self.assertGreater(len(self.attribute_rows), 5)
        for table in self.tables:
            if table.is_columns:
                self.assertIsNotNone(table.dataset, f"column table under '{table.heading}' "
                                     "does not name its dataset in the heading")
                self.assertEqual(table.header, ["Column", "Type", "Units", "Meaning"])
                continue
            kinds = {row["name"].startswith("/") for row in table.rows}
            self.assertEqual(len(kinds), 1, f"table under '{table.heading}' mixes paths "
                             "and attribute names")
            if True in kinds:
                self.assertIn("Attributes", table.header, table.heading)

    def test_every_object_in_the_file_is_documented(self):
        missing = sorted(set(self.objects) - set(self.object_rows))
        self.assertEqual(missing, [], "objects in the file but not in docs/output-format.md")

    def test_every_documented_path_exists(self):
        # /checkpoint is only in stopped runs' files (StoppedRun checks it there), the
        # oracle's series only with an oracle (OracleRun checks them), the ADL series only
        # with ADL (the C++ tests check it).
        absent = sorted(p for p in set(self.object_rows) - set(self.objects)
                        if not p.startswith("/checkpoint")
                        and not p.startswith(tuple(f"/series/{s}" for s in ORACLE_SERIES))
                        and not p.startswith("/series/adl_notional"))
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

    def test_attribute_types_match_their_tables(self):
        problems = []
        for name in self.f.attrs:
            problems += check_attribute_type(self.f, name,
                                             self.attribute_rows[name]["HDF5 type"], self.sizes)
        for path, obj in self.objects.items():
            for name in obj.attrs:
                problems += check_attribute_type(obj, name,
                                                 self.attribute_rows[name]["HDF5 type"],
                                                 self.sizes)
        self.assertEqual(problems, [])

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
                self.assertEqual(check_documented_type(obj, row["Type"]), [])
                self.assertEqual(as_str(obj.attrs["units"]), row["Units"])

    def test_every_compound_column_is_documented(self):
        compound = {path for path, obj in self.objects.items()
                    if isinstance(obj, h5py.Dataset) and obj.dtype.names}
        self.assertEqual(compound, {"/events/liquidations", "/population/cohorts"})
        self.assertEqual(sorted(self.column_rows), sorted(compound),
                         "column tables and compound datasets differ")
        for path in compound:
            with self.subTest(path=path):
                obj = self.objects[path]
                self.assertEqual(self.object_rows[path]["Type"], "compound")
                documented = [row["name"] for row in self.column_rows[path]]
                self.assertEqual(list(obj.dtype.names), documented)
                for row in self.column_rows[path]:
                    self.assertEqual(check_column_type(obj, row["name"], row["Type"]), [])
                    self.assertTrue(row["Meaning"], f"{path}:{row['name']} has no meaning")

    def test_compound_tables_are_packed(self):
        for path in ("/events/liquidations", "/population/cohorts"):
            dtype = self.objects[path].dtype
            self.assertEqual(dtype.itemsize, sum(dtype.fields[n][0].itemsize
                                                 for n in dtype.names), path)

    def test_contract_problems_finds_none(self):
        self.assertEqual(contract_problems(self.f, self.contract), [])

    def test_documented_version_matches(self):
        with open(DOC, encoding="utf-8") as f:
            text = f.read()
        major, minor = (int(v) for v in self.f.attrs["format_version"])
        self.assertIn(f"(currently `[{major}, {minor}]`)", text)


class StoppedRun(unittest.TestCase):
    """A run stopped by SIGINT: a valid file marked incomplete, with a checkpoint
    that agrees with the per-path columns, which --resume turns into the file
    of an uninterrupted run."""

    bands = "exact"  # /output/band_method

    @classmethod
    def setUpClass(cls):
        # Stopped after some blocks, before the end: the right moment depends on
        # the build (a sanitizer build is ten times slower) and the machine's
        # load, so wait longer while nothing was done, shorter when everything was.
        cls.file = os.path.join(_tmp.name, f"stopped-{cls.bands}.h5")
        command = [EXE, "run", os.path.join(REPO, "scenarios", "calm.json"), "-o", cls.file,
                   "--quiet", "--paths", "200000", "--threads", "2",
                   "--set", '/output/series=["price", "insurance_fund", "open_interest"]',
                   "--set", "/output/band_method=" + cls.bands]
        wait = 0.7
        for _ in range(6):
            process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, text=True)
            time.sleep(wait)
            process.send_signal(signal.SIGINT)
            _, cls.err = process.communicate(timeout=600)
            cls.returncode = process.returncode
            if cls.returncode == -signal.SIGINT:
                wait *= 3  # the signal came before the run had installed its handlers
                continue
            if cls.returncode != 130:
                wait /= 3  # finished before the signal
                continue
            with h5py.File(cls.file, "r") as f:
                if int(f.attrs["paths_completed"]) > 0:
                    break
            wait *= 3  # stopped before the first block was done

    def test_stopped_file_is_valid_and_documented(self):
        self.assertEqual(self.returncode, 130, self.err)
        with h5py.File(self.file, "r") as f:
            self.assertEqual(int(f.attrs["complete"]), 0)
            done = int(f.attrs["paths_completed"])
            self.assertGreater(done, 0)
            self.assertEqual(contract_problems(f, Contract(), require_all=False), [])
            steps = int(f.attrs["steps"])
            c = f["checkpoint"]
            cohorts = f["population/cohorts"][()]
            np.testing.assert_allclose(c["cohort_liquidations"][()] / done,
                                       cohorts["liquidated_accounts_mean"], rtol=1e-15)
            if self.bands == "exact":
                self.check_exact_checkpoint(f, done, steps)
            else:
                self.check_sketch_checkpoint(f, done, steps)

    def check_exact_checkpoint(self, f, done, steps):
        c = f["checkpoint"]
        self.assertNotIn("sketch", c)
        self.assertEqual(sorted(c["series"]), ["insurance_fund", "open_interest", "price"])
        for name in c["series"]:
            self.assertEqual(c["series"][name].shape, (done, steps + 1), name)
        # Independent views of the same paths agree.
        p = f["paths"]
        np.testing.assert_array_equal(c["series/price"][:, -1], p["final_price"][()])
        np.testing.assert_array_equal(np.min(c["series/price"][()], axis=1),
                                      p["min_price"][()])
        np.testing.assert_array_equal(c["series/insurance_fund"][:, -1],
                                      p["insurance_fund_final"][()])
        np.testing.assert_allclose(np.mean(c["series/price"][()], axis=0),
                                   f["series/price/mean"][()], rtol=1e-12)

    def check_sketch_checkpoint(self, f, done, steps):
        c = f["checkpoint"]
        self.assertNotIn("series", c)
        self.assertEqual(sorted(c["sketch"]), ["insurance_fund", "open_interest", "price"])
        for name, group in c["sketch"].items():
            with self.subTest(series=name):
                moments = group["moments"]
                self.assertEqual(int(moments.attrs["count"]), done)
                # The moments as merged so far are the file's mean and std.
                np.testing.assert_array_equal(moments[0], f["series"][name]["mean"][()])
                np.testing.assert_allclose(np.sqrt(moments[1] / (done - 1)),
                                           f["series"][name]["std"][()], rtol=1e-15)
                buckets = group["buckets"][()]
                per_point = np.bincount(buckets[:, 0], weights=buckets[:, 3],
                                        minlength=steps + 1)
                np.testing.assert_array_equal(per_point, np.full(steps + 1, done))
                self.assertTrue(np.all(np.isin(buckets[:, 1], [-1, 0, 1, 2])))
        # The sketched bands against numpy's exact quantiles of the completed
        # paths' final prices, within the documented bound (both neighbours
        # positive: relative error a x |quantile|).
        q = f["series/price/quantiles"]
        a = float(q.attrs["relative_error"])
        self.assertEqual(a, 0.001)
        self.assertEqual(int(q.attrs["collapsed_points"]), 0)
        exact = np.quantile(f["paths/final_price"][()], q.attrs["levels"])
        np.testing.assert_array_less(np.abs(q[-1] - exact), a * exact * (1 + 1e-12))


class StoppedSketchedRun(StoppedRun):
    """The same with sketched bands: the checkpoint holds the merged sketches."""

    bands = "sketch"


class EngineEquivalence(unittest.TestCase):
    """The cursor and the reference scan engine write the same datasets."""

    def test_engines_agree_bit_for_bit(self):
        common = ["--paths", str(ENGINE_PATHS), "--seed", str(SEED)]
        cursor = cached_run("engine-cursor", *common)
        reference = cached_run("engine-reference", *common, "--engine", "reference")
        with h5py.File(cursor, "r") as a, h5py.File(reference, "r") as b:
            self.assertEqual(as_str(a.attrs["engine"]), "cursor")
            self.assertEqual(as_str(b.attrs["engine"]), "reference")
            objects_a, objects_b = all_objects(a), all_objects(b)
            self.assertEqual(sorted(objects_a), sorted(objects_b))
            for path, obj in objects_a.items():
                if isinstance(obj, h5py.Dataset):
                    self.assertTrue(same_bits(obj[()], objects_b[path][()]), f"{path} differs")
            self.assertEqual(float(a.attrs["max_ledger_imbalance"]),
                             float(b.attrs["max_ledger_imbalance"]))


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
                            # Bytes, not ==: NaN (first_liquidation_time) must match too.
                            self.assertTrue(same_bits(a[()], b[()]), f"{path} differs in its bits")
                        self.assertEqual(sorted(a.attrs), sorted(b.attrs), path)
                        for name in a.attrs:
                            self.assertEqual(np.asarray(a.attrs[name]).tobytes(),
                                             np.asarray(b.attrs[name]).tobytes(),
                                             f"{path}@{name}")
                    self.assertEqual(sorted(reference.attrs), sorted(other.attrs))
                    for name in reference.attrs:
                        if name in VOLATILE_ROOT_ATTRIBUTES:
                            continue
                        self.assertTrue(same_bits(reference.attrs[name], other.attrs[name]),
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


if __name__ == "__main__":
    sys.exit(harness.main(__name__))
