#!/usr/bin/python3
"""End-to-end check of the HTML report (scripts/report.py).

Runs `cascade run` on two shipped scenarios (flash-crash, where accounts are
liquidated and some paths end with bad debt, and calm, where nothing is
liquidated), builds a report from each results file and checks the HTML: every
expected figure (an embedded PNG whose alt text and caption carry the figure's
title) or, where there is nothing to plot, a note instead; no external URL;
balanced tags; the scenario, cohort and metrics tables. A bad input file exits
2 with a message. When Chromium is installed, it renders the report headless
to a screenshot.

Run from the repository root with Debian's Python (h5py, numpy, pandas,
matplotlib):
    /usr/bin/python3 tests/python/test_report.py
The executable is $CASCADE_EXE (default ./build/cascade). The last line printed
is "N passed, M failed"; the exit status is non-zero on any failure.
"""

import base64
import html.parser
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402  (the shared runner beside this file)

import h5py  # noqa: E402

REPO = os.getcwd()
EXE = harness.EXE
REPORT = os.path.join(REPO, "scripts", "report.py")
PYTHON = sys.executable or "/usr/bin/python3"
CHROMIUM = "/usr/bin/chromium"

FLASH_PATHS = 200
CALM_PATHS = 100

# Every figure of the report: id of its <figure>, and its title (the img's
# alt text and the start of its caption).
FIGURES = {
    "fig-price": "Market price: quantile bands over paths",
    "fig-liquidated-notional": "Cumulative liquidated notional",
    "fig-insurance-fund": "Insurance fund balance",
    "fig-bad-debt": "Bad debt per path",
    "fig-cascade": "Cascade amplification and depth",
}
# In the calm run nothing is liquidated: these figures are notes instead.
CALM_NOTES = ("fig-liquidated-notional", "fig-insurance-fund", "fig-bad-debt", "fig-cascade")

VOID_ELEMENTS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                 "source", "track", "wbr"}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

_tmp = None
_run = {}  # filled by setUpModule: results files and reports


def run_cascade(scenario, output, paths):
    command = [EXE, "run", os.path.join(REPO, "scenarios", scenario), "-o", output,
               "--paths", str(paths), "--quiet"]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} exited {done.returncode}\n{done.stdout}\n{done.stderr}")
    return output


def run_report(results, output, *extra):
    command = [PYTHON, REPORT, results, "-o", output, *extra]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)


def setUpModule():
    global _tmp
    _tmp = tempfile.TemporaryDirectory(prefix="cascade-report-test-")
    for name, scenario, paths in (("flash", "flash-crash.json", FLASH_PATHS),
                                  ("calm", "calm.json", CALM_PATHS)):
        h5 = run_cascade(scenario, os.path.join(_tmp.name, f"{name}.h5"), paths)
        report = os.path.join(_tmp.name, f"{name}.html")
        done = run_report(h5, report)
        _run[name] = {"h5": h5, "html": report, "done": done}


def tearDownModule():
    if _tmp is not None:
        _tmp.cleanup()


