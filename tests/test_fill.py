"""Deposit growth with a moving surface (VALIDATION.md electroplating 7, and the void check
of process B): the growing cylinder against its closed forms, the concavity pair (one
fills void-free, the other traps a void), a run killed and resumed, bad input, and the
front geometry on shapes with known answers."""

from __future__ import annotations

import math
import os
import signal
import json
import subprocess
import time

import numpy as np
import pytest
from conftest import CASES, PYTHON, ROOT, read_summary, relative, sprout
from scipy.optimize import brentq

from solver.fronts.polyline import Wall, close_off, grow, section_measure
from solver.plating.electrochem import FARADAY, charge_transfer_resistance
from solver.core.materials import library_material

PLATING = CASES / "plating"
# the concavity pair at twice the case's spacing: the same outcome in a quarter of the time
COARSE = ("--set", "growth.front_element_size=1 um", "--set", "growth.max_advance=0.5 um")


@pytest.fixture(scope="module")
def coarse_void(tmp_path_factory):
    """The void case at the coarse spacing, serial: shared by the pair, the 2-rank and the
    restart tests."""
    return run(tmp_path_factory.mktemp("void"), PLATING / "concavity_fill_void.toml", *COARSE)


def run(tmp_path, case, *overrides, ranks=1, name="out"):
    r = sprout("run", case, "-o", tmp_path / name, *overrides, ranks=ranks, timeout=600)
    assert r.returncode == 0, r.stderr
    return read_summary(tmp_path / name)["results"]


# -- the front's geometry ---------------------------------------------------------------------

def test_section_measure_is_pappus_for_a_torus_and_a_plane_disk():
    """A circle of radius a centred at r = R: volume of revolution 2 pi^2 R a^2 (the
    polygon's own volume, exact for the polygon: compared at 4096 sides to 1e-6)."""
    phi = np.linspace(0, 2 * np.pi, 4097)[:-1]
    R, a = 3.0, 1.0
    circle = np.column_stack([R + a * np.cos(phi), a * np.sin(phi)])
    volume, centroid = section_measure(circle, axisymmetric=True)
    assert relative(volume, 2 * np.pi**2 * R * a * a) < 1e-6
    assert np.allclose(centroid, [R, 0.0], atol=1e-12)
    assert relative(section_measure(circle, axisymmetric=False)[0], np.pi * a * a) < 1e-6


def test_a_front_reaching_the_axis_above_its_end_traps_the_liquid_below():
    """A U-shaped front whose side touches the axis at z = 1 above its end at z = 0: the
    pocket between is cut off and the front now ends at the crossing."""
    axis = Wall([[0.0, 0.0], [0.0, 5.0]])
    film = Wall([[3.0, 2.0], [6.0, 2.0]])
    front = np.array([[3.0, 2.0], [1.0, 1.5], [-0.5, 1.0], [1.0, 0.5], [0.5, 0.1], [0.0, 0.0]])
    new, s_start, s_end, pockets = close_off(front, 0.0, 0.0, film, axis)
    assert len(pockets) == 1 and s_start == 0.0
    assert new[-1, 0] == pytest.approx(0.0, abs=1e-12) and s_end == pytest.approx(new[-1, 1])
    assert 0.0 < s_end < 2.0
    assert (new[:, 0] >= -1e-12).all()


