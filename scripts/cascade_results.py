"""Read cascade results files (HDF5) into numpy and pandas.

``cascade run`` writes one HDF5 file per run; its layout is the contract in
docs/output-format.md. This module opens such a file, checks that it is one
(``filetype``), that this reader understands it (``format_version`` major 1,
any minor) and that the run finished (``complete``), and hands back its
contents as plain Python, numpy and pandas objects. Needs h5py, numpy and
pandas only (Debian's ``/usr/bin/python3`` has all three). User guide:
docs/python.md.

Example (from the repository root, ``PYTHONPATH=scripts /usr/bin/python3``)::

    import cascade_results

    with cascade_results.open("out.h5") as r:
        print(r.provenance["scenario_name"], r.provenance["paths"], "paths")
        print(r.metrics[["value", "ci_low", "ci_high", "units"]])
        bands = r.series("price")            # index time_s; mean, std, q0.01 ...
        hours = bands.index / 3600.0
        worst = r.paths["bad_debt"].max()    # one row per path
        by_cohort = r.events.groupby("cohort_name")["size"].sum()

What a ``Results`` gives (everything is read lazily on first use, then kept):

===================  ========================================================
``r.scenario``       dict: the resolved scenario (root attribute ``scenario``)
``r.provenance``     dict: every other root attribute as Python values
                     (``cascade_version``, ``git_revision``, ``created_utc``,
                     ``seed``, ``paths``, ``steps``, ``threads``, ``engine``,
                     ``complete``, ``paths_completed``, ``format_version`` as a
                     tuple ``(major, minor)``, ``scenario_name``, the timings
                     ``*_seconds`` ...)
``r.time``           numpy array: seconds of each grid point (``/time``)
``r.paths``          DataFrame, one row per path (index ``path``), one column
                     per dataset in ``/paths``
``r.series_names``   list of the recorded series (subgroups of ``/series``)
``r.series(name)``   DataFrame indexed by ``time_s``: ``mean``, ``std`` and one
                     column per quantile level (``q0.01``, ``q0.5`` ...)
``r.sample_names``   list of the sample datasets (``/samples``)
``r.samples(name)``  DataFrame indexed by ``time_s``, one column per sample
                     path (columns are the path indices 0 .. K-1)
``r.events``         DataFrame of ``/events/liquidations`` plus ``cohort_name``
                     and ``time_s`` (the end of the event's step);
                     ``attrs["truncated_paths"]``: sample paths cut at
                     ``attrs["max_per_path"]`` events (format 1.6 on)
``r.cohorts``        DataFrame of ``/population/cohorts`` (index ``cohort``),
                     ``name`` as str, ``side`` +1/-1, plus ``side_name``
``r.metrics``        DataFrame indexed by metric name: ``value``,
                     ``standard_error``, ``ci_low``, ``ci_high``, ``units``,
                     ``description``, ``count``, ``sum``, ``sum_squares``
``r.sweep``          None: a run holds one setting; ``cascade sweep`` writes
                     files of its own, read with ``open_sweep`` (below)
``r.complete``       bool: the file holds every path the run asked for
``r.filename``       the path that was opened
===================  ========================================================

Every string comes back as ``str`` (never ``bytes``); numpy scalars from
attributes come back as Python ``int``/``float``. The DataFrames of datasets
carry the units in ``df.attrs`` (``df.attrs["units"]`` for a series or a
sample, ``df.attrs["units"]`` as a {column: units} dict for ``r.paths``).

Errors, all subclasses of ``CascadeResultsError``:

- ``NotCascadeFile``: the file is missing, is not HDF5, is truncated or
  corrupt, or is HDF5 without ``filetype == "cascade-results"``.
- ``UnsupportedVersion``: ``format_version`` has a major other than 1.
- ``IncompleteRun``: root attribute ``complete`` is 0 (a run stopped early);
  ``open(path, allow_incomplete=True)`` opens it anyway, with
  ``r.complete`` False.

Objects, attributes and table columns this reader does not know (a newer
minor version) are ignored or passed through, never an error.
"""

import json
import os

import h5py
import numpy as np
import pandas as pd

__all__ = [
    "CascadeResultsError", "NotCascadeFile", "UnsupportedVersion", "IncompleteRun",
    "Results", "FILETYPE", "SUPPORTED_MAJOR",
]  # not "open": `from cascade_results import *` must not shadow builtins.open

#: Value of the root attribute ``filetype`` of every results file.
FILETYPE = "cascade-results"
#: The ``format_version`` major this reader was written for (any minor).
SUPPORTED_MAJOR = 1


