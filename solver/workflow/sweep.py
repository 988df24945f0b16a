"""Parameter sweeps: expand a sweep file into cases, run them, collect ``results.csv``.

A sweep file is TOML with a ``[sweep]`` table::

    [sweep]
    name = "resin_thickness"
    base = "../csp_cooldown_diced.toml"      # relative to the sweep file
    method = "grid"                          # grid | list | latin_hypercube
    responses = ["warpage_um", "room_max_von_mises_resin_MPa"]   # plotted (optional)
    set = ["output.fields=false"]            # fixed overrides for every case (optional)

    [sweep.parameters]
    "geometry.resin_thickness" = ["30 um", "50 um", "70 um"]     # grid / list: values
    # latin_hypercube: "etch.rate" = { low = "0.5 um/min", high = "2 um/min" }, with
    # samples = 8 and seed = 1 in [sweep]

Every case is the base case with ``--set key=value`` overrides; it runs as its own
``sprout run`` process (under ``mpirun -n k`` for k ranks) into ``OUT/cases/<id>/``, whose
``summary.json`` is written last and atomically: a case is complete exactly when its
summary says ``ok``, which is what ``--resume`` skips. ``OUT/results.csv`` is rebuilt from
the summaries (atomically) after every case, so nothing is counted twice and an
interruption loses at most the cases that were running. The JIT-compiled forms live in
dolfinx's cache, shared by all cases: only the first case of a kind compiles.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from solver.core.case import CaseError, CaseName, format_validation_error, read_input_toml
from solver.core.output import atomic_write_json, atomic_write_text
from solver.core.result_names import check_names
from solver.workflow.analyze import AnalysisSpec, check_analysis_names, manifest_entry
from solver.workflow.registry import kind_of, load_case


class Range(BaseModel):
    model_config = ConfigDict(extra="forbid")
    low: str | float
    high: str | float


class SweepSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: CaseName
    base: str = Field(min_length=1, max_length=1024, description="the base case file, relative to the sweep file")
    method: Literal["grid", "list", "latin_hypercube"] = "grid"
    parameters: dict[str, list[str | float | int | bool] | Range] = Field(min_length=1)
    samples: int | None = Field(None, ge=1, le=100000, description="latin_hypercube: number of cases")
    seed: int = Field(0, ge=0, le=2**63 - 1, description="latin_hypercube: the random stream's seed")
    responses: list[str] = Field(default_factory=list, description="results to plot against the parameters")
    set: list[str] = Field(default_factory=list, description="overrides applied to every case")
    analysis: AnalysisSpec | None = Field(None, description="the file's own [analysis] table (set by load_sweep)")

    @model_validator(mode="after")
    def _consistent(self):
        ranges = [k for k, v in self.parameters.items() if isinstance(v, Range)]
        lists = [k for k, v in self.parameters.items() if not isinstance(v, Range)]
        for k in ranges:
            r = self.parameters[k]
            if isinstance(r.low, str) != isinstance(r.high, str):
                raise ValueError(f"parameters.{k}: low and high must both carry a unit or both be plain numbers")
            if not isinstance(r.low, str) and not r.low < r.high:
                raise ValueError(f"parameters.{k}: low must be below high")
        if self.method == "latin_hypercube":
            if lists:
                raise ValueError(f"latin_hypercube takes {{low, high}} ranges; {lists[0]!r} is a list")
            if self.samples is None:
                raise ValueError("latin_hypercube needs samples")
        else:
            if ranges:
                raise ValueError(f"{self.method} takes lists of values; {ranges[0]!r} is a range "
                                 "(use method = 'latin_hypercube')")
            if any(len(v) == 0 for v in self.parameters.values()):
                raise ValueError("every parameter needs at least one value")
            if self.method == "list" and len({len(v) for v in self.parameters.values()}) > 1:
                raise ValueError("method = 'list' pairs the i-th values: all lists need the same length")
        return self


@dataclass
class SweepCase:
    id: str
    values: dict[str, str | float | int | bool]  # parameter -> value as given (with its unit)

    def overrides(self) -> list[str]:
        return [f"{k}={_toml_value(v)}" for k, v in self.values.items()]


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    return json.dumps(v)  # a TOML basic string


def load_sweep(path: str | Path) -> tuple[SweepSpec, Path]:
    path = Path(path)
    raw = read_input_toml(path, "sweep file")
    if "sweep" not in raw:
        raise CaseError(f"{path}: sweep: missing; a sweep file has a [sweep] table")
    extra = sorted(set(raw) - {"sweep", "analysis"})
    if extra:
        raise CaseError(f"{path}: {extra[0]}: unknown key; a sweep file holds its [sweep] table and an "
                        "optional [analysis] table")
    for table in ("sweep", "analysis"):
        if not isinstance(raw.get(table, {}), dict):
            raise CaseError(f"{path}: {table}: must be a table")
    if "analysis" in raw["sweep"]:
        raise CaseError(f"{path}: sweep.analysis: unknown key; the analysis is a top-level [analysis] table")
    try:
        spec = SweepSpec.model_validate(raw["sweep"])
    except ValidationError as exc:
        raise CaseError(f"{path}: sweep.{format_validation_error(exc, raw['sweep'])}") from None
    if "analysis" in raw:
        try:
            spec = spec.model_copy(update={"analysis": AnalysisSpec.model_validate(raw["analysis"])})
        except ValidationError as exc:
            raise CaseError(f"{path}: analysis.{format_validation_error(exc, raw['analysis'])}") from None
    try:
        base = (path.parent / spec.base).resolve()
        found = base.is_file()
    except (OSError, RuntimeError) as exc:  # a name too long, a symlink loop
        raise CaseError(f"{path}: sweep.base: {spec.base[:80]}: {exc}") from None
    if not found:
        raise CaseError(f"{path}: sweep.base: no such case file {base}")
    if spec.analysis is not None:  # the responses it names, before anything runs
        try:
            loaded = load_case(base, spec.set)
        except CaseError:
            loaded = None  # check_cases names the case and the field
        if loaded is not None:
            check_analysis_names(spec.analysis, kind_of(loaded).declared_results(loaded),
                                 f"of {loaded.name} ({loaded.kind})")
    return spec, base


MAX_CASES = 10_000  # a sweep larger than this needs --max-cases (a typo in a grid multiplies)


def size(spec: SweepSpec) -> int:
    """How many cases the sweep file asks for, counted without expanding it."""
    if spec.method == "grid":
        return math.prod(len(v) for v in spec.parameters.values())
    if spec.method == "list":
        return len(next(iter(spec.parameters.values())))
    return spec.samples


def expand(spec: SweepSpec, max_cases: int = MAX_CASES) -> list[SweepCase]:
    count = size(spec)
    if count > max_cases:
        raise CaseError(f"sweep: {count:,} cases, more than the {max_cases:,} allowed; raise the limit with "
                        "--max-cases if that is meant")
    keys = list(spec.parameters)
    if spec.method == "grid":
        rows = list(itertools.product(*(spec.parameters[k] for k in keys)))
    elif spec.method == "list":
        rows = list(zip(*(spec.parameters[k] for k in keys)))
    else:
        rows = _latin_hypercube(spec, keys)
    width = max(4, len(str(len(rows) - 1)))
    return [SweepCase(f"case_{i:0{width}d}", dict(zip(keys, row))) for i, row in enumerate(rows)]


def _latin_hypercube(spec: SweepSpec, keys: list[str]) -> list[tuple]:
    """One sample in each of n equal strata per parameter, strata paired at random (seeded);
    values keep the unit of ``low``."""
    from meshes.units import _SPLIT, _check_expression, ureg

    n = spec.samples
    rng = np.random.default_rng(spec.seed)
    columns = []
    for k in keys:
        r = spec.parameters[k]
        u = (rng.permutation(n) + rng.uniform(size=n)) / n
        if isinstance(r.low, str):
            match = _SPLIT.match(r.low)
            if match is None or not match["unit"]:
                raise CaseError(f"sweep.parameters.{k}.low: {r.low!r} is not a number with a unit")
            unit = match["unit"]  # the user's spelling of the unit is kept
            lo = float(match["number"])
            high = _SPLIT.match(r.high)
            try:
                if high is None or not high["unit"]:
                    raise ValueError
                _check_expression(r.low, unit)
                _check_expression(r.high, high["unit"])
                hi = ureg.Quantity(float(high["number"]), high["unit"]).to(unit).magnitude
            except Exception:
                raise CaseError(f"sweep.parameters.{k}.high: {r.high!r} is not in units of {unit!r}") from None
            if not lo < hi:
                raise CaseError(f"sweep.parameters.{k}: low must be below high")
            columns.append([f"{lo + x * (hi - lo):.6g} {unit}" for x in u])
        else:
            columns.append([float(f"{r.low + x * (r.high - r.low):.6g}") for x in u])
    return list(zip(*columns))


def check_cases(base: Path, spec: SweepSpec, cases: list[SweepCase]) -> None:
    """Every case must be valid before anything runs (exit 2 names the case and field), and
    every response one the cases report."""
    for k, case in enumerate(cases):
        try:
            loaded = load_case(base, spec.set + case.overrides())
            kind_of(loaded).check_inputs(loaded, str(base))  # a flow's steps as far as known beforehand
        except CaseError as exc:
            raise CaseError(f"sweep {case.id} ({_describe(case)}): {exc}") from None
        if k == 0:  # the parameters change values, not which results a case reports
            check_names(kind_of(loaded).declared_results(loaded), list(spec.responses), "sweep.responses",
                        f"of {loaded.name} ({loaded.kind})")


def _describe(case: SweepCase) -> str:
    return ", ".join(f"{k} = {v}" for k, v in case.values.items())


# -- the output folder ----------------------------------------------------------------------------
def manifest(spec: SweepSpec, base: Path, cases: list[SweepCase], ranks: int) -> dict:
    return {"sweep": spec.name, "base": str(base), "method": spec.method, "ranks": ranks, "set": spec.set,
            "responses": list(spec.responses), "cases": [{"id": c.id, "values": c.values} for c in cases],
            "analysis": manifest_entry(spec.analysis, spec.parameters)}


def write_manifest(out: Path, data: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "cases").mkdir(exist_ok=True)
    (out / "logs").mkdir(exist_ok=True)
    atomic_write_json(out / "manifest.json", data)
    # staging folders of cases killed mid-run (their case reruns)
    for stale in (out / "cases").glob(".*.partial-*"):
        shutil.rmtree(stale, ignore_errors=True)


def read_manifest(out: Path) -> dict:
    return json.loads((Path(out) / "manifest.json").read_text())


def case_argv(data: dict, index: int, out: Path) -> list[str]:
    """The ``sprout`` arguments that run case ``index`` of the sweep into OUT/cases/<id>."""
    case = data["cases"][index]
    argv = ["run", data["base"], "-o", str(Path(out) / "cases" / case["id"])]
    for item in data["set"] + SweepCase(case["id"], case["values"]).overrides():
        argv += ["--set", item]
    return argv


def case_command(python: str, mpirun: str, data: dict, index: int, out: Path) -> list[str]:
    """The process that runs case ``index``, as isolated local runs and SLURM tasks start it."""
    cmd = [python, "-m", "solver", *case_argv(data, index, out)]
    if data["ranks"] > 1:
        cmd = [mpirun, "-n", str(data["ranks"]), *cmd]
    return cmd


def case_status(out: Path, case_id: str) -> str:
    """ok / failed / missing, from the case's summary.json (written last and atomically)."""
    path = Path(out) / "cases" / case_id / "summary.json"
    try:
        return json.loads(path.read_text()).get("status", "failed")
    except FileNotFoundError:
        return "missing"
    except (OSError, json.JSONDecodeError):
        return "failed"


