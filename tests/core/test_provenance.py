"""A result says where it came from and can be made again: summary.json's provenance keys,
and the resolved case written back as a case file that validates to the same case."""

from __future__ import annotations

import datetime as dt
import socket
import subprocess
import tomllib
from pathlib import Path

import pytest

from solver.core.resolved_toml import resolved_toml
from solver.workflow.registry import load_case

ROOT = Path(__file__).resolve().parents[2]


def shipped_cases() -> list[Path]:
    """Every shipped case file that is a case (not a sweep, not a picture folder)."""
    out = []
    for path in sorted((ROOT / "cases").rglob("*.toml")):
        raw = tomllib.loads(path.read_text())
        if "kind" in raw and "sweep" not in raw:
            out.append(path)
    return out


def test_summary_records_provenance(tmp_path, run_cli, root):
    """summary.json says when (UTC, within the run's own interval), where (this host and
    folder), by what command line, and from which commit of this checkout."""
    case = root / "cases" / "validation" / "free_expansion.toml"
    before = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    data = run_cli(case, tmp_path / "out")
    after = dt.datetime.now(dt.timezone.utc)
    p = data["provenance"]
    started = dt.datetime.fromisoformat(p["started_utc"].replace("Z", "+00:00"))
    assert before - dt.timedelta(seconds=1) <= started <= after
    assert p["host"] == socket.gethostname()
    assert p["command"] == f"sprout run {case} -o {tmp_path / 'out'}"
    assert p["cwd"] == str(root)
    if (root / ".git").exists():
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True).stdout
        assert p["git_revision"].removesuffix("-dirty") == head.strip()
    assert {"sprout", "dolfinx", "petsc", "gmsh", "mpi", "python"} <= set(data["versions"])


@pytest.mark.parametrize("path", shipped_cases(), ids=lambda p: str(p.relative_to(ROOT / "cases")))
def test_resolved_toml_reads_back_to_the_same_case(path, tmp_path):
    """Every shipped case written as case.resolved.toml (all values, SI units, absolute
    paths) validates back to an equal model (exact: floats are written as the shortest
    decimal that reads back to the same double), and writing it again gives the same text."""
    case = load_case(path)
    text = resolved_toml(case, path)
    again_path = tmp_path / "case.resolved.toml"
    again_path.write_text(text)
    again = load_case(again_path)
    expected = case.model_dump()
    if case.kind == "flow":  # step cases are named relative to the flow file there, absolute here
        for step in expected["steps"]:
            step["case"] = str((path.parent / step["case"]).resolve())
    assert again.model_dump() == expected
    assert resolved_toml(again, again_path) == text


@pytest.mark.slow
@pytest.mark.parametrize("rel", ["validation/bimetal_strip.toml", "etch/tapered_film_hole.toml",
                                 "plating/parallel_plates_bv.toml"])
def test_the_resolved_case_runs_again_to_the_same_results(rel, tmp_path, run_cli, root):
    """OUT/case.resolved.toml, run from OUT's own folder (its paths are absolute), gives the
    very same results (bit for bit: the same doubles go in), for a stress, an etch and a
    plating case."""
    first = run_cli(root / "cases" / rel, tmp_path / "first")
    again = run_cli(tmp_path / "first" / "case.resolved.toml", tmp_path / "again")
    assert "case.resolved.toml" in first["files"] and "report.html" in first["files"]
    assert again["results"] == first["results"]
    assert again["case"] == first["case"]
