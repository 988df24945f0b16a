"""``sprout analyze OUT``: the design questions a finished sweep answers.

From the ok cases of a sweep (OUT/manifest.json and each case's summary.json) it fits, per
response, a quadratic response surface in the numeric parameters that vary, says how good
the fit is (R^2, adjusted R^2, the leave-one-out error), how much each parameter matters
(standardised coefficients and Sobol indices of the surface) and, when the sweep file has an
``[analysis]`` table, the best design inside the parameter box::

    [analysis]
    minimize = "max_von_mises_MPa"              # or maximize = "..."
    require = ["curvature_1_per_m >= -2.5"]     # the number in the response's own units
    verify = true                               # run the best design as one more case

Writes OUT/analysis.json, OUT/tornado.png and OUT/surfaces.png.

The surfaces live in scaled parameters x = (p - centre) / half_width, uniform on [-1, 1]
over the box (the sampled range, or the sweep's ``{low, high}`` ranges); numbers in a
response's units carry a ``unit`` field (the unit its name ends in) and coefficients a
``per`` field (the SI unit of the parameters of their term), so analysis.json follows the
rule that every number says its unit.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from solver.core.case import CaseError, format_validation_error
from solver.core.output import atomic_write_json
from solver.core.result_names import check_fields
from solver.workflow.analysis_plots import surface_plots, tornado_plot
from solver.workflow.surface import (
    Constraint,
    Surface,
    violations,
    find_optimum,
    fit_surface,
    sobol_indices,
    term_name,
)

# -- the [analysis] table -------------------------------------------------------------------------
_REQUIRE = re.compile(r"^\s*(?P<response>[A-Za-z_][\w.]*)\s*(?P<op><=|>=)\s*(?P<limit>\S.*?)\s*$")


def parse_require(text: str) -> Constraint:
    """``"max_von_mises_MPa <= 80"`` -> Constraint; ValueError saying what is wrong."""
    m = _REQUIRE.match(text)
    if m is None:
        raise ValueError(f"{text[:80]!r} is not 'response <= number' or 'response >= number'")
    try:
        limit = float(m["limit"])
    except ValueError:
        raise ValueError(f"{text[:80]!r}: the bound {m['limit'][:40]!r} is not a number (in the response's "
                         "own units, as its name says)") from None
    if not math.isfinite(limit):
        raise ValueError(f"{text[:80]!r}: the bound must be a finite number")
    return Constraint(m["response"], m["op"], limit)


class AnalysisSpec(BaseModel):
    """The sweep file's ``[analysis]`` table."""

    model_config = ConfigDict(extra="forbid")
    minimize: str | None = Field(None, min_length=1, max_length=200, description="the response to minimise")
    maximize: str | None = Field(None, min_length=1, max_length=200, description="the response to maximise")
    require: list[str] = Field(default_factory=list, max_length=100,
                               description="constraints 'response <= number' / 'response >= number'")
    verify: bool = Field(False, description="run the best design as one extra case, OUT/verify")

    @model_validator(mode="after")
    def _consistent(self):
        if self.minimize is not None and self.maximize is not None:
            raise ValueError("maximize: give minimize or maximize, not both")
        for i, text in enumerate(self.require):
            try:
                parse_require(text)
            except ValueError as exc:
                raise ValueError(f"require[{i}]: {exc}") from None
        if self.objective() is None and (self.require or self.verify):
            raise ValueError("require: constraints and verify need an objective: minimize or maximize")
        return self

    def objective(self) -> tuple[str, float] | None:
        """(response, sign): the surface minimised is sign * response."""
        if self.minimize is not None:
            return self.minimize, 1.0
        if self.maximize is not None:
            return self.maximize, -1.0
        return None

    def constraints(self) -> list[Constraint]:
        return [parse_require(t) for t in self.require]

    def named(self) -> list[tuple[str, str]]:
        """(field, response) for every response the table names."""
        out = [(k, v) for k, v in (("minimize", self.minimize), ("maximize", self.maximize)) if v is not None]
        return out + [(f"require[{i}]", c.response) for i, c in enumerate(self.constraints())]