def collect(out: Path) -> tuple[list[str], list[dict]]:
    """results.csv from every case's summary: id, status, the parameters (as given and in SI
    units), then every result; timings.csv: each case's seconds in its worker or process,
    in the run itself and in meshing and solving (kept apart, so that results.csv depends on
    the inputs only). Both written atomically. Returns the
    results' (header, rows)."""
    from meshes.units import ureg

    out = Path(out)
    data = read_manifest(out)
    rows, result_keys, timings = [], [], []
    for case in data["cases"]:
        row = {"case": case["id"]}
        path = out / "cases" / case["id"] / "summary.json"
        try:
            summary = json.loads(path.read_text())
        except FileNotFoundError:
            summary = {"status": "missing"}
        except (OSError, json.JSONDecodeError):
            summary = {"status": "failed"}
        row["status"] = summary.get("status", "failed")
        for k, v in case["values"].items():
            row[k] = v
            if isinstance(v, str):
                try:
                    q = ureg.Quantity(v).to_base_units()
                    row[f"{k} [{q.units:~}]"] = q.magnitude
                except Exception:  # a non-numeric string parameter has no SI value
                    pass
        for k, v in summary.get("results", {}).items():
            row[k] = v
            if k not in result_keys:
                result_keys.append(k)
        rows.append(row)
        try:
            process_s = json.loads((out / "logs" / f"{case['id']}.json").read_text())["process_s"]
        except (OSError, ValueError, KeyError):
            process_s = math.nan
        timings.append({"case": case["id"], "status": row["status"], "process_s": process_s,
                        "wall_s": summary.get("wall_s", math.nan), "solve_s": _solve_seconds(summary)})
    header = []
    for row in rows:
        for k in row:
            if k not in header and k not in result_keys:
                header.append(k)
    header += result_keys
    atomic_write_text(out / "results.csv", _csv(header, rows))
    atomic_write_text(out / "timings.csv", _csv(["case", "status", "process_s", "wall_s", "solve_s"], timings))
    return header, rows


