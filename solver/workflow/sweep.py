"""Parameter sweeps: expand a sweep file into cases, run them, collect ``results.csv``.

A sweep file is TOML with a ``[sweep]`` table::

    [sweep]
    name = "resin_thickness"
    base = "../csp_cooldown_diced.toml"      # relative to the sweep file
    method = "grid"                          # grid | list | factorial | one_at_a_time |
                                             # latin_hypercube | sobol | halton (sampling.py)
    responses = ["warpage_um", "room_max_von_mises_resin_MPa"]   # plotted (optional)
    set = ["output.fields=false"]            # fixed overrides for every case (optional)

    [sweep.parameters]
    "geometry.resin_thickness" = ["30 um", "50 um", "70 um"]     # grid / list: values
    # latin_hypercube, sobol, halton: "etch.rate" = { low = "0.5 um/min", high = "2 um/min" },
    # with samples = 8 and seed = 1 in [sweep]; factorial, one_at_a_time: ranges with
    # levels = 3 (and nominal = "1 um/min"), or lists

Every case is the base case with ``--set key=value`` overrides; it runs as its own
``sprout run`` process (under ``mpirun -n k`` for k ranks) into ``OUT/cases/<id>/``, whose
``summary.json`` is written last and atomically: a case is complete exactly when its
summary says ``ok``, which is what ``--resume`` skips. ``OUT/results.csv`` is rebuilt from
the summaries (atomically) as cases finish (at most every 2 s) and when the sweep ends or
is stopped, so nothing is counted twice and an
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

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from solver.core.case import CaseError, CaseName, format_validation_error, read_input_toml
from solver.core.output import atomic_write_json, atomic_write_text
from solver.core.result_names import check_names
from solver.workflow.analyze import AnalysisSpec, check_analysis_names, manifest_entry
from solver.workflow.registry import kind_of, load_case
from solver.workflow.sampling import (
    LEVELLED,
    MAX_LEVELS,
    SEQUENCES,
    Range,
    batches,
    bounds,
    factorial,
    factorial_size,
    one_at_a_time,
    unit_points,
)
from solver.workflow.slurm import SlurmOptions


class SweepSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: CaseName
    base: str = Field(min_length=1, max_length=1024, description="the base case file, relative to the sweep file")
    method: Literal["grid", "list", "latin_hypercube", "sobol", "halton", "factorial", "one_at_a_time"] = "grid"
    parameters: dict[str, list[str | float | int | bool] | Range] = Field(min_length=1)
    samples: int | None = Field(None, ge=1, le=100000,
                                description="latin_hypercube, sobol, halton: number of cases")
    seed: int = Field(0, ge=0, le=2**63 - 1, description="latin_hypercube, sobol, halton: the random stream's seed")
    responses: list[str] = Field(default_factory=list, description="results to plot against the parameters")
    set: list[str] = Field(default_factory=list, description="overrides applied to every case")
    # the file's top-level [slurm] and [analysis] tables (load_sweep validates them apart
    # from [sweep], whose keys they are not)
    slurm: SlurmOptions = Field(default_factory=SlurmOptions, exclude=True)
    analysis: AnalysisSpec | None = Field(None, description="the file's own [analysis] table (set by load_sweep)")

    @field_validator("parameters", mode="before")
    @classmethod
    def _ranges_read_as_ranges(cls, value):
        """A table is a range: its own errors name its key (``parameters.x.hihg: unknown
        key``) instead of pydantic's report that it is neither a list nor a range."""
        if not isinstance(value, dict):
            return value
        read = {}
        for key, v in value.items():
            if isinstance(v, dict):
                try:
                    v = Range.model_validate(v)
                except ValidationError as exc:
                    raise ValueError(f"{key}.{format_validation_error(exc, v)}") from None
            elif not isinstance(v, list):
                raise ValueError(f"{key}: a list of values or a {{low, high}} range, not "
                                 f"{type(v).__name__} {str(v)[:40]!r}")
            read[key] = v
        return read

    @model_validator(mode="after")
    def _consistent(self):
        ranges = [k for k, v in self.parameters.items() if isinstance(v, Range)]
        lists = [k for k, v in self.parameters.items() if not isinstance(v, Range)]
        for k in ranges:
            r = self.parameters[k]
            bounds(k, r)  # units, order, nominal inside
            if r.levels is not None and not 2 <= r.levels <= MAX_LEVELS:
                raise ValueError(f"parameters.{k}.levels: must be 2 .. {MAX_LEVELS} (low and high at least), "
                                 f"not {r.levels}")
            if r.levels is not None and self.method not in LEVELLED:
                raise ValueError(f"parameters.{k}.levels: is for factorial and one_at_a_time, not {self.method}")
            if r.levels is None and self.method in LEVELLED:
                raise ValueError(f"parameters.{k}.levels: {self.method} needs the number of levels (2 or more) "
                                 "of a range")
            if r.nominal is not None and self.method != "one_at_a_time":
                raise ValueError(f"parameters.{k}.nominal: is for one_at_a_time, not {self.method}")
        if any(len(self.parameters[k]) == 0 for k in lists):
            raise ValueError("every parameter needs at least one value")
        if self.method in SEQUENCES:
            if lists:
                raise ValueError(f"parameters.{lists[0]}: {self.method} takes {{low, high}} ranges, not a list")
            if self.samples is None:
                raise ValueError(f"samples: {self.method} needs the number of samples")
        elif self.method in ("grid", "list"):
            if ranges:
                raise ValueError(f"parameters.{ranges[0]}: {self.method} takes lists of values, not a range "
                                 "(use method = 'factorial' with levels, or a sampling method)")
            if self.method == "list" and len({len(v) for v in self.parameters.values()}) > 1:
                raise ValueError("method = 'list' pairs the i-th values: all lists need the same length")
        return self


