"""Careless and hostile input, one class at a time (the fuzz test covers them at random):
each is refused with exit 2 and one line naming the field and the rule, before any work,
or, for a runaway found only while solving, exit 1 with the reason."""

from __future__ import annotations

import contextlib
import io
import os
import time
from pathlib import Path

import pytest

from solver.cli import main
from solver.core.case import CaseError
from solver.workflow.registry import load_case

ROOT = Path(__file__).resolve().parents[2]
BIMETAL = ROOT / "cases" / "validation" / "bimetal_strip.toml"
CYLINDER = ROOT / "cases" / "plating" / "growing_cylinder.toml"


def sprout_in_process(*argv) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, err.getvalue()


def refused(*argv, words: str) -> str:
    t = time.perf_counter()
    code, err = sprout_in_process(*argv)
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, err
    assert len(lines) == 1 and "Traceback" not in err, err
    assert words in lines[0], lines[0]
    assert time.perf_counter() - t < 5, "refused only after work"
    return lines[0]


def sweep_file(tmp_path, body: str) -> Path:
    path = tmp_path / "sweep.toml"
    path.write_text(f'[sweep]\nname = "s"\nbase = "{BIMETAL}"\n{body}')
    return path


@pytest.mark.parametrize("text, words", [
    ('kind = ["thermoelastic"]\nname = "x"\n', "kind: unknown case kind"),
    ('kind = {a = 1}\nname = "x"\n', "kind: unknown case kind"),
    ("a = " + "[" * 400 + "1" + "]" * 400 + "\n", "nested deeper than 12 levels"),
    ('kind = "' + "x" * 900_000 + '"\nname = "x"\n', "characters, cut"),
    ('kind = "thermoelastic"\nname = "' + "x" * 2_000_000 + '"\n', "larger than 1024 KiB"),
])
def test_malformed_structures_are_one_line(text, words, tmp_path):
    """Wrong types for ``kind``, arrays nested 400 deep (a recursion error and 0.3 MB of
    stderr before), a 0.9 MB value (echoed whole before), a 2 MB file: exit 2, one line of
    at most ~700 characters."""
    case = tmp_path / "case.toml"
    case.write_text(text)
    line = refused("check", case, words=words)
    assert len(line) < 700


def test_kind_as_a_list_through_set_is_refused():
    refused("check", BIMETAL, "--set", "kind=[1, 2]", words="kind: unknown case kind")


@pytest.mark.parametrize("what", ["directory", "fifo", "dev_zero", "proc_environ"])
def test_only_regular_files_are_read_as_cases(what, tmp_path):
    """A directory, a FIFO, /dev/zero, /proc/self/environ as the case file: refused before
    opening it (a FIFO would block, /dev/zero read until memory ran out)."""
    path = {"directory": tmp_path, "dev_zero": Path("/dev/zero"), "proc_environ": Path("/proc/self/environ"),
            "fifo": tmp_path / "pipe.toml"}[what]
    if what == "fifo":
        os.mkfifo(path)
    refused("check", path, words="must be a regular file")


def test_encodings(tmp_path):
    """A UTF-8 BOM is accepted; Latin-1 text is named as not UTF-8; a file name that is not
    UTF-8 is printed escaped, not a crash."""
    bom = tmp_path / "bom.toml"
    bom.write_bytes(b"\xef\xbb\xbf" + BIMETAL.read_bytes())
    assert sprout_in_process("check", bom)[0] == 0
    latin = tmp_path / "latin.toml"
    latin.write_bytes(BIMETAL.read_bytes().replace(b"description = ", b"# caf\xe9\ndescription = ", 1))
    refused("check", latin, words="not UTF-8 text")
    odd = Path(os.fsdecode(bytes(tmp_path) + b"/case-\xff.toml"))
    refused("check", odd, words="no such case file")


