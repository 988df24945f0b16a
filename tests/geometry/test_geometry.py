"""Package and substrate geometries: region volumes against closed forms, named groups,
constraint checks, meshing of every shipped case, determinism, external meshes.

Volumes come from the CAD (OpenCASCADE mass of each region's entities), in um^3 as built;
the closed forms are cylinders, frustums, spherical segments and the Minkowski concavity.
Tolerance 1e-6 relative: OCC integrates exactly for planes, cylinders and cones, and to
about 1e-9 for the revolved arcs; boolean fragments do not change volumes."""

from __future__ import annotations

import copy
import math
import tomllib
from pathlib import Path

import gmsh
import numpy as np
import pytest
from pydantic import TypeAdapter

from meshes import GeometrySpec, build_mesh, gmsh_session
from meshes.base import UM_PER_M

CASES = Path(__file__).resolve().parents[2] / "cases"
GEOMETRY_CASES = sorted((CASES / "geometry").glob("*.toml"))
REL = 1e-6


def spec_of(name: str, **changes):
    raw = tomllib.loads((CASES / "geometry" / f"{name}.toml").read_text())
    g = copy.deepcopy(raw["geometry"])
    g.update(changes)
    return TypeAdapter(GeometrySpec).validate_python(g)


def volumes(spec) -> tuple[dict[str, float], dict[str, int], dict[str, int]]:
    """Region -> OCC measure (um^3 or um^2), and the physical groups by name, built without meshing."""
    with gmsh_session():
        spec.check()
        spec.build()
        dim = spec.dimension
        regions, faces, out = {}, {}, {}
        for d, tag in gmsh.model.getPhysicalGroups():
            name = gmsh.model.getPhysicalName(d, tag)
            (regions if d == dim else faces)[name] = tag
        for name, tag in regions.items():
            ents = gmsh.model.getEntitiesForPhysicalGroup(dim, tag)
            out[name] = sum(gmsh.model.occ.getMass(dim, int(e)) for e in ents)
    return out, regions, faces


def frustum(r0, r1, h):
    return math.pi * h * (r0 * r0 + r0 * r1 + r1 * r1) / 3


def cap(R, h):
    return math.pi * h * h * (3 * R - h) / 3


def bump_volume_below(spec, k, z_top):
    """Closed form of arrangement k's bump stack below height z_top (um^3)."""
    b = spec.arrangements[k].bump
    um = UM_PER_M
    z = spec.levels()[k]["foot"]
    total = 0.0
    for _ in range(b.stack):
        hb = min(b.base_height * um, max(0.0, z_top - z))
        total += math.pi * (b.base_diameter * um / 2) ** 2 * hb
        z += b.base_height * um
        hc = min(b.cone_height * um, max(0.0, z_top - z))
        r0, r1 = b.cone_base_diameter * um / 2, b.cone_tip_diameter * um / 2
        total += frustum(r0, r0 + (r1 - r0) * hc / (b.cone_height * um), hc)
        z += b.cone_height * um
    return total


# -- chip-size package ---------------------------------------------------------------------
def test_csp_region_volumes_match_closed_forms():
    spec = spec_of("csp_diced")
    v, regions, faces = volumes(spec)
    um = UM_PER_M
    ex, ey = spec.extent()
    area = ex * ey
    n = len(spec.bump_sites()[0])
    lv = spec.levels()[0]
    p = spec.pads
    a = spec.arrangements[0]
    assert v["die"] == pytest.approx(area * spec.die_thickness * um, rel=REL)
    assert v["pad"] == pytest.approx(n * (p.size * um) ** 2 * p.thickness * um, rel=REL)
    assert v["bump"] == pytest.approx(n * bump_volume_below(spec, 0, math.inf), rel=REL)
    resin = area * a.resin_thickness * um - n * (p.size * um) ** 2 * p.thickness * um
    resin -= n * bump_volume_below(spec, 0, lv["resin_top"])
    assert v["resin"] == pytest.approx(resin, rel=REL)
    R, r_open = spec.solder_ball.diameter * um / 2, spec.resist.opening_diameter * um / 2
    ball_cap = cap(R, R + math.sqrt(R * R - r_open * r_open))
    t_rs = spec.resist.thickness * um
    assert v["solder"] == pytest.approx(n * (math.pi * r_open**2 * t_rs + ball_cap), rel=REL)
    # Everything together fills the stack exactly once: no overlaps, no gaps.
    height = (spec.die_thickness + a.resin_thickness + a.wiring.thickness + spec.resist.thickness) * um
    assert sum(v.values()) == pytest.approx(area * height + n * ball_cap, rel=REL)
    assert {"die", "pad", "bump", "resin", "wiring", "resist", "solder"} == set(regions)
    assert {"bottom", "top", "side", "interface_bump_resin", "interface_bump_wiring", "interface_die_resin",
            "interface_resin_wiring", "interface_wiring_resist"} <= set(faces)
    # The projecting tips are embedded: no bump face is exposed or touches the resist.
    assert "interface_bump_resist" not in faces


