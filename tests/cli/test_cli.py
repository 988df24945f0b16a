"""The ``sprout`` command as users run it: subprocesses, exit codes, files, rank agreement."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

CASES = Path(__file__).resolve().parents[2] / "cases"
BIMETAL = (CASES / "validation" / "bimetal_strip.toml").read_text()


@pytest.mark.slow
def test_help_and_version(sprout):
    r = sprout("--help")
    assert r.returncode == 0 and "run" in r.stdout and "schema" in r.stdout
    r = sprout("--version")
    assert r.returncode == 0 and re.match(r"sprout \d+\.\d+\.\d+", r.stdout)


def test_console_script_is_installed():
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    exe = Path(sys.executable).parent / "sprout"
    assert exe.exists() or shutil.which("sprout")
    r = subprocess.run([str(exe), "--version"], capture_output=True, text=True)
    assert r.returncode == 0


def test_schema_is_json_schema_with_units(sprout):
    r = sprout("schema")
    assert r.returncode == 0
    schema = json.loads(r.stdout)
    kinds = {"thermoelastic", "reliability", "geometry", "etch", "plating", "seed_layer", "fill", "flow"}
    assert set(schema["discriminator"]["mapping"]) == kinds
    assert "geometry" in schema["$defs"]["ThermoelasticCase"]["properties"]
    text = json.dumps(schema)
    assert "length with its unit" in text and "additionalProperties" in text


def test_check_reports_case(sprout):
    r = sprout("check", CASES / "validation" / "bimetal_strip.toml")
    assert r.returncode == 0, r.stderr
    assert "ok: bimetal_strip" in r.stdout and "1280 cells" in r.stdout


@pytest.mark.slow
def test_run_writes_contract(tmp_path, sprout, read_summary):
    out = tmp_path / "res"
    r = sprout("run", CASES / "validation" / "lame_cylinder.toml", "-o", out)
    assert r.returncode == 0, r.stderr
    data = read_summary(out)
    for key in ("case", "kind", "status", "ranks", "dofs", "wall_s", "versions", "results", "reference"):
        assert key in data
    assert data["status"] == "ok" and data["kind"] == "thermoelastic"
    for name in data["results"]:
        assert re.search(r"_(um|MPa|1_per_m|ratio|degC)$", name), f"result without a unit suffix: {name}"
    for f in ("fields/displacement.pvd", "fields/stress.pvd", "fields/regions.json", "fields/boundaries.vtu",
              "thermoelastic.png", "case.resolved.json"):
        assert (out / f).exists(), f
    # A cylinder has no bottom surface: no warpage, no profile (rather than a meaningless one).
    assert "warpage_um" not in data["results"] and not (out / "bottom_profile.csv").exists()
    resolved = json.loads((out / "case.resolved.json").read_text())
    assert resolved["case"]["geometry"]["core_radius"] == pytest.approx(1e-3)
    assert resolved["si_units"]["geometry.core_radius"] == "m"
    assert resolved["si_units"]["load.temperature"] == "K"
    # what each region is made of, as resolved (library values merged with overrides)
    assert set(resolved["materials_by_region"]) == {"core", "shell"}
    assert resolved["stress_free_temperature_K_by_region"]["core"] > 0
    assert not list(tmp_path.glob(".*partial*")), "staging directory left behind"


@pytest.mark.slow
def test_set_overrides_and_default_output(tmp_path, sprout, read_summary):
    case = tmp_path / "b.toml"
    case.write_text(BIMETAL)
    r = sprout("run", case, "--set", "load.temperature=75 degC", "--set", "output.fields=false",
               "--set", "name=half_cool", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    data = read_summary(tmp_path / "results" / "half_cool")
    # Half the cool-down, half the curvature (linear).
    assert data["reference"]["curvature_1_per_m"] == pytest.approx(-2.0835530881332405 / 2, rel=1e-12)
    assert not (tmp_path / "results" / "half_cool" / "fields").exists()
    profile = (tmp_path / "results" / "half_cool" / "bottom_profile.csv").read_text().splitlines()
    assert profile[0] == "x_um,w_um" and len(profile) == 1 + 2 * 80 + 1  # P2 nodes along 80 cells


BAD_INPUTS = {
    # name: (replace this, with this, field the message must name)
    "bare_number_length": ('length = "20 mm"', "length = 20", "geometry.length"),
    "negative_thickness": ('thickness = "0.5 mm", elements_through_thickness = 4 },\n  { region = "copper"',
                           'thickness = "-0.5 mm", elements_through_thickness = 4 },\n  { region = "copper"',
                           "geometry.layers[0].thickness"),
    "unknown_material": ('copper = "Cu"', 'copper = "Unobtainium"', "regions.copper"),
    "unknown_key": ("[load]\n", "[load]\ntemprature = \"20 degC\"\n", "load.temprature"),
    "malformed_toml": ("[model]", "[model", "malformed TOML"),
    "wrong_dimension": ('temperature = "25 degC"', 'temperature = "25 mm"', "load.temperature"),
    "unknown_unit": ('element_size = "0.25 mm"', 'element_size = "0.25 furlongz"', "geometry.element_size"),
    "unknown_boundary": ("[load]", "[supports]\nsymmetry = [\"middle\"]\n\n[load]", "supports.symmetry[0]"),
    "dimension_mismatch": ('formulation = "plane_stress"', 'formulation = "3d"', "model.formulation"),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_exits_2_with_one_line(name, tmp_path, sprout):
    old, new, field = BAD_INPUTS[name]
    assert old in BIMETAL
    case = tmp_path / "bad.toml"
    case.write_text(BIMETAL.replace(old, new, 1))
    out = tmp_path / "out"
    r = sprout("run", case, "-o", out)
    assert r.returncode == 2, (r.stdout, r.stderr)
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, r.stderr
    assert field in lines[0], lines[0]
    assert "Traceback" not in r.stderr + r.stdout
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["bad.toml"], "something was written"


def test_bad_override_exits_2(tmp_path, sprout):
    r = sprout("check", CASES / "validation" / "bimetal_strip.toml", "--set", "geometry.layers[7].thickness=1 um")
    assert r.returncode == 2 and "geometry.layers" in r.stderr and "Traceback" not in r.stderr


def test_missing_case_file_exits_2(tmp_path, sprout):
    r = sprout("run", tmp_path / "nope.toml", "-o", tmp_path / "out")
    assert r.returncode == 2 and "no such case file" in r.stderr
    assert not (tmp_path / "out").exists()


def test_failed_solve_exits_1_with_diagnostics(tmp_path, sprout, read_summary):
    """Two CG iterations cannot reach 1e-10: exit 1, the reason and residual on stderr, and a
    summary with status failed (never a silent wrong answer)."""
    out = tmp_path / "out"
    r = sprout("run", CASES / "validation" / "bimetal_strip.toml", "-o", out,
               "--set", "solver.method=iterative", "--set", "solver.max_iterations=2")
    assert r.returncode == 1
    assert "did not converge" in r.stderr and "DIVERGED_MAX_IT" in r.stderr and "residual" in r.stderr
    data = read_summary(out)
    assert data["status"] == "failed" and data["results"] == {}
    assert data["diagnostics"]["iterations"] == 2


@pytest.mark.slow
def test_mesh_command_writes_mesh_files(tmp_path, sprout):
    out = tmp_path / "m"
    r = sprout("mesh", CASES / "validation" / "sphere_in_shell.toml", "-o", out)
    assert r.returncode == 0, r.stderr
    info = json.loads((out / "mesh_quality.json").read_text())
    assert info["cells_total"] == sum(info["cells_per_region"].values()) > 0
    assert 0 < info["quality_min"] <= info["quality_mean"] <= 1
    assert (out / "mesh.msh").stat().st_size > 0 and (out / "mesh.png").exists()


@pytest.mark.slow
@pytest.mark.parametrize(
    "case, overrides",
    [
        ("lame_cylinder", []),  # MUMPS
        ("bimetal_strip", ["--set", "solver.method=iterative"]),  # CG + GAMG, rtol 1e-10
        ("free_expansion", ["--set", "solver.method=iterative"]),  # 3D CG + GAMG
    ],
)
def test_two_ranks_agree_with_one(case, overrides, tmp_path, sprout, read_summary):
    """``mpirun -n 2 sprout run`` gives the results of 1 rank to 1e-8 relative to the
    scale of each kind of result (the largest value with the same unit: a mean interface
    traction of 0.008 MPa in a 100 MPa stress field is a cancellation, compared against
    the stress scale). Values below 1e-6 in their units (1 Pa, 1 pm) are round-off zeros."""
    path = CASES / "validation" / f"{case}.toml"
    a = sprout("run", path, "-o", tmp_path / "one", "--set", "output.fields=false", *overrides)
    b = sprout("run", path, "-o", tmp_path / "two", "--set", "output.fields=false", *overrides, ranks=2)
    assert a.returncode == 0 and b.returncode == 0, (a.stderr, b.stderr)
    one, two = read_summary(tmp_path / "one"), read_summary(tmp_path / "two")
    assert two["ranks"] == 2 and one["dofs"] == two["dofs"]
    unit = lambda key: key.rsplit("_", 1)[-1]  # noqa: E731
    scale: dict[str, float] = {}
    for key, v in one["results"].items():
        scale[unit(key)] = max(scale.get(unit(key), 0.0), abs(v))
    compared = 0
    for key, v1 in one["results"].items():
        v2 = two["results"][key]
        if abs(v1) < 1e-6 and abs(v2) < 1e-6:
            continue
        assert abs(v1 - v2) <= 1e-8 * max(abs(v1), scale[unit(key)]), (key, v1, v2)
        compared += 1
    assert compared >= 1


EVERY_KIND = [CASES / "etch" / "isotropic_hole.toml", CASES / "etch" / "diffusion_limited_hole.toml",
              CASES / "plating" / "newman_disk.toml", CASES / "plating" / "wafer_terminal_effect.toml",
              CASES / "sweeps" / "bimetal_grid.toml",
              CASES / "geometry" / "csp_diced.toml"]


@pytest.mark.parametrize("path", EVERY_KIND, ids=lambda p: p.stem)
def test_check_describes_every_kind(path, sprout):
    """``sprout check`` answers for every kind of file: etch, plating, sweep, geometry."""
    r = sprout("check", path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("ok: ")


@pytest.mark.parametrize("override, words", [
    ("cathode.kinetics=butler_volmer", "exchange_current_density"),
    ("operation.current=1 A", "either cell_voltage"),
    ("electrolyte.conductivity=-1 S/m", "electrolyte.conductivity"),
    ("cathode.alpha_c=1.5", "cathode.alpha_c"),
])
def test_bad_plating_input_names_the_field(tmp_path, override, words, sprout):
    r = sprout("run", CASES / "plating" / "newman_disk.toml", "-o", tmp_path / "x", "--set", override)
    assert r.returncode == 2 and words in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert not (tmp_path / "x").exists()