class CascadeResultsError(Exception):
    """Base class of every error this module raises on opening a file."""


class NotCascadeFile(CascadeResultsError):
    """Missing, not HDF5, truncated/corrupt, or not a cascade results file."""


class UnsupportedVersion(CascadeResultsError):
    """The file's format_version major is not the one this reader supports."""


class IncompleteRun(CascadeResultsError):
    """The file's root attribute ``complete`` is 0 (a run stopped early)."""


def _py(value):
    """An HDF5 attribute value as plain Python: str for strings, int/float
    for numpy scalars, a tuple for a 1-D array."""
    if isinstance(value, (bytes, np.bytes_)):
        return bytes(value).decode("utf-8")
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return _py(value[()])
        return tuple(_py(v) for v in value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    return value


def _text(value):
    """A string attribute (or a missing one, None) as str."""
    if value is None:
        return ""
    value = _py(value)
    return value if isinstance(value, str) else str(value)


def _level_name(level):
    """Column name of a quantile level: shortest repr, e.g. q0.01, q0.5."""
    return "q" + repr(float(level))


def _decode_column(column):
    """A compound-table column as a pandas-friendly array (bytes -> str)."""
    column = np.asarray(column)
    if column.dtype.kind == "S":
        return np.array([bytes(v).decode("utf-8") for v in column], dtype=object)
    if column.dtype.kind == "O":
        return np.array([_py(v) for v in column], dtype=object)
    # Copy: fields of a packed compound array are unaligned views.
    return np.ascontiguousarray(column)


def _table(dataset):
    """A compound dataset as a DataFrame, read by column name."""
    data = dataset[()]
    names = data.dtype.names or ()
    return pd.DataFrame({name: _decode_column(data[name]) for name in names},
                        columns=list(names))


class Results:
    """An open cascade results file. Make one with ``cascade_results.open``.

    Use it as a context manager, or call ``close()`` when done. Properties
    read their data on first use and keep it, so what was read stays usable
    after ``close()``; reading something new after ``close()`` raises
    ``CascadeResultsError``.
    """

    def __init__(self, path, allow_incomplete=False):
        self.filename = os.fspath(path)
        self._file = None
        self._cache = {}
        if not os.path.exists(self.filename):
            raise NotCascadeFile(f"{self.filename}: no such file")
        if os.path.isdir(self.filename):
            raise NotCascadeFile(f"{self.filename}: is a directory, not a results file")
        try:
            self._file = h5py.File(self.filename, "r")
        except (OSError, ValueError) as error:
            raise NotCascadeFile(
                f"{self.filename}: not a readable HDF5 file (missing, truncated or "
                f"corrupt?): {error}") from None
        try:
            self._check(allow_incomplete)
        except BaseException:
            self.close()
            raise

    def _check(self, allow_incomplete):
        f = self._file
        try:
            filetype = _text(f.attrs.get("filetype"))
        except (OSError, KeyError, ValueError, TypeError) as error:
            raise NotCascadeFile(f"{self.filename}: unreadable root attributes: {error}") \
                from None
        if filetype != FILETYPE:
            what = f"filetype {filetype!r}" if filetype else "no filetype attribute"
            raise NotCascadeFile(
                f"{self.filename}: not a cascade results file ({what}; expected {FILETYPE!r})")
        try:
            version = tuple(int(v) for v in np.asarray(f.attrs["format_version"]).ravel())
            if len(version) != 2:
                raise ValueError(f"format_version has {len(version)} elements, expected 2")
        except (OSError, KeyError, ValueError, TypeError) as error:
            raise NotCascadeFile(f"{self.filename}: bad or missing format_version: {error}") \
                from None
        if version[0] != SUPPORTED_MAJOR:
            raise UnsupportedVersion(
                f"{self.filename}: cascade results format {version[0]}.{version[1]} is not "
                f"supported; this reader reads format {SUPPORTED_MAJOR}.x (major "
                f"{SUPPORTED_MAJOR}, any minor). Use a reader matching the cascade version "
                f"that wrote the file ({_text(f.attrs.get('cascade_version')) or 'unknown'}).")
        try:
            complete = int(_py(f.attrs["complete"])) != 0
            paths = int(_py(f.attrs.get("paths", 0)))
            done = int(_py(f.attrs.get("paths_completed", paths if complete else 0)))
            # Read the time axis now: a file whose objects are damaged should
            # fail here, on open, not on first use.
            self._cache["time"] = np.asarray(f["time"][()], dtype=np.float64)
        except (OSError, KeyError, ValueError, TypeError) as error:
            raise NotCascadeFile(f"{self.filename}: damaged cascade results file: {error}") \
                from None
        self._complete = complete
        if not complete and not allow_incomplete:
            raise IncompleteRun(
                f"{self.filename}: incomplete run: the file holds {done} of {paths} paths "
                f"(complete = 0, a run stopped early). Pass allow_incomplete=True to open "
                f"it anyway.")

    # -- lifetime ----------------------------------------------------------

    def close(self):
        """Closes the HDF5 file. Safe to call more than once."""
        if self._file is not None:
            try:
                self._file.close()
            finally:
                self._file = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __repr__(self):
        state = "open" if self._file is not None else "closed"
        return f"<cascade_results.Results {self.filename!r} ({state})>"

    def _h5(self):
        if self._file is None:
            raise CascadeResultsError(f"{self.filename}: the file is closed")
        return self._file

    def _cached(self, key, make):
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    # -- root --------------------------------------------------------------

    @property
    def complete(self):
        """True when the file holds every path the run asked for."""
        return self._complete

    @property
    def scenario(self):
        """The resolved scenario (root attribute ``scenario``) as a dict."""
        return self._cached("scenario", lambda: json.loads(_text(self._h5().attrs["scenario"])))

    @property
    def provenance(self):
        """Root attributes other than ``scenario`` (see ``r.scenario``) as a
        dict of Python values; ``format_version`` is a tuple (major, minor)."""
        def make():
            attrs = self._h5().attrs
            out = {name: _py(attrs[name]) for name in attrs if name != "scenario"}
            out["format_version"] = tuple(int(v) for v in out["format_version"])
            return out
        return dict(self._cached("provenance", make))

    @property
    def time(self):
        """Seconds since the start of each grid point (``/time``), numpy array."""
        return self._cache["time"]

    def _time_index(self):
        return pd.Index(self.time, name="time_s")

    # -- /paths ------------------------------------------------------------

    @property
    def paths(self):
        """One row per path (index ``path``), one column per ``/paths`` dataset."""
        def make():
            group = self._h5().get("paths")
            columns, units = {}, {}
            if group is not None:
                for name, ds in group.items():
                    if isinstance(ds, h5py.Dataset) and ds.ndim == 1 and not ds.dtype.names:
                        columns[name] = ds[()]
                        units[name] = _text(ds.attrs.get("units"))
            frame = pd.DataFrame(columns)
            frame.index.name = "path"
            frame.attrs["units"] = units
            return frame
        return self._cached("paths", make)

    # -- /series -----------------------------------------------------------

    @property
    def series_names(self):
        """Names of the recorded series (subgroups of ``/series``)."""
        def make():
            group = self._h5().get("series")
            return [n for n, g in (group.items() if group is not None else [])
                    if isinstance(g, h5py.Group)]
        return list(self._cached("series_names", make))

    def series(self, name):
        """Statistics over paths of series ``name`` at every grid point:
        DataFrame indexed by ``time_s`` with columns ``mean``, ``std`` and
        one per quantile level (``q0.05`` ...); ``attrs`` holds ``units``,
        ``description`` and ``quantile_relative_error`` (0 when the quantiles
        are exact, else the sketch's relative error). KeyError if not recorded."""
        key = ("series", name)
        if key in self._cache:
            return self._cache[key]
        names = self.series_names
        if name not in names:
            raise KeyError(f"no series {name!r} in {self.filename}; available: "
                           f"{', '.join(names) if names else '(none recorded)'}")
        group = self._h5()["series"][name]
        columns, units = {}, ""
        for stat in ("mean", "std"):
            if stat in group:
                columns[stat] = group[stat][()]
                units = units or _text(group[stat].attrs.get("units"))
        if "quantiles" in group:
            q = group["quantiles"]
            values = q[()]
            levels = np.asarray(q.attrs.get("levels", []), dtype=np.float64).ravel()
            for j, level in enumerate(levels):
                columns[_level_name(level)] = values[:, j]
        frame = pd.DataFrame(columns, index=self._time_index())
        frame.attrs["units"] = units
        frame.attrs["description"] = _text(group.attrs.get("description"))
        # 0: exact quantiles (files before format 1.7 have only exact ones).
        frame.attrs["quantile_relative_error"] = float(
            group["quantiles"].attrs.get("relative_error", 0.0) if "quantiles" in group else 0.0)
        self._cache[key] = frame
        return frame

    # -- /samples ----------------------------------------------------------

    @property
    def sample_names(self):
        """Names of the sample datasets in ``/samples`` (e.g. ``price``)."""
        def make():
            group = self._h5().get("samples")
            return [n for n, d in (group.items() if group is not None else [])
                    if isinstance(d, h5py.Dataset)]
        return list(self._cached("sample_names", make))

    def samples(self, name):
        """Sample paths of ``name`` in full: DataFrame indexed by ``time_s``,
        one column per sample path, named by path index. KeyError if absent."""
        key = ("samples", name)
        if key in self._cache:
            return self._cache[key]
        names = self.sample_names
        if name not in names:
            raise KeyError(f"no samples {name!r} in {self.filename}; available: "
                           f"{', '.join(names) if names else '(none)'}")
        ds = self._h5()["samples"][name]
        values = np.asarray(ds[()], dtype=np.float64).reshape(-1, len(self.time))
        frame = pd.DataFrame(values.T, index=self._time_index(),
                             columns=pd.Index(range(values.shape[0]), name="path"))
        frame.attrs["units"] = _text(ds.attrs.get("units"))
        self._cache[key] = frame
        return frame

    # -- /population, /events -----------------------------------------------

    @property
    def cohorts(self):
        """``/population/cohorts``, index ``cohort``; ``name`` str, ``side``
        +1/-1 and ``side_name`` "long"/"short"."""
        def make():
            ds = self._h5().get("population/cohorts")
            frame = _table(ds) if ds is not None else pd.DataFrame({"name": [], "side": []})
            if "side" in frame:
                frame["side"] = frame["side"].astype(np.int8)
                frame["side_name"] = np.where(frame["side"].to_numpy() > 0, "long", "short")
            frame.index.name = "cohort"
            return frame
        return self._cached("cohorts", make)

    @property
    def events(self):
        """``/events/liquidations`` (the sample paths' liquidations) plus
        ``cohort_name`` (from ``r.cohorts``) and ``time_s`` (``time[step]``)."""
        def make():
            ds = self._h5().get("events/liquidations")
            frame = _table(ds) if ds is not None else pd.DataFrame()
            if "cohort" in frame:
                names = self.cohorts["name"].to_numpy(dtype=object)
                index = frame["cohort"].to_numpy(dtype=np.int64)
                valid = (index >= 0) & (index < len(names))
                cohort_name = np.full(len(index), None, dtype=object)
                cohort_name[valid] = names[index[valid]]
                frame["cohort_name"] = cohort_name
            if "step" in frame:
                step = frame["step"].to_numpy(dtype=np.int64)
                frame["time_s"] = self.time[step] if len(step) else np.empty(0)
            frame.index.name = "event"
            # Format 1.6: each sample path keeps at most max_per_path events.
            for name in ("max_per_path", "truncated_paths"):
                if ds is not None and name in ds.attrs:
                    frame.attrs[name] = int(ds.attrs[name])
            return frame
        return self._cached("events", make)

    # -- /metrics ----------------------------------------------------------

    @property
    def metrics(self):
        """One row per ``/metrics`` dataset (index ``metric``): value,
        standard_error, ci_low, ci_high, units, description, count, sum,
        sum_squares."""
        def make():
            group = self._h5().get("metrics")
            rows = {}
            for name, ds in (group.items() if group is not None else []):
                if not isinstance(ds, h5py.Dataset) or ds.shape != ():
                    continue
                a = ds.attrs
                num = lambda key: float(_py(a[key])) if key in a else float("nan")  # noqa: E731
                rows[name] = {
                    "value": float(ds[()]),
                    "standard_error": num("standard_error"),
                    "ci_low": num("ci_low"),
                    "ci_high": num("ci_high"),
                    "units": _text(a.get("units")),
                    "description": _text(a.get("description")),
                    "count": int(_py(a["count"])) if "count" in a else 0,
                    "sum": num("sum"),
                    "sum_squares": num("sum_squares"),
                }
            columns = ["value", "standard_error", "ci_low", "ci_high", "units",
                       "description", "count", "sum", "sum_squares"]
            frame = pd.DataFrame.from_dict(rows, orient="index", columns=columns)
            frame.index.name = "metric"
            return frame
        return self._cached("metrics", make)

    # -- /sweep --------------------------------------------------------------

    @property
    def sweep(self):
        """None: ``cascade run`` files hold one setting. Sweeps are files of
        their own (``cascade sweep``); read them with ``open_sweep``."""
        return None


def open(path, allow_incomplete=False):  # noqa: A001  (shadows builtins.open on purpose)
    """Opens a cascade results file; returns a ``Results`` (a context manager).

    Raises NotCascadeFile, UnsupportedVersion or IncompleteRun (all
    CascadeResultsError). With ``allow_incomplete=True`` a file of a run that
    stopped early (``complete = 0``) opens, with ``r.complete`` False.
    """
    return Results(path, allow_incomplete=allow_incomplete)


SWEEP_FILETYPE = "cascade-sweep"


class Sweep:
    """An open ``cascade sweep`` file (docs/sweeps.md). Make one with
    ``cascade_results.open_sweep``. Everything is read on open; the file is
    closed before this returns.

    ``s.axes``        list of (pointer, numpy array of values), in axis order
    ``s.shape``       the grid's shape, one dimension per axis
    ``s.baseline``    row-major index of the baseline point
    ``s.scenario``    dict: the baseline point's resolved scenario
    ``s.provenance``  dict: the other root attributes
    ``s.metric_names`` list of the metrics in the file
    ``s.metric(name)`` DataFrame, one row per grid point, indexed by the swept
                      values (a MultiIndex named by the pointers): ``value``,
                      ``standard_error``, ``ci_low``, ``ci_high``, ``sum``,
                      ``sum_squares``, ``difference``, ``difference_standard_error``
    ``s.table()``     all metrics, long: one row per (grid point, metric)
    ``s.capital``     DataFrame like ``metric``: ``max_leverage``, ``admitted_share``
    """

    def __init__(self, path):
        self.filename = os.fspath(path)
        if not os.path.exists(self.filename):
            raise NotCascadeFile(f"{self.filename}: no such file")
        try:
            f = h5py.File(self.filename, "r")
        except (OSError, ValueError) as error:
            raise NotCascadeFile(f"{self.filename}: not a readable HDF5 file: {error}") from None
        with f:
            filetype = _text(f.attrs.get("filetype"))
            if filetype != SWEEP_FILETYPE:
                what = f"filetype {filetype!r}" if filetype else "no filetype attribute"
                raise NotCascadeFile(f"{self.filename}: not a cascade sweep file ({what}; "
                                     f"expected {SWEEP_FILETYPE!r})")
            version = tuple(int(v) for v in np.asarray(f.attrs["format_version"]).ravel())
            if version[0] != SUPPORTED_MAJOR:
                raise UnsupportedVersion(f"{self.filename}: sweep format {version} is not "
                                         f"supported; this reader reads {SUPPORTED_MAJOR}.x")
            self.scenario = json.loads(_text(f.attrs["scenario"]))
            self.provenance = {k: _py(v) for k, v in f.attrs.items() if k != "scenario"}
            self.provenance["format_version"] = version
            self.baseline = int(self.provenance["baseline"])
            axes = f["sweep/axes"]
            self.axes = [(_text(axes[str(a)].attrs["pointer"]), np.asarray(axes[str(a)][()]))
                         for a in range(len(axes))]
            self.shape = tuple(len(values) for _, values in self.axes)
            self._index = pd.MultiIndex.from_product([values for _, values in self.axes],
                                                     names=[p for p, _ in self.axes])
            self._metrics = {}
            for name, group in f["sweep/metrics"].items():
                self._metrics[name] = pd.DataFrame(
                    {field: np.asarray(group[field][()]).ravel() for field in group},
                    index=self._index)
                self._metrics[name].attrs["units"] = _text(group["value"].attrs["units"])
            capital = f["sweep/capital"]
            self.capital = pd.DataFrame(
                {field: np.asarray(capital[field][()]).ravel() for field in capital},
                index=self._index)

    @property
    def metric_names(self):
        return list(self._metrics)

    def metric(self, name):
        if name not in self._metrics:
            raise KeyError(f"no metric {name!r}; the file has {', '.join(self._metrics)}")
        return self._metrics[name]

    def table(self):
        frames = [df.assign(metric=name).reset_index() for name, df in self._metrics.items()]
        return pd.concat(frames, ignore_index=True)

    def __repr__(self):
        return f"<cascade_results.Sweep {self.filename!r} {self.shape}>"


def open_sweep(path):
    """Reads a ``cascade sweep`` file; returns a ``Sweep``. Raises
    NotCascadeFile or UnsupportedVersion."""
    return Sweep(path)