@pytest.mark.slow
def test_csp_quarter_model_is_a_quarter():
    full, _, _ = volumes(spec_of("csp_diced"))
    quarter, _, faces = volumes(spec_of("csp_diced", symmetry="quarter"))
    for name in ("die", "pad", "bump", "resin", "wiring", "solder"):
        assert quarter[name] == pytest.approx(full[name] / 4, rel=REL), name
    assert {"sym_x", "sym_y"} <= set(faces)


@pytest.mark.slow
def test_csp_on_wafer_has_scribe_lanes_and_all_chips():
    spec = spec_of("csp_2x2_on_wafer")
    v, _, _ = volumes(spec)
    um = UM_PER_M
    cell = (spec.chip_size[0] + spec.scribe_width) * um
    assert v["die"] == pytest.approx((2 * cell) ** 2 * spec.die_thickness * um, rel=REL)
    assert v["bump"] == pytest.approx(4 * 12 * bump_volume_below(spec, 0, math.inf), rel=REL)


@pytest.mark.slow
def test_csp_multilayer_second_bumps_sit_on_first_lands():
    spec = spec_of("csp_multilayer")
    v, regions, faces = volumes(spec)
    n = len(spec.bump_sites()[1])
    assert v["bump_2"] == pytest.approx(n * bump_volume_below(spec, 1, math.inf), rel=REL)
    assert {"resin_2", "bump_2", "wiring_2"} <= set(regions)
    assert "interface_wiring_bump_2" in faces  # bonded on the land below
    a = spec.arrangements
    um = UM_PER_M
    ex, ey = spec.extent()
    height = (spec.die_thickness + a[0].resin_thickness + a[1].resin_thickness + a[1].wiring.thickness
              + spec.resist.thickness) * um
    R, r_open = spec.solder_ball.diameter * um / 2, spec.resist.opening_diameter * um / 2
    assert sum(v.values()) == pytest.approx(ex * ey * height + n * cap(R, R + math.sqrt(R * R - r_open**2)), rel=REL)


def test_csp_axisymmetric_areas():
    spec = spec_of("csp_axisymmetric")
    v, regions, faces = volumes(spec)
    um = UM_PER_M
    b = spec.arrangements[0].bump
    rc = spec.pads.pitch * um / 2
    assert v["die"] == pytest.approx(rc * spec.die_thickness * um, rel=REL)
    one = b.base_diameter / 2 * b.base_height + (b.cone_base_diameter + b.cone_tip_diameter) / 4 * b.cone_height
    assert v["bump"] == pytest.approx(b.stack * one * um * um, rel=REL)
    assert {"axis", "bottom", "side", "top"} <= set(faces)


# -- bumped substrate -------------------------------------------------------------------------
def minkowski(R, d):
    return math.pi * R * R * d + math.pi**2 / 2 * R * d * d + 2 / 3 * math.pi * d**3


