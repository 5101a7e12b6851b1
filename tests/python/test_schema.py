#!/usr/bin/python3
"""Checks that scenarios/schema.json describes the scenario format exactly as
`cascade validate` accepts it.

- every shipped scenario, and its resolved form (`cascade validate` output),
  is valid under the schema;
- schema and parser agree on unknown keys, on each numeric bound (open or
  closed), on required keys, on the model/type/distribution discriminators
  (price models, shocks, impact models, cohort distributions) and on the
  duration syntax;
- every key of a resolved scenario is declared by the schema, and every
  `default` in the schema is the value the parser fills in;
- the checks only the parser can make (documented in the schema) are still
  made by the parser;
- a positions CSV a shipped scenario names exists and imports (`cascade run`
  on a few paths: `cascade validate` does not read it).

Run from the repository root with Debian's Python (needs python3-jsonschema):
    /usr/bin/python3 tests/python/test_schema.py
The executable is $CASCADE_EXE (default ./build/cascade). The last line printed
is "N passed, M failed"; the exit status is non-zero on any failure.
"""

import copy
import glob
import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402  (the shared runner beside this file)

try:
    import jsonschema
except ImportError:
    print("test_schema.py needs the jsonschema module: install the Debian package "
          "python3-jsonschema (apt-get install python3-jsonschema) and run it with "
          "/usr/bin/python3", file=sys.stderr)
    print("0 passed, 1 failed")
    sys.exit(1)

REPO = os.getcwd()
EXE = harness.EXE
SCHEMA_FILE = os.path.join(REPO, "scenarios", "schema.json")
FLASH_CRASH = os.path.join(REPO, "scenarios", "flash-crash.json")
DELETE = object()  # a value in a case: remove the key

with open(SCHEMA_FILE, encoding="utf-8") as _f:
    SCHEMA = json.load(_f)
VALIDATOR = jsonschema.Draft7Validator(SCHEMA)

_tmp = None


def setUpModule():
    global _tmp
    _tmp = tempfile.TemporaryDirectory(prefix="cascade-test-schema-")


def tearDownModule():
    _tmp.cleanup()


def shipped_scenarios():
    files = sorted(glob.glob(os.path.join(REPO, "scenarios", "*.json")))
    return [f for f in files if os.path.basename(f) != "schema.json"]


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def validate_file(path):
    """Runs `cascade validate`; returns (exit status, stdout, stderr)."""
    done = subprocess.run([EXE, "validate", path], cwd=REPO, capture_output=True, text=True,
                          timeout=60)
    return done.returncode, done.stdout, done.stderr


def validate_doc(doc, name="case"):
    path = os.path.join(_tmp.name, name + ".json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f)
    return validate_file(path)


def schema_errors(doc):
    return [f"/{'/'.join(str(p) for p in e.absolute_path)}: {e.message}"
            for e in VALIDATOR.iter_errors(doc)]


def apply(doc, pointer, value):
    """Sets (or with DELETE removes) the value at a JSON pointer, creating objects on the way."""
    doc = copy.deepcopy(doc)
    tokens = [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]
    node = doc
    for token in tokens[:-1]:
        node = node[int(token)] if isinstance(node, list) else node.setdefault(token, {})
    last = tokens[-1]
    if isinstance(node, list):
        last = int(last)
    if value is DELETE:
        del node[last]
    else:
        node[last] = value
    return doc


def applying(doc, *changes):
    for pointer, value in changes:
        doc = apply(doc, pointer, value)
    return doc


# --- walking the schema the way an editor does -------------------------------------------------

def resolve_ref(node):
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), f"only local $ref supported, got {ref}"
        target = SCHEMA
        for token in ref[2:].split("/"):
            target = target[token]
        node = target
    return node


def applicable(node, instance):
    """The schema objects that apply to `instance`: `node` and, recursively, the
    subschemas of allOf, of anyOf/oneOf branches that match, and of if/then/else."""
    node = resolve_ref(node)
    if not isinstance(node, dict):
        return []
    found = [node]
    for sub in node.get("allOf", []):
        found += applicable(sub, instance)
    for key in ("anyOf", "oneOf"):
        for sub in node.get(key, []):
            if jsonschema.Draft7Validator(resolve_ref(sub)).is_valid(instance):
                found += applicable(sub, instance)
    if "if" in node:
        branch = "then" if jsonschema.Draft7Validator(node["if"]).is_valid(instance) else "else"
        if branch in node:
            found += applicable(node[branch], instance)
    return found


def property_schemas(schemas, key):
    return [s["properties"][key] for s in schemas
            if isinstance(s.get("properties"), dict) and key in s["properties"]]


def item_schemas(schemas):
    return [s["items"] for s in schemas if isinstance(s.get("items"), dict)]


def undeclared_keys(instance, schemas, pointer=""):
    """Pointers of the keys in `instance` that no applicable schema declares."""
    missing = []
    applying_schemas = [a for s in schemas for a in applicable(s, instance)]
    if isinstance(instance, dict):
        for key, value in instance.items():
            subs = property_schemas(applying_schemas, key)
            if not subs:
                missing.append(f"{pointer}/{key}")
            else:
                missing += undeclared_keys(value, subs, f"{pointer}/{key}")
    elif isinstance(instance, list):
        subs = item_schemas(applying_schemas)
        for i, value in enumerate(instance):
            missing += undeclared_keys(value, subs, f"{pointer}/{i}")
    return missing


def undocumented_defaults(given, resolved, schemas, pointer=""):
    """Compares every schema `default` for a key absent from `given` with the
    value the parser resolved; returns the mismatches."""
    problems = []
    applying_schemas = [a for s in schemas for a in applicable(s, resolved)]
    if isinstance(resolved, dict):
        given = given if isinstance(given, dict) else {}
        for key, value in resolved.items():
            subs = property_schemas(applying_schemas, key)
            for sub in subs:
                if key not in given and "default" in sub and sub["default"] != value:
                    problems.append(f"{pointer}/{key}: schema default {sub['default']!r}, "
                                    f"parser resolved {value!r}")
            problems += undocumented_defaults(given.get(key), value, subs, f"{pointer}/{key}")
    elif isinstance(resolved, list):
        given = given if isinstance(given, list) else []
        subs = item_schemas(applying_schemas)
        for i, value in enumerate(resolved):
            problems += undocumented_defaults(given[i] if i < len(given) else None, value, subs,
                                              f"{pointer}/{i}")
    return problems


# --- scenarios used by the tests ----------------------------------------------------------------

BASE = {
    "name": "schema-test",
    "simulation": {"paths": 100, "horizon": "1d", "step": "1h", "seed": 7,
                   "max_cascade_rounds": 50},
    "market": {"asset": "BTC", "initial_price": 100.0,
               "price_model": {"model": "merton", "drift": 0.0, "volatility": 0.5,
                               "jump_intensity": 10, "jump_mean": -0.01, "jump_stdev": 0.02},
               "impact": {"model": "linear", "depth_2pct": 1e7, "half_life": "15min",
                          "floor": 0.05}},
    "shocks": [
        {"type": "volatility", "start": "2h", "duration": "6h", "multiplier": 2},
        {"type": "crash", "start": "4h", "duration": "30min", "drop": 0.2,
         "recovery": {"fraction": 0.5, "duration": "2h"}},
        {"type": "jump", "time": "12h", "size": -0.1},
    ],
    "venue": {"initial_margin": 0.05, "maintenance_margin": 0.025, "liquidation_penalty": 0.01,
              "insurance_fund": 1e6},
    "population": {
        "over_leverage": "error",
        "cohorts": [
            {"name": "longs", "side": "long", "accounts": 100,
             "leverage": {"distribution": "lognormal", "median": 5, "sigma": 0.5, "min": 1,
                          "max": 20},
             "notional": {"distribution": "pareto", "minimum": 100, "alpha": 1.5,
                          "maximum": 1e6},
             "entry_price": {"distribution": "uniform", "min": 0.98, "max": 1.02}},
            {"name": "shorts", "side": "short", "accounts": 50,
             "leverage": {"distribution": "histogram", "edges": [1, 5, 10, 20],
                          "weights": [3, 2, 1]},
             "notional": 1000,
             "entry_price": {"distribution": "fixed", "value": 1}},
        ],
    },
    "output": {"quantiles": [0.05, 0.5, 0.95], "sample_paths": 5, "compression": 0,
               "series": ["price", "liquidated_notional"]},
}
GBM = {"model": "gbm", "volatility": 0.5}
GARCH = {"model": "garch", "long_run_volatility": 0.6, "alpha": 0.1, "beta": 0.85}
GARCH_T = dict(GARCH, innovations="student_t", degrees_of_freedom=5)
PM = "/market/price_model"
IMPACT = "/market/impact"
C0 = "/population/cohorts/0"
C1 = "/population/cohorts/1"
LEV = C0 + "/leverage"      # a lognormal in BASE
NOT = C0 + "/notional"      # a pareto in BASE
HIST = C1 + "/leverage"     # a histogram in BASE
LINEAR = {"model": "linear", "per_notional": 1e-9}
SQRT = {"model": "square_root", "daily_volume": 1e9, "volatility": 0.04}
ELASTIC = {"elasticity": 1, "reference_volatility": 0.6, "window": "1h"}
DROUGHT = {"type": "liquidity_drought", "start": "1h", "duration": "2h", "depth_factor": 0.25}