@pytest.mark.parametrize("value", ["5 K*9**9**9", "5 um*(2**64)**(2**64)", "5 " + "m*" * 40 + "m"])
def test_unit_expressions_are_bounded(value):
    """A pint power tower never answered or took GBs: refused at once."""
    refused("check", BIMETAL, "--set", f"load.temperature={value!r}", words="load.temperature")


@pytest.mark.parametrize("override, words", [
    ("model.degree=true", "model.degree: must be a whole number, not true/false"),
    ('geometry.layers[1].elements_through_thickness="5"', "must be a whole number, not the string '5'"),
    ('output.fields="yes"', "output.fields: must be true or false"),
])
def test_toml_types_are_not_coerced(override, words):
    refused("check", BIMETAL, "--set", override, words=words)


@pytest.mark.parametrize("body, words", [
    ('[sweep.parameters]\n"load.temperature" = ' + str([f"{t} degC" for t in range(100)]).replace("'", '"')
     + '\n"geometry.layers[1].thickness" = ' + str([f"{t} um" for t in range(1, 201)]).replace("'", '"') + "\n",
     "20,000 cases, more than the 10,000 allowed"),
    ('method = "latin_hypercube"\nsamples = 4\n[sweep.parameters]\n"load.temperature" = {low = 1, high = "5 degC"}\n',
     "both carry a unit"),
    ('method = "latin_hypercube"\nsamples = 4\nseed = -1\n[sweep.parameters]\n'
     '"load.temperature" = {low = "1 degC", high = "5 degC"}\n', "sweep.seed"),
    ('[sweep.parameters]\n"load.temperature" = ["1 degC"]\n[extra]\na = 1\n', "extra: unknown key"),
])
def test_bad_sweeps_are_refused_before_expanding(body, words, tmp_path):
    """A grid whose product explodes (3.5 GB then a traceback before) is counted, not
    expanded; a bare-number bound against a unit, a negative seed, an unknown table."""
    refused("check", sweep_file(tmp_path, body), words=words)


def test_bigger_sweeps_need_an_explicit_limit(tmp_path):
    body = '[sweep.parameters]\n"load.temperature" = ["1 degC", "2 degC", "3 degC"]\n'
    refused("check", sweep_file(tmp_path, body), "--max-cases", "2", words="3 cases, more than the 2 allowed")
    assert sprout_in_process("check", sweep_file(tmp_path, body), "--max-cases", "3")[0] == 0


def test_set_on_checking_a_sweep_is_refused(tmp_path):
    body = '[sweep.parameters]\n"load.temperature" = ["1 degC"]\n'
    refused("check", sweep_file(tmp_path, body), "--set", "load.temperature=5 degC", words="--set: a sweep")


@pytest.mark.parametrize("merge, words", [
    ('"{etch}/../../../etc/passwd"', "no '..'"),
    ('"/etc/passwd"', "must name a file in an earlier step's folder"),
    ('"{etch}/summary.json"', "writes no 'summary.json'"),
])
def test_flow_merges_are_confined(merge, words, tmp_path):
    """A flow's merge reads only what an earlier step hands over, inside that step's folder
    (``{etch}/../../../etc/passwd`` read any file on the machine before)."""
    flow = (ROOT / "cases" / "flows" / "process_b.toml").read_text()
    assert 'merge = ["{etch}/concavity.toml"]' in flow
    path = ROOT / "cases" / "flows" / f"_test_merge_{os.getpid()}.toml"
    try:
        path.write_text(flow.replace('merge = ["{etch}/concavity.toml"]', f"merge = [{merge}]", 1))
        refused("check", path, words=words)
    finally:
        path.unlink()