def test_substrate_etched_volumes_match_minkowski():
    spec = spec_of("substrate_3x3_etched")
    v, regions, faces = volumes(spec)
    um = UM_PER_M
    R, d = spec.film.hole_radius * um, spec.concavity.depth * um
    tf, tb = spec.film.thickness * um, spec.base_thickness * um
    hole = frustum(R, spec.film.top_radius * um, tf)
    area = (3 * spec.pitch * um) ** 2
    assert v["base"] == pytest.approx(area * tb - 9 * minkowski(R, d), rel=REL)
    assert v["film"] == pytest.approx(area * tf - 9 * hole, rel=REL)
    assert v["electrolyte"] == pytest.approx(9 * (minkowski(R, d) + hole) + area * spec.electrolyte.height * um,
                                             rel=REL)
    assert spec.concavity_volume() * UM_PER_M**3 == pytest.approx(minkowski(R, d), rel=1e-12)
    assert {"base", "film", "electrolyte"} == set(regions)
    assert {"cathode", "mask", "bulk", "bottom", "side"} <= set(faces)


def test_substrate_wired_volumes():
    spec = spec_of("substrate_3x3_wired")
    v, regions, faces = volumes(spec)
    um = UM_PER_M
    R, d, t = spec.film.hole_radius * um, spec.concavity.depth * um, spec.barrier_thickness * um
    lvl, tc = spec.fill.level * um, spec.cap_thickness * um
    r_at = lambda h: R + h * math.tan(spec.film.taper)  # noqa: E731
    assert v["barrier"] == pytest.approx(9 * (minkowski(R, d) - minkowski(R, d - t)), rel=REL)
    assert v["bump"] == pytest.approx(9 * (minkowski(R, d - t) + frustum(R, r_at(lvl), lvl)), rel=REL)
    assert v["cap"] == pytest.approx(9 * frustum(r_at(lvl), r_at(lvl + tc), tc), rel=REL)
    assert {"base", "film", "barrier", "bump", "cap", "wiring", "insulator"} == set(regions)


@pytest.mark.slow
def test_substrate_merged_concavities_are_the_union():
    """Holes closer than 2d: the concavities merge into their union. Reference: slices at
    depth s are unions of disks of radius R + sqrt(d^2 - s^2), integrated on a 0.5 um grid
    (midpoint rule in s); 2e-3 covers that quadrature, not the geometry."""
    spec = spec_of("substrate_3x3_etched", pitch="70 um", margin="60 um", concavity={"depth": "20 um"})
    v, _, _ = volumes(spec)
    um = UM_PER_M
    R, d = spec.film.hole_radius * um, spec.concavity.depth * um
    ex, ey = spec.extent()
    open_below = ex * ey * spec.base_thickness * um - v["base"]
    h = 0.5
    xs = np.arange(h / 2, ex, h)
    X, Y = np.meshgrid(xs, xs, indexing="ij")
    c = spec.hole_centres()
    dist = np.min(np.hypot(X[..., None] - c[:, 0], Y[..., None] - c[:, 1]), axis=-1)
    depths = np.arange(h / 2, d, h)
    union = sum(np.count_nonzero(dist <= R + math.sqrt(d * d - s * s)) * h * h * h for s in depths)
    assert open_below < 9 * minkowski(R, d) * 0.95  # they did merge
    assert open_below == pytest.approx(union, rel=2e-3)


def test_substrate_final_state_has_protruding_bumps():
    v, regions, faces = volumes(spec_of("substrate_3x3_final"))
    assert "base" not in regions and "barrier" not in regions
    assert {"bump_surface", "bottom"} <= set(faces)


def test_substrate_axisymmetric_profile_area():
    spec = spec_of("substrate_axisymmetric_etched")
    v, _, faces = volumes(spec)
    um = UM_PER_M
    R, d, rc = spec.film.hole_radius * um, spec.concavity.depth * um, spec.pitch * um / 2
    assert v["base"] == pytest.approx(rc * spec.base_thickness * um - (R * d + math.pi * d * d / 4), rel=REL)
    assert {"cathode", "mask", "bulk", "axis"} <= set(faces)


