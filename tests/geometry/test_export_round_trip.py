"""``sprout mesh --export FORMAT`` hands a mesh to other tools with its region and boundary
names, and every file it writes comes back as an ``external`` mesh that runs end to end
with the results of the mesh it came from. Files a case names resolve against the case
file's folder, whatever the working directory.

The round trip is the shipped axisymmetric CSP (7 regions, 15 boundaries, 550 cells) cooled
from 100 to 25 degC, run on the parametric geometry and on each export. The exported mesh is
the same mesh in another node numbering, so results agree to round-off: measured 3.9e-11
relative at worst (the curvature); held to 1e-9."""

from __future__ import annotations

import json
from pathlib import Path

import meshio
import numpy as np
import pytest

import solver
from solver.core.case import CaseError
from solver.workflow.driver import check

CASES = Path(__file__).resolve().parents[2] / "cases"
FORMATS = {"inp": "mesh.inp", "med": "mesh.med", "msh": "mesh_v2.msh", "vtu": "mesh.vtu", "xdmf": "mesh.xdmf",
           "vtk": "mesh.vtk"}
WITHOUT_NAMES = {"vtu", "xdmf", "vtk"}  # names in the legend beside the file (regions.json)
ROUND_OFF = 1e-9

THERMOELASTIC = '''kind = "thermoelastic"
name = "csp_cooldown_{name}"
[geometry]
{geometry}
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
'''


def external(path: str, legend: str | None = None) -> str:
    return f'type = "external"\npath = "{path}"\nlength_unit = "1 m"\n' + (f'legend = "{legend}"\n' if legend else "")


@pytest.fixture(scope="module")
def exported(tmp_path_factory, sprout) -> Path:
    out = tmp_path_factory.mktemp("exports") / "csp"
    args = [a for fmt in FORMATS for a in ("--export", fmt)]
    r = sprout("mesh", CASES / "geometry" / "csp_axisymmetric.toml", "-o", out, *args)
    assert r.returncode == 0, r.stderr
    return out


@pytest.fixture(scope="module")
def reference(tmp_path_factory, run_cli) -> dict:
    """The cool-down on the parametric geometry the exports were meshed from."""
    folder = tmp_path_factory.mktemp("reference")
    geometry = (CASES / "geometry" / "csp_axisymmetric.toml").read_text().split("[geometry]", 1)[1]
    case = folder / "csp.toml"
    case.write_text(THERMOELASTIC.format(name="parametric", geometry=geometry.strip()))
    return run_cli(case, folder / "out")


@pytest.mark.slow
def test_every_format_is_written_and_mesh_msh_is_gmsh_s_own(exported):
    """mesh.msh stays gmsh's MSH 4.1 with every physical name; --export msh is MSH 2.2 under
    its own name; xdmf's heavy data sits beside it (mesh.h5); the legend names the ids of
    the ``region`` array that every meshio export carries."""
    quality = json.loads((exported / "mesh_quality.json").read_text())
    for name in [*FORMATS.values(), "mesh.h5", "regions.json"]:
        assert name in quality["files"] and (exported / name).is_file(), name
    msh = (exported / "mesh.msh").read_text()
    assert msh.startswith("$MeshFormat\n4.1")
    assert all(f'"{n}"' in msh for n in [*quality["regions"], *quality["boundaries"]])
    assert (exported / "mesh_v2.msh").read_text().startswith("$MeshFormat\n2.2")
    legend = json.loads((exported / "regions.json").read_text())
    assert legend == {"cell_data": "region", "region_ids": quality["regions"],
                      "boundary_ids": quality["boundaries"]}


@pytest.mark.slow
@pytest.mark.parametrize("fmt", FORMATS)
def test_export_reads_back_with_every_region_and_boundary(fmt, exported):
    """Each export, read as an external mesh, has the regions and boundaries of mesh.msh with
    the same number of cells and facets in each (exactly: the same mesh)."""
    def counts(path: str, legend: str | None) -> tuple[dict, dict]:
        case = exported / f"names_{fmt}.toml"
        case.write_text(f'kind = "geometry"\nname = "names"\n[geometry]\n{external(path, legend)}')
        data = solver.load_case(case).geometry.data()
        return ({n: len(c) for n, c in data.regions.items()}, {n: len(c) for n, c in data.boundaries.items()})

    regions, boundaries = counts(FORMATS[fmt], "regions.json" if fmt in WITHOUT_NAMES else None)
    ref_regions, ref_boundaries = counts("mesh.msh", None)
    assert regions == ref_regions and sum(regions.values()) == 550
    assert boundaries == ref_boundaries and len(boundaries) == 15


