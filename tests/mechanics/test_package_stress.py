"""Thermo-mechanical stress in the package: load paths with temperature-dependent
properties, large deflection, interface tractions, the per-bump table, and the closed forms
on the package code path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from solver.mechanics.analytic import timoshenko_curvature
from solver.core.materials import library_material

CASES = Path(__file__).resolve().parents[2] / "cases"
GEOMETRY = {p.stem: p.read_text().split("[geometry]", 1)[1] for p in (CASES / "geometry").glob("*.toml")}
NO_FILES = ["--set", "output.fields=false", "--set", "output.picture=false"]


@pytest.fixture
def run(tmp_path, run_cli):
    """``run(text, *overrides, ranks=1, name="case")``: TEXT as TMP/NAME.toml, run into
    TMP/NAME without fields or picture; the summary."""

    def run(text: str, *overrides, ranks: int = 1, name: str = "case") -> dict:
        case = tmp_path / f"{name}.toml"
        case.write_text(text)
        return run_cli(case, tmp_path / name, *NO_FILES, *overrides, ranks=ranks)

    return run


# -- the closed forms on the package code path ------------------------------------------------
@pytest.mark.slow
def test_package_as_a_bilayer_matches_biaxial_timoshenko(run, relative):
    """The axisymmetric CSP widened to a 10 mm cell, pad made of Si and everything above the
    die of epoxy: a Si/epoxy bilayer with the package's small features on the axis. Its
    curvature is biaxial Timoshenko's up to the free-edge effect of the film-on-wafer case
    (O(h/R) when nu differs): measured 9.1e-4, and 3.9e-4 at twice the radius."""
    geo = GEOMETRY["csp_axisymmetric"].replace('pitch = "250 um"', 'pitch = "20 mm"').replace(
        'element_size = "20 um"', 'element_size = "40 um"').split("[geometry.solder_ball]")[0]
    data = run('''kind = "thermoelastic"
name = "csp_bilayer"
[model]
formulation = "axisymmetric"
degree = 2
[regions]
die = "Si"
pad = "Si"
bump = "epoxy_resin_sheet"
resin = "epoxy_resin_sheet"
wiring = "epoxy_resin_sheet"
resist = "epoxy_resin_sheet"
[load]
temperature = "25 degC"
stress_free_temperature = "125 degC"
[output]
curvature_fit_fraction = 0.5
[geometry]''' + geo)
    si, ep = library_material("Si"), library_material("epoxy_resin_sheet")
    k = timoshenko_curvature(si.biaxial_modulus, ep.biaxial_modulus, 300e-6, 80e-6, si.cte, ep.cte, -100.0)
    assert relative(data["results"]["curvature_1_per_m"], k) < 1.5e-3


@pytest.mark.slow
def test_temperature_dependent_properties_along_a_load_path(tmp_path, run, relative):
    """A bimetal strip whose top layer softens and expands faster with temperature, taken
    through three steps. Each step is the equilibrium at its temperature: Timoshenko's
    formula with the moduli at that temperature and the thermal strains integrated from
    the stress-free state (exact in the P2 interior: 1e-6). The stiffness is assembled once
    per distinct set of moduli, not once per step."""
    text = (CASES / "validation" / "bimetal_strip.toml").read_text().replace('''[validation]
benchmark = "timoshenko_bimetal"''', "")
    text = text.replace('''[load]
temperature = "25 degC"
stress_free_temperature = "125 degC"''', '''[materials.Cu]
E_table = [["-55 degC", "125 GPa"], ["150 degC", "100 GPa"]]
cte_table = [["-55 degC", "15 ppm/K"], ["150 degC", "18 ppm/K"]]

[load]
stress_free_temperature = "125 degC"
steps = [
  { name = "room", temperature = "25 degC" },
  { name = "cold", temperature = "-55 degC" },
  { name = "room_again", temperature = "25 degC" },
]''')
    data = run(text)
    si = library_material("Si")
    for step, T in (("room", 298.15), ("cold", 218.15), ("room_again", 298.15)):
        E_cu = np.interp(T, [218.15, 423.15], [125e9, 100e9])
        ts = np.linspace(T, 398.15, 2001)
        eps_cu = -np.trapezoid(np.interp(ts, [218.15, 423.15], [15e-6, 18e-6]), ts)
        # Timoshenko is linear in the strain mismatch: pass the two free thermal strains.
        k = timoshenko_curvature(si.E, E_cu, 0.5e-3, 0.5e-3, si.cte * (T - 398.15), eps_cu, 1.0)
        assert relative(data["results"][f"{step}_curvature_1_per_m"], k) < 1e-6, step
    assert data["results"]["room_curvature_1_per_m"] == pytest.approx(data["results"]["room_again_curvature_1_per_m"],
                                                                     rel=1e-12)
    assert data["solver"]["options"]["operator_assemblies"] == "3"  # moduli differ at 25 and -55 degC
    rows = (tmp_path / "case" / "steps.csv").read_text().splitlines()
    assert rows[0].startswith("index,step,temperature_degC") and len(rows) == 4


@pytest.mark.slow
def test_constant_moduli_assemble_the_stiffness_once(run):
    text = (CASES / "validation" / "lame_cylinder.toml").read_text().replace('''[validation]
benchmark = "lame_cylinder"''', "").replace('temperature = "25 degC"\n', 'steps = [{ name = "a", temperature = "25 '
                                                                       'degC" }, { name = "b", temperature = '
                                                                       '"-55 degC" }]\n')
    data = run(text)
    assert data["solver"]["options"]["operator_assemblies"] == "1"
    # Linear in the temperature change: -55 degC gives 1.8x the pressure of 25 degC.
    a, b = data["results"]["a_min_principal_core_MPa"], data["results"]["b_min_principal_core_MPa"]
    assert b / a == pytest.approx(180 / 100, rel=1e-9)


# -- large deflection ---------------------------------------------------------------------------
DEMO = (CASES / "demo_wafer_cooldown.toml").read_text()


@pytest.mark.slow
def test_large_deflection_reduces_to_linear_at_small_load(run, relative):
    """1 K below the cure temperature the wafer bows 4.4 um on 775 um: the nonlinear terms
    are of order (w/h)^2 = 3e-5 (measured 1.4e-5)."""
    lin = run(DEMO, "--set", "load.temperature=149 degC", name="lin")
    nl = run(DEMO, "--set", "load.temperature=149 degC", "--set", "model.geometric_nonlinearity=true", name="nl")
    assert relative(nl["results"]["warpage_um"], lin["results"]["warpage_um"]) < 1e-4
    assert nl["solver"]["method"].startswith("newton")


@pytest.mark.slow
def test_large_deflection_departs_where_linear_theory_fails(run):
    """At full cool-down the 200 mm wafer bows by 0.7 of its thickness: membrane stiffening
    takes 11 % off the linear warpage (490 vs 552 um). A wafer thinned to 100 um bows 37 mm
    in linear theory and 1.0 mm with large deflection."""
    lin = run(DEMO, name="lin")
    nl = run(DEMO, "--set", "model.geometric_nonlinearity=true", name="nl")
    ratio = nl["results"]["warpage_um"] / lin["results"]["warpage_um"]
    assert 0.85 < ratio < 0.93, ratio
    thin = ["--set", "geometry.layers[0].thickness=100 um", "--set", "geometry.layers[0].elements_through_thickness=3"]
    lin = run(DEMO, *thin, name="thin_lin")
    nl = run(DEMO, *thin, "--set", "model.geometric_nonlinearity=true", name="thin_nl")
    assert nl["results"]["warpage_um"] < 0.1 * lin["results"]["warpage_um"]
    assert int(nl["solver"]["options"]["increments"]) > 1


# -- interface stresses ------------------------------------------------------------------------
@pytest.mark.slow
def test_interface_traction_converges_at_second_order(run_cli, relative):
    """Lame's interface: the normal traction is -p everywhere, a smooth closed form. Its
    reported mean converges at order 2 with P2 on quadratic arcs (measured rates 1.5, 1.85,
    1.93 from h = a/5)."""
    import tempfile
    from pathlib import Path

    errs = []
    with tempfile.TemporaryDirectory() as tmp:
        for h in ("0.1 mm", "0.05 mm", "0.025 mm"):
            out = Path(tmp) / h.replace(" ", "")
            d = run_cli(CASES / "validation" / "lame_cylinder.toml", out, *NO_FILES, "--set",
                        f"geometry.element_size={h}")
            p = d["reference"]["interface_pressure_MPa"]
            errs.append(relative(d["results"]["interface_core_shell_mean_normal_MPa"], -p))
    rates = np.log2(np.array(errs[:-1]) / np.array(errs[1:]))
    assert rates.min() > 1.6, rates


@pytest.mark.slow
def test_package_interface_traction_converges_under_refinement(run):
    """At the package's interfaces the stress is singular where they meet a third material,
    so convergence is slow (order ~0.3 measured), but it is convergence: the mean normal
    traction under the pad changes less at every halving of all element sizes."""
    text = (CASES / "csp_cooldown.toml").read_text().split("[geometry]", 1)[0]
    text = text.replace('formulation = "3d"', 'formulation = "axisymmetric"').replace(
        'symmetry = ["sym_x", "sym_y"]', "symmetry = []")
    text += "[geometry]" + GEOMETRY["csp_axisymmetric"]
    values = []
    for f in (1, 2, 4):
        sizes = {"bump": 8 / f, "pad": 12.5 / f, "wiring": 25 / f, "resist": 20 / f, "solder": 28 / f, "die": 20 / f,
                 "resin": 20 / f}
        over = ["--set", f"geometry.element_size={20 / f} um", "--set",
                'load.steps=[{name="room", temperature="25 degC"}]']
        for k, v in sizes.items():
            over += ["--set", f"geometry.element_sizes.{k}={v} um"]
        values.append(run(text, *over, name=f"f{f}")["results"]["interface_die_pad_mean_normal_MPa"])
    d = np.abs(np.diff(values))
    assert d[1] < d[0], values
    assert abs(values[-1]) > 10  # a real compressive traction, not noise


# -- the package cases -----------------------------------------------------------------------------
def package(text: str) -> str:
    return text.replace('element_size = "60 um"', 'element_size = "120 um"')


@pytest.mark.slow
def test_package_cooldown_reports_warpage_stresses_tractions_and_bumps(tmp_path, run):
    """The diced package through the load path (coarse mesh): every step has warpage,
    stresses per material, tractions on the bump/resin, resin/die and wiring/resin
    interfaces, and the bump table distinguishes corner and centre bumps."""
    data = run(package((CASES / "csp_cooldown_diced.toml").read_text()), name="diced")
    res = data["results"]
    for step in ("room", "cold", "hot"):
        for key in ("warpage_um", "curvature_1_per_m", "max_von_mises_resin_MPa", "mean_von_mises_bump_MPa",
                    "interface_bump_resin_max_normal_MPa", "interface_die_resin_max_shear_MPa",
                    "interface_resin_wiring_mean_normal_MPa", "corner_bump_mean_von_mises_MPa",
                    "centre_bump_mean_von_mises_MPa"):
            assert np.isfinite(res[f"{step}_{key}"]), f"{step}_{key}"
    # Cooling further from the stress-free state bows the package more.
    assert res["cold_warpage_um"] > res["room_warpage_um"] > res["hot_warpage_um"]
    assert data["averaging_radius_um"] == pytest.approx(10.0)
    bumps = (tmp_path / "diced" / "bumps.csv").read_text().splitlines()
    assert bumps[0].startswith("step,arrangement,bump,x_um,y_um,distance_from_centre_um,mean_von_mises_MPa")
    assert len(bumps) > 3


@pytest.mark.slow
def test_package_results_agree_on_two_ranks(tmp_path, run):
    """Tractions (interior-facet integrals over ghosted facets) and the bump table are the
    same on 2 ranks as on 1 (1e-8 of each kind's scale; direct solver)."""
    text = package((CASES / "csp_cooldown_diced.toml").read_text()).replace(
        'steps = [\n  { name = "room", temperature = "25 degC" },\n  { name = "cold", temperature = "-55 degC" },\n'
        '  { name = "hot", temperature = "125 degC" },\n]', 'temperature = "25 degC"')
    text = text.replace("degree = 2", "degree = 1")
    one = run(text, name="one")
    two = run(text, ranks=2, name="two")
    assert two["ranks"] == 2
    unit = lambda k: k.rsplit("_", 1)[-1]  # noqa: E731
    scale: dict[str, float] = {}
    for k, v in one["results"].items():
        scale[unit(k)] = max(scale.get(unit(k), 0.0), abs(v))
    for k, v in one["results"].items():
        assert abs(v - two["results"][k]) <= 1e-8 * scale[unit(k)], (k, v, two["results"][k])
    assert (tmp_path / "two" / "bumps.csv").read_text() == (tmp_path / "one" / "bumps.csv").read_text()


@pytest.mark.slow
def test_writing_the_fields_leaves_every_step_intact(tmp_path):
    """The time series of displacement and stress is written through buffers of its own:
    every step's solution (and the last step the picture shows) is bit-identical after the
    files are written."""
    from mpi4py import MPI

    from solver.core.log import get_logger
    from solver.core.output import Staging
    from solver.mechanics.run import results_of, solve_case, write_outputs
    from solver import load_case
    from solver.core.case import resolved_case

    path = tmp_path / "diced.toml"
    path.write_text(package((CASES / "csp_cooldown_diced.toml").read_text()).replace("degree = 2", "degree = 1"))
    case = load_case(path, ["output.picture=false"])
    sol = solve_case(case, MPI.COMM_WORLD, get_logger(MPI.COMM_WORLD))
    before = [(s.u.x.array.copy(), s.stress.tensor.x.array.copy()) for s in sol.steps]
    assert not np.array_equal(before[-1][0], before[-2][0])
    results, reference = results_of(sol)
    staging = Staging(tmp_path / "out", MPI.COMM_WORLD)
    write_outputs(sol, staging, results, reference, 0.0, resolved_case(case), str(path))
    staging.commit()
    for step, (u, sigma) in zip(sol.steps, before):
        assert np.array_equal(step.u.x.array, u) and np.array_equal(step.stress.tensor.x.array, sigma), step.name
    assert (tmp_path / "out" / "fields" / "displacement.pvd").is_file()
