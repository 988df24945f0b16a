"""Deposit growth with a moving surface (VALIDATION.md electroplating 7, and the void check
of process B): the growing cylinder against its closed forms, the concavity pair (one
fills void-free, the other traps a void), a run killed and resumed, bad input. The front's
geometry on shapes with known answers is in tests/fronts/test_polyline.py."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from scipy.optimize import brentq

from solver.plating.electrochem import FARADAY, charge_transfer_resistance
from solver.core.materials import library_material

CASES = Path(__file__).resolve().parents[2] / "cases"
PLATING = CASES / "plating"
# the concavity pair at twice the case's spacing: the same outcome in a quarter of the time
COARSE = ("--set", "growth.front_element_size=1 um", "--set", "growth.max_advance=0.5 um")


@pytest.fixture(scope="module")
def coarse_void(tmp_path_factory, run_cli):
    """The void case at the coarse spacing, serial: shared by the pair, the 2-rank and the
    restart tests."""
    return run_cli(PLATING / "concavity_fill_void.toml", tmp_path_factory.mktemp("void") / "out", *COARSE,
                   timeout=600)["results"]


# -- the growing cylinder (VALIDATION.md electroplating 7) --------------------------------------

def _molar_volume():
    cu = library_material("Cu_plated")
    return cu.molar_mass / cu.density, cu.valence


@pytest.mark.slow
@pytest.mark.parametrize("ranks", [1, 2])
def test_growing_cylinder_potentiostatic(tmp_path, ranks, run_cli):
    """Linear kinetics on the growing inner cylinder, the outer one at fixed potential:
    i = V / (R_ct + r ln(r_o/r) / kappa), dr/dt = Omega i / (n F), so
    R_ct (r - r0) + (G(r) - G(r0)) / kappa = Omega V t / (n F), G = r^2/2 ln(r_o/r) + r^2/4
    (the primary closed form as R_ct -> 0; here kappa R_ct = 50 um keeps the moving
    surface stable, 3 % of the ohmic resistance). The quarter section's surface is a
    polygon of 20 um chords: its equivalent radius falls short of the circle's by about
    (h/r)^2 / 12, 1.4e-4 of the growth; measured 7e-5 after 194 um of growth in 20 steps.
    Tolerance 5e-4 of the growth; the surface stays round to 1e-3 of it."""
    res = run_cli(PLATING / "growing_cylinder.toml", tmp_path / "out", ranks=ranks, timeout=600)["results"]
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


@pytest.mark.slow
def test_growing_cylinder_galvanostatic(tmp_path, run_cli, relative):
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
    res = run_cli(case, tmp_path / "out", timeout=600)["results"]
    omega, n = _molar_volume()
    r0, T = 1e-3, 1800.0
    exact = math.sqrt(r0**2 + omega * Ip * T / (math.pi * n * FARADAY))
    assert abs(res["cylinder_radius_um"] * 1e-6 - exact) / (exact - r0) < 5e-4
    assert relative(res["charge_C_per_m"] * 4, Ip * T) < 1e-9  # the current was held: charge I' t


# -- the concavity of process B ------------------------------------------------------------------

@pytest.mark.slow
def test_concavity_fill_pair_void_free_and_void(tmp_path, coarse_void, run_cli):
    """Same concavity (10 um hole, 12 um etch under an 8 um film), same electrolyte: at
    0.2 V the fill closes without a void; at 0.3 V the floor under the hole outgrows the
    pocket under the overhang and seals it, a ring void under the film (measured 15 % of
    the concavity at the case's spacing). Both end filled; the deposit plus the void make
    up the concavity and hole and what stands above the film when the lowest point of the
    surface reaches its top (the void case's column domes 5 um above it: 6 % more)."""
    free = run_cli(PLATING / "concavity_fill_voidfree.toml", tmp_path / "free", *COARSE, timeout=600)["results"]
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
    page = (tmp_path / "free" / "report.html").read_text()  # the run's page, its fill picture embedded
    assert "concavity_fill_voidfree" in page and "title='fill_time_min'" in page and "fill.png" in page


@pytest.mark.slow
def test_concavity_fill_void_two_ranks_agree(tmp_path, coarse_void, run_cli, relative):
    """The front is computed identically on every rank (the surface currents are gathered):
    2 ranks give the serial void to round-off of the solves (1e-9)."""
    one = coarse_void
    two = run_cli(PLATING / "concavity_fill_void.toml", tmp_path / "two", *COARSE, ranks=2, timeout=600)["results"]
    for key in ("void_volume_um3", "fill_time_min", "largest_void_r_um", "deposited_volume_um3"):
        assert relative(two[key], one[key]) < 1e-9, key


@pytest.mark.slow
def test_a_killed_fill_resumes_to_the_same_answer(tmp_path, coarse_void, run_cli, read_summary, relative, root, python):
    """SIGKILL after a few growth steps, then ``--restart`` from the checkpoint: the same
    fill time, void and deposit as an uninterrupted run (to round-off: the checkpoint holds
    the surface, the multistep history and the charge exactly)."""
    case = PLATING / "concavity_fill_void.toml"
    whole = coarse_void
    out = tmp_path / "killed"
    proc = subprocess.Popen([python, "-m", "solver", "run", str(case), "-o", str(out), *COARSE], cwd=root,
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
    resumed = run_cli(case, tmp_path / "killed", *COARSE, "--restart", timeout=600)["results"]
    for key in ("void_volume_um3", "fill_time_min", "deposited_volume_um3", "charge_C", "growth_steps"):
        assert relative(resumed[key], whole[key]) < 1e-9, key
    assert read_summary(out)["solver"]["resumed"]


@pytest.mark.slow
def test_restart_refuses_a_checkpoint_of_another_case(tmp_path, sprout, run_cli):
    case = PLATING / "concavity_fill_void.toml"
    run_cli(PLATING / "growing_cylinder.toml", tmp_path / "other", "--set", "growth.time=2 min", timeout=600)
    r = sprout("run", case, "-o", tmp_path / "other", "--restart")
    assert r.returncode == 2 and "--restart" in r.stderr and "different case" in r.stderr
    for shape in ("[1, 2, 3]", '{"digest": null}', '"text"'):  # valid JSON, not a checkpoint
        bad = tmp_path / "malformed"
        bad.mkdir(exist_ok=True)
        (bad / "checkpoint.json").write_text(shape)
        r = sprout("run", case, "-o", bad, "--restart")
        lines = [line for line in r.stderr.splitlines() if line.strip()]
        assert r.returncode == 2 and len(lines) == 1 and "--restart" in lines[0], r.stderr


def test_restart_without_checkpoint_starts_from_the_beginning(tmp_path, sprout, read_summary):
    """--restart before the first checkpoint (a requeued job always passes it) grows from
    t = 0 and says so; the summary is of a complete run."""
    out = tmp_path / "none"
    r = sprout("run", PLATING / "growing_cylinder.toml", "-o", out, "--restart", "--set", "growth.time=2 min")
    assert r.returncode == 0, r.stderr
    assert "no checkpoint in" in r.stderr and "starting from the beginning" in r.stderr
    assert read_summary(out)["status"] == "ok" and not read_summary(out)["solver"]["resumed"]


@pytest.mark.parametrize("override, field", [
    ("cathode.kinetics=none", "cathode.kinetics"),
    ("growth.max_advance=0.4 um", "growth.max_advance"),
    ("geometry.dimension=3", "geometry"),
])
def test_bad_fill_input_names_the_field(tmp_path, override, field, sprout):
    r = sprout("run", PLATING / "concavity_fill_void.toml", "-o", tmp_path / "bad", "--set", override)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and field in lines[0], r.stderr
    assert not (tmp_path / "bad").exists()