# -- constraints -------------------------------------------------------------------------------
CSP = (CASES / "geometry" / "csp_diced.toml").read_text()
SUB = (CASES / "geometry" / "substrate_3x3_wired.toml").read_text()
VIOLATIONS = {
    "bumps_overlap": (CSP, 'pitch = "250 um"', 'pitch = "60 um"', "geometry.arrangements[0].bump.base_diameter"),
    "tips_not_projecting": (CSP, 'resin_thickness = "50 um"', 'resin_thickness = "70 um"',
                            "geometry.arrangements[0].resin_thickness"),
    "resin_below_pad_top": (CSP, 'resin_thickness = "50 um"', 'resin_thickness = "4 um"',
                            "geometry.arrangements[0].resin_thickness"),
    "trace_narrower_than_bump": (CSP, 'trace_width = "35 um"', 'trace_width = "20 um"',
                                 "geometry.arrangements[0].wiring.trace_width"),
    "wiring_does_not_embed_tip": (CSP, 'thickness = "10 um"', 'thickness = "5 um"',
                                  "geometry.arrangements[0].wiring.thickness"),
    "lands_overlap": (CSP, 'route_length = "150 um"', 'route_length = "260 um"',
                      "geometry.arrangements[0].wiring.land_diameter"),
    "opening_wider_than_land": (CSP, 'opening_diameter = "130 um"', 'opening_diameter = "200 um"',
                                "geometry.resist.opening_diameter"),
    "ball_not_larger_than_opening": (CSP, 'diameter = "170 um"', 'diameter = "120 um"',
                                     "geometry.solder_ball.diameter"),
    "diced_many_chips": (CSP, "chips = [1, 1]", "chips = [2, 2]", "geometry"),
    "concavity_through_base": (SUB, 'depth = "20 um"', 'depth = "90 um"', "geometry.concavity.depth"),
    "concavity_leaves_area": (SUB, 'depth = "20 um"', 'depth = "55 um"', "geometry.concavity.depth"),
    "film_holes_overlap": (SUB, 'taper = "10 deg"', 'taper = "75 deg"', "geometry.film.taper"),
    "fill_above_film": (SUB, 'level = "5 um"', 'level = "30 um"', "geometry.fill.level"),
    "cap_out_of_hole": (SUB, 'cap_thickness = "4 um"', 'cap_thickness = "24 um"', "geometry.cap_thickness"),
    "via_wider_than_land": (SUB, 'via_diameter = "40 um"', 'via_diameter = "120 um"',
                            "geometry.wiring_layers[0].via_diameter"),
}


@pytest.mark.parametrize("name", sorted(VIOLATIONS))
def test_constraint_violation_exits_2_naming_the_field(name, tmp_path, sprout):
    text, old, new, field = VIOLATIONS[name]
    assert old in text, old
    case = tmp_path / "bad.toml"
    case.write_text(text.replace(old, new, 1))
    r = sprout("check", case)
    assert r.returncode == 2, (r.stdout, r.stderr)
    line = r.stderr.strip()
    assert "\n" not in line and "Traceback" not in line
    assert f": {field}" in line, line


# -- meshing -------------------------------------------------------------------------------------
# 3D cases measured 1.3 to 15 s, axisymmetric ones 0.3 s
MESH_PARAMS = [pytest.param(p, id=p.stem, marks=[] if "axisymmetric" in p.stem else [pytest.mark.slow])
               for p in GEOMETRY_CASES]


@pytest.mark.parametrize("path", MESH_PARAMS)
def test_every_geometry_case_meshes(path, tmp_path):
    from solver.geometry.meshing import write_mesh_files
    from solver import load_case

    case = load_case(path)
    info = write_mesh_files(case, tmp_path / "m")
    assert info["cells_total"] > 0 and info["quality_min"] > 0.0
    assert set(info["cells_per_region"]) == set(case.geometry.region_names())
    assert all(n > 0 for n in info["cells_per_region"].values())
    for f in ("mesh.msh", "mesh_quality.json", "mesh.png"):
        assert (tmp_path / "m" / f).stat().st_size > 0