@pytest.mark.slow
@pytest.mark.parametrize("fmt", FORMATS)
def test_export_runs_end_to_end_as_an_external_mesh(fmt, exported, reference, tmp_path, sprout, read_summary):
    """``sprout run`` of a case whose geometry is the export, named relative to the case file
    (in a sibling folder, ``../``) and run from an unrelated working directory, with fields
    written (the re-imported inp once crashed there, without boundary tags): every result of
    the parametric run, interface stresses included, to round-off."""
    cases = exported.parent / "cases"
    cases.mkdir(exist_ok=True)
    case = cases / f"{fmt}.toml"
    legend = f"../{exported.name}/regions.json" if fmt in WITHOUT_NAMES else None
    case.write_text(THERMOELASTIC.format(name=fmt, geometry=external(f"../{exported.name}/{FORMATS[fmt]}", legend)))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    r = sprout("run", case, "-o", tmp_path / "out", cwd=elsewhere)
    assert r.returncode == 0, r.stderr
    got, want = read_summary(tmp_path / "out")["results"], reference["results"]
    assert set(got) == set(want) and any(k.startswith("interface_") for k in got)
    for key, value in want.items():
        assert got[key] == pytest.approx(value, rel=ROUND_OFF, abs=1e-12), key
    # the fields were written, with the exported mesh's region names
    assert {"displacement.pvd", "stress.pvd", "regions.json"} <= {p.name for p in (tmp_path / "out" / "fields").iterdir()}
    legend = json.loads((tmp_path / "out" / "fields" / "regions.json").read_text())
    assert {"bump", "resin"} <= set(legend["regions"].values())


@pytest.mark.slow
def test_external_xdmf_on_two_ranks_matches_serial(exported, reference, tmp_path, run_cli):
    """The same round trip on 2 ranks (both read the XDMF's HDF5 data): the parametric serial
    run's results to round-off (measured 3.3e-11 at worst, the curvature; held to 1e-9)."""
    case = exported.parent / "xdmf_2.toml"
    case.write_text(THERMOELASTIC.format(name="xdmf_2", geometry=external(f"{exported.name}/mesh.xdmf",
                                                                          f"{exported.name}/regions.json")))
    got = run_cli(case, tmp_path / "out", ranks=2)
    assert got["ranks"] == 2
    for key, value in reference["results"].items():
        assert got["results"][key] == pytest.approx(value, rel=ROUND_OFF, abs=1e-12), key


@pytest.mark.slow
def test_external_mesh_without_boundaries_writes_its_fields(exported, reference, tmp_path, run_cli):
    """Only the regions named (cell_data and region_ids, no boundary_ids): the run writes its
    fields instead of crashing on missing facet tags, reports no interface (nor the curvature
    of the bottom face), and what it reports is the parametric run's (the axisymmetric
    supports need no named boundary)."""
    legend = json.loads((exported / "regions.json").read_text())
    ids = ", ".join(f"{n} = {t}" for n, t in legend["region_ids"].items())
    case = exported.parent / "regions_only.toml"
    case.write_text(THERMOELASTIC.format(
        name="regions_only",
        geometry=external(f"{exported.name}/mesh.vtu") + f'cell_data = "region"\nregion_ids = {{ {ids} }}\n'))
    got = run_cli(case, tmp_path / "out")["results"]
    assert not any(k.startswith("interface_") for k in got)
    assert {"max_von_mises_bump_MPa", "mean_von_mises_resin_MPa"} <= set(got) <= set(reference["results"])
    for key, value in got.items():
        assert value == pytest.approx(reference["results"][key], rel=ROUND_OFF, abs=1e-12), key
    assert (tmp_path / "out" / "fields" / "displacement.pvd").exists()


# -- small hand-made files: names, legends and paths ------------------------------------------------
@pytest.fixture
def square(tmp_path) -> Path:
    """A unit square of two triangles (regions a and b) with its four edges (bottom, top),
    as a vtu whose only names are in a legend."""
    folder = tmp_path / "meshes"
    folder.mkdir()
    points = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 1.0, 0.0]])
    cells = [("triangle", np.array([[0, 1, 2], [0, 2, 3]])), ("line", np.array([[0, 1], [1, 2], [2, 3], [3, 0]]))]
    meshio.write(folder / "square.vtu", meshio.Mesh(points, cells, cell_data={"region": [[1, 2], [3, 3, 4, 4]]}))
    (folder / "names.json").write_text(json.dumps(
        {"cell_data": "region", "region_ids": {"a": 1, "b": 2}, "boundary_ids": {"bottom": 3, "top": 4}}))
    return folder


def geometry_case(folder: Path, body: str) -> Path:
    case = folder / "case.toml"
    case.write_text(f'kind = "geometry"\nname = "square"\n[geometry]\ntype = "external"\nlength_unit = "1 mm"\n'
                    f'{body}')
    return case