def test_a_front_touching_the_film_ahead_of_its_contact_seals_the_pocket_between():
    """The front leaves the film at r = 5, dips, pokes through the film underside between
    r = 3.33 and 2.67 (one step's overshoot) and goes on below: the pocket under the film
    from r = 3.33 to 5 is cut off, the contact jumps to where the front comes out of the
    film (r = 2.67); the overshoot inside the film is dropped."""
    film = Wall([[5.0, 0.0], [1.0, 0.0], [1.0, 2.0], [6.0, 2.0]])
    axis = Wall([[0.0, -3.0], [0.0, 5.0]])
    front = np.array([[5.0, 0.0], [4.0, -1.0], [3.0, 0.5], [2.0, -1.0], [0.0, -3.0]])
    new, s_start, s_end, pockets = close_off(front, 0.0, 0.0, film, axis)
    assert len(pockets) == 1
    x_out = 3.0 - 1.0 / 3.0  # segment (3,0.5)-(2,-1) meets z = 0
    assert s_start == pytest.approx(5.0 - x_out)
    assert np.allclose(new[0], [x_out, 0.0]) and np.allclose(new[1:], front[3:])
    area = section_measure(pockets[0], axisymmetric=False)[0]
    assert area == pytest.approx(0.5 * (5.0 - 10.0 / 3.0) * 1.0)  # the triangle (3.33, 0), (5, 0), (4, -1)



def test_a_segment_crossing_the_film_underside_and_then_its_hole_wall_turns_the_corner():
    """Near the hole's corner (r = 10, z = 0) one segment of the front can cross the film
    underside and then the hole wall: the front must go on from the later crossing (on the
    hole wall, z = 0.0169), not from the earlier one, which would leave the segment cutting
    through the film's corner (the electrolyte could then not be meshed)."""
    film = Wall([[20.0, 0.0], [10.0, 0.0], [10.0, 8.0], [30.0, 8.0]])
    axis = Wall([[0.0, -5.0], [0.0, 60.0]])
    front = np.array([[10.54, 0.0], [10.43, -0.076], [10.23, -0.0117], [9.79, 0.043], [5.0, 0.1], [0.0, -1.0]])
    new, s_start, s_end, pockets = close_off(front, 20.0 - 10.54, 4.0, film, axis)
    z_wall = -0.0117 + (0.043 + 0.0117) * (10.23 - 10.0) / (10.23 - 9.79)  # the segment at r = 10
    assert np.allclose(new[0], [10.0, z_wall]) and np.allclose(new[1:], front[3:])
    assert s_start == pytest.approx(10.0 + z_wall)
    assert len(pockets) == 1 and s_end == 4.0

def test_a_front_crossing_itself_drops_a_metal_loop_but_keeps_a_liquid_one():
    """The electrolyte is on the front's right: a clockwise loop holds electrolyte (a
    void), a counter-clockwise one is metal swept twice."""
    far = Wall([[100.0, 100.0], [101.0, 100.0]])
    far2 = Wall([[-100.0, -100.0], [-101.0, -100.0]])
    # going right, then a loop turning left (counter-clockwise): metal
    ccw = np.array([[0.0, 0.0], [2.0, 0.0], [2.0, 1.0], [1.0, 1.0], [1.0, -1.0], [3.0, -1.0]])
    new, *_, pockets = close_off(ccw, 0.0, 0.0, far, far2)
    assert pockets == [] and len(new) == 4
    cw = ccw * np.array([1.0, -1.0])  # mirrored: the loop turns right, clockwise
    new, *_, pockets = close_off(cw, 0.0, 0.0, far, far2)
    assert len(pockets) == 1 and len(new) == 4


def test_uniform_growth_moves_a_circle_to_the_next_circle():
    """Every point at the same speed: a circle of radius 1 about the origin (plane) grows to
    radius 1 + v dt, to the polygon's chord error (spacing^2 / 8)."""
    n = 200
    phi = np.linspace(0, np.pi / 2, n + 1)
    front = np.column_stack([np.cos(phi), np.sin(phi)])
    front[-1, 0] = 0.0
    x_axis, y_axis = Wall([[1.0, 0.0], [5.0, 0.0]]), Wall([[0.0, 1.0], [0.0, 5.0]])
    spacing = np.pi / 2 / n
    new, s0, s1 = grow(front, np.full(len(front), 0.1), 1.0, 2 * spacing, 0.0, 0.0, x_axis, y_axis, False)
    radii = np.linalg.norm(new, axis=1)
    assert np.abs(radii - 1.1).max() < spacing**2
    assert s0 == pytest.approx(0.1) and s1 == pytest.approx(0.1)


