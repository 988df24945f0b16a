"""Isotropic etch, reaction-limited (VALIDATION.md etch 1): the front against the exact
set of base points within v t of the opening, merging holes, taper independence, the
concavity handed to the substrate geometry; 1 and 2 ranks. The exact clipped volumes are
in tests/fronts/test_cut_cells.py."""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import numpy as np
import pytest

CASES = Path(__file__).resolve().parents[2] / "cases"
ETCH = CASES / "etch"


# -- the reaction-limited front ------------------------------------------------------------------
@pytest.mark.slow
def test_isotropic_hole_axisymmetric_matches_the_exact_front(tmp_path, run_cli, relative):
    """R 25 um, 20 um deep, 0.5 um cells at the front. The distance at the vertices is exact,
    so depth (under the opening the distance is linear, |z|) and undercut (along the
    interface it is r - R, linear) are exact to round-off; the front between vertices is
    the linear interpolant of a distance whose level sets curve with radius d about the
    mask edge, off by at most about h^2 / (8 d): 0.0016 um at 5 um deep, measured 0.0043
    (tolerance 0.01 um); the volume error is O(h^2 / d) too: 3.4e-4 at 5 um deep, 6e-5 at
    20 um (tolerance 1e-3)."""
    data = run_cli(ETCH / "tapered_film_hole.toml", tmp_path / "out", "--set", "geometry.film.taper=0 deg")
    for h in data["history"]:
        d = h["etch_distance_um"]
        assert h["depth_um"] == pytest.approx(d, rel=1e-9)
        assert h["undercut_um"] == pytest.approx(d, rel=1e-9)
        assert h["radius_at_film_um"] == pytest.approx(25 + d, rel=1e-9)
        assert h["etch_factor"] == pytest.approx(1.0, rel=1e-9)
        assert h["max_shape_error_um"] < 0.01
        R = 25.0
        exact = math.pi * R**2 * d + math.pi**2 / 2 * R * d**2 + 2 / 3 * math.pi * d**3
        assert relative(h["etched_volume_per_hole_um3"], exact) < 1e-3
    assert data["reference"]["undercut_um"] == pytest.approx(20.0)
    prof = np.loadtxt(tmp_path / "out" / "profiles.csv", delimiter=",", skiprows=1)
    last = prof[prof[:, 0] == prof[:, 0].max()]
    # every profile point on the exact wall: z = -d under the opening, else the quarter circle
    r, z = last[:, 1], last[:, 2]
    exact_d = np.sqrt(np.maximum(r - 25.0, 0) ** 2 + z**2)
    assert np.abs(exact_d - 20.0).max() < 0.01


@pytest.mark.slow
def test_taper_does_not_change_a_reaction_limited_etch(tmp_path, run_cli, relative):
    """Only the opening at the film/base interface matters: a 30 degree taper gives the
    straight hole's front (the meshes differ in the film, the base sees the same opening;
    both are exact at the vertices, so they agree to the interpolation error)."""
    tapered = run_cli(ETCH / "tapered_film_hole.toml", tmp_path / "tapered")
    straight = run_cli(ETCH / "tapered_film_hole.toml", tmp_path / "straight", "--set", "geometry.film.taper=0 deg")
    for a, b in zip(tapered["history"], straight["history"]):
        for key in ("depth_um", "undercut_um"):
            assert a[key] == pytest.approx(b[key], rel=1e-9)
        assert relative(a["etched_volume_per_hole_um3"], b["etched_volume_per_hole_um3"]) < 1e-4


@pytest.mark.slow
def test_isotropic_hole_3d_on_one_and_two_ranks(tmp_path, run_cli, relative):
    """The quarter model of one hole at 2 um cells: undercut and depth exact; the front
    within the interpolation bound h_max^2 / (8 d) of the exact one, the longest edges
    being about twice the target size (error times depth measured 1.6-1.9 um^2 from 5 to
    20 um deep, tolerance 2.5 um^2); 2 ranks give the same numbers."""
    args = ["--set", "geometry.front_element_size=2 um", "--set", "output.picture=false"]
    one = run_cli(ETCH / "isotropic_hole.toml", tmp_path / "one", *args)
    two = run_cli(ETCH / "isotropic_hole.toml", tmp_path / "two", *args, ranks=2)
    for a, b in zip(one["history"], two["history"]):
        d = a["etch_distance_um"]
        assert a["undercut_um"] == pytest.approx(d, rel=1e-9) and a["depth_um"] == pytest.approx(d, rel=1e-9)
        assert a["max_shape_error_um"] * d < 2.5
        for key, value in a.items():
            assert b[key] == pytest.approx(value, rel=1e-12, abs=1e-12), key
    exact = one["reference"]["etched_volume_per_hole_um3"]
    assert relative(one["results"]["etched_volume_per_hole_um3"], exact) < 5e-3  # O(h^2): measured 2.5e-3


