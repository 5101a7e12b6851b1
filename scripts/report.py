#!/usr/bin/python3
"""Builds a self-contained HTML report from a cascade results file.

    /usr/bin/python3 scripts/report.py out.h5 -o report.html

The report is one HTML file with every chart embedded as a base64 PNG: no
network, no JavaScript. It shows the scenario in brief, fan charts of the
market price, the cumulative liquidated notional and the insurance fund, the
bad-debt distribution with its value at risk and expected shortfall, the
cascade amplification and depth, who got liquidated (per cohort) and every
metric with its 95 % interval. See docs/report.md.

Reads the file through scripts/cascade_results.py (the reader beside this
script). Exit status: 0 on success, 2 for a bad input file (not a cascade
results file, an unsupported format version, an incomplete run) or bad
arguments, 1 on any other failure.
"""

import argparse
import base64
import datetime
import html
import io
import math
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator, MultipleLocator  # noqa: E402

import cascade_results  # noqa: E402  (the reader beside this script)

# One palette for every chart: a blue for the market and the simulated
# quantities, a neutral grey for references (exogenous price, shocks), and
# warm colours only for the risk markers (VaR, ES).
PALETTE = {
    "main": "#1f5a96",
    "band": "#3d7cc0",
    "sample": "#5a6f87",
    "reference": "#4d4d4d",
    "shock": "#b0b0b0",
    "var95": "#e08a1e",
    "var99": "#b8322a",
    "neutral": "#6b6b6b",
}
BAND_ALPHAS = (0.12, 0.14, 0.18, 0.22)  # outermost band first; bands stack
SAMPLE_PATHS_SHOWN = 5
FIGURE_WIDTH = 9.6  # inches
DPI = 110

# Figure ids, titles and reading guides, in report order.
FIGURES = {
    "fig-price": "Market price: quantile bands over paths",
    "fig-liquidated-notional": "Cumulative liquidated notional",
    "fig-insurance-fund": "Insurance fund balance",
    "fig-bad-debt": "Bad debt per path",
    "fig-cascade": "Cascade amplification and depth",
}

DURATION_UNITS = {"ms": 1e-3, "s": 1.0, "min": 60.0, "h": 3600.0, "d": 86400.0,
                  "w": 7 * 86400.0, "y": 365 * 86400.0}
DURATION_RE = re.compile(r"^ *(-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?) *(ms|s|min|h|d|w|y) *$")

plt.rcParams.update({
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": False,
    "legend.frameon": False,
    "legend.fontsize": 9,
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "svg.fonttype": "none",
})


# --------------------------------------------------------------------------
# Small helpers: parsing and formatting


def duration_seconds(value):
    """Seconds of a scenario duration ("15min", "6h"); None when unreadable."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        m = DURATION_RE.match(value)
        if m:
            return float(m.group(1)) * DURATION_UNITS[m.group(2)]
    return None


def finite(x):
    try:
        return x is not None and math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def fmt_plain(x):
    """A scenario input as written: 0.8, 20, 10,000,000, 0.05 (no padding)."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return str(x)
    if not math.isfinite(x):
        return fmt_num(x)
    if float(x).is_integer() and abs(x) < 1e15:
        return f"{int(x):,}"
    return f"{x:.10g}"


def fmt_num(x, digits=4):
    """A number with `digits` significant digits and thousands separators."""
    if x is None:
        return "–"
    try:
        x = float(x)
    except (TypeError, ValueError):
        return str(x)
    if math.isnan(x):
        return "n/a"
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    if x == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(x)))
    decimals = max(0, digits - 1 - magnitude)
    if abs(x) >= 1e15 or abs(x) < 1e-4:
        return f"{x:.{digits - 1}e}"
    return f"{x:,.{decimals}f}"


def fmt_trim(x, digits=4):
    """fmt_num without trailing zeros: 2, 0.295, 1,417."""
    text = fmt_num(x, digits)
    if "." in text and "e" not in text:
        text = text.rstrip("0").rstrip(".")
    return text


def fmt_money(x, digits=4, trim=False):
    """Quote-currency amounts: 52.76 M, 870.6 k, 123.4 (trim: 50 M, not 50.00 M)."""
    if not finite(x):
        return fmt_num(x)
    x = float(x)
    number = fmt_num
    if trim:
        def number(v, d):
            text = fmt_num(v, d)
            return text.rstrip("0").rstrip(".") if "." in text and "e" not in text else text
    for scale, suffix in ((1e12, " T"), (1e9, " B"), (1e6, " M"), (1e3, " k")):
        if abs(x) >= scale:
            return number(x / scale, digits) + suffix
    return number(x, digits)


def fmt_value(x, units, digits=4):
    """A value in the given units, formatted for a table."""
    if units in ("probability", "fraction") and finite(x) and digits is None:
        return fmt_plain(round(100.0 * float(x), 10)) + " %"
    if digits is None:
        digits = 4
    if units in ("probability", "fraction") and finite(x):
        return fmt_num(100.0 * float(x), digits) + " %"
    if units == "quote currency":
        return fmt_money(x, digits)
    return fmt_num(x, digits)


def fmt_int(x):
    try:
        return f"{int(round(float(x))):,}"
    except (TypeError, ValueError, OverflowError):
        return fmt_num(x)


def fmt_duration(seconds):
    if seconds is None:
        return "–"
    for unit, size in (("d", 86400.0), ("h", 3600.0), ("min", 60.0)):
        if unit == "d" and seconds < 2 * 86400.0:
            continue
        if seconds >= size and abs(seconds / size - round(seconds / size)) < 1e-9:
            return f"{round(seconds / size):g} {unit}"
    if seconds >= 3600:
        return f"{seconds / 3600:.3g} h"
    if seconds >= 60:
        return f"{seconds / 60:.3g} min"
    return f"{seconds:.3g} s"