def add_shock(shock):
    """A change to BASE that appends `shock` to its shocks (it becomes /shocks/3)."""
    return ("/shocks", BASE["shocks"] + [shock])


VENUE = {"initial_margin": 0.1, "maintenance_margin": 0.05}
# A tiered maintenance margin for BASE's venue (initial margin 0.05): amounts 0, 100, 1,100.
TIERS = [{"notional_cap": 1e4, "rate": 0.01}, {"notional_cap": 1e5, "rate": 0.02},
         {"rate": 0.03}]
TIERED = [("/venue/maintenance_margin", DELETE), ("/venue/maintenance_tiers", TIERS)]
MT = "/venue/maintenance_tiers"
COHORT = {"name": "c", "side": "long", "accounts": 10, "leverage": 2, "notional": 100}

# Valid scenarios with everything optional left out, one per model and shock kind.
MINIMAL = {
    "gbm": {"simulation": {"horizon": "1d", "steps": 24},
            "market": {"initial_price": 100, "price_model": GBM}},
    "merton": {"simulation": {"horizon": "2w", "step": "1d"},
               "market": {"initial_price": 100,
                          "price_model": {"model": "merton", "volatility": 0.5,
                                          "jump_intensity": 1, "jump_mean": 0, "jump_stdev": 0.1}},
               "shocks": [{"type": "crash", "start": "0s", "duration": "1d", "drop": 0.5}]},
    "garch": {"simulation": {"horizon": "1d", "steps": 24, "step": "1h"},
              "market": {"initial_price": 100, "price_model": GARCH},
              "shocks": [{"type": "volatility", "start": "1h", "duration": "1h", "multiplier": 1}]},
    "garch_t": {"simulation": {"horizon": "90min", "step": "90s"},
                "market": {"initial_price": 100, "price_model": GARCH_T},
                "shocks": [{"type": "jump", "time": "90min", "size": 1}], "output": {}},
    # The new sections, each with everything optional left out.
    "impact_linear": {"simulation": {"horizon": "1d", "steps": 24},
                      "market": {"initial_price": 100, "price_model": GBM, "impact": LINEAR}},
    "impact_square_root": {"simulation": {"horizon": "1d", "steps": 24},
                           "market": {"initial_price": 100, "price_model": GBM, "impact": SQRT},
                           "shocks": [DROUGHT]},
    "impact_elastic": {"simulation": {"horizon": "1d", "steps": 24},
                       "market": {"initial_price": 100, "price_model": GBM,
                                  "impact": dict(LINEAR, elastic_depth=ELASTIC)}},
    "impact_none": {"simulation": {"horizon": "1d", "steps": 24},
                    "market": {"initial_price": 100, "price_model": GBM,
                               "impact": {"model": "none"}}},
    "venue_only": {"simulation": {"horizon": "1d", "steps": 24},
                   "market": {"initial_price": 100, "price_model": GBM}, "venue": VENUE},
    "population_empty": {"simulation": {"horizon": "1d", "steps": 24},
                         "market": {"initial_price": 100, "price_model": GBM},
                         "venue": VENUE, "population": {}},
    "population_minimal": {"simulation": {"horizon": "1d", "steps": 24},
                           "market": {"initial_price": 100, "price_model": GBM},
                           "venue": VENUE, "population": {"cohorts": [COHORT]}},
    "distribution_defaults": {
        "simulation": {"horizon": "1d", "steps": 24},
        "market": {"initial_price": 100, "price_model": GBM},
        "venue": VENUE,
        "population": {"cohorts": [
            {"name": "lognormal", "side": "short", "accounts": 10,
             "leverage": {"distribution": "lognormal", "median": 3, "sigma": 0.5, "max": 10},
             "notional": {"distribution": "lognormal", "median": 1000, "sigma": 1},
             "entry_price": {"distribution": "lognormal", "median": 1, "sigma": 0.01}},
            {"name": "pareto", "side": "long", "accounts": 10,
             "leverage": {"distribution": "pareto", "minimum": 1, "alpha": 3, "maximum": 10},
             "notional": {"distribution": "pareto", "minimum": 100, "alpha": 1.2}}]}},
    "over_leverage_clip": {
        "simulation": {"horizon": "1d", "steps": 24},
        "market": {"initial_price": 100, "price_model": GBM},
        "venue": VENUE,
        "population": {"over_leverage": "clip",
                       "cohorts": [dict(COHORT, leverage={"distribution": "pareto",
                                                          "minimum": 1, "alpha": 2})]}},
}