@pytest.mark.slow
def test_merging_holes_follow_the_union_of_fronts(tmp_path, run_cli, relative):
    """A 2 x 2 array with 2 (R + d) > pitch: the front is the set within d of any opening
    (the holes beyond the symmetry planes included), so the concavities merge and each
    hole etches less than a lone one (the overlap is shared)."""
    data = run_cli(ETCH / "hole_array_merge.toml", tmp_path / "out", "--set", "geometry.front_element_size=2 um",
                   "--set", "output.picture=false")
    res = data["results"]
    assert res["max_shape_error_um"] * 20.0 < 2.5  # as for the lone hole at the same cell size
    R, d = 25.0, 20.0
    lone = math.pi * R**2 * d + math.pi**2 / 2 * R * d**2 + 2 / 3 * math.pi * d**3
    assert res["etched_volume_per_hole_um3"] < 0.99 * lone
    assert "reference" not in data or "etched_volume_per_hole_um3" not in data["reference"]
    # at 5 um (2 (R + 5) = 60 < 80 um) not merged yet: each hole is a lone one, to the
    # O(h^2 / d) volume error of 2 um cells 5 um deep (1.1 % for the lone hole too)
    early = data["history"][0]
    assert relative(early["etched_volume_per_hole_um3"], math.pi * R**2 * 5 + math.pi**2 / 2 * R * 25
                    + 2 / 3 * math.pi * 125) < 2e-2


@pytest.mark.slow
def test_concavity_is_handed_to_the_substrate_geometry(tmp_path, run_cli, relative):
    """concavity.toml is a [geometry.concavity] profile: from (R + undercut, 0) on the
    interface to (0, -depth) on the axis; the substrate builder meshes it, and the
    revolved profile holds the etched volume (Pappus on the polyline, to the binning
    of the front: 1e-3)."""
    data = run_cli(ETCH / "tapered_film_hole.toml", tmp_path / "out", "--set", "output.picture=false")
    snippet = tomllib.loads((tmp_path / "out" / "concavity.toml").read_text())
    profile = snippet["geometry"]["concavity"]["profile"]
    pts = np.array([[float(r.split()[0]), float(z.split()[0])] for r, z in profile])
    assert pts[0] == pytest.approx([45.0, 0.0], abs=1e-6) and pts[-1] == pytest.approx([0.0, -20.0], abs=1e-6)
    poly = np.vstack([[0.0, 0.0], pts])
    r, z = poly[:, 0], poly[:, 1]
    r1, z1 = np.roll(r, -1), np.roll(z, -1)
    area_r = np.sum((r * z1 - r1 * z) * (r + r1)) / 6  # integral of r dA over the polygon
    assert relative(2 * math.pi * abs(area_r), data["results"]["etched_volume_um3"]) < 1e-3
    case = tmp_path / "substrate.toml"
    rows = ", ".join(f'["{r} um", "{z} um"]' for r, z in pts)
    case.write_text(f'''kind = "geometry"
name = "etched_substrate"
[geometry]
type = "substrate"
dimension = 2
stage = "etched"
pitch = "120 um"
base_thickness = "60 um"
element_size = "10 um"
[geometry.film]
thickness = "10 um"
hole_radius = "25 um"
taper = "30 deg"
[geometry.concavity]
profile = [{rows}]
[geometry.electrolyte]
height = "30 um"
''')
    assert run_cli(case, tmp_path / "substrate")["results"]["cells"] > 100


def test_etch_beyond_the_refined_zone_is_refused(tmp_path, sprout):
    r = sprout("run", ETCH / "isotropic_hole.toml", "-o", tmp_path / "x", "--set", 'etch.times=["30 min"]')
    assert r.returncode == 2
    assert "etch.times" in r.stderr and "etch_zone" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "x").exists()