def money_axis(axis):
    """Tick labels with k / M / B suffixes on a quote-currency axis."""

    def label(v, _pos):
        if v == 0:
            return "0"
        for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
            if abs(v) >= scale:
                return f"{v / scale:g}{suffix}"
        return f"{v:g}"

    axis.set_major_formatter(FuncFormatter(label))


def hours_axis(ax, horizon_hours):
    """x axis in hours with ticks at round numbers of hours."""
    ax.set_xlim(0, horizon_hours if horizon_hours > 0 else 1)
    for step in (0.25, 0.5, 1, 2, 3, 4, 6, 12, 24, 48, 72, 168, 336, 720, 1440, 8760):
        if horizon_hours / step <= 12:
            ax.xaxis.set_major_locator(MultipleLocator(step))
            break
    else:
        ax.xaxis.set_major_locator(MaxNLocator(10))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
    ax.set_xlabel("Time since start (hours)")


def outside_legend(ax, **kwargs):
    """Legend to the right of the plot, clear of the data."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, **kwargs)


def esc(text):
    return html.escape(str(text), quote=True)


def png_data_uri(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", facecolor="white")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def figure_html(fig_id, fig, caption):
    title = FIGURES[fig_id]
    return (f'<figure id="{fig_id}">\n'
            f'<img src="{png_data_uri(fig)}" alt="{esc(title)}">\n'
            f'<figcaption><strong>{esc(title)}.</strong> {caption}</figcaption>\n'
            f'</figure>\n')


def note_html(fig_id, text):
    return f'<p class="note" id="{fig_id}-note"><strong>{esc(FIGURES[fig_id])}:</strong> {text}</p>\n'


# --------------------------------------------------------------------------
# Quantile bands


def quantile_columns(frame):
    """{level: column} for the frame's quantile columns ("q0.05" ...)."""
    levels = {}
    for column in frame.columns:
        if isinstance(column, str) and column.startswith("q"):
            try:
                levels[float(column[1:])] = column
            except ValueError:
                pass
    return dict(sorted(levels.items()))


def band_pairs(levels):
    """Symmetric-ish pairs (low, high) around the median, outermost first."""
    low = [lv for lv in levels if lv < 0.5]
    high = [lv for lv in levels if lv > 0.5]
    return list(zip(low, reversed(high)))[: len(BAND_ALPHAS)] if low and high else []


def pct(level):
    return f"{100 * level:g}"


def draw_bands(ax, hours, frame, color, label_prefix=""):
    """Fills the quantile bands and draws the median; returns the median column."""
    levels = quantile_columns(frame)
    pairs = band_pairs(list(levels))
    alphas = BAND_ALPHAS[-len(pairs):] if pairs else ()
    for (lo, hi), alpha in zip(pairs, alphas):
        ax.fill_between(hours, frame[levels[lo]].to_numpy(), frame[levels[hi]].to_numpy(),
                        color=PALETTE["band"], alpha=alpha, linewidth=0,
                        label=f"{pct(lo)}–{pct(hi)} % of paths")
    if 0.5 in levels:
        ax.plot(hours, frame[levels[0.5]].to_numpy(), color=color, linewidth=1.8, zorder=3,
                label=f"{label_prefix}median")
        return levels[0.5]
    ax.plot(hours, frame["mean"].to_numpy(), color=color, linewidth=1.8, zorder=3,
            label=f"{label_prefix}mean")
    return "mean"


def band_phrase(frame):
    pairs = band_pairs(list(quantile_columns(frame)))
    if not pairs:
        return "the mean over paths"
    spans = ", ".join(f"{pct(lo)}–{pct(hi)} %" for lo, hi in pairs)
    phrase = f"shaded bands hold the central {spans} of paths at each time"
    error = frame.attrs.get("quantile_relative_error", 0.0)
    if error > 0:  # sketched bands (/output/band_method)
        phrase += f" (quantiles from a sketch, each within {error * 100:g} % of the exact one)"
    return phrase


# --------------------------------------------------------------------------
# Scenario helpers


def shock_path(scenario, time_s):
    """Deterministic price path of the shocks alone (no randomness, no impact),
    on the grid, per docs/models.md (crash, recovery, jump); None without any
    crash or jump."""
    shocks = scenario.get("shocks") or []
    p0 = scenario.get("market", {}).get("initial_price")
    if not finite(p0):
        return None
    log_shift = np.zeros_like(time_s, dtype=float)
    used = False
    for shock in shocks:
        kind = shock.get("type")
        if kind == "crash":
            start = duration_seconds(shock.get("start"))
            tau = duration_seconds(shock.get("duration"))
            drop = shock.get("drop")
            if start is None or not tau or not finite(drop) or not 0 < drop < 1:
                return None
            used = True
            log_shift += math.log(1 - drop) * np.clip((time_s - start) / tau, 0, 1)
            rec = shock.get("recovery")
            if rec:
                tau_r = duration_seconds(rec.get("duration"))
                frac = rec.get("fraction")
                if not tau_r or not finite(frac):
                    return None
                log_shift += (math.log(1 + frac * drop / (1 - drop))
                              * np.clip((time_s - start - tau) / tau_r, 0, 1))
        elif kind == "jump":
            t = duration_seconds(shock.get("time"))
            size = shock.get("size")
            if t is None or not finite(size) or size <= -1:
                return None
            used = True
            log_shift += np.where(time_s >= t, math.log(1 + size), 0.0)
    return float(p0) * np.exp(log_shift) if used else None


def shock_windows(scenario):
    """(start_s, end_s, label) of crash windows and jumps, for shading."""
    out = []
    for shock in scenario.get("shocks") or []:
        kind = shock.get("type")
        if kind == "crash":
            start = duration_seconds(shock.get("start"))
            tau = duration_seconds(shock.get("duration"))
            if start is not None and tau:
                out.append((start, start + tau, "crash"))
        elif kind == "jump":
            t = duration_seconds(shock.get("time"))
            if t is not None:
                out.append((t, t, "jump"))
    return out