def check_analysis_names(spec: AnalysisSpec, declared, what: str) -> None:
    """CaseError naming the field whose response the base case does not report (the names
    a kind declares, as a sweep's ``responses`` are checked)."""
    check_fields(declared, [(f"analysis.{where}", name) for where, name in spec.named()], what)


def manifest_entry(analysis: AnalysisSpec | None, parameters: dict) -> dict | None:
    """What OUT/manifest.json records for ``sprout analyze``: the table and the sweep's
    ``{low, high}`` ranges (the box the surfaces and the optimum live in)."""
    bounds = {k: {"low": v.low, "high": v.high} for k, v in parameters.items() if hasattr(v, "low")}
    if analysis is None and not bounds:
        return None
    return {"spec": analysis.model_dump() if analysis else None, "bounds": bounds}


# -- parameters -----------------------------------------------------------------------------------
@dataclass
class Parameter:
    """A numeric parameter that varies: its values in SI, the unit the user wrote it in."""

    name: str
    unit: str  # the user's unit ("" for a plain number)
    si_unit: str
    values: np.ndarray  # SI, one per ok case
    low: float  # SI bounds of the box
    high: float
    bounds_from: str = "sampled"
    integer: bool = False

    @property
    def centre(self) -> float:
        return 0.5 * (self.low + self.high)

    @property
    def half_width(self) -> float:
        return 0.5 * (self.high - self.low)

    def scaled(self, si) -> np.ndarray:
        return (np.asarray(si, dtype=float) - self.centre) / self.half_width

    def si(self, x) -> np.ndarray:
        return self.centre + self.half_width * np.asarray(x, dtype=float)

    def in_user_unit(self, si: float) -> float:
        return float(self.in_user_units(np.array([si]))[0])

    def in_user_units(self, si) -> np.ndarray:
        """Many SI values in the user's unit at once (one unit conversion, not one per value:
        a picture's curves convert thousands)."""
        si = np.asarray(si, dtype=float)
        if not self.unit:
            return si
        from meshes.units import ureg

        return np.asarray(ureg.Quantity(si, self.si_unit).to(self.unit).magnitude, dtype=float)

    def value(self, si: float):
        """The value as the user writes it: ``"0.45 mm"``, or a plain number."""
        v = self.in_user_unit(si)
        if self.integer:
            return int(round(v))
        return f"{v:.6g} {self.unit}" if self.unit else float(f"{v:.6g}")