# (description, changes to BASE, valid?) -- both the schema and the parser must agree.
CASES = [
    # top level
    ("no changes", [], True),
    ("unknown top-level key", [("/steps", 10)], False),
    ("$schema of any type", [("/$schema", 5)], True),
    ("name not a string", [("/name", 5)], False),
    ("description not a string", [("/description", ["x"])], False),
    ("simulation missing", [("/simulation", DELETE)], False),
    ("market missing", [("/market", DELETE)], False),
    ("output absent", [("/output", DELETE)], True),
    ("output not an object", [("/output", [])], False),
    ("shocks absent", [("/shocks", DELETE)], True),
    ("shocks empty", [("/shocks", [])], True),
    ("shocks not an array", [("/shocks", {})], False),
    ("shock not an object", [("/shocks/0", 5)], False),
    # simulation
    ("paths 1", [("/simulation/paths", 1)], True),
    ("paths 0", [("/simulation/paths", 0)], False),
    ("paths 1e9", [("/simulation/paths", 1000000000)], True),
    ("paths 1e9 + 1", [("/simulation/paths", 1000000001)], False),
    ("paths as 1e4 (integral float)", [("/simulation/paths", 1e4)], True),
    ("paths 2.5", [("/simulation/paths", 2.5)], False),
    ("paths as string", [("/simulation/paths", "10")], False),
    ("horizon missing", [("/simulation/horizon", DELETE)], False),
    ("horizon a number", [("/simulation/horizon", 86400)], False),
    ("horizon 0", [("/simulation/horizon", "0s")], False),
    ("steps and step consistent", [("/simulation/steps", 24)], True),
    ("steps only", [("/simulation/step", DELETE), ("/simulation/steps", 10)], True),
    ("neither steps nor step", [("/simulation/step", DELETE)], False),
    ("steps 0", [("/simulation/step", DELETE), ("/simulation/steps", 0)], False),
    ("steps 1e7", [("/simulation/step", DELETE), ("/simulation/steps", 10000000)], True),
    ("steps 1e7 + 1", [("/simulation/step", DELETE), ("/simulation/steps", 10000001)], False),
    ("step 0", [("/simulation/step", "0min")], False),
    ("seed 0", [("/simulation/seed", 0)], True),
    ("seed -1", [("/simulation/seed", -1)], False),
    ("threads 4096", [("/simulation/threads", 4096)], True),
    ("threads 4097", [("/simulation/threads", 4097)], False),
    ("unknown simulation key", [("/simulation/volatility", 1)], False),
    # market
    ("asset not a string", [("/market/asset", 1)], False),
    ("initial_price 0", [("/market/initial_price", 0)], False),
    ("initial_price 1e15", [("/market/initial_price", 1e15)], True),
    ("initial_price above 1e15", [("/market/initial_price", 1000000000000001)], False),
    ("initial_price missing", [("/market/initial_price", DELETE)], False),
    ("price_model missing", [(PM, DELETE)], False),
    ("price_model not an object", [(PM, "gbm")], False),
    ("model missing", [(PM + "/model", DELETE)], False),
    ("model unknown", [(PM + "/model", "gmb")], False),
    ("unknown model with its own keys", [(PM, {"model": "heston", "kappa": 1})], False),
    # merton
    ("drift -10", [(PM + "/drift", -10)], True),
    ("drift 10.5", [(PM + "/drift", 10.5)], False),
    ("volatility 0", [(PM + "/volatility", 0)], True),
    ("volatility 10", [(PM + "/volatility", 10)], True),
    ("volatility 10.01", [(PM + "/volatility", 10.01)], False),
    ("volatility negative", [(PM + "/volatility", -0.01)], False),
    ("jump_intensity 0", [(PM + "/jump_intensity", 0)], True),
    ("jump_intensity 1e6", [(PM + "/jump_intensity", 1000000)], True),
    ("jump_intensity above 1e6", [(PM + "/jump_intensity", 1000001)], False),
    ("jump_intensity missing", [(PM + "/jump_intensity", DELETE)], False),
    ("jump_mean -5", [(PM + "/jump_mean", -5)], True),
    ("jump_mean 5.1", [(PM + "/jump_mean", 5.1)], False),
    ("jump_stdev 0", [(PM + "/jump_stdev", 0)], True),
    ("jump_stdev 5.1", [(PM + "/jump_stdev", 5.1)], False),
    ("merton with a garch key", [(PM + "/alpha", 0.1)], False),
    # gbm
    ("gbm", [(PM, GBM)], True),
    ("gbm without volatility", [(PM, {"model": "gbm"})], False),
    ("gbm with a jump key", [(PM, dict(GBM, jump_intensity=1))], False),
    # garch
    ("garch", [(PM, GARCH)], True),
    ("garch long_run_volatility 0", [(PM, dict(GARCH, long_run_volatility=0))], False),
    ("garch long_run_volatility 10", [(PM, dict(GARCH, long_run_volatility=10))], True),
    ("garch alpha 0", [(PM, dict(GARCH, alpha=0))], True),
    ("garch alpha 1", [(PM, dict(GARCH, alpha=1, beta=0))], False),
    ("garch beta 0", [(PM, dict(GARCH, beta=0))], True),
    ("garch beta negative", [(PM, dict(GARCH, beta=-0.1))], False),
    ("garch beta missing", [(PM, {k: v for k, v in GARCH.items() if k != "beta"})], False),
    ("garch initial_volatility 0", [(PM, dict(GARCH, initial_volatility=0))], False),
    ("garch initial_volatility 10", [(PM, dict(GARCH, initial_volatility=10))], True),
    ("garch innovations normal", [(PM, dict(GARCH, innovations="normal"))], True),
    ("garch innovations unknown", [(PM, dict(GARCH, innovations="studentt"))], False),
    ("garch student_t", [(PM, GARCH_T)], True),
    ("garch student_t without dof",
     [(PM, {k: v for k, v in GARCH_T.items() if k != "degrees_of_freedom"})], False),
    ("garch dof 2", [(PM, dict(GARCH_T, degrees_of_freedom=2))], False),
    ("garch dof 2.01", [(PM, dict(GARCH_T, degrees_of_freedom=2.01))], True),
    ("garch dof without student_t", [(PM, dict(GARCH, degrees_of_freedom=5))], False),
    ("garch dof with normal",
     [(PM, dict(GARCH, innovations="normal", degrees_of_freedom=5))], False),
    ("garch with a merton key", [(PM, dict(GARCH, volatility=0.5))], False),
    # shocks
    ("shock type missing", [("/shocks/0/type", DELETE)], False),
    ("shock type unknown", [("/shocks/0/type", "spike")], False),
    ("volatility multiplier 0", [("/shocks/0/multiplier", 0)], True),
    ("volatility multiplier 1000", [("/shocks/0/multiplier", 1000)], True),
    ("volatility multiplier 1000.5", [("/shocks/0/multiplier", 1000.5)], False),
    ("volatility start 0", [("/shocks/0/start", "0s")], True),
    ("volatility start negative", [("/shocks/0/start", "-1s")], False),
    ("volatility duration 0", [("/shocks/0/duration", "0h")], False),
    ("volatility start missing", [("/shocks/0/start", DELETE)], False),
    ("volatility with a crash key", [("/shocks/0/drop", 0.1)], False),
    ("crash drop 0", [("/shocks/1/drop", 0)], False),
    ("crash drop 1", [("/shocks/1/drop", 1)], False),
    ("crash drop 0.999", [("/shocks/1/drop", 0.999)], True),
    ("crash without recovery", [("/shocks/1/recovery", DELETE)], True),
    ("crash recovery null", [("/shocks/1/recovery", None)], False),
    ("recovery fraction 0", [("/shocks/1/recovery/fraction", 0)], True),
    ("recovery fraction 1", [("/shocks/1/recovery/fraction", 1)], True),
    ("recovery fraction 1.01", [("/shocks/1/recovery/fraction", 1.01)], False),
    ("recovery duration missing", [("/shocks/1/recovery/duration", DELETE)], False),
    ("recovery unknown key", [("/shocks/1/recovery/start", "1h")], False),
    ("jump time 0", [("/shocks/2/time", "0s")], False),
    ("jump size -1", [("/shocks/2/size", -1)], False),
    ("jump size -0.999", [("/shocks/2/size", -0.999)], True),
    ("jump size 100", [("/shocks/2/size", 100)], True),
    ("jump with start", [("/shocks/2/start", "1h")], False),
    ("liquidity drought", [add_shock(DROUGHT)], True),
    ("drought depth_factor 1", [add_shock(dict(DROUGHT, depth_factor=1))], True),
    ("drought depth_factor 0", [add_shock(dict(DROUGHT, depth_factor=0))], False),
    ("drought depth_factor 1.01", [add_shock(dict(DROUGHT, depth_factor=1.01))], False),
    ("drought without depth_factor",
     [add_shock({k: v for k, v in DROUGHT.items() if k != "depth_factor"})], False),
    ("drought duration 0", [add_shock(dict(DROUGHT, duration="0s"))], False),
    ("drought start 0", [add_shock(dict(DROUGHT, start="0s"))], True),
    ("drought past the horizon", [add_shock(dict(DROUGHT, duration="30d"))], True),
    ("drought with a size", [add_shock(dict(DROUGHT, size=0.1))], False),
    # output
    ("quantiles empty", [("/output/quantiles", [])], False),
    ("quantiles one level", [("/output/quantiles", [0.5])], True),
    ("quantile 0", [("/output/quantiles", [0, 0.5])], False),
    ("quantile 1", [("/output/quantiles", [0.5, 1])], False),
    ("quantiles repeated", [("/output/quantiles", [0.5, 0.5])], False),
    ("band method sketch", [("/output/band_method", "sketch")], True),
    ("band method exact", [("/output/band_method", "exact")], True),
    ("band method unknown", [("/output/band_method", "approximate")], False),
    ("band relative error 1e-4", [("/output/band_relative_error", 1e-4)], True),
    ("band relative error 0.05", [("/output/band_relative_error", 0.05)], True),
    ("band relative error below 1e-4", [("/output/band_relative_error", 5e-5)], False),
    ("band relative error above 0.05", [("/output/band_relative_error", 0.06)], False),
    ("quantile not a number", [("/output/quantiles", [0.5, "0.9"])], False),
    ("quantiles not an array", [("/output/quantiles", 0.5)], False),
    ("sample_paths 0", [("/output/sample_paths", 0)], True),
    ("sample_paths 10000", [("/output/sample_paths", 10000)], True),
    ("sample_paths 10001", [("/output/sample_paths", 10001)], False),
    ("max_events_per_path 0", [("/output/max_events_per_path", 0)], True),
    ("max_events_per_path 1e12", [("/output/max_events_per_path", 10**12)], True),
    ("max_events_per_path above 1e12", [("/output/max_events_per_path", 10**12 + 1)], False),
    ("max_events_per_path negative", [("/output/max_events_per_path", -1)], False),
    ("max_events_per_path not whole", [("/output/max_events_per_path", 2.5)], False),
    ("compression 9", [("/output/compression", 9)], True),
    ("compression 10", [("/output/compression", 10)], False),
    ("output unknown key", [("/output/format", "csv")], False),
    # simulation.max_cascade_rounds
    ("max_cascade_rounds 1", [("/simulation/max_cascade_rounds", 1)], True),
    ("max_cascade_rounds 0", [("/simulation/max_cascade_rounds", 0)], False),
    ("max_cascade_rounds 1e6", [("/simulation/max_cascade_rounds", 1000000)], True),
    ("max_cascade_rounds 1e6 + 1", [("/simulation/max_cascade_rounds", 1000001)], False),
    ("max_cascade_rounds 2.5", [("/simulation/max_cascade_rounds", 2.5)], False),
    ("max_cascade_rounds absent", [("/simulation/max_cascade_rounds", DELETE)], True),
    # market.impact
    ("impact absent", [(IMPACT, DELETE)], True),
    ("impact none", [(IMPACT, {"model": "none"})], True),
    ("impact none with a linear key", [(IMPACT, {"model": "none", "floor": 0.5})], False),
    ("impact not an object", [(IMPACT, "linear")], False),
    ("impact null", [(IMPACT, None)], False),
    ("impact model missing", [(IMPACT + "/model", DELETE)], False),
    ("impact model unknown", [(IMPACT + "/model", "sqrt")], False),
    ("impact linear with depth_1pct", [(IMPACT, {"model": "linear", "depth_1pct": 5e6})], True),
    ("impact linear with per_notional only", [(IMPACT, LINEAR)], True),
    ("impact linear without a size", [(IMPACT, {"model": "linear", "floor": 0.5})], False),
    ("impact linear with two sizes", [(IMPACT + "/depth_1pct", 5e6)], False),
    ("impact linear with all three sizes",
     [(IMPACT + "/depth_1pct", 5e6), (IMPACT + "/per_notional", 1e-9)], False),
    ("impact depth_2pct 0", [(IMPACT + "/depth_2pct", 0)], False),
    ("impact depth_2pct tiny", [(IMPACT + "/depth_2pct", 1e-300)], False),
    ("impact depth_2pct smallest", [(IMPACT + "/depth_2pct", 1e-6)], True),
    ("impact per_notional huge", [(IMPACT + "/per_notional", 1e300)], False),
    ("impact depth_1pct negative", [(IMPACT, {"model": "linear", "depth_1pct": -1})], False),
    ("impact per_notional 0", [(IMPACT, dict(LINEAR, per_notional=0))], False),
    ("impact depth as a string", [(IMPACT + "/depth_2pct", "1e7")], False),
    ("impact half_life absent", [(IMPACT + "/half_life", DELETE)], True),
    ("impact half_life 0", [(IMPACT + "/half_life", "0s")], False),
    ("impact half_life a number", [(IMPACT + "/half_life", 900)], False),
    ("impact half_life 1ms", [(IMPACT + "/half_life", "1ms")], True),
    ("impact floor 0", [(IMPACT + "/floor", 0)], False),
    ("impact floor 1", [(IMPACT + "/floor", 1)], False),
    ("impact floor 0.999", [(IMPACT + "/floor", 0.999)], True),
    ("impact floor 1e-9", [(IMPACT + "/floor", 1e-9)], True),
    ("impact unknown key", [(IMPACT + "/depth", 1e7)], False),
    # market.impact square_root
    ("impact square_root", [(IMPACT, SQRT)], True),
    ("impact square_root with every key",
     [(IMPACT, dict(SQRT, Y=0.7, half_life="1h", floor=0.2, elastic_depth=ELASTIC))], True),
    ("impact square_root without daily_volume",
     [(IMPACT, {"model": "square_root", "volatility": 0.04})], False),
    ("impact square_root without volatility",
     [(IMPACT, {"model": "square_root", "daily_volume": 1e9})], False),
    ("impact square_root daily_volume 1e-6", [(IMPACT, dict(SQRT, daily_volume=1e-6))], True),
    ("impact square_root daily_volume 0", [(IMPACT, dict(SQRT, daily_volume=0))], False),
    ("impact square_root daily_volume above 1e18",
     [(IMPACT, dict(SQRT, daily_volume=1.01e18))], False),
    ("impact square_root volatility 1e-6", [(IMPACT, dict(SQRT, volatility=1e-6))], True),
    ("impact square_root volatility 0", [(IMPACT, dict(SQRT, volatility=0))], False),
    ("impact square_root volatility 10", [(IMPACT, dict(SQRT, volatility=10))], True),
    ("impact square_root volatility 10.5", [(IMPACT, dict(SQRT, volatility=10.5))], False),
    ("impact square_root Y 0.001", [(IMPACT, dict(SQRT, Y=0.001))], True),
    ("impact square_root Y 0", [(IMPACT, dict(SQRT, Y=0))], False),
    ("impact square_root Y 100", [(IMPACT, dict(SQRT, Y=100))], True),
    ("impact square_root Y 101", [(IMPACT, dict(SQRT, Y=101))], False),
    ("impact square_root y lower-case", [(IMPACT, dict(SQRT, y=1))], False),
    ("impact square_root floor 1", [(IMPACT, dict(SQRT, floor=1))], False),
    ("impact square_root with a linear size", [(IMPACT, dict(SQRT, depth_2pct=1e7))], False),
    # market.impact elastic_depth
    ("elastic_depth on linear", [(IMPACT + "/elastic_depth", ELASTIC)], True),
    ("elastic_depth on none", [(IMPACT, {"model": "none", "elastic_depth": ELASTIC})], False),
    ("elastic_depth not an object", [(IMPACT + "/elastic_depth", 1)], False),
    ("elastic_depth without elasticity",
     [(IMPACT + "/elastic_depth", {"reference_volatility": 0.6, "window": "1h"})], False),
    ("elastic_depth without window",
     [(IMPACT + "/elastic_depth", {"elasticity": 1, "reference_volatility": 0.6})], False),
    ("elasticity 0", [(IMPACT + "/elastic_depth", dict(ELASTIC, elasticity=0))], True),
    ("elasticity 10", [(IMPACT + "/elastic_depth", dict(ELASTIC, elasticity=10))], True),
    ("elasticity 10.5", [(IMPACT + "/elastic_depth", dict(ELASTIC, elasticity=10.5))], False),
    ("elasticity negative", [(IMPACT + "/elastic_depth", dict(ELASTIC, elasticity=-1))], False),
    ("elastic reference_volatility 0",
     [(IMPACT + "/elastic_depth", dict(ELASTIC, reference_volatility=0))], False),
    ("elastic reference_volatility 100",
     [(IMPACT + "/elastic_depth", dict(ELASTIC, reference_volatility=100))], True),
    ("elastic window 0", [(IMPACT + "/elastic_depth", dict(ELASTIC, window="0s"))], False),
    ("elastic min_multiplier 1", [(IMPACT + "/elastic_depth", dict(ELASTIC, min_multiplier=1))],
     True),
    ("elastic min_multiplier 0", [(IMPACT + "/elastic_depth", dict(ELASTIC, min_multiplier=0))],
     False),
    ("elastic min_multiplier 1.1",
     [(IMPACT + "/elastic_depth", dict(ELASTIC, min_multiplier=1.1))], False),
    ("elastic max_multiplier 1", [(IMPACT + "/elastic_depth", dict(ELASTIC, max_multiplier=1))],
     True),
    ("elastic max_multiplier 0.9",
     [(IMPACT + "/elastic_depth", dict(ELASTIC, max_multiplier=0.9))], False),
    ("elastic max_multiplier 1000",
     [(IMPACT + "/elastic_depth", dict(ELASTIC, max_multiplier=1000))], True),
    ("elastic max_multiplier 1001",
     [(IMPACT + "/elastic_depth", dict(ELASTIC, max_multiplier=1001))], False),
    ("elastic unknown key", [(IMPACT + "/elastic_depth", dict(ELASTIC, floor=0.1))], False),
    # venue
    ("venue absent, population absent", [("/venue", DELETE), ("/population", DELETE)], True),
    ("venue without a population", [("/population", DELETE)], True),
    ("population without a venue", [("/venue", DELETE)], False),
    ("venue not an object", [("/venue", 0.05)], False),
    ("initial_margin missing", [("/venue/initial_margin", DELETE)], False),
    ("maintenance_margin missing", [("/venue/maintenance_margin", DELETE)], False),
    ("initial_margin 0", [("/venue/initial_margin", 0)], False),
    ("initial_margin 1 (no leverage)",
     [("/venue/initial_margin", 1), ("/population", DELETE)], True),
    ("initial_margin 1.01", [("/venue/initial_margin", 1.01), ("/population", DELETE)], False),
    ("maintenance_margin 0", [("/venue/maintenance_margin", 0)], False),
    ("maintenance_margin just below initial_margin", [("/venue/maintenance_margin", 0.0499)],
     True),
    ("liquidation_penalty 0", [("/venue/liquidation_penalty", 0)], True),
    ("liquidation_penalty 0.999", [("/venue/liquidation_penalty", 0.999)], True),
    ("liquidation_penalty 1", [("/venue/liquidation_penalty", 1)], False),
    ("liquidation_penalty negative", [("/venue/liquidation_penalty", -0.01)], False),
    ("liquidation_penalty absent", [("/venue/liquidation_penalty", DELETE)], True),
    ("insurance_fund 0", [("/venue/insurance_fund", 0)], True),
    ("insurance_fund 1e18", [("/venue/insurance_fund", 1e18)], True),
    ("insurance_fund above 1e18", [("/venue/insurance_fund", 1.01e18)], False),
    ("insurance_fund negative", [("/venue/insurance_fund", -1)], False),
    ("insurance_fund absent", [("/venue/insurance_fund", DELETE)], True),
    ("venue unknown key", [("/venue/max_leverage", 20)], False),
    # venue.loss_waterfall
    ("loss waterfall empty", [("/venue/loss_waterfall", {})], True),
    ("ADL queue", [("/venue/loss_waterfall", {"adl": "pnl_leverage"})], True),
    ("ADL pro rata with socialised loss",
     [("/venue/loss_waterfall", {"adl": "pro_rata", "socialised_loss": True})], True),
    ("ADL unknown ranking", [("/venue/loss_waterfall", {"adl": "pnl"})], False),
    ("ADL as a boolean", [("/venue/loss_waterfall", {"adl": True})], False),
    ("socialised loss as a word", [("/venue/loss_waterfall", {"socialised_loss": "yes"})], False),
    ("loss waterfall unknown key", [("/venue/loss_waterfall", {"fund_first": True})], False),
    ("loss waterfall not an object", [("/venue/loss_waterfall", "adl")], False),
    # venue.funding (the grid's step is 1h)
    ("funding hourly", [("/venue/funding", {"interval": "1h", "cap": 0.04})], True),
    ("funding like Binance", [("/venue/funding", {"interval": "8h", "interest_rate": 0.0001,
                                                  "interest_band": 0.0005, "cap": 0.0075})],
     True),
    ("funding negative interest", [("/venue/funding", {"interval": "1h", "interest_rate": -0.001,
                                                       "cap": 0.01})], True),
    ("funding like Hyperliquid", [("/venue/funding", {"interval": "1h", "rate_period": "8h",
                                                      "interest_rate": 0.0001, "cap": 0.04})],
     True),
    ("funding zero rate period", [("/venue/funding", {"interval": "1h", "rate_period": "0s",
                                                      "cap": 0.04})], False),
    ("funding without cap", [("/venue/funding", {"interval": "1h"})], False),
    ("funding without interval", [("/venue/funding", {"cap": 0.01})], False),
    ("funding cap 0", [("/venue/funding", {"interval": "1h", "cap": 0})], False),
    ("funding cap above 1", [("/venue/funding", {"interval": "1h", "cap": 1.5})], False),
    ("funding interest 1", [("/venue/funding", {"interval": "1h", "interest_rate": 1,
                                                "cap": 0.01})], False),
    ("funding negative band", [("/venue/funding", {"interval": "1h", "interest_band": -0.1,
                                                   "cap": 0.01})], False),
    ("funding zero interval", [("/venue/funding", {"interval": "0s", "cap": 0.01})], False),
    ("funding unknown key", [("/venue/funding", {"interval": "1h", "cap": 0.01, "premium": 0})],
     False),
    # venue.preset
    ("venue preset alone", [("/venue", {"preset": "hyperliquid-btc"})], True),
    ("venue preset with overrides",
     [("/venue", {"preset": "binance-btcusdt-2021", "insurance_fund": 1e6,
                  "liquidation_penalty": 0.005})], True),
    ("venue unknown preset", [("/venue/preset", "hyperliquid")], False),
    ("venue preset not a string", [("/venue/preset", 1)], False),
    ("venue without preset or initial_margin", [("/venue/initial_margin", DELETE)], False),
    # venue.liquidators
    ("liquidators", [("/venue/liquidators", {"capacity": 5e6, "window": "1min"})], True),
    ("liquidators without window", [("/venue/liquidators", {"capacity": 5e6})], False),
    ("liquidators without capacity", [("/venue/liquidators", {"window": "1h"})], False),
    ("liquidators capacity 0", [("/venue/liquidators", {"capacity": 0, "window": "1h"})], False),
    ("backstop", [("/venue/backstop", {"maintenance_fraction": 0.6666666666666666})], True),
    ("backstop at bankruptcy",
     [("/venue/backstop", {"maintenance_fraction": 0, "price": "bankruptcy"})], True),
    ("backstop every liquidation", [("/venue/backstop", {"maintenance_fraction": 1})], True),
    ("backstop without fraction", [("/venue/backstop", {"price": "mark"})], False),
    ("backstop fraction above 1", [("/venue/backstop", {"maintenance_fraction": 1.5})], False),
    ("backstop fraction negative", [("/venue/backstop", {"maintenance_fraction": -0.1})], False),
    ("backstop price oracle",
     [("/venue/backstop", {"maintenance_fraction": 0.5, "price": "oracle"})], False),
    ("backstop unknown key",
     [("/venue/backstop", {"maintenance_fraction": 0.5, "capital": 1e6})], False),
    ("liquidators capacity above 1e18",
     [("/venue/liquidators", {"capacity": 1.01e18, "window": "1h"})], False),
    ("liquidators zero window", [("/venue/liquidators", {"capacity": 1, "window": "0s"})], False),
    ("liquidators unknown key",
     [("/venue/liquidators", {"capacity": 1, "window": "1h", "gas": 1})], False),
    ("liquidators min profit and cost",
     [("/venue/liquidators", {"min_profit": 5, "cost": 20, "latency": "1min"})], True),
    ("liquidators cost alone", [("/venue/liquidators", {"cost": 0})], True),
    ("liquidators min profit alone", [("/venue/liquidators", {"min_profit": 1e18})], True),
    ("liquidators negative min profit", [("/venue/liquidators", {"min_profit": -1})], False),
    ("liquidators negative cost", [("/venue/liquidators", {"cost": -0.5})], False),
    ("liquidators cost above 1e18", [("/venue/liquidators", {"cost": 1.01e18})], False),
    ("liquidators min profit not a number", [("/venue/liquidators", {"min_profit": "5"})], False),
    ("liquidators latency alone", [("/venue/liquidators", {"latency": "2min"})], True),
    ("liquidators capacity and latency",
     [("/venue/liquidators", {"capacity": 1, "window": "1h", "latency": "0s"})], True),
    ("liquidators empty", [("/venue/liquidators", {})], True),
    ("liquidators negative latency", [("/venue/liquidators", {"latency": "-1min"})], False),
    # venue.partial_liquidation
    ("partial liquidation empty", [("/venue/partial_liquidation", {})], True),
    ("partial liquidation like Hyperliquid",
     [("/venue/partial_liquidation",
       {"close_factor": 0.2, "min_notional": 100000, "max_partials": 1, "cooldown": "30s"})],
     True),
    ("partial liquidation close_factor 1", [("/venue/partial_liquidation", {"close_factor": 1})],
     True),
    ("partial liquidation close_factor 0",
     [("/venue/partial_liquidation", {"close_factor": 0, "min_notional": 1})], False),
    ("partial liquidation close_factor above 1",
     [("/venue/partial_liquidation", {"close_factor": 1.01, "min_notional": 1})], False),
    ("partial liquidation min_notional negative",
     [("/venue/partial_liquidation", {"close_factor": 0.5, "min_notional": -1})], False),
    ("partial liquidation max_partials 0",
     [("/venue/partial_liquidation", {"close_factor": 0.5, "max_partials": 0})], False),
    ("partial liquidation max_partials fractional",
     [("/venue/partial_liquidation", {"close_factor": 0.5, "max_partials": 1.5})], False),
    ("partial liquidation negative cooldown",
     [("/venue/partial_liquidation", {"close_factor": 0.5, "min_notional": 1,
                                      "cooldown": "-1h"})], False),
    ("partial liquidation unknown key",
     [("/venue/partial_liquidation", {"close_factor": 0.5, "chunk": 1})], False),
    # venue.oracle (the grid's step is 1h, its horizon 1d)
    ("oracle instant", [("/venue/oracle", {"model": "instant"})], True),
    ("oracle instant on the index", [("/venue/oracle", {"model": "instant", "source": "index"})],
     True),
    ("oracle unknown source", [("/venue/oracle", {"model": "instant", "source": "spot"})], False),
    ("oracle unknown model", [("/venue/oracle", {"model": "chainlink"})], False),
    ("oracle model missing", [("/venue/oracle", {"delay": "1h"})], False),
    ("oracle latency", [("/venue/oracle", {"model": "latency", "delay": "2h"})], True),
    ("oracle latency without delay", [("/venue/oracle", {"model": "latency"})], False),
    ("oracle latency with a window", [("/venue/oracle", {"model": "latency", "delay": "2h",
                                                         "window": "1h"})], False),
    ("oracle ema", [("/venue/oracle", {"model": "ema", "half_life": "10min",
                                       "source": "index"})], True),
    ("oracle twap", [("/venue/oracle", {"model": "twap", "window": "3h"})], True),
    ("oracle push", [("/venue/oracle", {"model": "push", "deviation": 0.005,
                                        "heartbeat": "1h"})], True),
    ("oracle push deviation 1", [("/venue/oracle", {"model": "push", "deviation": 1,
                                                    "heartbeat": "1h"})], False),
    ("oracle push without heartbeat", [("/venue/oracle", {"model": "push", "deviation": 0.01})],
     False),
    ("oracle outage", [("/shocks/2", {"type": "oracle_outage", "start": "3h",
                                      "duration": "2h"})], True),
    ("oracle outage without duration", [("/shocks/2", {"type": "oracle_outage",
                                                       "start": "3h"})], False),
    ("oracle outage with a drop", [("/shocks/2", {"type": "oracle_outage", "start": "3h",
                                                  "duration": "2h", "drop": 0.1})], False),
    ("maintenance_tiers instead of maintenance_margin", TIERED, True),
    ("maintenance_tiers and maintenance_margin", [(MT, TIERS)], False),
    ("maintenance_tiers empty", TIERED + [(MT, [])], False),
    ("maintenance_tiers not an array", TIERED + [(MT, {"rate": 0.01})], False),
    ("maintenance_tiers one bracket", TIERED + [(MT, [{"rate": 0.01}])], True),
    ("tier rate 0", TIERED + [(MT + "/0/rate", 0)], False),
    ("tier rate 1", TIERED + [(MT + "/2/rate", 1)], False),
    ("tier rate missing", TIERED + [(MT + "/2/rate", DELETE)], False),
    ("tier notional_cap 0", TIERED + [(MT + "/0/notional_cap", 0)], False),
    ("tier maintenance_amount given", TIERED + [(MT + "/1/maintenance_amount", 100)], True),
    ("tier maintenance_amount negative", TIERED + [(MT + "/0/maintenance_amount", -1)], False),
    ("tier unknown key", TIERED + [(MT + "/0/cap", 1e4)], False),
    ("maintenance_tiers with a flat policy", TIERED + [("/venue/margin_policy",
                                                       {"model": "flat"})], True),
    ("maintenance_tiers with volatility_scaled",
     TIERED + [("/venue/margin_policy", {"model": "volatility_scaled", "window": "1h",
                                         "reference_volatility": 0.5, "floor": 0.001,
                                         "cap": 0.04})], False),
    # population
    ("population empty", [("/population", {})], True),
    ("population not an object", [("/population", [])], False),
    ("cohorts empty", [("/population/cohorts", [])], True),
    ("cohorts not an array", [("/population/cohorts", {})], False),
    ("cohort not an object", [(C0, "longs")], False),
    ("over_leverage clip", [("/population/over_leverage", "clip")], True),
    ("over_leverage unknown", [("/population/over_leverage", "cap")], False),
    ("over_leverage absent", [("/population/over_leverage", DELETE)], True),
    ("positions_csv a file name", [("/population/positions_csv", "book.csv")], True),
    ("positions_csv empty", [("/population/positions_csv", "")], False),
    ("positions_csv not a string", [("/population/positions_csv", 1)], False),
    ("population unknown key", [("/population/cohort", [])], False),
    # cohorts
    ("cohort name missing", [(C0 + "/name", DELETE)], False),
    ("cohort name not a string", [(C0 + "/name", 1)], False),
    ("cohort side short", [(C0 + "/side", "short")], True),
    ("cohort side capitalised", [(C0 + "/side", "Long")], False),
    ("cohort side missing", [(C0 + "/side", DELETE)], False),
    ("cohort accounts 0", [(C0 + "/accounts", 0)], True),
    ("cohort accounts 1e8", [(C0 + "/accounts", 100000000)], True),
    ("cohort accounts 1e8 + 1", [(C0 + "/accounts", 100000001)], False),
    ("cohort accounts negative", [(C0 + "/accounts", -1)], False),
    ("cohort accounts 2.5", [(C0 + "/accounts", 2.5)], False),
    ("cohort accounts missing", [(C0 + "/accounts", DELETE)], False),
    ("cohort leverage missing", [(LEV, DELETE)], False),
    ("cohort notional missing", [(NOT, DELETE)], False),
    ("cohort entry_price missing", [(C0 + "/entry_price", DELETE)], True),
    ("cohort unknown key", [(C0 + "/margin", 0.1)], False),
    # bare numbers
    ("leverage 1", [(LEV, 1)], True),
    ("leverage 0.99", [(LEV, 0.99)], False),
    ("leverage at the venue maximum", [(LEV, 20)], True),
    ("leverage a string", [(LEV, "5")], False),
    ("leverage null", [(LEV, None)], False),
    ("leverage an array", [(LEV, [5])], False),
    ("notional 0", [(NOT, 0)], False),
    ("notional tiny", [(NOT, 1e-9)], True),
    ("entry_price 0", [(C0 + "/entry_price", 0)], False),
    ("entry_price 1.5", [(C0 + "/entry_price", 1.5)], True),
    # the distribution selector
    ("distribution missing", [(LEV, {"median": 5, "sigma": 0.5, "max": 20})], False),
    ("distribution unknown", [(LEV + "/distribution", "log-normal")], False),
    ("distribution not a string", [(LEV + "/distribution", 1)], False),
    # fixed
    ("fixed leverage 1", [(LEV, {"distribution": "fixed", "value": 1})], True),
    ("fixed leverage 0.5", [(LEV, {"distribution": "fixed", "value": 0.5})], False),
    ("fixed notional 0", [(NOT, {"distribution": "fixed", "value": 0})], False),
    ("fixed without value", [(LEV, {"distribution": "fixed"})], False),
    ("fixed with min", [(LEV, {"distribution": "fixed", "value": 2, "min": 1})], False),
    # uniform
    ("uniform leverage [1, 20]", [(LEV, {"distribution": "uniform", "min": 1, "max": 20})], True),
    ("uniform leverage min 0.9", [(LEV, {"distribution": "uniform", "min": 0.9, "max": 20})],
     False),
    ("uniform notional min 0", [(NOT, {"distribution": "uniform", "min": 0, "max": 20})], False),
    ("uniform notional min tiny", [(NOT, {"distribution": "uniform", "min": 1e-9, "max": 1})],
     True),
    ("uniform entry_price negative max",
     [(C0 + "/entry_price/max", -1), (C0 + "/entry_price/min", -2)], False),
    ("uniform without max", [(C0 + "/entry_price/max", DELETE)], False),
    ("uniform with median", [(C0 + "/entry_price/median", 1)], False),
    # lognormal
    ("lognormal median 0", [(LEV + "/median", 0)], False),
    ("lognormal median below min", [(LEV + "/median", 0.9)], True),
    ("lognormal sigma 0", [(LEV + "/sigma", 0)], False),
    ("lognormal sigma smallest", [(LEV + "/sigma", 1e-9)], True),
    ("lognormal sigma 10", [(LEV + "/sigma", 10)], True),
    ("lognormal sigma 10.01", [(LEV + "/sigma", 10.01)], False),
    ("lognormal sigma negative", [(LEV + "/sigma", -0.1)], False),
    ("lognormal sigma missing", [(LEV + "/sigma", DELETE)], False),
    ("lognormal leverage min 0.99", [(LEV + "/min", 0.99)], False),
    ("lognormal leverage min absent", [(LEV + "/min", DELETE)], True),
    ("lognormal notional min 0",
     [(NOT, {"distribution": "lognormal", "median": 1000, "sigma": 1, "min": 0})], True),
    ("lognormal notional min negative",
     [(NOT, {"distribution": "lognormal", "median": 1000, "sigma": 1, "min": -1})], False),
    ("lognormal notional without max",
     [(NOT, {"distribution": "lognormal", "median": 1000, "sigma": 1})], True),
    ("lognormal max 0", [(NOT, {"distribution": "lognormal", "median": 1000, "sigma": 1,
                                "max": 0})], False),
    ("lognormal with alpha", [(LEV + "/alpha", 2)], False),
    # pareto
    ("pareto notional without maximum",
     [(NOT, {"distribution": "pareto", "minimum": 100, "alpha": 1.5})], True),
    ("pareto alpha 1 without maximum", [(NOT + "/maximum", DELETE), (NOT + "/alpha", 1)], False),
    ("pareto alpha 1.001 without maximum",
     [(NOT + "/maximum", DELETE), (NOT + "/alpha", 1.001)], True),
    ("pareto alpha 0.5 with maximum", [(NOT + "/alpha", 0.5)], True),
    ("pareto alpha 0", [(NOT + "/alpha", 0)], False),
    ("pareto alpha 100", [(NOT + "/alpha", 100)], True),
    ("pareto alpha 100.5", [(NOT + "/alpha", 100.5)], False),
    ("pareto alpha missing", [(NOT + "/alpha", DELETE)], False),
    ("pareto notional minimum 0", [(NOT + "/minimum", 0)], False),
    ("pareto minimum missing", [(NOT + "/minimum", DELETE)], False),
    ("pareto maximum 0", [(NOT + "/maximum", 0)], False),
    ("pareto leverage minimum 1",
     [(LEV, {"distribution": "pareto", "minimum": 1, "alpha": 2, "maximum": 20})], True),
    ("pareto leverage minimum 0.99",
     [(LEV, {"distribution": "pareto", "minimum": 0.99, "alpha": 2, "maximum": 20})], False),
    ("pareto with min", [(NOT + "/min", 100)], False),
    # histogram
    ("histogram one bin", [(HIST, {"distribution": "histogram", "edges": [1, 2],
                                   "weights": [1]})], True),
    ("histogram one edge", [(HIST, {"distribution": "histogram", "edges": [1],
                                    "weights": []})], False),
    ("histogram no edges", [(HIST + "/edges", [])], False),
    ("histogram repeated edge", [(HIST + "/edges", [1, 5, 5, 20])], False),
    ("histogram leverage edge below 1", [(HIST + "/edges", [0.5, 5, 10, 20])], False),
    ("histogram notional edge 0", [(C1 + "/notional", {"distribution": "histogram",
                                                      "edges": [0, 1000], "weights": [1]})],
     False),
    ("histogram weight 0", [(HIST + "/weights", [0, 2, 1])], True),
    ("histogram weights all 0", [(HIST + "/weights", [0, 0, 0])], False),
    ("histogram weight negative", [(HIST + "/weights", [-1, 2, 1])], False),
    ("histogram weights empty", [(HIST, {"distribution": "histogram", "edges": [1, 2],
                                         "weights": []})], False),
    ("histogram weights not an array", [(HIST + "/weights", 1)], False),
    ("histogram edges missing", [(HIST + "/edges", DELETE)], False),
    ("histogram edge not a number", [(HIST + "/edges", [1, "5", 10, 20])], False),
    ("histogram with min", [(HIST + "/min", 1)], False),
    # output.series
    ("series empty", [("/output/series", [])], True),
    ("series all, reordered", [("/output/series", ["open_interest", "insurance_fund",
                                                   "liquidated_notional", "exogenous_price",
                                                   "price"])], True),
    ("series repeated", [("/output/series", ["price", "price"])], False),
    ("series unknown", [("/output/series", ["prices"])], False),
    ("series not a string", [("/output/series", [1])], False),
    ("series not an array", [("/output/series", "price")], False),
    ("series with the oracle's", [("/output/series", ["oracle_price", "oracle_gap", "price"])],
     True),
    ("series absent", [("/output/series", DELETE)], True),
]