def describe_tiers(tiers):
    """A tiered maintenance margin in one line: "tiered: 0.4 % up to 50,000; ...; 2.5 % above"."""
    parts = []
    for bracket in tiers:
        rate = fmt_value(bracket.get("rate"), "fraction", None)
        cap = bracket.get("notional_cap")
        parts.append(f"{rate} up to {fmt_plain(cap)}" if cap is not None else f"{rate} above")
    return "tiered by notional: " + "; ".join(parts)


def describe_oracle(oracle):
    """What liquidations trigger on, in words: "the price 30s ago, read from the index"."""
    model = oracle.get("model", "instant")
    what = {
        "instant": "the price itself",
        "latency": f"the price {oracle.get('delay')} ago",
        "ema": f"an EMA of the price, half-life {oracle.get('half_life')}",
        "twap": f"a TWAP of the price over {oracle.get('window')}",
        "push": (f"the price pushed on a {fmt_value(oracle.get('deviation'), 'fraction', None)} "
                 f"move or every {oracle.get('heartbeat')}"),
    }.get(model, f"{model}: {describe_params(oracle)}")
    source = ("the venue's own market price" if oracle.get("source", "market") == "market"
              else "the index (exogenous) price")
    return f"{what}, read from {source}"


def describe_params(d, skip=("model", "type", "distribution")):
    """Compact "key value, key value" of a scenario object."""
    parts = []
    for key, value in d.items():
        if key in skip:
            continue
        if isinstance(value, dict):
            inner = describe_params(value)
            parts.append(f"{key} ({inner})")
        elif isinstance(value, list):
            parts.append(f"{key} [{', '.join(fmt_plain(v) for v in value)}]")
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            parts.append(f"{key} {fmt_plain(value)}")
        else:
            parts.append(f"{key} {value}")
    return ", ".join(parts)


def describe_distribution(d):
    if not isinstance(d, dict):
        return esc(d)
    name = d.get("distribution", "")
    rest = describe_params(d)
    return esc(f"{name}: {rest}" if rest else name)


def describe_shock(shock):
    kind = shock.get("type", "?")
    if kind == "volatility":
        text = (f"volatility ×{fmt_plain(shock.get('multiplier'))} from {shock.get('start')} "
                f"for {shock.get('duration')}")
    elif kind == "crash":
        text = (f"crash of {fmt_value(shock.get('drop'), 'fraction', None)} from {shock.get('start')} "
                f"over {shock.get('duration')}")
        rec = shock.get("recovery")
        if rec:
            text += (f", {fmt_value(rec.get('fraction'), 'fraction', None)} of the loss "
                     f"recovered over {rec.get('duration')}")
    elif kind == "jump":
        text = f"jump of {fmt_value(shock.get('size'), 'fraction', None)} at {shock.get('time')}"
    elif kind == "liquidity_drought":
        text = (f"liquidity drought: {fmt_value(shock.get('depth_factor'), 'fraction', None)} of the "
                f"usual depth from {shock.get('start')} for {shock.get('duration')}")
    elif kind == "oracle_outage":
        text = f"oracle outage (frozen) from {shock.get('start')} for {shock.get('duration')}"
    else:
        text = f"{kind}: {describe_params(shock)}"
    return esc(text)


# --------------------------------------------------------------------------
# Figures


def new_axes(height=4.0):
    fig, ax = plt.subplots(figsize=(FIGURE_WIDTH, height), layout="constrained")
    return fig, ax


def price_figure(res, ctx):
    hours = ctx["hours"]
    asset = ctx["asset"]
    fig, ax = new_axes(5.0)
    labelled = set()
    for start, end, kind in ctx["windows"]:
        label = None if kind in labelled else f"{kind} {'window' if kind == 'crash' else 'time'}"
        labelled.add(kind)
        if end > start:
            ax.axvspan(start / 3600, end / 3600, color=PALETTE["shock"], alpha=0.15, linewidth=0,
                       label=label)
        else:
            ax.axvline(start / 3600, color=PALETTE["shock"], linewidth=2.5, alpha=0.6, label=label)
    parts = []
    if "price" in res.series_names:
        frame = res.series("price")
        centre = draw_bands(ax, hours, frame, PALETTE["main"], "market price, ")
        parts.append(f"The blue line is the {'median' if centre != 'mean' else 'mean'} market price "
                     f"(exogenous price × liquidation impact); {band_phrase(frame)}.")
    samples = None
    if "price" in ctx["sample_names"]:
        samples = res.samples("price")
    if samples is not None and samples.shape[1] > 0:
        shown = samples.iloc[:, :SAMPLE_PATHS_SHOWN].to_numpy()
        for i in range(shown.shape[1]):
            ax.plot(hours, shown[:, i], color=PALETTE["sample"], linewidth=0.6, alpha=0.55,
                    label="sample paths" if i == 0 else None)
        parts.append(f"Thin lines are {shown.shape[1]} individual sample paths.")
    if "exogenous_price" in res.series_names:
        exo = res.series("exogenous_price")
        levels = quantile_columns(exo)
        column = levels.get(0.5, "mean")
        ax.plot(hours, exo[column].to_numpy(), color=PALETTE["reference"], linewidth=1.3,
                linestyle="--", zorder=3, label=f"exogenous price, {'median' if column != 'mean' else 'mean'} (no impact)")
        parts.append("The dashed grey line is the exogenous price (the price model and shocks "
                     "without liquidation impact): the gap between it and the blue line is what "
                     "forced selling and buying did to the market.")
    shocks = None if "exogenous_price" in res.series_names else shock_path(res.scenario, res.time)
    if shocks is not None and parts:
        ax.plot(hours, shocks, color=PALETTE["reference"], linewidth=1.0, linestyle=":",
                label="shock path (no randomness, no impact)")
        parts.append("The dotted line is the scenario's deterministic shock path.")
    if ctx["windows"] and parts:
        parts.append("Grey shading marks crash windows (and a vertical line a jump).")
    if not parts:
        plt.close(fig)
        return note_html("fig-price", "neither the price series nor any sample path was recorded in "
                                      "this file (the scenario's /output/series and "
                                      "/output/sample_paths leave them out).")
    hours_axis(ax, ctx["horizon_h"])
    ax.set_ylabel(f"Price (quote currency per {asset})")
    money_axis(ax.yaxis)
    handles, labels = ax.get_legend_handles_labels()
    shading = [i for i, label in enumerate(labels) if label in ("crash window", "jump time")]
    order = [i for i in range(len(labels)) if i not in shading] + shading
    ax.legend([handles[i] for i in order], [labels[i] for i in order],
              loc="upper center", bbox_to_anchor=(0.5, -0.13), ncols=3, borderaxespad=0.0)
    return figure_html("fig-price", fig, esc(" ".join(parts)))