@dataclass
class SweepCase:
    id: str
    values: dict[str, str | float | int | bool]  # parameter -> value as given (with its unit)
    point: list[float] | None = None  # sampled designs: where the case sits in the unit cube
    batch: int = 0  # sampled designs: the batch that drew it (an extension adds one)

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
    extra = sorted(set(raw) - {"sweep", "slurm", "analysis"})
    if extra:
        raise CaseError(f"{path}: {extra[0]}: unknown key; a sweep file holds its [sweep] table and optional "
                        "[slurm] and [analysis] tables")
    for table in ("sweep", "slurm", "analysis"):
        if not isinstance(raw.get(table, {}), dict):
            raise CaseError(f"{path}: {table}: must be a table")
    for table in ("slurm", "analysis"):
        if table in raw["sweep"]:
            raise CaseError(f"{path}: sweep.{table}: unknown key; [{table}] is a top-level table")
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
        spec.slurm = SlurmOptions.model_validate(raw.get("slurm", {}))
    except ValidationError as exc:
        raise CaseError(f"{path}: slurm.{format_validation_error(exc, raw['slurm'])}") from None
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
    if spec.method == "factorial":
        return factorial_size(spec.parameters)
    if spec.method == "one_at_a_time":  # as long as its parameters' levels together: cheap to count by listing
        return len(one_at_a_time(spec.parameters))
    return spec.samples


def expand(spec: SweepSpec, max_cases: int = MAX_CASES, extends: dict | None = None) -> list[SweepCase]:
    """The sweep's cases. ``extends``: the ``sample`` record of the same sweep's manifest, which
    this one continues (a Latin hypercube with more samples adds a batch to the earlier ones
    instead of being a new design)."""
    count = size(spec)
    if count > max_cases:
        raise CaseError(f"sweep: {count:,} cases, more than the {max_cases:,} allowed; raise the limit with "
                        "--max-cases if that is meant")
    keys = list(spec.parameters)
    points, batch_of = None, [0] * count
    if spec.method == "grid":
        rows = list(itertools.product(*(spec.parameters[k] for k in keys)))
    elif spec.method == "list":
        rows = list(zip(*(spec.parameters[k] for k in keys)))
    elif spec.method == "factorial":
        rows = factorial(spec.parameters)
    elif spec.method == "one_at_a_time":
        rows = one_at_a_time(spec.parameters)
    else:
        drawn = _batches(spec, extends)
        points = unit_points(spec.method, len(keys), spec.seed, drawn)
        ranges = [bounds(k, spec.parameters[k]) for k in keys]
        rows = [tuple(r.at(x) for r, x in zip(ranges, p)) for p in points]
        batch_of = [b for b, d in enumerate(drawn) for _ in range(d["samples"])]
    width = _id_width(len(rows))
    return [SweepCase(f"case_{i:0{width}d}", dict(zip(keys, row)),
                      None if points is None else [round(float(x), 12) for x in points[i]], batch_of[i])
            for i, row in enumerate(rows)]


def _id_width(count: int) -> int:
    return max(4, len(str(count - 1)))