def to_si(value) -> tuple[float, str, str] | None:
    """(SI magnitude, SI unit, the user's unit) of a parameter value; None if not a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return (float(value), "", "") if math.isfinite(value) else None
    if not isinstance(value, str):
        return None
    from meshes.units import _SPLIT, ureg

    m = _SPLIT.match(value)
    if m is None or len(value) > 100:
        return None
    try:
        q = ureg.Quantity(value).to_base_units()
    except Exception:  # a material name, a malformed unit: not a numeric parameter
        return None
    return float(q.magnitude), f"{q.units:~}", m["unit"]


def numeric_parameters(case_values: list[dict], ranges: dict | None = None) -> tuple[list[Parameter], dict]:
    """The parameters that take part (numeric, more than one distinct value over the ok
    cases) and why the others do not ({name: reason})."""
    ranges = ranges or {}
    params, left_out = [], {}
    for name in case_values[0] if case_values else []:
        read = [to_si(c.get(name)) for c in case_values]
        if any(r is None for r in read) or len({r[1] for r in read}) > 1:
            left_out[name] = "not a number with one unit in every case"
            continue
        si = np.array([r[0] for r in read])
        if len(np.unique(si)) < 2:
            left_out[name] = "one value only"
            continue
        low, high, source = float(si.min()), float(si.max()), "sampled"
        if name in ranges:
            lo, hi = to_si(ranges[name]["low"]), to_si(ranges[name]["high"])
            if lo is not None and hi is not None and lo[1] == hi[1] == read[0][1] and lo[0] < hi[0]:
                low, high, source = min(lo[0], low), max(hi[0], high), "range"
        integer = all(isinstance(c.get(name), int) and not isinstance(c.get(name), bool) for c in case_values)
        params.append(Parameter(name, read[0][2], read[0][1], si, low, high, source, integer))
    return params, left_out


# -- sensitivities in the sweep's own terms ------------------------------------------------------
def standardised_coefficients(surface: Surface, params: list[Parameter], y: np.ndarray) -> np.ndarray:
    """The slope at the box centre times the parameter's sample std over the response's:
    the response's change in its own standard deviations per standard deviation of the
    parameter."""
    sy = float(np.std(y, ddof=1)) if len(y) > 1 else 0.0
    if sy == 0:
        return np.zeros(len(params))
    return np.array([surface.coefficient((i,)) / p.half_width * np.std(p.values, ddof=1) / sy
                     for i, p in enumerate(params)])


# -- reading the sweep ----------------------------------------------------------------------------
def unit_of(response: str) -> str:
    """The unit a result's name ends in (``max_von_mises_MPa`` -> MPa, ``curvature_1_per_m``
    -> 1/m); "1" when it names none."""
    from meshes.units import ureg

    words = response.rsplit(".", 1)[-1].split("_")
    for k in (3, 2, 1):
        if len(words) <= k:
            continue
        text = "_".join(words[-k:]).replace("_per_", "/")
        if "_" in text or not re.fullmatch(r"[\w/]+", text):
            continue
        try:
            ureg.Unit(text)
        except Exception:
            continue
        return text
    return "1"


def read_sweep(out: Path) -> tuple[dict, list[dict], list[dict]]:
    """(manifest, ok cases' values, ok cases' results); CaseError if OUT is not a sweep."""
    try:
        data = json.loads((Path(out) / "manifest.json").read_text())
        cases = data["cases"]
    except (OSError, ValueError, KeyError, TypeError):
        raise CaseError(f"OUT {out}: not a sweep's output folder (no readable manifest.json)") from None
    values, results = [], []
    for case in cases:
        try:
            summary = json.loads((Path(out) / "cases" / case["id"] / "summary.json").read_text())
        except (OSError, ValueError):
            continue
        if summary.get("status") == "ok":
            values.append(case["values"])
            results.append(summary.get("results", {}))
    return data, values, results


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def pick_responses(data: dict, results: list[dict], spec: AnalysisSpec | None,
                   default: list[str] | None = None) -> list[str]:
    """The sweep's responses (else ``default``: what the sweep plotted) and those the
    [analysis] table names; without any, every numeric result all ok cases report that
    varies."""
    named = list(data.get("responses") or default or [])
    for _, r in spec.named() if spec else []:
        if r not in named:
            named.append(r)
    if named:
        return named
    keys = [k for k in results[0] if all(_number(r.get(k)) for r in results)]
    return [k for k in keys if len({r[k] for r in results}) > 1]


# -- the analysis ---------------------------------------------------------------------------------
def analyse(params: list[Parameter], results: list[dict], responses: list[str],
            spec: AnalysisSpec | None) -> tuple[dict, dict[str, Surface]]:
    """The numbers of analysis.json (no files, no runs), and the fitted surfaces."""
    names = [p.name for p in params]
    x = np.column_stack([p.scaled(p.values) for p in params])
    report, surfaces, spread = {}, {}, {}
    for resp in responses:
        rows = [i for i, r in enumerate(results) if _number(r.get(resp))]
        entry = {"unit": unit_of(resp), "cases": len(rows)}
        if len(rows) < len(params) + 1:
            entry["not_fitted"] = f"{len(rows)} cases report it; a surface in {len(params)} parameters needs " \
                                  f"at least {len(params) + 1}"
            report[resp] = entry
            continue
        y = np.array([results[i][resp] for i in rows], dtype=float)
        fit = fit_surface(x[rows], y)
        if len(fit.surface.terms) < len(params) + 1:
            entry["not_fitted"] = "the design cannot identify a linear surface"
            report[resp] = entry
            continue
        surfaces[resp] = fit.surface
        spread[resp] = float(np.ptp(y))
        s1, st, var = sobol_indices(fit.surface)
        std = standardised_coefficients(fit.surface, [p for p in params], y)
        entry.update({
            "r2": fit.r2, "r2_adjusted": fit.r2_adjusted, "loo_rms_error": fit.loo_rms,
            "residual_rms": fit.residual_rms, "min": float(y.min()), "max": float(y.max()),
            "terms": [term_name(t, names) for t in fit.surface.terms],
            "dropped_terms": [{"term": term_name(t, names), "why": why} for t, why in fit.dropped],
            "coefficients": [_coefficient(t, b, params) for t, b in zip(fit.surface.terms, fit.surface.beta)],
            "surface_std": math.sqrt(var),
            "sensitivity": {p.name: {"standardised": float(std[i]), "sobol_first": float(s1[i]),
                                     "sobol_total": float(st[i])} for i, p in enumerate(params)},
            "ranking": [names[i] for i in np.argsort(-st, kind="stable")],
        })
        if fit.loo_rms is None:
            entry["note"] = "as many terms as cases reach: no leave-one-out error"
        report[resp] = entry
    result = {"responses": report}
    if spec is not None and spec.objective() is not None:
        result["optimum"] = optimum_entry(params, surfaces, spread, spec)
    return result, surfaces


def _coefficient(term, beta, params) -> dict:
    """A coefficient of the surface in (p - centre), SI units: the scaled one over the
    half-widths of its term's parameters."""
    scale = float(np.prod([params[i].half_width for i in term])) if term else 1.0
    per = "*".join(params[i].si_unit or "1" for i in term)
    return {"term": term_name(term, [p.name for p in params]), "coefficient": float(beta) / scale,
            "per": per or "1", "scaled": float(beta)}