def band_figure(res, ctx, name, fig_id, ylabel, caption, reference=None):
    frame = res.series(name)
    hours = ctx["hours"]
    fig, ax = new_axes(3.8)
    centre = draw_bands(ax, hours, frame, PALETTE["main"])
    if centre != "mean":
        ax.plot(hours, frame["mean"].to_numpy(), color=PALETTE["main"], linewidth=1.0,
                linestyle="--", label="mean")
    if reference is not None:
        value, label = reference
        ax.axhline(value, color=PALETTE["reference"], linewidth=1.0, linestyle=":", label=label)
    hours_axis(ax, ctx["horizon_h"])
    ax.set_ylabel(ylabel)
    money_axis(ax.yaxis)
    ax.set_ylim(bottom=0)
    outside_legend(ax)
    text = f"{caption} The solid line is the median, the dashed line the mean; {band_phrase(frame)}."
    return figure_html(fig_id, fig, esc(text))


def liquidated_notional_figure(res, ctx):
    fig_id = "fig-liquidated-notional"
    if "liquidated_notional" not in res.series_names:
        return note_html(fig_id, "not recorded in this file (the scenario's /output/series leaves it out).")
    if not ctx["any_liquidation"]:
        return note_html(fig_id, "no account was liquidated on any path, so the liquidated notional is 0 throughout.")
    return band_figure(
        res, ctx, "liquidated_notional", fig_id, "Liquidated notional (quote currency)",
        "Total notional (size × fill price) of all positions liquidated since the start, across paths; "
        "steep rises are cascades.")


def insurance_fund_figure(res, ctx):
    fig_id = "fig-insurance-fund"
    if "insurance_fund" not in res.series_names:
        return note_html(fig_id, "not recorded in this file (the scenario's /output/series leaves it out).")
    fund0 = res.scenario.get("venue", {}).get("insurance_fund")
    if not ctx["any_liquidation"]:
        return note_html(fig_id, f"no account was liquidated on any path, so the fund stays at its "
                                 f"starting balance of {esc(fmt_money(fund0, trim=True))} (quote currency) "
                                 f"throughout.")
    reference = (float(fund0), "starting balance") if finite(fund0) else None
    return band_figure(
        res, ctx, "insurance_fund", fig_id, "Fund balance (quote currency)",
        "Balance of the venue's insurance fund across paths: penalties flow in, shortfalls of "
        "bankrupt positions are paid out; a band touching 0 means the fund ran dry on those paths "
        "and the rest of the losses became bad debt.", reference)


def bad_debt_figure(res, ctx):
    fig_id = "fig-bad-debt"
    bad = res.paths["bad_debt"].to_numpy(dtype=float)
    n = bad.size
    positive = bad[bad > 0]
    if n == 0:
        return note_html(fig_id, "the file holds no path.")
    if positive.size == 0:
        return note_html(fig_id, f"no path ended with bad debt (0 of {n:,} paths): the insurance fund "
                                 f"covered every shortfall, and the bad debt's VaR and ES at 95 % and "
                                 f"99 % are all 0.")
    fig, ax = new_axes(3.8)
    bins = min(60, max(10, int(math.sqrt(positive.size)) * 2))
    ax.hist(positive, bins=bins, color=PALETTE["main"], alpha=0.75, linewidth=0)
    metrics = res.metrics
    markers = [("bad_debt_var95", "VaR 95 %", PALETTE["var95"], "-"),
               ("bad_debt_es95", "ES 95 %", PALETTE["var95"], "--"),
               ("bad_debt_var99", "VaR 99 %", PALETTE["var99"], "-"),
               ("bad_debt_es99", "ES 99 %", PALETTE["var99"], "--")]
    for key, label, color, style in markers:
        if key in metrics.index and finite(metrics.loc[key, "value"]):
            value = float(metrics.loc[key, "value"])
            ax.axvline(value, color=color, linestyle=style, linewidth=1.4,
                       label=f"{label}: {fmt_money(value)}")
    ax.set_xlim(left=0)
    money_axis(ax.xaxis)
    ax.set_xlabel("Bad debt at the horizon (quote currency)")
    ax.set_ylabel("Paths")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))
    zero = n - positive.size
    ax.set_title(f"{positive.size:,} of {n:,} paths ({100 * positive.size / n:.3g} %) ended with bad "
                 f"debt; the {zero:,} without are not shown", loc="left", fontsize=10)
    outside_legend(ax)
    caption = (f"Histogram of the bad debt (losses beyond the traders' margin that the insurance "
               f"fund could not cover) over the {positive.size:,} paths ({100 * positive.size / n:.3g} %) "
               f"that ended with some; the {zero:,} paths without bad debt are left out so that the "
               f"tail stays visible. Vertical lines mark the value at risk (VaR: the 95 % and 99 % "
               f"quantiles over all paths) and the expected shortfall (ES: the mean of the worst 5 % "
               f"and 1 % of paths); a VaR of 0 means fewer paths than that share had bad debt.")
    return figure_html(fig_id, fig, esc(caption))