@pytest.mark.slow
def test_same_case_gives_the_same_mesh():
    spec = spec_of("csp_diced", element_size="80 um")
    meshes_ = []
    for _ in range(2):
        with gmsh_session():
            build_mesh(spec)
            meshes_.append((gmsh.model.mesh.getNodes()[1].copy(),
                            np.concatenate(gmsh.model.mesh.getElements(3)[2]).copy()))
    assert np.array_equal(meshes_[0][0], meshes_[1][0]) and np.array_equal(meshes_[0][1], meshes_[1][1])


@pytest.mark.slow
def test_finer_size_gives_proportionally_more_cells():
    """Predictable counts: halving the element size multiplies the count of a region
    meshed at that size by about 2^3 (the die, far from the fine features)."""
    counts = []
    for h in ("60 um", "30 um"):
        with gmsh_session():
            counts.append(build_mesh(spec_of("csp_diced", element_size=h)).element_counts["die"])
    assert 5 < counts[1] / counts[0] < 10


# -- external meshes and export --------------------------------------------------------------------
@pytest.mark.slow
def test_export_and_reimport_as_external_mesh(tmp_path, sprout):
    """``sprout mesh --export inp`` writes named element sets; a case naming that file as an
    external mesh gets the same regions, and a thermo-elastic run on it works."""
    r = sprout("mesh", CASES / "geometry" / "csp_axisymmetric.toml", "-o", tmp_path / "m", "--export", "inp",
               "--export", "vtu")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "m" / "mesh.inp").exists() and (tmp_path / "m" / "mesh.vtu").exists()
    case = tmp_path / "ext.toml"
    case.write_text(f'''kind = "thermoelastic"
name = "external_csp"
[geometry]
type = "external"
path = "{tmp_path / 'm' / 'mesh.inp'}"
length_unit = "1 m"
[model]
formulation = "axisymmetric"
degree = 1
[regions]
die = "Si"
pad = "Al"
bump = "Au"
resin = "epoxy_resin_sheet"
wiring = "Cu_plated"
resist = "solder_resist"
solder = "SnAg"
[load]
temperature = "25 degC"
stress_free_temperature = "100 degC"
''')
    r = sprout("run", case, "-o", tmp_path / "run", "--set", "output.fields=false")
    assert r.returncode == 0, r.stderr
    r = sprout("mesh", case, "-o", tmp_path / "again")
    assert r.returncode == 0, r.stderr
    import json

    a = json.loads((tmp_path / "m" / "mesh_quality.json").read_text())
    b = json.loads((tmp_path / "again" / "mesh_quality.json").read_text())
    assert a["cells_per_region"] == b["cells_per_region"]
    # The re-imported mesh measures its cells; so does this reference on the original
    # mesh (the CAD areas differ where boundaries are curved: the ball).
    import meshio

    m = meshio.read(tmp_path / "m" / "mesh.msh")
    names = {int(v[0]): k for k, v in m.field_data.items() if int(v[1]) == 2}
    ref: dict[str, float] = {}
    for block, tags in zip(m.cells, m.cell_data["gmsh:physical"]):
        if block.type != "triangle":
            continue
        p = m.points[block.data][:, :, :2]
        e1, e2 = p[:, 1] - p[:, 0], p[:, 2] - p[:, 0]
        area = 0.5 * np.abs(e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0])
        for tag in np.unique(tags):
            ref[names[int(tag)]] = ref.get(names[int(tag)], 0.0) + area[tags == tag].sum()
    assert set(ref) == set(b["measure_per_region_m2"])
    for name, value in ref.items():
        assert b["measure_per_region_m2"][name] == pytest.approx(value, rel=1e-9), name


def test_external_mesh_errors_name_the_field(tmp_path, sprout):
    case = tmp_path / "ext.toml"
    case.write_text('kind = "geometry"\nname = "x"\n[geometry]\ntype = "external"\npath = "nope.vtu"\n'
                    'length_unit = "1 mm"\n')
    r = sprout("check", case)
    assert r.returncode == 2 and "geometry.path" in r.stderr and "no such mesh file" in r.stderr