# -- the growing cylinder (VALIDATION.md electroplating 7) --------------------------------------

def _molar_volume():
    cu = library_material("Cu_plated")
    return cu.molar_mass / cu.density, cu.valence


@pytest.mark.parametrize("ranks", [1, 2])
def test_growing_cylinder_potentiostatic(tmp_path, ranks):
    """Linear kinetics on the growing inner cylinder, the outer one at fixed potential:
    i = V / (R_ct + r ln(r_o/r) / kappa), dr/dt = Omega i / (n F), so
    R_ct (r - r0) + (G(r) - G(r0)) / kappa = Omega V t / (n F), G = r^2/2 ln(r_o/r) + r^2/4
    (the primary closed form as R_ct -> 0; here kappa R_ct = 50 um keeps the moving
    surface stable, 3 % of the ohmic resistance). The quarter section's surface is a
    polygon of 20 um chords: its equivalent radius falls short of the circle's by about
    (h/r)^2 / 12, 1.4e-4 of the growth; measured 7e-5 after 194 um of growth in 20 steps.
    Tolerance 5e-4 of the growth; the surface stays round to 1e-3 of it."""
    res = run(tmp_path, PLATING / "growing_cylinder.toml", ranks=ranks)
    r0, ro, kappa, V, T = 1e-3, 5e-3, 5.0, 1.0, 1800.0
    Rct = charge_transfer_resistance(2570.0, 0.5, 0.5, 298.15)
    omega, n = _molar_volume()

    def G(r):
        return r * r / 2 * math.log(ro / r) + r * r / 4

    exact = brentq(lambda r: Rct * (r - r0) + (G(r) - G(r0)) / kappa - omega * V * T / (n * FARADAY), r0, ro)
    got = res["cylinder_radius_um"] * 1e-6
    assert abs(got - exact) / (exact - r0) < 5e-4
    assert res["cylinder_roundness_um"] * 1e-6 < 1e-3 * (exact - r0)
    # deposited volume against the charge: the explicit steps' geometric error, measured 1.5e-4
    assert res["faraday_balance_rel"] < 1e-3


def test_growing_cylinder_galvanostatic(tmp_path):
    """A fixed current per unit length I' (operation.current_density times the outer
    electrode's perimeter): r^2 = r0^2 + Omega I' t / (pi n F) whatever the kinetics.
    I' = 20 A/m over 30 min; tolerance as the potentiostatic test's (measured 1.4e-4)."""
    Ip = 20.0
    ro = 5e-3
    text = (PLATING / "growing_cylinder.toml").read_text().replace(
        'cell_voltage = "1 V"', f'current_density = "{Ip / (2 * math.pi * ro)!r} A/m^2"')
    assert "current_density" in text
    case = tmp_path / "galvanostatic.toml"
    case.write_text(text)
    res = run(tmp_path, case)
    omega, n = _molar_volume()
    r0, T = 1e-3, 1800.0
    exact = math.sqrt(r0**2 + omega * Ip * T / (math.pi * n * FARADAY))
    assert abs(res["cylinder_radius_um"] * 1e-6 - exact) / (exact - r0) < 5e-4
    assert relative(res["charge_C_per_m"] * 4, Ip * T) < 1e-9  # the current was held: charge I' t


# -- the concavity of process B ------------------------------------------------------------------