def cascade_figure(res, ctx):
    fig_id = "fig-cascade"
    if not ctx["any_liquidation"]:
        return note_html(fig_id, "no account was liquidated on any path: every cascade amplification "
                                 "is 1 and every cascade depth 0.")
    amp = res.paths["cascade_amplification"].to_numpy(dtype=float)
    rounds = res.paths["max_cascade_rounds"].to_numpy(dtype=float)
    fig, (left, right) = plt.subplots(1, 2, figsize=(FIGURE_WIDTH, 3.6), layout="constrained")
    amp_f = amp[np.isfinite(amp)]
    lo, hi = (float(amp_f.min()), float(amp_f.max())) if amp_f.size else (0.0, 2.0)
    if hi - lo < 1e-9:
        lo, hi = lo - 0.05, hi + 0.05
    left.hist(amp_f, bins=np.linspace(lo, hi, 41), color=PALETTE["main"], alpha=0.75, linewidth=0)
    left.axvline(1.0, color=PALETTE["reference"], linestyle=":", linewidth=1.2, label="1 = no amplification")
    if amp_f.size:
        mean = float(amp_f.mean())
        left.axvline(mean, color=PALETTE["var99"], linewidth=1.4, label=f"mean {mean:.3g}")
    left.set_xlabel("Cascade amplification (trough depth with / without impact)")
    left.set_ylabel("Paths")
    left.yaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))
    left.legend(loc="upper right")
    left.set_title("Amplification of the price fall", loc="left")

    r = rounds[np.isfinite(rounds)].astype(int)
    if r.size:
        top = int(r.max())
        if top <= 60:
            values = np.arange(0, top + 1)
            counts = np.bincount(r, minlength=top + 1)
            right.bar(values, counts, width=0.8, color=PALETTE["main"], alpha=0.75, linewidth=0)
            right.xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))
        else:
            right.hist(r, bins=40, color=PALETTE["main"], alpha=0.75, linewidth=0)
    cap = res.scenario.get("simulation", {}).get("max_cascade_rounds")
    if finite(cap) and r.size and r.max() >= cap:
        right.axvline(cap, color=PALETTE["var99"], linestyle="--", linewidth=1.2, label=f"cap ({int(cap)})")
        right.legend(loc="upper right")
    right.set_xlabel("Cascade depth (most liquidation rounds in one step)")
    right.set_ylabel("Paths")
    right.yaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))
    right.set_title("Depth of the deepest cascade", loc="left")
    caption = ("Left: histogram over paths of the cascade amplification, ln(min market price / "
               "initial price) ÷ ln(min exogenous price / initial price); above 1 the liquidations "
               "made the trough deeper than the shocks alone (1.5 means 50 % deeper in log terms), "
               "below 1 shallower. Right: number of paths by cascade depth, the most liquidation "
               "rounds within a single step, each round's forced orders moving the price into the "
               "next accounts' liquidation prices; 0 means no liquidation on the path.")
    return figure_html(fig_id, fig, esc(caption))


# --------------------------------------------------------------------------
# Tables


def table(headers, rows, numeric=None, css_class=""):
    numeric = set(numeric or ())
    out = ['<div class="scroll">', f'<table class="{css_class}">' if css_class else "<table>",
           "<thead><tr>"]
    for i, h in enumerate(headers):
        out.append(f'<th class="num">{h}</th>' if i in numeric else f"<th>{h}</th>")
    out.append("</tr></thead><tbody>")
    for row in rows:
        out.append("<tr>" + "".join(
            f'<td class="num">{cell}</td>' if i in numeric else f"<td>{cell}</td>"
            for i, cell in enumerate(row)) + "</tr>")
    out.append("</tbody></table></div>\n")
    return "".join(out)


def key_value_table(pairs):
    rows = "".join(f"<tr><th>{esc(k)}</th><td>{v}</td></tr>" for k, v in pairs)
    return f'<table class="kv"><tbody>{rows}</tbody></table>\n'