class ReportParser(html.parser.HTMLParser):
    """Collects figures, notes, links and tables, and checks that tags nest."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.errors = []
        self.stack = []
        self.figures = {}  # id -> {"imgs": [attrs], "caption": str}
        self.notes = {}  # id -> text
        self.urls = []  # (tag, attribute, value) of every src / href
        self.tags = []
        self.text = []
        self._figure = None
        self._in_caption = False
        self._note = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        for key in ("src", "href", "srcset", "action", "data", "poster"):
            if key in attrs:
                self.urls.append((tag, key, attrs[key] or ""))
        if tag not in VOID_ELEMENTS:
            self.stack.append(tag)
        if tag == "figure":
            self._figure = attrs.get("id", f"anonymous-{len(self.figures)}")
            self.figures[self._figure] = {"imgs": [], "caption": ""}
        elif tag == "img" and self._figure is not None:
            self.figures[self._figure]["imgs"].append(attrs)
        elif tag == "figcaption":
            self._in_caption = True
        elif tag == "p" and "note" in (attrs.get("class") or "").split():
            self._note = attrs.get("id", f"anonymous-note-{len(self.notes)}")
            self.notes[self._note] = ""

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID_ELEMENTS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in VOID_ELEMENTS:
            return
        if not self.stack:
            self.errors.append(f"end tag </{tag}> with no open element")
            return
        if self.stack[-1] != tag:
            self.errors.append(f"end tag </{tag}> closes <{self.stack[-1]}> (open: {self.stack})")
            if tag in self.stack:
                while self.stack and self.stack.pop() != tag:
                    pass
            return
        self.stack.pop()
        if tag == "figure":
            self._figure = None
        elif tag == "figcaption":
            self._in_caption = False
        elif tag == "p":
            self._note = None

    def handle_data(self, data):
        self.text.append(data)
        if self._in_caption and self._figure is not None:
            self.figures[self._figure]["caption"] += data
        if self._note is not None:
            self.notes[self._note] += data

    def close(self):
        super().close()
        if self.stack:
            self.errors.append(f"elements never closed: {self.stack}")


def parse(path):
    with open(path, encoding="utf-8") as f:
        document = f.read()
    parser = ReportParser()
    parser.feed(document)
    parser.close()
    return document, parser


class ReportTest(unittest.TestCase):
    maxDiff = None

    def built(self, name):
        done = _run[name]["done"]
        self.assertEqual(done.returncode, 0,
                         f"report.py failed on the {name} run:\n{done.stdout}\n{done.stderr}")
        self.assertTrue(os.path.isfile(_run[name]["html"]))
        return parse(_run[name]["html"])

    def check_figure(self, parser, fig_id):
        self.assertIn(fig_id, parser.figures, f"figure {fig_id} missing")
        figure = parser.figures[fig_id]
        title = FIGURES[fig_id]
        self.assertEqual(len(figure["imgs"]), 1, f"{fig_id}: expected one <img>")
        img = figure["imgs"][0]
        self.assertEqual(img.get("alt"), title, f"{fig_id}: alt text")
        caption = " ".join(figure["caption"].split())
        self.assertTrue(caption.startswith(title), f"{fig_id}: caption {caption[:80]!r}")
        self.assertGreater(len(caption), len(title) + 40, f"{fig_id}: caption says nothing")
        src = img.get("src", "")
        prefix = "data:image/png;base64,"
        self.assertTrue(src.startswith(prefix), f"{fig_id}: not an embedded PNG")
        png = base64.b64decode(src[len(prefix):], validate=True)
        self.assertEqual(png[:8], PNG_SIGNATURE, f"{fig_id}: not a PNG")
        self.assertGreater(len(png), 5000, f"{fig_id}: suspiciously small image")

    def check_self_contained(self, document, parser):
        for tag, key, value in parser.urls:
            with self.subTest(tag=tag, attribute=key):
                self.assertFalse(re.match(r"\s*(https?:|//|ftp:|file:)", value, re.I),
                                 f"external URL in <{tag} {key}>: {value[:100]}")
        self.assertIsNone(re.search(r"""(src|href)\s*=\s*["']?\s*https?://""", document, re.I))
        self.assertNotIn("<script", document.lower())
        self.assertNotIn("@import", document)
        self.assertIsNone(re.search(r"url\(\s*['\"]?https?:", document, re.I))

    def check_valid_ish(self, document, parser):
        self.assertEqual(parser.errors, [])
        self.assertTrue(document.lstrip().lower().startswith("<!doctype html>"))
        for tag in ("html", "head", "title", "body", "meta"):
            self.assertIn(tag, parser.tags)
        self.assertIn('<meta charset="utf-8">', document)

    def test_flash_crash_report(self):
        document, parser = self.built("flash")
        for fig_id in FIGURES:
            with self.subTest(figure=fig_id):
                self.check_figure(parser, fig_id)
        self.assertEqual(set(parser.figures), set(FIGURES), "unexpected figures")
        self.assertEqual(parser.notes, {}, "no notes expected where everything is plotted")

    def test_flash_crash_self_contained_and_valid(self):
        document, parser = self.built("flash")
        self.check_self_contained(document, parser)
        self.check_valid_ish(document, parser)

    def test_flash_crash_tables(self):
        document, parser = self.built("flash")
        text = " ".join(" ".join(parser.text).split())
        with h5py.File(_run["flash"]["h5"], "r") as f:
            metric_names = list(f["metrics"])
            cohorts = [bytes(n).decode() for n in f["population/cohorts"]["name"]]
            seed = int(f.attrs["seed"])
            revision = f.attrs["git_revision"]
            revision = revision.decode() if isinstance(revision, bytes) else revision
        for name in metric_names:
            with self.subTest(metric=name):
                self.assertIn(name, text)
        for name in cohorts:
            with self.subTest(cohort=name):
                self.assertIn(name, text)
        for expected in ("flash-crash", "ETH", "Initial margin", "Maintenance margin",
                         "Liquidation penalty", "Insurance fund", "95 % interval",
                         "Liquidations trigger on", "the price itself, read from the venue",
                         "Who got liquidated", "Provenance", str(seed), revision,
                         f"{FLASH_PATHS:,}", "quote currency"):
            with self.subTest(text=expected):
                self.assertIn(expected, text)

    def test_calm_report(self):
        document, parser = self.built("calm")
        self.check_figure(parser, "fig-price")
        self.assertEqual(set(parser.figures), {"fig-price"})
        for fig_id in CALM_NOTES:
            with self.subTest(note=fig_id):
                note = parser.notes.get(f"{fig_id}-note")
                self.assertIsNotNone(note, f"{fig_id}: neither figure nor note")
                self.assertIn(FIGURES[fig_id], note)
        self.assertIn("no path ended with bad debt", parser.notes["fig-bad-debt-note"])
        self.check_self_contained(document, parser)
        self.check_valid_ish(document, parser)

    def test_bad_inputs_exit_2(self):
        text = os.path.join(_tmp.name, "not-hdf5.h5")
        with open(text, "w") as f:
            f.write("hello, not a results file\n")
        other = os.path.join(_tmp.name, "other.h5")
        with h5py.File(other, "w") as f:
            f.attrs["filetype"] = "something-else"
            f["x"] = [1.0, 2.0]
        missing = os.path.join(_tmp.name, "missing.h5")
        for name, path in (("text file", text), ("other HDF5", other), ("missing", missing)):
            with self.subTest(input=name):
                out = os.path.join(_tmp.name, f"bad-{name.replace(' ', '-')}.html")
                done = run_report(path, out)
                self.assertEqual(done.returncode, 2, done.stderr)
                self.assertIn("error", done.stderr.lower())
                self.assertIn(os.path.basename(path), done.stderr)
                self.assertNotIn("Traceback", done.stderr)
                self.assertFalse(os.path.exists(out), "no report for a bad input")

    def test_incomplete_run(self):
        partial = os.path.join(_tmp.name, "partial.h5")
        shutil.copyfile(_run["calm"]["h5"], partial)
        with h5py.File(partial, "r+") as f:
            f.attrs["complete"] = 0
        out = os.path.join(_tmp.name, "partial.html")
        done = run_report(partial, out)
        self.assertEqual(done.returncode, 2, done.stderr)
        self.assertIn("incomplete", done.stderr.lower())
        self.assertNotIn("Traceback", done.stderr)
        done = run_report(partial, out, "--allow-incomplete")
        self.assertEqual(done.returncode, 0, done.stderr)
        document, parser = parse(out)
        self.assertIn("Incomplete run", document)
        self.assertEqual(parser.errors, [])

    def test_chromium_renders(self):
        if not os.path.exists(CHROMIUM):
            self.skipTest(f"Chromium not installed ({CHROMIUM} absent): browser rendering not checked")
        report = _run["flash"]["html"]
        self.assertTrue(os.path.isfile(report), "report was not built")
        with tempfile.TemporaryDirectory(prefix="cascade-report-chromium-") as profile:
            png = os.path.join(profile, "screenshot.png")
            command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                       "--disable-background-networking", "--disable-component-update",
                       "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
                       f"--screenshot={png}", "--window-size=1200,2000",
                       "file://" + os.path.abspath(report)]
            done = subprocess.run(command, capture_output=True, text=True, timeout=180)
            self.assertEqual(done.returncode, 0, f"chromium failed:\n{done.stdout}\n{done.stderr}")
            self.assertTrue(os.path.isfile(png), f"no screenshot:\n{done.stderr}")
            with open(png, "rb") as f:
                data = f.read()
            self.assertEqual(data[:8], PNG_SIGNATURE)
            self.assertGreater(len(data), 50_000, "screenshot suspiciously small (blank page?)")
            width = int.from_bytes(data[16:20], "big")
            height = int.from_bytes(data[20:24], "big")
            self.assertEqual((width, height), (1200, 2000))