def test_relative_paths_resolve_against_the_case_file(square, tmp_path, monkeypatch):
    """From another working directory, ``path`` and ``legend`` are found beside the case file
    and the validated case holds them absolute (its resolved copy runs from anywhere)."""
    geometry_case(square, 'path = "square.vtu"\nlegend = "names.json"\n')
    monkeypatch.chdir(tmp_path)
    geo = solver.load_case(Path("meshes") / "case.toml").geometry
    assert geo.path == str(square / "square.vtu") and geo.legend == str(square / "names.json")
    assert geo.region_names() == ["a", "b"] and sorted(geo.boundary_names()) == ["bottom", "top"]
    # a mesh of that name in the working directory is not the case folder's
    other = tmp_path / "other"
    other.mkdir()
    geometry_case(other, 'path = "square.vtu"\ncell_data = "region"\nregion_ids = { a = 1, b = 2 }\n')
    monkeypatch.chdir(square)
    with pytest.raises(CaseError, match="no such mesh file"):
        solver.load_case(other / "case.toml")


def test_a_flow_step_s_mesh_resolves_against_the_step_s_case_file(square, tmp_path, monkeypatch):
    """A flow names its step's case relative to the flow file; the step's case names its mesh
    relative to itself: ``sprout check`` of the flow finds both from another folder."""
    geometry_case(square, 'path = "square.vtu"\nlegend = "names.json"\n')
    flow = tmp_path / "flow.toml"
    flow.write_text('kind = "flow"\nname = "f"\n[[steps]]\nname = "mesh"\ncase = "meshes/case.toml"\n')
    monkeypatch.chdir("/")
    assert "mesh (geometry)" in check(flow, [])


@pytest.mark.parametrize("body, field, message", [
    ('path = "square.vtu"\nlegend = "nope.json"\n', "geometry.legend", "no such legend file"),
    ('path = "square.vtu"\nlegend = "names.json"\ncell_data = "region"\n', "legend", "either a legend"),
    ('path = "square.vtu"\nregion_ids = { a = 1 }\n', "cell_data", "name it in cell_data"),
    ('path = "square.vtu"\ncell_data = "region"\nregion_ids = { a = 1, b = 2 }\nboundary_ids = { bottom = 3 }\n',
     "geometry.boundary_ids", "region value 4 on a facet has no name"),
    ('path = "square.vtu"\ncell_data = "region"\nregion_ids = { a = 1 }\n', "geometry.region_ids",
     "region value 2 on a cell has no name"),
    ('path = "square.vtu"\n', "geometry.path", "names no regions"),
    ('path = "square.vtu"\nlegend = "bad.json"\n', "geometry.legend", "maps lower-case names to whole numbers"),
])
def test_naming_errors_name_the_field(square, body, field, message):
    (square / "bad.json").write_text('{"cell_data": "region", "region_ids": {"A": 1}}')
    with pytest.raises(CaseError) as err:
        solver.load_case(geometry_case(square, body))
    assert field in str(err.value) and message in str(err.value), str(err.value)


def test_the_boundaries_of_a_legend_come_with_their_facets(square):
    """cell_data with region_ids and boundary_ids given in the case: the same mesh as the
    legend gives (2 cells in two regions, 2 facets in each boundary)."""
    legend = solver.load_case(geometry_case(square, 'path = "square.vtu"\nlegend = "names.json"\n')).geometry.data()
    inline = solver.load_case(geometry_case(square, 'path = "square.vtu"\ncell_data = "region"\n'
                                                    'region_ids = { a = 1, b = 2 }\n'
                                                    'boundary_ids = { bottom = 3, top = 4 }\n')).geometry.data()
    for d in (legend, inline):
        assert {n: len(c) for n, c in d.regions.items()} == {"a": 1, "b": 1}
        assert {n: c.tolist() for n, c in d.boundaries.items()} == {"bottom": [[0, 1], [1, 2]], "top": [[2, 3], [3, 0]]}


@pytest.mark.slow
@pytest.mark.parametrize("case, fmt, message", [
    ("geometry/csp_axisymmetric.toml", "stl", "--export stl: unknown format"),
    ("plating/wafer_terminal_effect.toml", "vtu", "--export: the wafer geometry is 1D"),
])
def test_an_export_that_cannot_be_written_is_refused_before_meshing(case, fmt, message, sprout, tmp_path):
    """Exit 2, one line naming --export and the rule, nothing written."""
    r = sprout("mesh", CASES / case, "-o", tmp_path / "m", "--export", fmt)
    assert r.returncode == 2 and message in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert not (tmp_path / "m").exists()