def _csv(header: list[str], rows: list[dict]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=header, restval="", lineterminator="\n")
    w.writeheader()
    for row in rows:
        w.writerow({k: (repr(v) if isinstance(v, float) else v) for k, v in row.items()})
    return buf.getvalue()


def _solve_seconds(summary: dict) -> float:
    """Time spent meshing and solving, as the case reported it (the rest of its wall time is
    the per-case overhead: start-up, imports, form loading, files)."""
    solver = summary.get("solver", {})
    mesh = summary.get("mesh", {})
    parts = [solver.get(k) for k in ("assemble_s", "setup_s", "solve_s", "mesh_s")]
    parts.append(mesh.get("mesh_s") if isinstance(mesh, dict) else None)
    values = [p for p in parts if isinstance(p, (int, float))]
    return float(sum(values)) if values else math.nan


def response_plots(out: Path, header: list[str], rows: list[dict], responses: list[str]) -> bool:
    """responses.png: every response against every numeric parameter (finished cases)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = read_manifest(out)
    params = list(data["cases"][0]["values"]) if data["cases"] else []
    xs = []
    for p in params:
        si = [h for h in header if h.startswith(f"{p} [")]
        if si:
            xs.append((p, si[0]))
        elif all(isinstance(r.get(p), (int, float)) for r in rows):
            xs.append((p, p))
    ok = [r for r in rows if r["status"] == "ok"]
    responses = [r for r in responses if any(r in row for row in ok)]
    if not xs or not responses or not ok:
        return False
    fig, axes = plt.subplots(len(responses), len(xs), figsize=(4 * len(xs), 3 * len(responses)), squeeze=False)
    for i, resp in enumerate(responses):
        for j, (_, col) in enumerate(xs):
            ax = axes[i, j]
            ax.plot([r[col] for r in ok], [r.get(resp, math.nan) for r in ok], "o")
            ax.set_xlabel(col)
            ax.set_ylabel(resp)
            ax.grid(alpha=0.3)
    fig.suptitle(f"{data['sweep']}: {len(ok)} of {len(rows)} cases")
    fig.tight_layout()
    tmp = out / "responses.tmp.png"
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    tmp.replace(out / "responses.png")
    return True
