"""Tertiary distribution in an electroneutral binary electrolyte (VALIDATION.md
electroplating 5, with migration): a 2:2 salt (CuSO4-like, no support) in a parallel-plate
Nernst layer, the anion not reacting; 1 and 2 ranks through the CLI.

Closed form in 1D (the anion at rest, N- = 0, so f dphi/dy = -(1/z-) d ln c/dy):

    i = n F D+ (1 - z+/z-) (c_b - c_s) / delta = n F D_salt (c_b - c_s) / (delta (1 - t+)),
    phi(delta) - phi(0) = ln(c_b / c_s) / (|z-| f),

D_salt = D+ D- (z+ - z-)/(z+ D+ - z- D-), t+ = z+ D+/(z+ D+ - z- D-). With the cathode's
Butler-Volmer law in c_s / c_b and eta = -phi(0) this fixes c_s for a given cell voltage: a
scalar equation solved here by bisection."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from solver.plating.electrochem import FARADAY, f_over_rt

CASES = Path(__file__).resolve().parents[2] / "cases"
CASE = CASES / "plating" / "binary_limiting_current.toml"
N, D_PLUS, D_MINUS, Z_MINUS, CB, DELTA, I0, ALPHA_A, ALPHA_C, T = (2, 0.72e-9, 1.065e-9, -2, 100.0, 100e-6, 10.0,
                                                                   0.5, 0.5, 298.15)
T_PLUS = N * D_PLUS / (N * D_PLUS - Z_MINUS * D_MINUS)
D_SALT = D_PLUS * D_MINUS * (N - Z_MINUS) / (N * D_PLUS - Z_MINUS * D_MINUS)
I_LIM = N * FARADAY * D_SALT * CB / (DELTA * (1 - T_PLUS))


def exact_surface_ratio(V: float) -> float:
    """c_s / c_b of the 1D binary Nernst layer at cell voltage V (equilibrium potentials 0):
    i_lim (1 - r) = -i0 [exp(alpha_a f eta) - r exp(-alpha_c f eta)], eta = -V + ln(1/r)/(|z-| f).
    The left side falls and the right side rises with r: one root in (0, 1), bisected in log r."""
    f = f_over_rt(T)

    def excess(r):
        eta = -V + math.log(1 / r) / (abs(Z_MINUS) * f)
        return I0 * (r * math.exp(-ALPHA_C * f * eta) - math.exp(ALPHA_A * f * eta)) - I_LIM * (1 - r)

    lo, hi = -700.0, 0.0  # log r
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if excess(math.exp(mid)) > 0 else (mid, hi)
    return math.exp(0.5 * (lo + hi))


def test_closed_forms_agree():
    """The two forms of the limiting current with migration are one: D_salt / (1 - t+) =
    D+ (1 - z+/z-); for a 2:2 salt that doubles the supporting electrolyte's n F D+ c_b / delta."""
    assert I_LIM == pytest.approx(N * FARADAY * D_PLUS * (1 - N / Z_MINUS) * CB / DELTA, rel=1e-14)
    assert I_LIM == pytest.approx(2 * N * FARADAY * D_PLUS * CB / DELTA, rel=1e-14)
    assert T_PLUS == pytest.approx(0.72 / 1.785, rel=1e-14)