class VenueInWords(unittest.TestCase):
    """The scenario table's sentences for the venue's oracle and its outages."""

    @classmethod
    def setUpClass(cls):
        sys.path.insert(0, os.path.join(REPO, "scripts"))
        import report  # noqa: E402  (matplotlib: Debian's Python)
        cls.report = report

    def test_oracle(self):
        describe = self.report.describe_oracle
        self.assertEqual(describe({}), "the price itself, read from the venue's own market price")
        self.assertEqual(describe({"model": "latency", "delay": "30s", "source": "index"}),
                         "the price 30s ago, read from the index (exogenous) price")
        self.assertEqual(describe({"model": "push", "deviation": 0.005, "heartbeat": "1h"}),
                         "the price pushed on a 0.5 % move or every 1h, read from the venue's "
                         "own market price")
        self.assertIn("half-life 2min", describe({"model": "ema", "half_life": "2min"}))
        self.assertIn("TWAP of the price over 10min", describe({"model": "twap",
                                                                "window": "10min"}))

    def test_mechanism_table(self):
        import numpy as np
        import pandas as pd

        class Fake:
            paths = pd.DataFrame({"adl_notional": [0.0, 0.0, 2e6, 0.0],
                                  "socialised_loss": [0.0, 0.0, 0.0, 0.0],
                                  "under_water_time": [0.0, 7200.0, 3600.0, 0.0],
                                  "funding_index": [-3.0, -1.0, np.nan, 0.0],
                                  "backstop_pnl": [0.0, -5e4, 0.0, 0.0]})

        html = self.report.mechanism_section(Fake)
        self.assertIn("adl_notional", html)
        self.assertIn("25 %", html)  # one path of four auto-deleveraged
        self.assertIn("under_water_time", html)
        self.assertIn("funding_index", html)
        self.assertIn("backstop_pnl", html)  # a loss is not 0: listed
        self.assertNotIn("socialised_loss", html)  # 0 on every path: left out
        Fake.paths = pd.DataFrame({"adl_notional": [0.0, 0.0]})
        self.assertEqual(self.report.mechanism_section(Fake), "")  # no section at all

    def test_outage(self):
        self.assertEqual(self.report.describe_shock({"type": "oracle_outage", "start": "6h",
                                                     "duration": "20min"}),
                         "oracle outage (frozen) from 6h for 20min")


if __name__ == "__main__":
    sys.exit(harness.main(__name__))