def test_concavity_fill_pair_void_free_and_void(tmp_path, coarse_void):
    """Same concavity (10 um hole, 12 um etch under an 8 um film), same electrolyte: at
    0.2 V the fill closes without a void; at 0.3 V the floor under the hole outgrows the
    pocket under the overhang and seals it, a ring void under the film (measured 15 % of
    the concavity at the case's spacing). Both end filled; the deposit plus the void make
    up the concavity and hole and what stands above the film when the lowest point of the
    surface reaches its top (the void case's column domes 5 um above it: 6 % more)."""
    free = run(tmp_path, PLATING / "concavity_fill_voidfree.toml", *COARSE, name="free")
    void = coarse_void
    assert free["filled"] and not free["void"] and free["void_count"] == 0
    assert void["filled"] and void["void"] and void["void_count"] >= 1
    assert 0.05 < void["void_fraction"] < 0.3
    # the void sits under the film's overhang: outside the hole (r > 10 um), below the film
    assert 10.0 < void["largest_void_r_um"] < 22.0 and void["largest_void_z_um"] < 0.0
    assert void["fill_time_min"] < free["fill_time_min"]  # the faster current closes sooner
    for res in (free, void):
        assert res["faraday_balance_rel"] < 1e-2  # explicit-step geometric error (measured < 4e-3)
        total = res["deposited_volume_um3"] + res["void_volume_um3"]
        assert 1.0 <= total / res["concavity_and_hole_volume_um3"] < 1.15


def test_concavity_fill_void_two_ranks_agree(tmp_path, coarse_void):
    """The front is computed identically on every rank (the surface currents are gathered):
    2 ranks give the serial void to round-off of the solves (1e-9)."""
    one = coarse_void
    two = run(tmp_path, PLATING / "concavity_fill_void.toml", *COARSE, ranks=2, name="two")
    for key in ("void_volume_um3", "fill_time_min", "largest_void_r_um", "deposited_volume_um3"):
        assert relative(two[key], one[key]) < 1e-9, key


def test_a_killed_fill_resumes_to_the_same_answer(tmp_path, coarse_void):
    """SIGKILL after a few growth steps, then ``--restart`` from the checkpoint: the same
    fill time, void and deposit as an uninterrupted run (to round-off: the checkpoint holds
    the surface, the multistep history and the charge exactly)."""
    case = PLATING / "concavity_fill_void.toml"
    whole = coarse_void
    out = tmp_path / "killed"
    proc = subprocess.Popen([PYTHON, "-m", "solver", "run", str(case), "-o", str(out), *COARSE], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    checkpoint = out / "checkpoint.json"
    deadline = time.time() + 300
    while time.time() < deadline:
        try:
            if json.loads(checkpoint.read_text())["step"] >= 8:
                break
        except (OSError, ValueError):
            pass
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (out / "summary.json").exists()
    step = json.loads(checkpoint.read_text())["step"]
    assert 8 <= step < whole["growth_steps"]
    resumed = run(tmp_path, case, *COARSE, "--restart", name="killed")
    for key in ("void_volume_um3", "fill_time_min", "deposited_volume_um3", "charge_C", "growth_steps"):
        assert relative(resumed[key], whole[key]) < 1e-9, key
    assert read_summary(out)["solver"]["resumed"]


def test_restart_refuses_a_checkpoint_of_another_case(tmp_path):
    case = PLATING / "concavity_fill_void.toml"
    run(tmp_path, PLATING / "growing_cylinder.toml", "--set", "growth.time=2 min", name="other")
    r = sprout("run", case, "-o", tmp_path / "other", "--restart")
    assert r.returncode == 2 and "--restart" in r.stderr and "different case" in r.stderr
    r = sprout("run", case, "-o", tmp_path / "none", "--restart")
    assert r.returncode == 2 and "no checkpoint" in r.stderr


@pytest.mark.parametrize("override, field", [
    ("cathode.kinetics=none", "cathode.kinetics"),
    ("growth.max_advance=0.4 um", "growth.max_advance"),
    ("geometry.dimension=3", "geometry"),
])
def test_bad_fill_input_names_the_field(tmp_path, override, field):
    r = sprout("run", PLATING / "concavity_fill_void.toml", "-o", tmp_path / "bad", "--set", override)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and field in lines[0], r.stderr
    assert not (tmp_path / "bad").exists()