# Durations: (text, accepted where a duration > 0 is required, accepted where >= 0 is).
DURATIONS = [
    ("90s", True, True), ("15min", True, True), ("14h", True, True), ("2d", True, True),
    ("1w", True, True), ("1y", True, True), ("250ms", True, True), ("1.5d", True, True),
    (".5h", True, True), ("5.h", True, True), ("1e3s", True, True), ("2.5E-1 h", True, True),
    ("1e+2min", True, True), (" 3 h ", True, True), ("3  min", True, True),
    ("0s", False, True), ("0.0h", False, True), (".0d", False, True), ("0e5s", False, True),
    ("-0s", False, True), ("-1s", False, False), ("+1s", False, False), ("1", False, False),
    ("s", False, False), ("", False, False), ("1m", False, False), ("1H", False, False),
    ("1 day", False, False), ("1sec", False, False), ("1mins", False, False),
    ("1,5h", False, False), ("1_000s", False, False), ("0x10s", False, False),
    ("infs", False, False), ("nans", False, False), ("1es", False, False),
    ("1.5.h", False, False), ("1h30min", False, False), ("\t1h", False, False),
]

# Checks the schema cannot express: the schema accepts these, the parser must not.
PARSER_ONLY = [
    ("funding interval shorter than half a step",
     [("/venue/funding", {"interval": "20min", "cap": 0.01})], "/venue/funding/interval"),
    ("funding with maintenance tiers",
     TIERED + [("/venue/funding", {"interval": "1h", "cap": 0.01})], "/venue/funding"),
    ("partial liquidation that would never close a position",
     [("/venue/partial_liquidation", {"close_factor": 0.5})],
     "/venue/partial_liquidation/min_notional"),
    ("horizon above 100 years", [("/simulation/horizon", "101y"),
                                 ("/simulation/step", "101y")], "/simulation/horizon"),
    ("horizon not a whole number of steps", [("/simulation/step", "7h")], "/simulation/step"),
    ("steps inconsistent with step", [("/simulation/steps", 10)], "/simulation/step"),
    ("shock starting at the horizon", [("/shocks/0/start", "1d")], "/shocks/0/start"),
    ("drought starting at the horizon", [add_shock(dict(DROUGHT, start="1d"))],
     "/shocks/3/start"),
    ("drought without an impact model", [add_shock(DROUGHT), (IMPACT, {"model": "none"})],
     "/shocks/3/type"),
    ("jump after the horizon", [("/shocks/2/time", "25h")], "/shocks/2/time"),
    ("garch alpha + beta >= 1", [(PM, dict(GARCH, alpha=0.2, beta=0.8))], PM + "/beta"),
    ("quantiles not increasing", [("/output/quantiles", [0.5, 0.4])], "/output/quantiles/1"),
    ("maintenance_margin equal to initial_margin", [("/venue/maintenance_margin", 0.05)],
     "/venue/maintenance_margin"),
    ("tier caps not increasing", TIERED + [(MT + "/1/notional_cap", 1e4)],
     MT + "/1/notional_cap"),
    ("tier rates decreasing", TIERED + [(MT + "/1/rate", 0.005)], MT + "/1/rate"),
    ("tier rate at initial_margin", TIERED + [(MT + "/2/rate", 0.05)], MT + "/2/rate"),
    ("last tier with a cap", TIERED + [(MT + "/2/notional_cap", 1e6)], MT + "/2/notional_cap"),
    ("tier without a cap before the last", TIERED + [(MT + "/0/notional_cap", DELETE)],
     MT + "/0/notional_cap"),
    ("tier maintenance_amount not the computed one",
     TIERED + [(MT + "/1/maintenance_amount", 90)], MT + "/1/maintenance_amount"),
    ("cohort names repeated", [(C1 + "/name", "longs")], C1 + "/name"),
    ("leverage above 1 / initial_margin", [(LEV, 25)], LEV),
    ("leverage distribution above 1 / initial_margin", [(LEV + "/max", 25)], LEV),
    ("unbounded leverage without clip", [(LEV + "/max", DELETE)], LEV),
    ("histogram leverage above 1 / initial_margin", [(HIST + "/edges", [1, 5, 10, 21])], HIST),
    ("uniform max equal to min", [(C0 + "/entry_price/max", 0.98)], C0 + "/entry_price/max"),
    ("lognormal max below min", [(LEV + "/min", 10), (LEV + "/max", 5)], LEV + "/max"),
    ("lognormal bounds keeping too little mass", [(LEV + "/sigma", 0.2), (LEV + "/min", 19)],
     LEV + "/min"),
    ("pareto maximum below minimum", [(NOT + "/maximum", 50)], NOT + "/maximum"),
    ("histogram edges decreasing", [(HIST + "/edges", [1, 10, 5, 20])], HIST + "/edges/2"),
    ("histogram weights not one per bin", [(HIST + "/weights", [1, 1])], HIST + "/weights"),
]