@pytest.mark.slow
@pytest.mark.parametrize("dimension", [2, 3])
def test_package_mesh_through_the_stress_solver_equal_cte_is_stress_free(dimension, tmp_path, run_cli):
    """The package geometry on the thermo-elastic code path: every material with one CTE,
    free body, heated: no stress anywhere. P1 holds the exact (linear) solution, so only
    round-off and the solver tolerance remain: below 1e-8 of E_Si alpha dT = 130 MPa."""
    geo = (CASES / "geometry" / ("csp_axisymmetric.toml" if dimension == 2 else "csp_diced.toml")).read_text()
    geo = geo.split("[geometry]", 1)[1]
    if dimension == 3:
        geo = geo.replace('element_size = "60 um"', 'element_size = "120 um"').replace(
            'symmetry = "none"', "").replace("state = \"diced\"", "state = \"diced\"\nsymmetry = \"quarter\"")
    regions = {"die": "Si", "pad": "Al", "bump": "Au", "resin": "epoxy_resin_sheet", "wiring": "Cu_plated",
               "resist": "solder_resist", "solder": "SnAg"}
    materials = "".join(f'[materials.{m}]\ncte = "10 ppm/K"\n' for m in regions.values())
    case = tmp_path / "c.toml"
    case.write_text(f'''kind = "thermoelastic"
name = "csp_equal_cte"
[model]
formulation = "{'axisymmetric' if dimension == 2 else '3d'}"
degree = 1
[regions]
''' + "".join(f'{r} = "{m}"\n' for r, m in regions.items()) + materials + f'''
[load]
temperature = "125 degC"
stress_free_temperature = "25 degC"
[supports]
symmetry = {'["sym_x", "sym_y"]' if dimension == 3 else '[]'}
[output]
fields = false
picture = false
[geometry]''' + geo)
    s = run_cli(case, tmp_path / "out")
    scale = 130e3 * 10e-6 * 100  # MPa
    assert s["results"]["max_von_mises_MPa"] < 1e-8 * scale, s["results"]["max_von_mises_MPa"]
    assert s["solver"]["residual_rel"] < 1e-9


@pytest.mark.slow
def test_substrate_concavity_from_an_etch_profile_is_revolved_exactly():
    """A profile handed over by the etch solver (here the Minkowski wall sampled at 40
    points) is revolved as given: its volume is Pappus's 2 pi A r_c of the polygon exactly,
    and close to the analytic shape it samples."""
    um = 1e-6
    R, d = 25.0, 20.0
    t = np.linspace(0, np.pi / 2, 40)
    wall = [(R + d * np.cos(a), -d * np.sin(a)) for a in t] + [(0.0, -d)]
    profile = [[f"{r:.12g} um", f"{z:.12g} um"] for r, z in wall]
    spec = spec_of("substrate_3x3_etched", concavity={"profile": profile})
    v, _, _ = volumes(spec)
    poly = np.array([(0.0, 0.0)] + wall)
    x, y = poly[:, 0], poly[:, 1]
    xn, yn = np.roll(x, -1), np.roll(y, -1)
    cross = x * yn - xn * y
    area = cross.sum() / 2
    r_c = ((x + xn) * cross).sum() / (6 * area)
    one = 2 * np.pi * abs(area) * r_c
    base = (3 * spec.pitch / um) ** 2 * spec.base_thickness / um
    assert v["base"] == pytest.approx(base - 9 * one, rel=REL)
    assert one == pytest.approx(minkowski(R, d), rel=2e-3)  # 40-point sampling of the arc


def test_concavity_profile_is_refused_beyond_the_etched_stage(tmp_path, sprout):
    text = SUB.replace('depth = "20 um"', 'profile = [["45 um", "0 um"], ["25 um", "-20 um"], ["0 um", "-20 um"]]')
    case = tmp_path / "p.toml"
    case.write_text(text)
    r = sprout("check", case)
    assert r.returncode == 2 and "geometry.concavity.profile" in r.stderr, r.stderr
