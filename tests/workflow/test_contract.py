"""The contract every case kind keeps, checked over the registry (so a new kind is checked
as soon as it is registered): `sprout check` describes it, `sprout schema` contains it, a
bad value exits 2 with nothing written, and a solve that fails writes ``summary.json`` with
``status: "failed"`` and exits 1. A throwaway kind registered from this file shows that a
kind needs its own record and nothing else."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Literal

import pytest
from pydantic import Field

import solver
from solver.core.case import CaseBase
from solver.core.kind import CaseKind, RunContext
from solver.core.errors import SolveError
from solver.core.output import Staging, atomic_write_json, summary
from solver.workflow.driver import InternalError, check, execute_run
from solver.workflow.registry import KINDS, json_schema, register, unregister

ROOT = Path(__file__).resolve().parents[2]

# A genuine failure of each kind's solver or mesher, provoked through the case file only,
# on its smallest shipped case: (case, --set overrides, words of the reason).
FAILURES = {
    "thermoelastic": ("cases/validation/bimetal_strip.toml",
                      ['solver.method="iterative"', "solver.max_iterations=1"], "did not converge"),
    # Anand's first cooling steps need 5 Newton iterations; 3 allowed and no step cut possible
    "reliability": ("cases/reliability/die_attach_cycling.toml",
                    ["stepping.max_newton_iterations=3", 'stepping.min_step="300 s"', 'stepping.initial_step="300 s"',
                     'stepping.max_step="300 s"'], "fell below stepping.min_step"),
    "etch": ("cases/etch/diffusion_limited_hole.toml", ['etch.max_advance="5 um"', 'etch.times=["600 s"]'],
             "folded over itself"),
    "plating": ("cases/plating/binary_limiting_current.toml", ["operation.continuation_steps=1"],
                "Newton did not converge"),
    "seed_layer": ("cases/plating/wafer_terminal_effect.toml", ['operation.contact_overpotential="-3 V"'],
                   "Newton did not converge"),
    "fill": ("cases/plating/concavity_fill_voidfree.toml",
             ["operation.continuation_steps=1", 'operation.cell_voltage="5 V"'], "Newton did not converge"),
    # valid input that HXT cannot mesh: a 1 um barrier film under 20 um elements
    "geometry": ("cases/geometry/substrate_3x3_etched.toml",
                 ["geometry.holes=[1,1]", 'geometry.stage="barrier"', 'geometry.barrier_thickness="1 um"',
                  'geometry.element_sizes={barrier="20 um"}'], "gmsh failed"),
    # the etch step made to fold its wall: the flow stops there
    "flow": ("cases/flows/process_b.toml",
             ["steps[0].set=['etch.model=mixed', 'etch.etchant.concentration=1000 mol/m^3', "
              "'etch.etchant.diffusivity=1e-9 m^2/s', 'etch.etchant.rate_constant=1e-3 m/s', "
              "'etch.etchant.stagnant_layer=20 um', 'etch.max_advance=5 um', 'etch.times=[\"600 s\"]']"],
             "etch: solve failed"),
}


def shipped_cases() -> dict[str, list[Path]]:
    """Every case file under cases/ by kind (sweeps have no kind)."""
    found: dict[str, list[Path]] = {}
    for path in sorted((ROOT / "cases").rglob("*.toml")):
        kind = tomllib.loads(path.read_text()).get("kind")
        if kind is not None:
            found.setdefault(kind, []).append(path)
    return found


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_ships_a_case_and_check_describes_it(kind, sprout):
    """`sprout check` names the case and its kind in one line (exit 0) for a shipped case of
    every registered kind."""
    assert kind in shipped_cases(), f"no case of kind {kind!r} under cases/"
    path = shipped_cases()[kind][0]
    r = sprout("check", path)
    assert r.returncode == 0, r.stderr
    name = tomllib.loads(path.read_text())["name"]
    assert r.stdout.startswith(f"ok: {name} ({kind}"), r.stdout


def test_schema_selects_every_kind(sprout):
    """`sprout schema` is one JSON schema whose discriminator maps every registered kind."""
    r = sprout("schema")
    assert r.returncode == 0, r.stderr
    mapping = json.loads(r.stdout)["discriminator"]["mapping"]
    assert sorted(mapping) == sorted(KINDS)


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("override, words", [("name=a b", "name"), ("colour=1", "colour: unknown key")])
def test_bad_value_exits_2_and_writes_nothing(kind, override, words, sprout, tmp_path):
    """A bad value and an unknown key: exit 2, one line naming the field, no traceback, no
    output folder."""
    out = tmp_path / "out"
    r = sprout("run", shipped_cases()[kind][0], "-o", out, "--set", override)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and "Traceback" not in r.stderr, r.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_failed_solve_writes_failed_summary_and_exits_1(kind, sprout, tmp_path):
    """A solve that fails (not converged, a front leaving its zone, a mesh gmsh cannot make)
    exits 1 with the reason on stderr and leaves OUT/summary.json saying status "failed"
    with that reason, for every kind."""
    assert kind in FAILURES, f"give a failing input of kind {kind!r} in FAILURES"
    case, overrides, words = FAILURES[kind]
    out = tmp_path / "out"
    r = sprout("run", ROOT / case, "-o", out, *[a for o in overrides for a in ("--set", o)])
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr, r.stderr
    data = json.loads((out / "summary.json").read_text())
    assert data["status"] == "failed" and data["kind"] == kind
    reason = data.get("error") or data.get("reason")
    assert words in reason, reason
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "staging left behind"


# -- a throwaway kind: its record is all a new kind needs ---------------------------------
class ToyCase(CaseBase):
    kind: Literal["toy"]
    answer: float = Field(gt=0, description="what the toy solve reports")
    fail: bool = False


def run_toy(case: ToyCase, ctx: RunContext) -> dict:
    if case.fail:
        raise SolveError("toy solve did not converge", {"iterations": 3, "dofs": 7})
    if case.answer == 13:
        raise ZeroDivisionError("a bug in the toy")
    staging = Staging(ctx.out, ctx.comm)
    data = summary(case.name, case.kind, "ok", ctx.comm.size, 7, 0.0, {"answer_um": case.answer},
                   source=ctx.source, files=["summary.json"])
    if ctx.comm.rank == 0:
        atomic_write_json(staging.file("summary.json"), data)
    staging.commit()
    return data


def describe_toy(case: ToyCase, source: str) -> str:
    return f"ok: {case.name} (toy, answer {case.answer:g})"


@pytest.fixture
def toy_kind():
    kind = CaseKind(name="toy", model=ToyCase, run=f"{__name__}:run_toy", describe=f"{__name__}:describe_toy",
                    title="a throwaway kind", key_results=("answer_um",))
    register(kind)
    yield kind
    unregister("toy")


TOY = """kind = "toy"
name = "toy_case"
answer = {answer}
fail = {fail}
[geometry]
type = "layered_plate"
dimension = 2
length = "1 mm"
element_size = "0.5 mm"
layers = [{{ region = "a", thickness = "0.1 mm" }}]
"""


def test_a_registered_kind_loads_checks_runs_and_fails_like_the_others(toy_kind, tmp_path):
    """Registering a record is all: the kind loads and validates (its field rules with
    their paths), `check` describes it, the schema lists it, the driver runs it and writes
    the failed summary when its solve fails, and reports a bug as an internal error with the
    traceback in OUT/error.log."""
    path = tmp_path / "toy.toml"
    path.write_text(TOY.format(answer=42, fail="false"))
    assert solver.load_case(path).answer == 42
    assert check(path, []) == "ok: toy_case (toy, answer 42)"
    assert "toy" in json_schema()["discriminator"]["mapping"]
    with pytest.raises(solver.CaseError, match="answer: must be greater than 0"):
        solver.load_case(path, ["answer=-1"])

    data = solver.run_case(path, tmp_path / "ok")
    assert data["status"] == "ok" and data["results"] == {"answer_um": 42.0}

    with pytest.raises(SolveError):
        execute_run(path, tmp_path / "failed", ["fail=true"], _comm())
    failed = json.loads((tmp_path / "failed" / "summary.json").read_text())
    assert failed["status"] == "failed" and failed["diagnostics"]["iterations"] == 3
    assert json.loads((tmp_path / "failed" / "case.resolved.json").read_text())["case"]["fail"] is True

    with pytest.raises(InternalError) as err:
        execute_run(path, tmp_path / "bug", ["answer=13"], _comm())
    assert "ZeroDivisionError" in str(err.value)
    assert "a bug in the toy" in (tmp_path / "bug" / "error.log").read_text()
    assert json.loads((tmp_path / "bug" / "summary.json").read_text())["status"] == "error"

    with pytest.raises(solver.CaseError, match="--restart: toy cases run in one go"):
        execute_run(path, tmp_path / "again", [], _comm(), restart=True)


def test_unregistered_kind_is_refused_with_the_registered_ones(tmp_path):
    path = tmp_path / "toy.toml"
    path.write_text(TOY.format(answer=42, fail="false"))
    with pytest.raises(solver.CaseError) as err:
        solver.load_case(path)
    assert "kind: unknown case kind 'toy'; expected one of " + ", ".join(KINDS) in str(err.value)


def _comm():
    from mpi4py import MPI

    return MPI.COMM_SELF


BUGGY = '''
import sys
from typing import Literal
import solver
from solver.core.case import CaseBase
from solver.workflow.registry import register

class BugCase(CaseBase):
    kind: Literal["toy"]
    answer: float
    fail: bool = False

def run_bug(case, ctx):
    return 1 / 0

def describe(case, source):
    return "toy"

register(solver.CaseKind(name="toy", model=BugCase, run="__main__:run_bug", describe="__main__:describe",
                         title="a kind with a bug"))
from solver.cli import main
sys.exit(main(sys.argv[1:]))
'''


def test_a_bug_exits_3_with_its_traceback_in_out(tmp_path):
    """An unexpected exception in a run entry: exit 3, one line on stderr that says where the
    traceback is, the traceback in OUT/error.log (not on the screen), a summary saying
    status "error"."""
    import subprocess
    import sys

    path = tmp_path / "toy.toml"
    path.write_text(TOY.format(answer=42, fail="false"))
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-c", BUGGY, "run", str(path), "-o", str(out)], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 3, r.stderr
    assert "Traceback" not in r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("sprout: internal error") and "ZeroDivisionError" in last and "error.log" in last, last
    log = (out / "error.log").read_text()
    assert "Traceback" in log and "in run_bug" in log and "ZeroDivisionError" in log, log
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "error" and summary["error_log"] == "error.log"
