"""Every case file under cases/ is valid as shipped, and the small ones run and give their
headline number (scikit-fem's rule: every example runs as a test that asserts one number).

Where a closed form or a conservation law fixes the number, the test says so and uses its
tolerance. Otherwise the expected value is the one measured at b803757 (before the spine
refactor, `benchmarks/compare_cases.py`), kept to 1e-9 relative: these serial solves are
deterministic to round-off, so a larger change means the physics changed and must be
explained. The large cases run in `benchmarks/compare_cases.py` and in their own tests."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

import solver
from solver.workflow.driver import check
from solver.workflow.sweep import check_cases, expand, load_sweep

ROOT = Path(__file__).resolve().parents[2]
ALL = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "cases").rglob("*.toml"))

# case -> (result key, expected, relative tolerance, why)
HEADLINES = {
    # the value at b803757; a fresh install of the same pins gives 552.24227178 (7e-9): the
    # thin wafer's stiffness has a condition number ~1e8, so round-off in another build of
    # the direct solver moves the warpage by up to ~1e-8
    "cases/demo_wafer_cooldown.toml": ("warpage_um", 552.2422754561209, 5e-8, "b803757, round-off of a direct "
                                       "solve with condition number ~1e8"),
    "cases/etch/tapered_film_hole.toml": ("depth_um", 20.0, 1e-9,
                                          "reaction-limited: rate x time = 1 um/min x 20 min, exact front"),
    "cases/geometry/csp_axisymmetric.toml": ("tip_projection_um", 9.0, 1e-12, "the bump tip above the resin, "
                                             "from the geometry's own dimensions"),
    "cases/geometry/substrate_axisymmetric_etched.toml": ("undercut_um", 20.0, 1e-12,
                                                          "the etched concavity's given undercut"),
    "cases/plating/nernst_limiting_current.toml": ("current_over_limiting", 0.9987650201990332, 1e-9,
                                                   "b803757; within 0.2 % of the Nernst limit, as the cell "
                                                   "voltage is far past it"),
    "cases/plating/parallel_plates_bv.toml": ("mean_current_density_A_per_m2", 720.5224560405736, 1e-9,
                                              "b803757 (1D: the closed form is checked in tests/plating)"),
    "cases/plating/newman_disk.toml": ("current_A", 0.020273264905668293, 1e-9, "b803757"),
    "cases/plating/newman_disk_secondary.toml": ("uniformity", 0.15531048029181127, 1e-3,
                                                 "Newman's secondary series at J = 1.0000008 (800 terms); "
                                                 "measured 3.3e-4 below it, the rim's cells"),
    "cases/plating/concentric_cylinders.toml": ("current_A_per_m", 4.879953842193592, 1e-9, "b803757"),
    "cases/plating/wafer_terminal_effect.toml": ("centre_over_edge_current", 0.34573394386693734, 1e-9,
                                                 "b803757"),
    "cases/plating/csp_wiring_thickening.toml": ("thickness_mean_um", None, 1e-12,
                                                 "Faraday: mean thickness = deposited volume / cathode area"),
}


@pytest.mark.parametrize("rel", ALL)
def test_shipped_case_is_valid(rel):
    """`sprout check` accepts it: a case (a flow with each step's case), or a sweep with
    every one of its cases."""
    path = ROOT / rel
    raw = tomllib.loads(path.read_text())
    if "sweep" in raw:
        spec, base = load_sweep(path)
        check_cases(base, spec, expand(spec))
    else:
        assert check(path, []).startswith(f"ok: {raw['name']} ({raw['kind']}")


@pytest.mark.parametrize("rel", sorted(HEADLINES))
def test_small_shipped_case_runs_and_gives_its_headline(rel, tmp_path):
    key, expected, rtol, why = HEADLINES[rel]
    data = solver.run_case(ROOT / rel, tmp_path / "out")
    assert data["status"] == "ok"
    got = data["results"][key]
    if expected is None:  # a balance: mean thickness against volume over area
        r = data["results"]
        expected = r["deposited_volume_um3"] / r["cathode_area_um2"]
    assert got == pytest.approx(expected, rel=rtol), why
    assert (tmp_path / "out" / "summary.json").exists()
    # the run's page: its case, its headline as written in the summary, its pictures embedded
    page = (tmp_path / "out" / "report.html").read_text()
    assert f">{data['case']} <span class='status ok'>ok</span>" in page
    assert f"title='{key}'" in page and f"{got:.6g}" in page
    assert page.count("data:image/png;base64,") == len(list((tmp_path / "out").glob("*.png")))