class SchemaItself(unittest.TestCase):
    def test_is_a_valid_draft07_schema(self):
        self.assertEqual(SCHEMA.get("$schema"), "http://json-schema.org/draft-07/schema#")
        jsonschema.Draft7Validator.check_schema(SCHEMA)

    def test_every_property_has_a_description_and_objects_are_closed(self):
        problems = []

        def walk(node, where):
            if isinstance(node, list):
                for i, sub in enumerate(node):
                    walk(sub, f"{where}/{i}")
                return
            if not isinstance(node, dict):
                return
            for key, sub in node.get("properties", {}).items():
                if not isinstance(sub, dict) or not sub.get("description"):
                    problems.append(f"{where}/properties/{key}: no description")
            if "properties" in node and node.get("additionalProperties") is not False:
                # A selector object ("model", "type") is closed in each of its branches.
                branches = [c.get("then", {}) for c in node.get("allOf", []) if "if" in c]
                if not branches or any(b.get("additionalProperties") is not False
                                       for b in branches):
                    problems.append(f"{where}: additionalProperties is not false")
            for key, sub in node.items():
                # "if" and "not" hold conditions, not declarations.
                if key not in ("const", "enum", "default", "if", "not"):
                    walk(sub, f"{where}/{key}")

        walk(SCHEMA, "#")
        self.assertEqual(problems, [])