@pytest.mark.slow
@pytest.mark.parametrize("override", ['electrolyte.conductivity="1e30 S/m"', 'growth.max_advance="1e-30 um"'])
def test_runaway_growth_ends_with_its_reason(override, tmp_path, sprout):
    """A conductivity of 1e30 S/m or a max_advance of 1e-30 um stepped 1e-18 s at a time for
    hours before; now the first step needing over a billion steps ends the run: exit 1,
    the reason, a failed summary."""
    t = time.perf_counter()
    r = sprout("run", CYLINDER, "-o", tmp_path / "out", "--set", override, timeout=120)
    assert r.returncode == 1, r.stderr
    assert "would need over 1e+09 steps" in r.stderr and "Traceback" not in r.stderr
    assert time.perf_counter() - t < 60


@pytest.mark.parametrize("case, override, words", [
    (BIMETAL, "geometry.element_size=30 mm", "fewer than 2 elements along the 20 mm length"),
    (ROOT / "cases" / "validation" / "lame_cylinder.toml", "geometry.element_size=1e-15 mm",
     "below the 1 nm gmsh can mesh"),
])
def test_sizes_that_cannot_resolve_the_geometry_are_refused(case, override, words, tmp_path, sprout):
    """The 30 mm slip for 0.3 mm on the 20 mm bimetal meshed 16 cells and reported zero
    curvature as ok; below about 1e-12 mm gmsh fell back to its default size in silence
    (lame_cylinder at 1e-15 mm: 6 cells, 2.1 % off, ok)."""
    r = sprout("run", case, "-o", tmp_path / "out", "--set", override)
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert r.returncode == 2 and len(lines) == 1 and words in lines[0], r.stderr
    assert not (tmp_path / "out").exists()


def test_a_runaway_package_is_refused_from_its_spec(tmp_path, sprout):
    """1 um on the diced CSP (60 um meant) meshed for 300 s and 2.8 GB without an end. The
    package bounds its cells from its spec alone (the die at the coarsest size: 1.1e9), so
    `sprout check`, which never builds the geometry, refuses it with the estimate, and so
    does the loading of the case in-process (measured 13 ms; the command's 1.7 s are Python
    importing pint, pydantic and gmsh): exit 2, one line, nothing written."""
    case = ROOT / "cases" / "geometry" / "csp_diced.toml"
    r = sprout("check", case, "--set", "geometry.element_size=1 um", timeout=120)
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert r.returncode == 2 and len(lines) == 1, r.stderr
    assert "give at least 1.1e+09 cells, above the mesh.max_cells budget of 2e+06" in lines[0]
    with pytest.raises(CaseError, match="at least 1.1e"):
        load_case(case, ["geometry.element_size=1 um"])
    r = sprout("mesh", case, "-o", tmp_path / "out", "--set", "geometry.element_size=1 um", timeout=120)
    assert r.returncode == 2 and "at least 1.1e+09 cells" in r.stderr, r.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_runaway_mesh_is_refused_before_meshing(tmp_path, sprout):
    """A geometry without a bound of its own (the etched substrate at 0.5 um for 20 um) is
    bounded after its OpenCASCADE build from the volumes of all its entities at the coarsest
    size (6.7e8 cells), before gmsh meshes anything: exit 2, nothing written."""
    case = ROOT / "cases" / "geometry" / "substrate_3x3_etched.toml"
    r = sprout("mesh", case, "-o", tmp_path / "out", "--set", "geometry.element_size=0.5 um", timeout=120)
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert r.returncode == 2 and len(lines) == 1, r.stderr
    assert "give at least 6.7e+08 cells, above the mesh.max_cells budget of 2e+06" in lines[0]
    assert list(tmp_path.iterdir()) == []


def test_the_cell_budget_is_a_case_setting(tmp_path, sprout):
    """mesh.max_cells lowered below what the bimetal needs (its bound is about 330 cells, it
    meshes 1280) refuses it; the default lets every shipped case through."""
    r = sprout("run", BIMETAL, "-o", tmp_path / "out", "--set", "mesh.max_cells=100")
    assert r.returncode == 2 and "above the mesh.max_cells budget of 1e+02" in r.stderr, r.stderr