def _batches(spec: SweepSpec, extends: dict | None) -> list[dict]:
    """The batches of a sampled design: those of the sweep it extends (same method and seed,
    fewer samples) plus one for the samples added, else one."""
    earlier = None
    if extends and extends.get("method") == spec.method and extends.get("seed") == spec.seed:
        earlier = extends.get("batches")
        if not (isinstance(earlier, list) and all(isinstance(b, dict) and isinstance(b.get("samples"), int)
                                                  for b in earlier)):
            earlier = None  # not a record this sprout wrote: a fresh design (which --resume then refuses)
        done = sum(b["samples"] for b in earlier or [])
        if done < spec.samples and _id_width(done) != _id_width(spec.samples):
            raise CaseError(f"sweep.samples: extending {done} cases to {spec.samples} renumbers them "
                            f"(case_{0:0{_id_width(done)}d} becomes case_{0:0{_id_width(spec.samples)}d}); "
                            "run the larger sweep into a new OUT")
    return batches(spec.method, spec.samples, spec.seed, earlier)


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
            "responses": list(spec.responses), "sample": sample_record(spec, cases),
            "cases": [{"id": c.id, "values": c.values} for c in cases],
            "analysis": manifest_entry(spec.analysis, spec.parameters)}


def sample_record(spec: SweepSpec, cases: list[SweepCase]) -> dict:
    """How the cases were chosen, enough to draw them again: the method and case count;
    for the sampled methods the seed, the batches (size, seed, optimisation each) and
    each case's point of the unit cube (parameters in file order, 0 at low, 1 at high)."""
    record = {"method": spec.method, "samples": len(cases)}
    if spec.method in SEQUENCES:
        drawn, total = None, 0
        for _, group in itertools.groupby(c.batch for c in cases):  # the batches drawn again, in order
            total += sum(1 for _ in group)
            drawn = batches(spec.method, total, spec.seed, drawn)
        record |= {"seed": spec.seed, "batches": drawn, "points": [c.point for c in cases]}
    elif spec.method in LEVELLED:
        record["levels"] = {k: len(v) if isinstance(v, list) else v.levels for k, v in spec.parameters.items()}
    return record


def continues(old: dict, new: dict) -> bool:
    """Whether ``new`` continues the sweep of manifest ``old`` (what --resume accepts): the
    same base, set and cases, or those cases followed by more (its samples raised)."""
    same = all(old.get(k) == new.get(k) for k in ("base", "set"))
    done = old.get("cases")
    return same and isinstance(done, list) and new["cases"][:len(done)] == done


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


def case_command(python: str, mpirun: str, data: dict, index: int, out: Path,
                 srun_mpi: str | None = None) -> list[str]:
    """The process that runs case ``index``, as isolated local runs and SLURM tasks start it:
    on several ranks under ``mpirun``, or inside a SLURM job under ``srun --mpi=srun_mpi``
    (the job's own launcher, which places the ranks on the allocated cores)."""
    cmd = [python, "-m", "solver", *case_argv(data, index, out)]
    ranks = str(data["ranks"])
    if data["ranks"] > 1:
        cmd = ["srun", f"--mpi={srun_mpi}", "-n", ranks, *cmd] if srun_mpi else [mpirun, "-n", ranks, *cmd]
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
    in the run itself and in meshing, solving and results (kept apart, so that results.csv
    depends on the inputs only). Both written atomically. Returns the results' (header,
    rows)."""
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
    """Time spent meshing, solving and computing results, as the case reported it (the rest
    of its wall time is the per-case overhead: start-up, imports, validation, form loading,
    files)."""
    solver = summary.get("solver", {})
    mesh = summary.get("mesh", {})
    parts = [solver.get(k) for k in ("assemble_s", "setup_s", "solve_s", "mesh_s", "results_s")]
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


WARNING_PREFIX = "[sprout] warning: "


def collect_warnings(out: Path) -> tuple[int, int]:
    """OUT/warnings.txt: every case's warnings (its log's warning lines and its summary's
    ``warnings``, each once), a line ``<case id>: <warning>`` each; returns (warnings, cases
    with any). A user reads one file instead of N logs to learn that, say, every cold case
    left a CTE table's range."""
    out = Path(out)
    lines, cases = [], 0
    for case in read_manifest(out)["cases"]:
        found: dict[str, None] = {}
        try:
            with open(out / "logs" / f"{case['id']}.log", errors="replace") as fh:
                for line in fh:
                    if line.startswith(WARNING_PREFIX):
                        found[line[len(WARNING_PREFIX):].strip()] = None
        except OSError:
            pass
        try:
            summary = json.loads((out / "cases" / case["id"] / "summary.json").read_text())
            for w in summary.get("warnings", []) if isinstance(summary, dict) else []:
                found[" ".join(str(w).split())] = None
        except (OSError, ValueError):
            pass
        cases += bool(found)
        lines += [f"{case['id']}: {w}" for w in found if w]
    atomic_write_text(out / "warnings.txt", "".join(f"{line}\n" for line in lines))
    return len(lines), cases