def scenario_section(res, ctx):
    s = res.scenario
    sim = s.get("simulation", {})
    market = s.get("market", {})
    venue = s.get("venue", {})
    prov = res.provenance
    out = ["<section id=\"scenario\"><h2>Scenario</h2>\n"]
    if s.get("description"):
        out.append(f'<p class="description">{esc(s["description"])}</p>\n')
    horizon = duration_seconds(sim.get("horizon"))
    step = duration_seconds(sim.get("step"))
    steps = prov.get("steps", sim.get("steps"))
    if step is None and horizon is not None and finite(steps) and int(steps) > 0:
        step = horizon / int(steps)
    pm = market.get("price_model", {})
    impact = market.get("impact", {})
    general = [
        ("Name", esc(s.get("name", prov.get("scenario_name", "")))),
        ("Asset", esc(market.get("asset", "–"))),
        ("Initial price", f"{esc(fmt_plain(market.get('initial_price')))} quote currency per {esc(ctx['asset'])}"),
        ("Horizon", esc(f"{fmt_duration(horizon)} ({fmt_plain(round(horizon / 3600, 6))} h)"
                        if horizon is not None and horizon >= 2 * 86400 else
                        fmt_duration(horizon) if horizon is not None else sim.get("horizon", "–"))),
        ("Steps", esc(f"{fmt_int(steps)} of {fmt_duration(step)}" if step else fmt_int(steps))),
        ("Paths", esc(fmt_int(prov.get("paths", sim.get("paths"))))),
        ("Seed", esc(prov.get("seed", sim.get("seed", "–")))),
        ("Price model", esc(f"{pm.get('model', '–')}: {describe_params(pm)}")),
        ("Market impact", esc(f"{impact.get('model', 'none')}"
                              + (f": {describe_params(impact)}" if describe_params(impact) else ""))),
    ]
    shocks = s.get("shocks") or []
    general.append(("Shocks", "<br>".join(describe_shock(x) for x in shocks) if shocks else "none"))
    out.append(key_value_table(general))

    out.append("<h3>Venue rules</h3>\n")
    im = venue.get("initial_margin")
    rules = [
        ("Initial margin", esc(f"{fmt_value(im, 'fraction', None)} (maximum leverage "
                               f"{fmt_plain(round(1 / im, 6))}×)" if finite(im) and im > 0 else fmt_plain(im))),
        ("Maintenance margin", esc(describe_tiers(venue["maintenance_tiers"])
                                   if "maintenance_tiers" in venue else
                                   fmt_value(venue.get("maintenance_margin"), "fraction", None))),
        ("Liquidation penalty", esc(fmt_value(venue.get("liquidation_penalty"), "fraction", None))),
        ("Insurance fund at start", esc(f"{fmt_plain(venue.get('insurance_fund'))} quote currency")),
        ("Liquidations trigger on", esc(describe_oracle(venue.get("oracle", {})))),
    ]
    known = {"initial_margin", "maintenance_margin", "maintenance_tiers", "liquidation_penalty",
             "insurance_fund", "oracle"}
    for key, value in venue.items():
        if key not in known:
            rules.append((key.replace("_", " ").capitalize(),
                          esc(describe_params(value) if isinstance(value, dict) else value)))
    out.append(key_value_table(rules))

    population = s.get("population", {})
    cohorts = population.get("cohorts") or []
    out.append("<h3>Leveraged population (as specified)</h3>\n")
    if cohorts:
        rows = [[esc(c.get("name", "")), esc(c.get("side", "")), esc(fmt_int(c.get("accounts"))),
                 describe_distribution(c.get("leverage")), describe_distribution(c.get("notional")),
                 describe_distribution(c.get("entry_price"))] for c in cohorts]
        out.append(table(["Cohort", "Side", "Accounts", "Leverage", "Notional (quote currency)",
                          "Entry price (× initial)"], rows, numeric={2}, css_class="small"))
    extra = [(k, v) for k, v in population.items() if k != "cohorts"]
    if extra:
        out.append("<p class=\"small\">" + "; ".join(
            esc(f"{k.replace('_', ' ')}: {describe_params(v) if isinstance(v, dict) else v}")
            for k, v in extra) + "</p>\n")
    out.append("</section>\n")
    return "".join(out)


def provenance_section(res, source):
    prov = dict(res.provenance)
    order = ["scenario_name", "cascade_version", "git_revision", "created_utc", "engine", "seed",
             "paths", "paths_completed", "steps", "threads", "complete", "format_version",
             "max_ledger_imbalance", "population_seconds", "simulation_seconds", "reduction_seconds"]
    skip = {"scenario", "filetype"}
    keys = [k for k in order if k in prov] + sorted(k for k in prov if k not in order and k not in skip)
    pairs = [("Results file", esc(os.path.abspath(source)))]
    for key in keys:
        value = prov[key]
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if isinstance(value, np.ndarray):
            value = value.tolist()
        if key == "format_version" and isinstance(value, (list, tuple)):
            value = ".".join(str(int(v)) for v in value)
        elif key.endswith("_seconds") and finite(value):
            value = f"{float(value):.3g} s"
        elif key == "max_ledger_imbalance" and finite(value):
            value = f"{float(value):.3g}"
        elif key == "complete":
            value = "yes" if int(value) == 1 else "NO (run stopped early)"
        elif isinstance(value, (int, np.integer)) and key != "seed":
            value = f"{int(value):,}"
        pairs.append((key.replace("_", " ").capitalize(), esc(value)))
    return "<section id=\"provenance\"><h2>Provenance</h2>\n" + key_value_table(pairs) + "</section>\n"


# Per-path columns of the venue's mechanisms (docs/output-format.md), with
# what they measure and their units, in the order the table lists them.
MECHANISM_COLUMNS = [
    ("oracle_gap_max", "largest gap between the oracle and the market at a liquidation", "fraction"),
    ("partial_liquidations", "partial liquidations (each left part of a position open)", "count"),
    ("funding_index", "funding paid per unit held from the start (negative: received)", "money"),
    ("capacity_shortfall_max", "most notional left waiting for liquidators at a step's end",
     "money"),
    ("under_water_time", "account-hours spent below maintenance waiting for liquidators", "hours"),
    ("passed_over", "accounts the liquidators left as not worth it, at the horizon", "count"),
    ("passed_over_deficit", "what those accounts owe beyond their margin (unbooked bad debt)",
     "money"),
    ("backstop_takeovers", "positions the backstop vault took over instead of the market",
     "count"),
    ("backstop_pnl", "the backstop vault's result at the horizon (negative: a loss)", "money"),
    ("adl_notional", "notional auto-deleveraged at bankruptcy prices", "money"),
    ("adl_accounts", "opposite-side accounts auto-deleveraged", "count"),
    ("socialised_loss", "shortfall taken as a haircut on profits", "money"),
]


def mechanism_section(res):
    """What the venue's mechanisms did, path by path: a row per mechanism
    column that is not 0 on every path (the others are left out); nothing at
    all when every one is 0 everywhere."""
    paths = res.paths
    rows = []
    for column, meaning, kind in MECHANISM_COLUMNS:
        if column not in paths.columns:
            continue
        values = paths[column].to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        if values.size == 0 or not np.any(values != 0):
            continue
        if kind == "hours":
            values = values / 3600.0

        def show(v):
            if kind == "money":
                return fmt_money(v)
            if kind == "fraction":
                return fmt_trim(100 * v, 3) + " %"
            return fmt_trim(v)

        share = 100 * np.count_nonzero(values) / values.size
        rows.append([f"<code>{esc(column)}</code>", esc(meaning), esc(fmt_trim(share, 3) + " %"),
                     esc(show(float(np.mean(values)))),
                     esc(show(float(np.quantile(values, 0.95)))),
                     esc(show(float(np.max(values))) if kind != "money" or np.max(values) > 0
                         else show(float(np.min(values))))])
    if not rows:
        return ""  # none switched on, or none did anything: no section
    out = ["<section id=\"mechanisms\"><h2>Venue mechanisms</h2>\n"]
    out.append(table(["Column", "What it measures", "Paths not 0", "Mean", "95th percentile",
                      "Largest"], rows, numeric={2, 3, 4, 5}))
    out.append("<p class=\"small\">One row per per-path column (<code>/paths</code>) of a "
               "mechanism the scenario switched on and that did something on some path; "
               "statistics over all paths, zeros included. Formulas: docs/models.md.</p>\n"
               "</section>\n")
    return "".join(out)


