"""``sprout analyze OUT``: response surfaces, sensitivities and the optimum of a finished
sweep (issue 19). The numerics are checked against polynomials whose answers are known by
hand; the must-show test sweeps the bimetal strip and checks the surface against Timoshenko's
closed form and the ranking against the closed form's own variance contributions."""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path

import numpy as np
import pytest

from solver.core.case import CaseError
from solver.workflow.analyze import AnalysisSpec
from solver.workflow.surface import (
    Constraint,
    Surface,
    design_matrix,
    find_optimum,
    fit_surface,
    quadratic_terms,
    sobol_indices,
    term_name,
)

ROOT = Path(__file__).resolve().parents[2]
BIMETAL = ROOT / "cases" / "validation" / "bimetal_strip.toml"


def jansen_sobol(f, p: int, n: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Monte Carlo first-order (Saltelli 2010) and total (Jansen 1999) indices of f on
    [-1, 1]^p: an estimate independent of the closed form."""
    a, b = rng.uniform(-1, 1, (n, p)), rng.uniform(-1, 1, (n, p))
    fa, fb = f(a), f(b)
    var = np.var(np.concatenate([fa, fb]))
    s1, st = np.zeros(p), np.zeros(p)
    for i in range(p):
        ab = a.copy()
        ab[:, i] = b[:, i]
        fab = f(ab)
        s1[i] = np.mean(fb * (fab - fa)) / var
        st[i] = 0.5 * np.mean((fa - fab) ** 2) / var
    return s1, st


def test_a_noise_free_quadratic_in_three_parameters_is_recovered_exactly():
    """A full quadratic (10 terms) sampled noise-free at 30 random points: the fit returns
    its coefficients, R^2 = 1 and a leave-one-out error of 0. Measured: coefficients to
    ~7e-16, LOO ~5e-16; the tolerance 1e-10 is round-off of a QR solve with condition
    number ~10 (scaled parameters), with margin."""
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, (30, 3))
    terms = quadratic_terms(3)
    beta = rng.normal(size=len(terms))
    fit = fit_surface(x, design_matrix(x, terms) @ beta)
    assert fit.surface.terms == terms and not fit.dropped
    assert np.max(np.abs(fit.surface.beta - beta)) < 1e-10
    assert fit.r2 == pytest.approx(1.0, abs=1e-12) and fit.loo_rms < 1e-10


def test_sobol_indices_of_a_known_polynomial_by_hand_and_by_monte_carlo():
    """y = a x1 + b x2 + c x1 x2, x uniform on [-1, 1]: V = a^2/3 + b^2/3 + c^2/9,
    S1 = (a^2/3)/V, ST1 = (a^2/3 + c^2/9)/V (exact to round-off: 1e-14). Then a full
    quadratic in 3 parameters (pure quadratics: Var[x^2] = 4/45) against a Monte Carlo
    Saltelli/Jansen estimate with 200k samples: the estimators' standard error is ~2e-3 for
    these indices, so 0.01 is five standard errors."""
    a, b, c = 1.0, 2.0, 3.0
    s1, st, var = sobol_indices(Surface([(), (0,), (1,), (0, 1)], np.array([5.0, a, b, c]), 2))
    v = a**2 / 3 + b**2 / 3 + c**2 / 9
    assert var == pytest.approx(v, rel=1e-14)
    assert s1 == pytest.approx([a**2 / 3 / v, b**2 / 3 / v], abs=1e-14)
    assert st == pytest.approx([(a**2 / 3 + c**2 / 9) / v, (b**2 / 3 + c**2 / 9) / v], abs=1e-14)

    rng = np.random.default_rng(3)
    terms = quadratic_terms(3)
    surface = Surface(terms, rng.normal(size=len(terms)), 3)
    s1, st, var = sobol_indices(surface)
    mc1, mct = jansen_sobol(surface, 3, 200_000, rng)
    assert np.max(np.abs(s1 - mc1)) < 0.01 and np.max(np.abs(st - mct)) < 0.01
    assert var == pytest.approx(np.var(surface(rng.uniform(-1, 1, (400_000, 3)))), rel=0.01)


def test_a_two_level_grid_drops_the_terms_it_cannot_identify():
    """A 2 x 2 grid has no curvature information and, with 4 cases, no residual left for an
    interaction: both pure quadratics and the interaction are dropped and said so; a
    2 x 2 x 3 grid keeps the third parameter's curvature and all interactions."""
    grid = np.array(list(itertools.product([-1.0, 1.0], [-1.0, 1.0])))
    fit = fit_surface(grid, 1 + grid[:, 0] - 2 * grid[:, 1])
    names = ["a", "b"]
    assert [term_name(t, names) for t, _ in fit.dropped] == ["a^2", "b^2", "a*b"]
    assert fit.surface.terms == [(), (0,), (1,)] and all(why for _, why in fit.dropped)
    grid3 = np.array(list(itertools.product([-1.0, 1.0], [-1.0, 1.0], [-1.0, 0.0, 1.0])))
    fit3 = fit_surface(grid3, grid3[:, 2] ** 2)
    assert [term_name(t, list("abc")) for t, _ in fit3.dropped] == ["a^2", "b^2"]
    assert fit3.surface.coefficient((2, 2)) == pytest.approx(1.0, abs=1e-12)


def _quadratic():
    """y = (x1 - 0.3)^2 + 2 (x2 + 0.5)^2 and g = x1 + x2 as surfaces."""
    y = Surface([(), (0,), (1,), (0, 0), (1, 1)], np.array([0.09 + 0.5, -0.6, 2.0, 1.0, 2.0]), 2)
    g = Surface([(), (0,), (1,)], np.array([0.0, 1.0, 1.0]), 2)
    return {"y": y, "g": g}


def test_the_optimum_of_a_known_quadratic_with_and_without_a_constraint():
    """Unconstrained: the minimum of y is at (0.3, -0.5). With g = x1 + x2 >= 0.5, Lagrange
    gives x1 = 0.3 + 7/15, x2 = -0.5 + 7/30 and the constraint active. Maximising y puts
    the design on the corner (-1, 1). SLSQP converges to ~1e-9 here; 1e-6 leaves room for its
    stopping rule."""
    s = _quadratic()
    free = find_optimum(s, ("y", 1.0), [], 2)
    assert free.feasible and free.x == pytest.approx([0.3, -0.5], abs=1e-6) and free.objective == pytest.approx(0)
    tied = find_optimum(s, ("y", 1.0), [Constraint("g", ">=", 0.5)], 2, scales=[1.0])
    assert tied.feasible and tied.x == pytest.approx([0.3 + 7 / 15, -0.5 + 7 / 30], abs=1e-6)
    assert s["g"](tied.x)[0] == pytest.approx(0.5, abs=1e-8)
    corner = find_optimum(s, ("y", -1.0), [], 2)
    assert corner.x == pytest.approx([-1.0, 1.0])


def test_no_feasible_design_is_reported_as_such():
    """g = x1 + x2 <= 2 at most on the box: requiring g >= 2.5 has no solution; the result
    says so (feasible False) with the least violating design, the corner (1, 1)."""
    best = find_optimum(_quadratic(), ("y", 1.0), [Constraint("g", ">=", 2.5)], 2, scales=[1.0])
    assert not best.feasible and best.violation == pytest.approx(0.5, abs=1e-6)
    assert best.x == pytest.approx([1.0, 1.0], abs=1e-6)


@pytest.mark.parametrize("bad, words", [
    ({"minimize": "a_MPa", "maximize": "b_MPa"}, "maximize: give minimize or maximize, not both"),
    ({"minimize": "a_MPa", "require": ["b_um < 3"]}, "require[0]: 'b_um < 3' is not"),
    ({"minimize": "a_MPa", "require": ["b_um <= 3 um"]}, "require[0]: 'b_um <= 3 um': the bound '3 um'"),
    ({"require": ["b_um <= 3"]}, "need an objective"),
    ({"minimise": "a_MPa"}, "minimise"),
])
def test_a_bad_analysis_table_is_refused(bad, words):
    with pytest.raises(ValueError, match=words.replace("[", r"\[").replace("]", r"\]")):
        AnalysisSpec.model_validate(bad)


def _sweep_file(tmp_path, analysis: str) -> Path:
    """The must-show sweep; ``analysis`` is TOML after it (a top-level key goes first)."""
    top, analysis = (analysis, "") if not analysis.startswith("[") else ("", analysis)
    path = tmp_path / "sweep.toml"
    path.write_text(f'''{top}
[sweep]
name = "bimetal_analysis"
base = "{BIMETAL.as_posix()}"
set = ["output.fields=false", "output.picture=false"]
responses = ["curvature_1_per_m", "max_von_mises_MPa"]

[sweep.parameters]
"geometry.layers[1].thickness" = ["0.4 mm", "0.5 mm", "0.6 mm"]
"load.temperature" = ["5 degC", "25 degC", "45 degC"]

{analysis}
''')
    return path


@pytest.mark.parametrize("analysis, words", [
    ('[analysis]\nminimize = "warpage_mm"', "analysis.minimize: 'warpage_mm' is not a result"),
    ('[analysis]\nmaximize = "warpage_um"\nrequire = ["curvature <= 1"]', "analysis.require[0]: 'curvature'"),
    ('[analysis]\nminimize = "warpage_um"\nrequire = ["curvature_1_per_m <= big"]', "analysis.require[0]"),
    ('[analysis]\nminimize = "warpage_um"\nmaximize = "warpage_um"', "analysis.maximize"),
    ('analysis = 3', "analysis: must be a table"),
])
def test_the_sweep_file_refuses_a_bad_analysis_before_anything_runs(tmp_path, sprout, analysis, words):
    """One line naming the field, exit 2, nothing written (`sprout sweep` and `sprout check`)."""
    path = _sweep_file(tmp_path, analysis)
    from solver.workflow.sweep import load_sweep

    with pytest.raises(CaseError, match=words.replace("[", r"\[").replace("]", r"\]")):
        load_sweep(path)
    if "minimize = \"warpage_mm\"" not in analysis:
        return  # the command line once (a process start costs ~2 s)
    r = sprout("sweep", path, "-o", tmp_path / "out")
    assert r.returncode == 2 and words in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def fake_sweep(out: Path, analysis: dict | None, f, ok: int | None = None) -> Path:
    """A finished sweep's folder written by hand (no FE solve): a 3 x 3 grid over a length
    in mm and a temperature in degC, results from f(thickness_m, temperature_K)."""
    values = [{"t": f"{t} mm", "T": f"{T} degC", "mat": "Cu"} for t in (0.4, 0.5, 0.6) for T in (5, 25, 45)]
    cases = [{"id": f"case_{i:04d}", "values": v} for i, v in enumerate(values)]
    data = {"sweep": "fake", "base": str(BIMETAL), "method": "grid", "ranks": 1, "set": [], "responses": [],
            "cases": cases, "analysis": analysis}
    out.mkdir(parents=True)
    (out / "manifest.json").write_text(json.dumps(data))
    for i, (c, v) in enumerate(zip(cases, values)):
        folder = out / "cases" / c["id"]
        folder.mkdir(parents=True)
        t, T = float(v["t"].split()[0]) * 1e-3, float(v["T"].split()[0]) + 273.15
        status = "ok" if ok is None or i < ok else "failed"
        (folder / "summary.json").write_text(json.dumps({"status": status, "results": f(t, T)}))
    return out


def _responses(t, T):
    return {"stress_MPa": 50 + 1e5 * (t - 0.5e-3) + 0.5 * (T - 298.15) + 0.01 * (T - 298.15) ** 2,
            "bend_1_per_m": -2 - 2e3 * (t - 0.5e-3), "echo_degC": T - 273.15}


def test_analyze_on_a_finished_sweep_writes_its_files_and_text(tmp_path, sprout):
    """The CLI on a hand-made finished sweep: exit 0; analysis.json with its keys; the
    quadratic recovered (the data is an exact quadratic); the optimum (minimise the
    stress, bend >= -2.1, i.e. t <= 0.55 mm) at T = 298.15 - 25 K (0 degC) clipped to the box
    (5 degC) and t = 0.4 mm, written in the user's units; the pictures written."""
    spec = {"minimize": "stress_MPa", "maximize": None, "require": ["bend_1_per_m >= -2.1"], "verify": False}
    out = fake_sweep(tmp_path / "out", {"spec": spec, "bounds": {}}, _responses)
    r = sprout("analyze", out)
    assert r.returncode == 0, r.stderr
    data = json.loads((out / "analysis.json").read_text())
    assert set(data) >= {"sweep", "cases", "cases_ok", "parameters", "responses", "optimum", "left_out_parameters"}
    assert [p["name"] for p in data["parameters"]] == ["t", "T"] and data["parameters"][1]["unit"] == "degC"
    assert data["left_out_parameters"] == {"mat": "not a number with one unit in every case"}
    stress = data["responses"]["stress_MPa"]
    assert stress["unit"] == "MPa" and stress["r2"] == pytest.approx(1, abs=1e-12) and stress["loo_rms_error"] < 1e-9
    coef = {c["term"]: c for c in stress["coefficients"]}
    assert coef["T^2"]["coefficient"] == pytest.approx(0.01, rel=1e-9) and coef["T^2"]["per"] == "K*K"
    assert coef["t"]["coefficient"] == pytest.approx(1e5, rel=1e-9) and coef["t"]["per"] == "m"
    assert data["responses"]["bend_1_per_m"]["unit"] == "1/m"
    assert stress["ranking"][0] == "T"
    opt = data["optimum"]
    assert opt["feasible"] and opt["design"] == {"t": "0.4 mm", "T": "5 degC"}
    assert opt["at_bound"] == {"t": "low", "T": "low"}
    assert opt["predicted"]["stress_MPa"]["unit"] == "MPa"
    assert "optimum (minimize stress_MPa): t = 0.4 mm, T = 5 degC" in r.stdout
    assert "R^2 1.00000" in r.stdout
    for picture in ("tornado.png", "surfaces.png"):
        assert (out / picture).stat().st_size > 1000
    assert not list(out.glob("*.tmp.png"))


def test_an_active_constraint_and_no_feasible_design_on_a_finished_sweep(tmp_path):
    """Maximise the stress with bend >= -1.9, i.e. t <= 0.45 mm: the stress grows with t, so
    the optimum lies on that constraint (active), and with T at the top of the box (the
    quadratic 0.5 u + 0.01 u^2 is largest at u = +20 K); bend >= -1.5 cannot hold in the
    box: "no feasible design" in the file and the text."""
    from solver.workflow.analyze import analysis_text, analyze_sweep

    log = _Log()
    spec = {"minimize": None, "maximize": "stress_MPa", "require": ["bend_1_per_m >= -1.9"], "verify": False}
    out = fake_sweep(tmp_path / "a", {"spec": spec, "bounds": {}}, _responses)
    opt = analyze_sweep(out, log)["optimum"]
    assert opt["feasible"] and opt["design"] == {"t": "0.45 mm", "T": "45 degC"}
    assert [c["active"] for c in opt["constraints"]] == [True] and opt["at_bound"] == {"T": "high"}
    spec["require"] = ["bend_1_per_m >= -1.5"]
    spec["maximize"], spec["minimize"] = None, "stress_MPa"
    out = fake_sweep(tmp_path / "b", {"spec": spec, "bounds": {}}, _responses)
    result = analyze_sweep(out, log)
    assert not result["optimum"]["feasible"] and "no feasible design" in result["optimum"]["message"]
    assert "NO FEASIBLE DESIGN" in analysis_text(result)


class _Log:
    def __init__(self):
        self.lines = []

    def info(self, msg, *args):
        self.lines.append(msg % args)

    warning = info


def test_nothing_to_analyse_writes_nothing(tmp_path):
    """One ok case: None, the reason logged, no analysis.json."""
    from solver.workflow.analyze import analyze_sweep

    log = _Log()
    out = fake_sweep(tmp_path / "out", None, _responses, ok=1)
    assert analyze_sweep(out, log) is None and "1 ok case" in log.lines[0]
    assert not (out / "analysis.json").exists()


def test_analyze_on_a_folder_that_is_not_a_sweep_is_refused(tmp_path, sprout):
    r = sprout("analyze", tmp_path)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "not a sweep" in r.stderr


def _surface_at(entry: dict, params: list[dict], point: dict) -> float:
    """The surface from analysis.json's physical coefficients (in p - centre, SI)."""
    d = {p["name"]: point[p["name"]] - p["centre_si"] for p in params}
    total = 0.0
    for c in entry["coefficients"]:
        term = c["term"]
        if term == "1":
            v = 1.0
        elif term.endswith("^2"):
            v = d[term[:-2]] ** 2
        else:
            v = float(np.prod([d[n] for n in term.split("*")]))
        total += c["coefficient"] * v
    return total


@pytest.mark.slow
def test_the_bimetal_sweep_surface_reproduces_timoshenko(tmp_path, sprout):
    """Must-show: a 3 x 3 grid of the Si/Cu strip over the copper thickness (0.4 - 0.6 mm)
    and the temperature (5 - 45 degC, stress-free at 125 degC: dT = -120 .. -80 K), then
    `sprout analyze`. The curvature surface at five off-grid points against Timoshenko's
    closed form, tolerance = FE error + truncation error:
    - the FE error: the largest |FE - closed form| over the nine cases, measured 1.7e-9 1/m
      (8e-10 relative; the base case alone: 2.5e-10), asserted below 2e-6 1/m (1e-6 relative);
    - the truncation error of a quadratic: the same quadratic fitted to the closed form
      itself on the same grid, measured 4e-5 .. 2.3e-3 1/m at these points (up to 0.1 %:
      the curvature is linear in dT but rational in the thickness ratio).
    Measured surface error = the truncation error to ~1e-9, worst 9.7e-4 relative.
    The ranking: the closed form's Sobol total indices over the box (30 x 30 Gauss-Legendre)
    are temperature 0.82, thickness 0.18; the surface's agree to 0.01 (measured 0.824,
    0.178). The best design (minimise the von Mises peak with curvature >= -2 1/m) is run as
    a verifying case: its curvature is the closed form's at that design (FE error, 1e-6),
    and each prediction is within 5 leave-one-out errors of the computed value (measured
    0.0015 vs LOO 9e-4 1/m; 0.10 vs 0.19 MPa)."""
    from solver.core.materials import library_material
    from solver.mechanics.analytic import timoshenko_curvature

    si, cu = library_material("Si"), library_material("Cu")

    def closed_form(t2, T):
        return timoshenko_curvature(si.E, cu.E, 0.5e-3, t2, si.cte, cu.cte, T - 398.15)

    sweep = _sweep_file(tmp_path, '[analysis]\nminimize = "max_von_mises_MPa"\n'
                                  'require = ["curvature_1_per_m >= -2.0"]\nverify = true')
    out = tmp_path / "out"
    start = time.monotonic()
    r = sprout("sweep", sweep, "-o", out, "-j", "2", timeout=600)
    assert r.returncode == 0, r.stderr
    r = sprout("analyze", out, timeout=300)
    seconds = time.monotonic() - start
    assert r.returncode == 0, r.stderr
    data = json.loads((out / "analysis.json").read_text())
    params = data["parameters"]
    t_name, T_name = "geometry.layers[1].thickness", "load.temperature"
    assert [p["name"] for p in params] == [t_name, T_name] and params[1]["si_unit"] == "K"

    # the FE error over the nine cases
    fe_error = 0.0
    for case in json.loads((out / "manifest.json").read_text())["cases"]:
        got = json.loads((out / "cases" / case["id"] / "summary.json").read_text())["results"]
        t = float(case["values"][t_name].split()[0]) * 1e-3
        T = float(case["values"][T_name].split()[0]) + 273.15
        fe_error = max(fe_error, abs(got["curvature_1_per_m"] - closed_form(t, T)))
    assert fe_error < 1e-6 * 2.0

    # the closed form's own quadratic truncation error, fitted on the same grid
    grid = [(t, T) for t in (0.4e-3, 0.5e-3, 0.6e-3) for T in (278.15, 298.15, 318.15)]
    scale = lambda t, T: [(t - 0.5e-3) / 0.1e-3, (T - 298.15) / 20]  # noqa: E731
    cf_fit = fit_surface(np.array([scale(*g) for g in grid]), np.array([closed_form(*g) for g in grid]))
    points = [(0.45e-3, 288.15), (0.55e-3, 308.15), (0.43e-3, 313.15), (0.58e-3, 281.15), (0.5e-3, 300.0)]
    entry = data["responses"]["curvature_1_per_m"]
    worst = 0.0
    for t, T in points:
        truncation = abs(cf_fit.surface(scale(t, T))[0] - closed_form(t, T))
        surface = _surface_at(entry, params, {t_name: t, T_name: T})
        error = abs(surface - closed_form(t, T))
        assert error <= fe_error + truncation + 1e-9, (t, T, error, fe_error, truncation)
        worst = max(worst, error / abs(closed_form(t, T)))
    assert worst < 1.2e-3  # 9.7e-4 measured: the truncation error at (0.45 mm, 15 degC)
    assert entry["r2"] > 0.9999

    # the ranking, from the closed form's variance contributions over the box
    xg, wg = np.polynomial.legendre.leggauss(30)
    wg = wg / 2
    F = np.array([[closed_form(0.5e-3 + 0.1e-3 * a, 298.15 + 20 * b) for b in xg] for a in xg])
    F -= wg @ F @ wg
    V = wg @ F**2 @ wg
    true_total = {t_name: 1 - wg @ (wg @ F) ** 2 / V, T_name: 1 - wg @ (F @ wg) ** 2 / V}
    assert entry["ranking"] == [T_name, t_name] == sorted(true_total, key=true_total.get, reverse=True)
    for name, value in true_total.items():
        assert entry["sensitivity"][name]["sobol_total"] == pytest.approx(value, abs=0.01)

    # the optimum and its verifying run: the prediction within the surface's LOO error
    assert data["optimum"]["feasible"]
    ver = data["verify"]
    assert ver["status"] == "ok", ver
    design = data["optimum"]["design_si"]
    exact = closed_form(design[t_name]["value"], design[T_name]["value"])
    assert ver["responses"]["curvature_1_per_m"]["computed"] == pytest.approx(exact, rel=1e-6)
    for name, row in ver["responses"].items():
        loo = data["responses"][name]["loo_rms_error"]
        assert abs(row["error"]) <= 5 * loo + 1e-9 * abs(row["computed"]), (name, row, loo)
    assert (out / "tornado.png").exists() and (out / "surfaces.png").exists()
    assert "curvature_1_per_m: R^2" in r.stdout
    print(f"surface vs closed form: worst {worst:.2e} relative; FE error {fe_error:.2e} 1/m; {seconds:.1f} s")


def test_parameters_in_si_with_the_users_unit_and_the_sweeps_ranges_as_bounds():
    """Values become SI numbers (mm -> m, degC -> K) and come back in the user's unit; a
    parameter with one value or a non-numeric one stays out, saying why; a {low, high}
    range is the box when given (a Latin hypercube samples inside it), else the sampled
    min/max. Exact to round-off of the unit conversion (1e-12)."""
    from solver.workflow.analyze import numeric_parameters

    values = [{"t": "0.45 mm", "T": "10 degC", "n": 3, "k": 1.0, "mat": "Cu"},
              {"t": "0.55 mm", "T": "30 degC", "n": 4, "k": 1.0, "mat": "Au"}]
    params, left_out = numeric_parameters(values, {"t": {"low": "0.4 mm", "high": "0.6 mm"}})
    t, T, n = params
    assert (t.low, t.high, t.bounds_from) == (pytest.approx(0.4e-3), pytest.approx(0.6e-3), "range")
    assert (T.low, T.high, T.si_unit, T.bounds_from) == (pytest.approx(283.15), pytest.approx(303.15), "K", "sampled")
    assert t.value(0.5e-3) == "0.5 mm" and T.value(293.15) == "20 degC" and n.integer and n.value(3.4) == 3
    assert set(left_out) == {"k", "mat"} and left_out["k"] == "one value only"


def test_the_manifest_records_the_analysis_table(tmp_path):
    """`sprout analyze` reads OUT only: the shipped design sweep's table reaches the manifest."""
    from solver.workflow.sweep import expand, load_sweep, manifest

    spec, base = load_sweep(ROOT / "cases" / "sweeps" / "bimetal_design.toml")
    entry = manifest(spec, base, expand(spec), 1)["analysis"]
    assert entry["spec"]["minimize"] == "max_von_mises_MPa" and entry["spec"]["verify"] is True
    assert entry["bounds"] == {}
    plain = load_sweep(ROOT / "cases" / "sweeps" / "bimetal_grid.toml")[0]
    assert manifest(plain, base, expand(plain), 1)["analysis"] is None
