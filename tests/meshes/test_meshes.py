"""Geometry builders: named groups, exact areas/volumes, predictable counts, determinism."""

from __future__ import annotations

import math

import gmsh
import numpy as np
import pytest

from meshes import CoreShell, LayeredPlate, build_mesh, gmsh_session
from meshes.base import UM_PER_M


def plate(dim=2):
    return LayeredPlate(type="layered_plate", dimension=dim, length="2 mm", width="1 mm" if dim == 3 else None,
                        element_size="0.25 mm",
                        layers=[{"region": "die", "thickness": "0.5 mm", "elements_through_thickness": 3},
                                {"region": "resin", "thickness": "50 um", "elements_through_thickness": 2}])


@pytest.mark.parametrize("dim", [2, 3])
def test_layered_plate_groups_and_exact_cell_count(dim):
    spec = plate(dim)
    with gmsh_session():
        built = build_mesh(spec)
        vols = {name: sum(gmsh.model.occ.getMass(dim, int(e)) for e in
                          gmsh.model.getEntitiesForPhysicalGroup(dim, tag)) for name, tag in built.regions.items()}
    assert set(built.regions) == {"die", "resin"}
    assert set(built.boundaries) == set(spec.boundary_names()) >= {"bottom", "top", "left", "right",
                                                                     "interface_die_resin"}
    assert sum(built.element_counts.values()) == spec.expected_cells()
    um3 = UM_PER_M ** dim
    extent = 2e-3 * (1e-3 if dim == 3 else 1.0)
    assert vols["die"] / um3 == pytest.approx(extent * 0.5e-3, rel=1e-9)
    assert vols["resin"] / um3 == pytest.approx(extent * 50e-6, rel=1e-9)


@pytest.mark.parametrize("sector, dim, frac", [("full", 2, 1.0), ("half", 2, 0.5), ("quarter", 2, 0.25),
                                               ("octant", 3, 0.125)])
def test_core_shell_areas_match_closed_form(sector, dim, frac):
    a, b = 1e-3, 2.5e-3
    spec = CoreShell(type="core_shell", dimension=dim, core_radius="1 mm", outer_radius="2.5 mm", sector=sector,
                     element_size="0.5 mm")
    with gmsh_session():
        built = build_mesh(spec)
        mass = {name: sum(gmsh.model.occ.getMass(dim, int(e)) for e in
                          gmsh.model.getEntitiesForPhysicalGroup(dim, tag)) / UM_PER_M ** dim
                for name, tag in built.regions.items()}
    if dim == 2:
        core, shell = math.pi * a**2, math.pi * (b**2 - a**2)
    else:
        core, shell = 4 / 3 * math.pi * a**3, 4 / 3 * math.pi * (b**3 - a**3)
    assert mass["core"] == pytest.approx(frac * core, rel=1e-6)
    assert mass["shell"] == pytest.approx(frac * shell, rel=1e-6)
    assert set(built.boundaries) == {"outer", "interface_core_shell", *spec.symmetry_planes()}


def test_same_case_same_mesh():
    spec = CoreShell(type="core_shell", core_radius="1 mm", outer_radius="2 mm", element_size="0.2 mm")
    nodes = []
    for _ in range(2):
        with gmsh_session():
            build_mesh(spec, order=2)
            nodes.append(gmsh.model.mesh.getNodes()[1].copy())
    assert np.array_equal(nodes[0], nodes[1])


def test_mesh_is_in_metres():
    with gmsh_session():
        build_mesh(plate(2))
        x = gmsh.model.mesh.getNodes()[1].reshape(-1, 3)
    assert x[:, 0].max() == pytest.approx(2e-3) and x[:, 1].max() == pytest.approx(0.55e-3)