WRITTEN = 1e-4  # a constraint holds / is active within this part of its scale (the sweep's spread)


def optimum_entry(params: list[Parameter], surfaces: dict, spread: dict, spec: AnalysisSpec) -> dict:
    name, sign = spec.objective()
    constraints = spec.constraints()
    entry = {"objective": f"{'minimize' if sign > 0 else 'maximize'} {name}", "require": list(spec.require)}
    missing = [r for r in [name] + [c.response for c in constraints] if r not in surfaces]
    if missing:
        entry.update(feasible=False, message=f"no surface for {missing[0]} (see its entry): no optimum")
        return entry
    scales = [max(spread.get(c.response, 0.0), abs(c.limit) * 1e-3, 1e-300) for c in constraints]
    best = find_optimum(surfaces, (name, sign), constraints, len(params), scales)
    x = best.x.copy()
    rounded = [i for i, p in enumerate(params) if p.integer]
    for i in rounded:  # an integer parameter (a count) takes the nearest whole value
        x[i] = params[i].scaled(round(float(params[i].si(x[i]))))
    # the design as it is written (6 digits) is the one predicted, reported and verified
    x = np.array([p.scaled(_written_si(p, float(p.si(x[i])))) for i, p in enumerate(params)])
    predicted = {r: float(s(x)[0]) for r, s in surfaces.items()}
    # written to 6 digits, an active constraint may miss by ~1e-6 of its scale
    feasible = best.feasible and all(v <= WRITTEN for v in violations(x, constraints, surfaces, scales)[:, 0])
    entry.update({
        "feasible": bool(feasible),
        "design": {p.name: p.value(float(p.si(x[i]))) for i, p in enumerate(params)},
        "design_si": {p.name: {"value": float(p.si(x[i])), "unit": p.si_unit or "1"} for i, p in enumerate(params)},
        "at_bound": {p.name: ("low" if x[i] <= -1 + 1e-6 else "high") for i, p in enumerate(params)
                     if abs(x[i]) >= 1 - 1e-6},
        "predicted": {r: {"value": v, "unit": unit_of(r)} for r, v in predicted.items()},
        "constraints": [{"require": c.text(), "predicted": predicted[c.response],
                         "active": bool(abs(predicted[c.response] - c.limit) <= WRITTEN * s),
                         "holds": bool(violations(x, [c], surfaces, [s])[0, 0] <= WRITTEN)}
                        for c, s in zip(constraints, scales)],
    })
    if rounded:
        entry["rounded"] = [params[i].name for i in rounded]
    if not feasible:
        entry["message"] = "no feasible design on the surfaces; the design shown violates the constraints least"
    return entry