def cohort_section(res):
    co = res.cohorts
    out = ["<section id=\"cohorts\"><h2>Who got liquidated</h2>\n"]
    if co is None or len(co) == 0:
        out.append("<p class=\"note\">The file lists no cohort.</p></section>\n")
        return "".join(out)
    total = float(co["liquidated_accounts_mean"].sum())
    rows = []
    for _, c in co.iterrows():
        accounts = float(c["accounts"])
        mean_liq = float(c["liquidated_accounts_mean"])
        share_cohort = 100 * mean_liq / accounts if accounts > 0 else float("nan")
        share_total = 100 * mean_liq / total if total > 0 else float("nan")
        side = c["side_name"] if "side_name" in co.columns else ("long" if c["side"] > 0 else "short")
        rows.append([esc(c["name"]), esc(side), esc(fmt_int(accounts)), esc(fmt_int(c["excluded"])),
                     esc(fmt_int(c["clipped"])), esc(fmt_money(c["notional"])),
                     esc(fmt_money(c["collateral"])), esc(fmt_trim(mean_liq)),
                     esc(fmt_trim(share_cohort, 3) + " %" if finite(share_cohort) else "–"),
                     esc(fmt_trim(share_total, 3) + " %" if finite(share_total) else "–")])
    out.append(table(["Cohort", "Side", "Accounts", "Excluded", "Clipped", "Notional",
                      "Collateral", "Liquidated per path", "Share of cohort",
                      "Share of all liquidated"], rows, numeric=set(range(2, 10))))
    out.append("<p class=\"small\">Accounts: in the population at the start (accounts already below "
               "maintenance at the initial price are <em>excluded</em>; <em>clipped</em> accounts had "
               "their collateral raised to the venue's maximum leverage). Notional and collateral in "
               "quote currency, at entry. Liquidated per path: mean over all paths of the number of "
               "the cohort's accounts liquidated; share of cohort: that mean over the cohort's "
               "accounts; share of all liquidated: the cohort's part of the mean number of "
               "liquidations per path"
               + (f" ({esc(fmt_num(total))} accounts)." if total > 0 else " (none here).")
               + "</p>\n</section>\n")
    return "".join(out)


METRIC_ORDER = ["p_bad_debt", "bad_debt_mean", "bad_debt_var95", "bad_debt_es95", "bad_debt_var99",
                "bad_debt_es99", "p_fund_exhausted", "liquidations_mean", "liquidated_notional_mean",
                "cascade_amplification_mean", "final_price_mean", "max_drawdown_mean"]


def metrics_section(res):
    m = res.metrics
    out = ["<section id=\"metrics\"><h2>Metrics</h2>\n"]
    if m is None or len(m) == 0:
        out.append("<p class=\"note\">The file holds no metric.</p></section>\n")
        return "".join(out)
    names = [k for k in METRIC_ORDER if k in m.index] + [k for k in m.index if k not in METRIC_ORDER]
    rows = []
    for name in names:
        row = m.loc[name]
        units = str(row.get("units", ""))
        shown_units = {"probability": "%", "fraction": "%", "1": ""}.get(units, units)
        # Prices read better in full (1,822) than abbreviated (1.822 k).
        value_units = "1" if units == "quote currency" and "price" in name else units
        rows.append([f"<code>{esc(name)}</code>", esc(row.get("description", "")),
                     esc(fmt_value(row["value"], value_units)),
                     esc(f"[{fmt_value(row['ci_low'], value_units)}, "
                         f"{fmt_value(row['ci_high'], value_units)}]"),
                     esc(fmt_value(row["standard_error"], value_units)), esc(shown_units)])
    out.append(table(["Metric", "Meaning", "Estimate", "95 % interval", "Standard error", "Units"],
                     rows, numeric={2, 3, 4}))
    out.append("<p class=\"small\">Means: normal interval, estimate ± 1.96 standard errors. "
               "Probabilities: Wilson score interval. VaR (quantiles): distribution-free "
               "order-statistic interval. ES (tail means): asymptotic normal interval. Details in "
               "docs/output-format.md.</p>\n</section>\n")
    return "".join(out)


def headline_section(res):
    m = res.metrics
    picks = [("p_bad_debt", "Paths with bad debt"), ("bad_debt_mean", "Mean bad debt"),
             ("bad_debt_var99", "Bad debt VaR 99 %"), ("p_fund_exhausted", "Fund exhausted"),
             ("liquidated_notional_mean", "Mean liquidated notional"),
             ("liquidations_mean", "Mean liquidations per path"),
             ("cascade_amplification_mean", "Mean cascade amplification")]
    items = []
    for key, label in picks:
        if m is not None and key in m.index:
            units = str(m.loc[key, "units"])
            value = fmt_value(m.loc[key, "value"], units, 3)
            if units == "quote currency":
                value += " quote currency"
            elif units == "accounts":
                value += " accounts"
            items.append(f'<div class="kpi"><div class="kpi-value">{esc(value)}</div>'
                         f'<div class="kpi-label">{esc(label)}</div></div>')
    if not items:
        return ""
    return '<section id="summary"><div class="kpis">' + "".join(items) + "</div></section>\n"


CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #222;
       max-width: 1080px; margin: 0 auto; padding: 1.5em 1.5em 3em; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.1em; }