@pytest.mark.slow
@pytest.mark.parametrize("ranks", [1, 2])
def test_binary_limiting_current(tmp_path, ranks, run_cli, relative):
    """Driven at 0.8 V the current approaches n F D_salt c_b / (delta (1 - t+)) = 277.88 A/m^2.
    How close is set by the kinetics: the 1D closed form leaves r = c_s/c_b = 5.6e-5 (Butler-
    Volmer at i0 = 10 A/m^2 plus the concentration potential ln(1/r)/(|z-| f) within 0.8 V),
    and the computed surface is drier still (2.8e-5: the potential's logarithmic profile in
    the first 2 um cell), so 1 - i/i_lim is 2.8e-5 measured, tolerance 1e-4; the current
    matches the closed-form one to the same 1e-4. Whatever the surface concentration, the
    discrete solution keeps i = i_lim (1 - c_s/c_b) with the mean surface concentration
    (the anion and cation Galerkin equations tested with the layer's linear hat): measured
    6e-13, tolerance 1e-9 (Newton's relative tolerance 1e-10). 63 Newton iterations over
    16 continuation steps, the same on 2 ranks."""
    data = run_cli(CASE, tmp_path / "out", ranks=ranks)
    res = data["results"]
    assert data["ranks"] == ranks and data["solver"]["electrolyte_model"] == "binary"
    assert res["limiting_current_density_A_per_m2"] == pytest.approx(I_LIM, rel=1e-12)
    assert res["transference_number"] == pytest.approx(T_PLUS, rel=1e-12)
    kappa = FARADAY * f_over_rt(T) * (N ** 2 * D_PLUS * CB + Z_MINUS ** 2 * D_MINUS * (-N * CB / Z_MINUS))
    assert res["bulk_conductivity_S_per_m"] == pytest.approx(kappa, rel=1e-12)
    i = res["mean_current_density_A_per_m2"]
    assert 1 - 1e-4 < res["current_over_limiting"] < 1.0
    assert relative(i, I_LIM * (1 - exact_surface_ratio(0.8))) < 1e-4
    assert relative(i, I_LIM * (1 - res["mean_surface_concentration_mol_per_m3"] / CB)) < 1e-9


@pytest.mark.slow
def test_binary_current_follows_surface_concentration(tmp_path, run_cli, relative):
    """Off the limit (0.3 V, i/i_lim = 0.88) the whole 1D closed form holds, not just its
    limit: i = n F D_salt (c_b - c_s) / (delta (1 - t+)) with the computed mean surface
    concentration (measured 7e-10, tolerance 1e-8: it is Newton's relative tolerance 1e-10,
    2e-15 when Newton is pushed to 1e-13), and c_s and i equal the closed form's solution at
    this voltage, which also tests the potential drop ln(c_b/c_s)/(|z-| f) through the
    kinetics (measured 8e-9 for i and 5e-8 for c_s at 2 um P2 cells, 1e-9 and 3e-9 at 1 um:
    the logarithmic potential is not a polynomial; tolerance 1e-7 for i and 1e-6 for c_s).
    2 ranks reproduce 1 rank to 1e-10."""
    V = 0.3
    one = run_cli(CASE, tmp_path / "one", "--set", f"operation.cell_voltage={V} V")
    two = run_cli(CASE, tmp_path / "two", "--set", f"operation.cell_voltage={V} V", ranks=2)
    r = exact_surface_ratio(V)
    for data in (one, two):
        res = data["results"]
        i, cs = res["mean_current_density_A_per_m2"], res["mean_surface_concentration_mol_per_m3"]
        assert 0.8 < i / I_LIM < 0.95
        assert relative(i, N * FARADAY * D_SALT * (CB - cs) / (DELTA * (1 - T_PLUS))) < 1e-8
        assert relative(i, I_LIM * (1 - r)) < 1e-7
        assert relative(cs / CB, r) < 1e-6
        assert res["min_surface_concentration_mol_per_m3"] == pytest.approx(cs, rel=1e-6)
    for k, v in one["results"].items():
        assert two["results"][k] == pytest.approx(v, rel=1e-10, abs=1e-14), k
    assert one["solver"]["newton_iterations"] == two["solver"]["newton_iterations"]


@pytest.mark.parametrize("edit, field", [
    ("drop:anion_diffusivity", "electrolyte.anion_diffusivity"),
    ("electrolyte.conductivity=5 S/m", "electrolyte.conductivity"),
    ("electrolyte.anion_valence=2", "electrolyte.anion_valence"),
])
def test_bad_binary_input_names_the_field(tmp_path, edit, field, sprout):
    """A binary electrolyte without the anion's diffusivity, with a conductivity (it follows
    from the concentration, so giving one is an error, not ignored), or with a positive anion
    valence: exit 2, one line naming the field, no output."""
    if edit.startswith("drop:"):
        key = edit.split(":", 1)[1]
        case = tmp_path / "case.toml"
        case.write_text("".join(line for line in CASE.read_text().splitlines(keepends=True)
                                if not line.startswith(key)))
        r = sprout("run", case, "-o", tmp_path / "x")
    else:
        r = sprout("run", CASE, "-o", tmp_path / "x", "--set", edit)
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1 and f"{field}:" in lines[0], r.stderr
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "x").exists()