def _written_si(p: Parameter, si: float) -> float:
    read = to_si(p.value(si))
    return read[0] if read is not None else si


# -- the extra case -------------------------------------------------------------------------------
def verify_design(out: Path, data: dict, values: dict, responses: dict, log) -> dict:
    """Run the best design as one more case, OUT/verify (the base, the sweep's ``set`` and
    the design's values, as a sweep case's argv is built), and set its results beside the
    predictions."""
    from solver.workflow.sweep import SweepCase

    folder = Path(out) / "verify"
    argv = ["run", data["base"], "-o", str(folder)]
    for item in list(data.get("set", [])) + SweepCase("verify", values).overrides():
        argv += ["--set", item]
    log.info("analysis: verifying the best design -> %s", folder)
    proc = subprocess.run([sys.executable, "-m", "solver", *argv], capture_output=True, text=True)
    entry = {"out": str(folder), "exit_code": proc.returncode, "argv": argv[1:]}
    try:
        summary = json.loads((folder / "summary.json").read_text())
    except (OSError, ValueError):
        summary = {}
    entry["status"] = summary.get("status", "failed")
    if entry["status"] != "ok":
        entry["reason"] = " ".join((summary.get("error") or proc.stderr or "no summary").split())[:300]
        return entry
    computed = summary.get("results", {})
    entry["responses"] = {}
    for r, pred in responses.items():
        got = computed.get(r)
        row = {"predicted": pred["value"], "computed": got, "unit": pred["unit"]}
        if _number(got):
            row["error"] = pred["value"] - got
        entry["responses"][r] = row
    return entry


