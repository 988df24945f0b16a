"""What a fatigue life reads must not depend on the mesh or the time step: the energy
density per cycle averaged over a fixed layer settles as the mesh is refined while the
peak at the die edge grows without bound (VALIDATION.md "Inelastic materials" 10), and the
averaged dW per cycle converges at first order in the time step (backward Euler)."""

import pytest

CASE = "reliability/die_attach_cycling.toml"
BASE = ['load.cycle.cycles=1', 'geometry.length="1 mm"',
        'averaging=[{name="attach_top", region="attach", interface="die", thickness="15 um", crack_length="1 mm"}]',
        'output.probe.point=["0.9 mm", "215 um"]', 'output.fields=false', 'output.picture=false']


def mesh(h_um: int, n: int) -> list[str]:
    return [f'geometry.element_size="{h_um} um"'] + [f"geometry.layers[{i}].elements_through_thickness={n}"
                                                   for i in range(3)]


@pytest.mark.slow
def test_layer_average_settles_while_the_peak_grows(cases, tmp_path, run_case):
    """One -40/125 degC cycle of the die attach (Anand SnAg, 1 mm half-width) on three
    meshes, h = 100, 50, 25 um (2, 4, 8 elements through each layer; the 15 um layer at
    the die is 1, 2, 4 elements thick), all with the same fixed 60 s steps so that only the
    mesh changes (adaptive steps differ from mesh to mesh by more than the mesh error). The
    layer's dW per cycle: 356.42, 354.19, 352.69 kJ/m^3: changes of 2.23 and 1.51 kJ/m^3,
    shrinking by 1.5x per halving (the layer ends at the singular edge, so slower than
    h^2) and 4e-3 of the value (asserted: shrinking by at least 1.3x, each below 1 %). The
    peak over the attach at one quadrature point: 1.57, 2.25, 3.24 MJ/m^3, +44 % per
    halving (asserted: > 25 %): singular at the bi-material edge, it is shown, never used."""
    avg, peak = [], []
    for k, (h, n) in enumerate(((100, 2), (50, 4), (25, 8))):
        d = run_case(cases / CASE, tmp_path / f"h{h}", *BASE, *mesh(h, n), 'stepping.max_temperature_step="100 K"',
                     'stepping.max_step="60 s"', 'stepping.initial_step="60 s"')
        v = d["cycles"][-1]["volumes"]
        avg.append(v["attach_top"]["energy_density_J_per_m3"])
        peak.append(v["region_attach"]["peak_energy_density_J_per_m3"])
    first, second = abs(avg[1] - avg[0]), abs(avg[2] - avg[1])
    assert second * 1.3 < first
    assert first < 1e-2 * avg[1] and second < 1e-2 * avg[2]
    assert peak[1] > 1.25 * peak[0] and peak[2] > 1.25 * peak[1]


@pytest.mark.slow
def test_energy_per_cycle_converges_in_the_time_step(cases, tmp_path, run_case):
    """The same cycle on the coarse mesh with fixed steps of 40, 20, 10 s: dW = 356.36,
    356.70, 356.87 kJ/m^3, changes 332 and 176 J/m^3, ratio 1.89 (first order: 2; asserted
    1.6..2.4) and 5e-4 of the value at 10 s (asserted < 1e-3)."""
    dW = []
    for dt in (40, 20, 10):
        d = run_case(cases / CASE, tmp_path / f"dt{dt}", *BASE, *mesh(100, 2), 'stepping.max_temperature_step="100 K"',
                     f'stepping.max_step="{dt} s"', f'stepping.initial_step="{dt} s"')
        dW.append(d["cycles"][-1]["volumes"]["attach_top"]["energy_density_J_per_m3"])
    first, second = dW[1] - dW[0], dW[2] - dW[1]
    assert 1.6 <= first / second <= 2.4
    assert abs(second) < 1e-3 * dW[2]