class ShippedScenarios(unittest.TestCase):
    def test_shipped_scenarios_are_valid(self):
        files = shipped_scenarios()
        self.assertIn(FLASH_CRASH, files)
        for path in files:
            with self.subTest(scenario=os.path.basename(path)):
                self.assertEqual(schema_errors(load(path)), [])

    def test_resolved_scenarios_are_valid(self):
        for path in shipped_scenarios():
            with self.subTest(scenario=os.path.basename(path)):
                status, out, err = validate_file(path)
                self.assertEqual(status, 0, err)
                resolved = json.loads(out)
                self.assertIn("steps", resolved["simulation"])
                self.assertEqual(schema_errors(resolved), [])


def object_pointers(node, pointer=""):
    """Pointers of every JSON object in a document (the root is "")."""
    found = []
    if isinstance(node, dict):
        found.append(pointer)
        for key, value in node.items():
            if key != "$schema":
                found += object_pointers(value, f"{pointer}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += object_pointers(value, f"{pointer}/{i}")
    return found


class UnknownKeys(unittest.TestCase):
    def assert_rejected(self, scenario, pointer):
        doc = apply(scenario, pointer, 1)
        self.assertNotEqual(schema_errors(doc), [], "schema accepted it")
        status, _, err = validate_doc(doc)
        self.assertEqual(status, 2, err)
        self.assertIn(f": {pointer}: unknown key", err)

    def test_extra_key_is_rejected_by_both(self):
        scenario = load(FLASH_CRASH)
        # Likely typos, next to the keys they resemble.
        places = ["/horizon_days", "/simulation/step_size", "/simulation/max_rounds",
                  "/market/price", "/output/formats", "/output/serie", PM + "/volatilty",
                  "/market/impact/depth", "/market/impact/elastic_depth/windw",
                  "/venue/max_leverage", "/population/cohort",
                  "/population/cohorts/0/leverage_max", "/population/cohorts/0/leverage/mean"]
        for pointer in places:
            with self.subTest(key=pointer):
                self.assert_rejected(scenario, pointer)

    def test_every_object_of_every_shipped_scenario_is_closed(self):
        for path in shipped_scenarios():
            scenario = load(path)
            for pointer in object_pointers(scenario):
                with self.subTest(scenario=os.path.basename(path), key=pointer + "/comment"):
                    self.assert_rejected(scenario, pointer + "/comment")


class ResolvedKeys(unittest.TestCase):
    def resolved_documents(self):
        docs = {os.path.basename(p): load(p) for p in shipped_scenarios()}
        docs["base"] = BASE
        docs.update(MINIMAL)
        for name, doc in docs.items():
            status, out, err = validate_doc(doc, "resolved-" + os.path.splitext(name)[0])
            self.assertEqual(status, 0, f"{name}: {err}")
            yield name, doc, json.loads(out)

    def test_schema_declares_every_resolved_key(self):
        for name, _, resolved in self.resolved_documents():
            with self.subTest(scenario=name):
                self.assertEqual(undeclared_keys(resolved, [SCHEMA]), [])
                self.assertEqual(schema_errors(resolved), [])

    def test_schema_defaults_are_the_parser_defaults(self):
        for name, given, resolved in self.resolved_documents():
            with self.subTest(scenario=name):
                self.assertEqual(undocumented_defaults(given, resolved, [SCHEMA]), [])


class Agreement(unittest.TestCase):
    def test_schema_and_parser_agree_on_values(self):
        for description, changes, valid in CASES:
            with self.subTest(case=description):
                doc = applying(BASE, *changes)
                errors = schema_errors(doc)
                status, _, err = validate_doc(doc)
                self.assertEqual(status, 0 if valid else 2, f"parser: {err}")
                self.assertEqual(not errors, valid, f"schema: {errors}")

    def test_schema_and_parser_agree_on_durations(self):
        for text, positive_ok, non_negative_ok in DURATIONS:
            with self.subTest(duration=text):
                # A jump's time must be > 0, a crash's start >= 0; the horizon is long
                # enough that no duration here lies beyond it.
                doc = applying(BASE, ("/simulation/horizon", "100y"),
                               ("/simulation/step", "100y"), ("/shocks/2/time", text),
                               ("/shocks/1/start", text))
                status, _, err = validate_doc(doc)
                parser = ("/shocks/2/time:" not in err, "/shocks/1/start:" not in err)
                self.assertEqual(parser, (positive_ok, non_negative_ok), err)
                errors = schema_errors(doc)
                schema = (not any(e.startswith("/shocks/2/time:") for e in errors),
                          not any(e.startswith("/shocks/1/start:") for e in errors))
                self.assertEqual(schema, (positive_ok, non_negative_ok), errors)
                # The plain syntax, whatever the range: the parser says "expected a
                # duration" for bad syntax and "must be a duration ..." for a bad value.
                syntax = jsonschema.Draft7Validator(SCHEMA["definitions"]["duration"])
                self.assertEqual(syntax.is_valid(text),
                                 "/shocks/2/time: expected a duration" not in err, err)

    def test_checks_only_the_parser_makes(self):
        for description, changes, pointer in PARSER_ONLY:
            with self.subTest(case=description):
                doc = applying(BASE, *changes)
                self.assertEqual(schema_errors(doc), [])
                status, _, err = validate_doc(doc)
                self.assertEqual(status, 2, err)
                self.assertIn(f": {pointer}: ", err)


class PositionsCsv(unittest.TestCase):
    """`cascade validate` does not read the positions CSV (only `cascade run` builds the
    population), so the shipped CSVs are checked by a short run."""

    def test_shipped_positions_files_import(self):
        checked = 0
        for path in shipped_scenarios():
            csv = load(path).get("population", {}).get("positions_csv")
            if not csv:
                continue
            checked += 1
            with self.subTest(scenario=os.path.basename(path)):
                self.assertTrue(os.path.isfile(os.path.join(os.path.dirname(path), csv)), csv)
                output = os.path.join(_tmp.name, "positions.h5")
                done = subprocess.run([EXE, "run", path, "-o", output, "--paths", "20", "-q"],
                                      cwd=REPO, capture_output=True, text=True, timeout=120)
                self.assertEqual(done.returncode, 0, done.stderr)
        self.assertGreater(checked, 0, "no shipped scenario imports a positions CSV")


if __name__ == "__main__":
    sys.exit(harness.main(__name__))