h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
h3 { font-size: 1.05em; margin-top: 1.4em; }
.subtitle { color: #666; margin-top: 0; }
.description { max-width: 60em; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.92em; }
th, td { padding: 0.28em 0.7em; text-align: left; vertical-align: top; border-bottom: 1px solid #e6e6e6; }
td:first-child, #metrics td:last-child { white-space: nowrap; }
thead th { border-bottom: 2px solid #bbb; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.kv th { font-weight: 600; white-space: nowrap; color: #444; }
table.small { font-size: 0.85em; }
p.small { font-size: 0.85em; color: #555; max-width: 60em; }
figure { margin: 1.6em 0; }
figure img { max-width: 100%; height: auto; display: block; }
figcaption { font-size: 0.9em; color: #444; max-width: 60em; margin-top: 0.4em; }
p.note { background: #f4f6f9; border-left: 3px solid #1f5a96; padding: 0.6em 0.9em; }
.warning { background: #fff3e0; border-left: 4px solid #b8322a; padding: 0.6em 0.9em; }
.kpis { display: flex; flex-wrap: wrap; gap: 0.8em; margin-top: 1em; }
.kpi { border: 1px solid #e0e0e0; border-radius: 4px; padding: 0.5em 0.8em; min-width: 9em; }
.kpi-value { font-size: 1.15em; font-weight: 600; color: #1f5a96; }
.kpi-label { font-size: 0.82em; color: #555; }
code { font-size: 0.92em; }
.scroll { overflow-x: auto; }
footer { margin-top: 3em; color: #888; font-size: 0.82em; }
"""


def build_report(res, source):
    scenario = res.scenario
    time_s = np.asarray(res.time, dtype=float)
    horizon_h = float(time_s[-1]) / 3600.0 if time_s.size else 0.0
    paths = res.paths
    available = getattr(res, "sample_names", ("price", "exogenous_price"))
    sample_names = []
    for name in ("price", "exogenous_price"):
        if name not in available:
            continue
        try:
            if res.samples(name).shape[1] > 0:
                sample_names.append(name)
        except KeyError:
            pass
    ctx = {
        "hours": time_s / 3600.0,
        "horizon_h": horizon_h,
        "asset": scenario.get("market", {}).get("asset") or "unit of the asset",
        "windows": shock_windows(scenario),
        "sample_names": sample_names,
        "any_liquidation": bool(len(paths) and np.nansum(paths["liquidations"].to_numpy(dtype=float)) > 0),
    }
    name = scenario.get("name") or res.provenance.get("scenario_name", "")
    parts = ["<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
             f"<title>cascade report: {esc(name)}</title>\n",
             "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
             f"<style>{CSS}</style>\n</head>\n<body>\n",
             f"<h1>Liquidation cascade report: {esc(name)}</h1>\n",
             f"<p class=\"subtitle\">{esc(fmt_int(res.provenance.get('paths', len(paths))))} paths · "
             f"{esc(ctx['asset'])} · horizon {esc(fmt_duration(horizon_h * 3600))} · "
             f"written {esc(res.provenance.get('created_utc', '?'))} by cascade "
             f"{esc(res.provenance.get('cascade_version', '?'))}</p>\n"]
    if not res.complete:
        parts.append("<p class=\"warning\"><strong>Incomplete run:</strong> this file holds only "
                     f"{esc(fmt_int(res.provenance.get('paths_completed', len(paths))))} of "
                     f"{esc(fmt_int(res.provenance.get('paths', '?')))} paths; every number below is "
                     "over the completed paths only.</p>\n")
    parts.append(headline_section(res))
    parts.append(scenario_section(res, ctx))
    parts.append("<section id=\"market\"><h2>Market price</h2>\n")
    parts.append(price_figure(res, ctx))
    parts.append("</section>\n<section id=\"liquidations\"><h2>Liquidations and the insurance fund</h2>\n")
    parts.append(liquidated_notional_figure(res, ctx))
    parts.append(insurance_fund_figure(res, ctx))
    parts.append("</section>\n<section id=\"bad-debt\"><h2>Bad debt</h2>\n")
    parts.append(bad_debt_figure(res, ctx))
    parts.append("</section>\n<section id=\"cascades\"><h2>Cascades</h2>\n")
    parts.append(cascade_figure(res, ctx))
    parts.append("</section>\n")
    parts.append(mechanism_section(res))
    parts.append(cohort_section(res))
    parts.append(metrics_section(res))
    parts.append(provenance_section(res, source))
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    parts.append(f"<footer>Generated {esc(now)} by scripts/report.py from "
                 f"{esc(os.path.basename(source))}. Money in quote currency; time in hours since "
                 "the start of the run.</footer>\n</body>\n</html>\n")
    return "".join(parts)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="report.py",
        description="Build a self-contained HTML report (embedded charts, no network) from a "
                    "cascade results file.")
    parser.add_argument("results", metavar="OUT.h5", help="results file written by `cascade run`")
    parser.add_argument("-o", "--output", metavar="REPORT.html",
                        help="HTML file to write (default: the results file's name with .html)")
    parser.add_argument("--allow-incomplete", action="store_true",
                        help="report on a run stopped early (complete = 0), flagged as incomplete")
    args = parser.parse_args(argv)
    output = args.output or os.path.splitext(args.results)[0] + ".html"

    try:
        with cascade_results.open(args.results, allow_incomplete=args.allow_incomplete) as res:
            document = build_report(res, args.results)
    except cascade_results.CascadeResultsError as e:
        print(f"report.py: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"report.py: error: cannot read {args.results}: {e}", file=sys.stderr)
        return 2

    directory = os.path.dirname(os.path.abspath(output))
    tmp = os.path.join(directory, f".{os.path.basename(output)}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(document)
        os.replace(tmp, output)
    except OSError as e:
        try:
            os.remove(tmp)
        except OSError:
            pass
        print(f"report.py: error: cannot write {output}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