# -- the public function --------------------------------------------------------------------------
def analyze_sweep(out: Path, log, verify: bool | None = None, responses: list[str] | None = None) -> dict | None:
    """Analyse the finished sweep in OUT, write analysis.json, tornado.png and surfaces.png;
    None (nothing written, the reason logged) when there is nothing to analyse. ``verify``
    overrides the [analysis] table's; ``responses`` are analysed when the sweep names none
    (the base kind's key results it plots). CaseError when OUT is not a sweep's folder."""
    out = Path(out)
    data, values, results = read_sweep(out)
    entry = data.get("analysis") or {}
    try:
        spec = AnalysisSpec.model_validate(entry["spec"]) if entry.get("spec") else None
    except ValidationError as exc:  # a manifest edited by hand
        raise CaseError(f"OUT {out}: manifest.json: analysis.{format_validation_error(exc, entry['spec'])}") from None
    if len(values) < 2:
        log.info("analysis: %d ok case(s); a surface needs at least 2", len(values))
        return None
    params, left_out = numeric_parameters(values, entry.get("bounds"))
    if not params:
        log.info("analysis: no numeric parameter takes more than one value over the ok cases")
        return None
    responses = pick_responses(data, results, spec, responses)
    if not responses:
        log.info("analysis: no numeric response varies over the ok cases")
        return None
    result = {
        "sweep": data.get("sweep"), "cases": len(data["cases"]), "cases_ok": len(values),
        "parameters": [{"name": p.name, "unit": p.unit or "1", "si_unit": p.si_unit or "1",
                        "low": p.in_user_unit(p.low), "high": p.in_user_unit(p.high),
                        "centre_si": p.centre, "half_width_si": p.half_width, "bounds_from": p.bounds_from,
                        "levels": int(len(np.unique(p.values)))} for p in params],
        "left_out_parameters": left_out,
    }
    numbers, surfaces = analyse(params, results, responses, spec)
    result.update(numbers)
    varied_text = [k for k, why in left_out.items() if why.startswith("not a number")
                   and len({json.dumps(v.get(k)) for v in values}) > 1]
    if varied_text:
        result["warning"] = f"{varied_text[0]} varies but is not a number: the surfaces average over it"
    opt = result.get("optimum")
    if opt is not None and "design" in opt and (spec.verify if verify is None else verify):
        design = dict(values[0])
        design.update(opt["design"])
        result["verify"] = verify_design(out, data, design, opt["predicted"], log)
    atomic_write_json(out / "analysis.json", result)
    tornado_plot(out / "tornado.png", result)
    surface_plots(out / "surfaces.png", result, surfaces, params, results)
    return result


def analysis_text(result: dict) -> str:
    """Per response: R^2, the leave-one-out error, the parameters ranked; then the optimum."""
    lines = [f"{result['sweep']}: {result['cases_ok']} of {result['cases']} cases, "
             + ", ".join(f"{p['name']} {_g(p['low'])} .. {_g(p['high'])} {p['unit'] if p['unit'] != '1' else ''}"
                         .rstrip() for p in result["parameters"])]
    for name, r in result["responses"].items():
        if "not_fitted" in r:
            lines.append(f"  {name}: not fitted ({r['not_fitted']})")
            continue
        unit = "" if r["unit"] == "1" else f" {r['unit']}"
        loo = f"{r['loo_rms_error']:.3g}{unit}" if r["loo_rms_error"] is not None else "n/a"
        r2 = f"{r['r2']:.5f}" if r["r2"] is not None else "n/a (constant)"
        rank = " > ".join(f"{p} {r['sensitivity'][p]['sobol_total']:.2f}" for p in r["ranking"])
        lines.append(f"  {name}: R^2 {r2}, leave-one-out error {loo}; Sobol total: {rank}")
        if r["dropped_terms"]:
            lines.append(f"    dropped: {', '.join(d['term'] for d in r['dropped_terms'])}")
    opt = result.get("optimum")
    if opt is not None:
        if "design" not in opt:
            lines.append(f"  optimum ({opt['objective']}): {opt['message']}")
        else:
            design = ", ".join(f"{k} = {v}" for k, v in opt["design"].items())
            name = opt["objective"].split()[1]
            pred = opt["predicted"][name]
            head = "optimum" if opt["feasible"] else "NO FEASIBLE DESIGN on the surfaces; least violating"
            lines.append(f"  {head} ({opt['objective']}): {design} -> {name} {pred['value']:.6g} predicted")
            for c in opt["constraints"]:
                lines.append(f"    {c['require']}: {c['predicted']:.6g} predicted, "
                             f"{'active' if c['active'] else 'holds' if c['holds'] else 'VIOLATED'}")
    ver = result.get("verify")
    if ver is not None:
        if ver["status"] != "ok":
            lines.append(f"  verify: {ver['status']} ({ver.get('reason', '')})")
        else:
            lines.append("  verify: " + "; ".join(f"{k} {v['predicted']:.6g} predicted, {v['computed']:.6g} computed"
                                                  for k, v in ver["responses"].items() if _number(v["computed"])))
    return "\n".join(lines)


def _g(v: float) -> str:
    return f"{v:.6g}"
