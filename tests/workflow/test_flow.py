"""Process flows (``kind = "flow"``): both shipped flows end to end, what they hand from step
to step, a step that stops the flow, restart, 1 vs 2 ranks, and bad flow files."""

from __future__ import annotations

import json
import math
import tomllib
from pathlib import Path

import pytest

from solver import CaseError, load_case

CASES = Path(__file__).resolve().parents[2] / "cases"
FLOWS = CASES / "flows"


def steps_of(data: dict) -> dict:
    return {s["step"]: s for s in data["steps"]}


def step_results(out: Path, data: dict, name: str) -> dict:
    return json.loads((out / steps_of(data)[name]["folder"] / "summary.json").read_text())["results"]


def resolved_geometry(out: Path, data: dict, name: str) -> dict:
    folder = out / steps_of(data)[name]["folder"]
    return json.loads((folder / "case.resolved.json").read_text())["case"]["geometry"]


@pytest.fixture(scope="module")
def process_a(tmp_path_factory, run_cli):
    out = tmp_path_factory.mktemp("flow") / "process_a"
    return out, run_cli(FLOWS / "process_a.toml", out, timeout=900)


@pytest.fixture(scope="module")
def process_b(tmp_path_factory, run_cli):
    out = tmp_path_factory.mktemp("flow") / "process_b"
    return out, run_cli(FLOWS / "process_b.toml", out, timeout=900)


# -- process A: bumps and resin -> seed film -> wiring plating -> resist and balls -> stress -----------------
@pytest.mark.slow
def test_process_a_runs_every_step_and_summarises_each(process_a, read_summary):
    out, data = process_a
    names = ["bumps_and_resin", "seed_film", "wiring_thickening", "resist_and_balls", "wafer_cooldown", "dicing",
             "package_stress", "joint_cycling"]
    assert data["kind"] == "flow" and data["status"] == "ok"
    assert [s["step"] for s in data["steps"]] == names
    for k, step in enumerate(data["steps"]):
        assert step["status"] == "ok" and step["folder"] == f"{k + 1:02d}_{step['step']}"
        assert read_summary(out / step["folder"])["status"] == "ok"
        assert step["key_results"], step["step"]
        for key, value in step["key_results"].items():  # the flow's results: <step>.<key>
            assert data["results"][f"{step['step']}.{key}"] == value
    key = steps_of(data)
    assert key["bumps_and_resin"]["key_results"]["tip_projection_um"] == pytest.approx(9.0)  # 5 + 2 x 27 - 50
    assert 0.05 < key["seed_film"]["key_results"]["thickness_uniformity"] < 0.2
    # a 200 mm wafer under a 50 um resin, with large deflection (the demo's test: 490 um)
    assert 400 < key["wafer_cooldown"]["key_results"]["warpage_um"] < 552
    assert key["package_stress"]["key_results"]["cold_max_von_mises_MPa"] > \
        key["package_stress"]["key_results"]["room_max_von_mises_MPa"]
    life = key["joint_cycling"]["key_results"]["worst_life_darveaux_cycles"]
    assert math.isfinite(life) and life > 0
    # the flow as run reads back (its step cases named by absolute paths)
    again = load_case(out / "case.resolved.toml")
    assert [Path(s.case).is_absolute() for s in again.steps] == [True] * len(names)
    # the flow's page links every step's page; each step's page exists (a reliability one among them)
    page = (out / "report.html").read_text()
    for step in data["steps"]:
        assert f"href='{step['folder']}/report.html'" in page
        assert "status ok" in (out / step["folder"] / "report.html").read_text()


@pytest.mark.slow
def test_process_a_hands_the_plated_thickness_to_the_stress_models(process_a):
    """The wiring of the stress geometry is the plated thickness at the wafer centre: the
    feature-scale mean (wiring cell, plated for the seed step's time) scaled by the wafer
    map's centre/mean ratio; it reaches the diced package's stress model unchanged."""
    out, data = process_a
    seed = step_results(out, data, "seed_film")
    cell = step_results(out, data, "wiring_thickening")
    assert cell["plating_time_s"] == pytest.approx(seed["plating_time_min"] * 60)
    centre = cell["thickness_mean_um"] * seed["centre_thickness_um"] / seed["mean_thickness_um"]
    assert 9.0 < centre < cell["thickness_mean_um"]  # it embeds the 9 um tips; the centre plates least
    for name in ("resist_and_balls", "dicing", "package_stress", "joint_cycling"):
        wiring = resolved_geometry(out, data, name)["arrangements"][0]["wiring"]["thickness"]
        assert wiring * 1e6 == pytest.approx(centre, rel=1e-9), name  # 10 significant digits handed over
    resin = resolved_geometry(out, data, "wafer_cooldown")["layers"][1]["thickness"]
    assert resin == pytest.approx(50e-6)
    joint = resolved_geometry(out, data, "joint_cycling")["arrangements"][0]["resin_thickness"]
    assert joint == pytest.approx(50e-6, rel=1e-9)


@pytest.mark.slow
def test_a_wiring_too_thin_for_the_bump_tips_stops_process_a(tmp_path, run_cli):
    """Plating for 10 min instead of 25 leaves about 4 um of wiring: the resist-and-balls
    geometry cannot embed the 9 um tips, so the flow stops there with the geometry's reason;
    the steps before it keep their results, the steps after it do not run."""
    out = tmp_path / "thin"
    data = run_cli(FLOWS / "process_a.toml", out, "--set", 'steps[1].set[1]=growth.time=10 min', timeout=900, expect=1)
    assert data["status"] == "failed" and data["failed_step"] == "resist_and_balls"
    assert "does not embed the bump tips" in data["reason"] and "wiring.thickness" in data["reason"]
    status = {s["step"]: s["status"] for s in data["steps"]}
    assert status == {"bumps_and_resin": "ok", "seed_film": "ok", "wiring_thickening": "ok",
                      "resist_and_balls": "invalid", "wafer_cooldown": "not_run", "dicing": "not_run",
                      "package_stress": "not_run", "joint_cycling": "not_run"}
    assert not (out / "04_resist_and_balls").exists() and (out / "03_wiring_thickening" / "summary.json").exists()


# -- process B: etch -> barrier -> fill -> cap -> wiring -> base removal -> stress -------------------------
@pytest.mark.slow
def test_process_b_runs_every_step_and_the_fill_is_void_free(process_b):
    out, data = process_b
    assert data["status"] == "ok"
    assert [s["step"] for s in data["steps"]] == ["etch", "barrier", "fill", "cap", "wiring_stack", "base_removal",
                                                  "stress"]
    assert all(s["status"] == "ok" and s["key_results"] for s in data["steps"])
    key = steps_of(data)
    assert key["etch"]["key_results"]["undercut_um"] == pytest.approx(12.0, abs=0.05)
    assert key["fill"]["key_results"]["filled"] == 1.0 and key["fill"]["key_results"]["void_count"] == 0
    assert key["base_removal"]["key_results"]["bump_depth_below_film_um"] == pytest.approx(
        key["etch"]["key_results"]["depth_um"] - key["barrier"]["key_results"]["coat_mean_thickness_um"])
    assert key["stress"]["key_results"]["max_von_mises_bump_MPa"] > 0


@pytest.mark.slow
def test_process_b_hands_the_concavity_on_as_a_geometry_and_conserves_its_volume(process_b, relative):
    """The etched wall is the barrier step's geometry, the barrier's surface the fill's
    (concavity.toml merged into the case). Volumes carry across: the barrier step's
    concavity and hole hold what the etch removed plus the film hole (to the etch profile's
    sampling, 72 bins: measured 9e-5); the fill's hold that less the barrier deposit (the
    same polyline written to 6 digits: measured 5e-7)."""
    out, data = process_b
    etch, barrier, fill = (step_results(out, data, n) for n in ("etch", "barrier", "fill"))
    hole = math.pi * 10.0**2 * 8.0  # um^3: the 10 um hole through the 8 um film
    assert relative(barrier["concavity_and_hole_volume_um3"], etch["etched_volume_per_hole_um3"] + hole) < 1e-3
    lined = barrier["concavity_and_hole_volume_um3"] - barrier["deposited_volume_um3"]
    assert relative(fill["concavity_and_hole_volume_um3"], lined) < 1e-5
    for name, source in (("barrier", "01_etch"), ("fill", "02_barrier")):
        written = tomllib.loads((out / source / "concavity.toml").read_text())["geometry"]["concavity"]["profile"]
        used = resolved_geometry(out, data, name)["concavity"]
        assert used["depth"] is None and len(used["profile"]) == len(written) > 10
    final = resolved_geometry(out, data, "stress")
    assert final["barrier_thickness"] * 1e6 == pytest.approx(barrier["coat_mean_thickness_um"], rel=1e-9)


# -- failure, restart, ranks: on a small flow (etch -> barrier -> stack -> stress) --------------------------
SMALL = """
kind = "flow"
name = "small"
[[steps]]
name = "etch"
case = "{flows}/process_b/film_hole_etch.toml"
require = [{require}]
[[steps]]
name = "barrier"
case = "{flows}/process_b/barrier_plating.toml"
merge = ["{{etch}}/concavity.toml"]
set = ["growth.time={minutes} min"]
[[steps]]
name = "stack"
case = "{flows}/process_b/bump_stack.toml"
set = ["geometry.concavity.depth={{etch.depth_um}} um",
       "geometry.barrier_thickness={{barrier.coat_mean_thickness_um}} um"]
[[steps]]
name = "stress"
case = "{flows}/process_b/bump_stress.toml"
set = ["geometry.concavity.depth={{etch.depth_um}} um",
       "geometry.barrier_thickness={{barrier.coat_mean_thickness_um}} um"]
"""


def small_flow(path: Path, require: str = "", minutes: float = 4) -> Path:
    path.write_text(SMALL.format(flows=FLOWS, require=require, minutes=minutes))
    return path


@pytest.mark.slow
def test_a_failed_requirement_stops_the_flow_with_its_reason(tmp_path, run_cli):
    flow = small_flow(tmp_path / "flow.toml", require='"undercut_um < 5"')
    data = run_cli(flow, tmp_path / "out", timeout=900, expect=1)
    assert data["failed_step"] == "etch" and "undercut_um < 5" in data["reason"] and "got undercut_um = 12" in \
        data["reason"]
    assert [s["status"] for s in data["steps"]] == ["failed", "not_run", "not_run", "not_run"]
    assert (tmp_path / "out" / "01_etch" / "summary.json").exists()  # the step's own results stay


@pytest.mark.slow
def test_restart_reuses_the_unchanged_steps_and_reruns_the_changed(tmp_path, run_cli):
    flow = small_flow(tmp_path / "flow.toml")
    out = tmp_path / "out"
    first = run_cli(flow, out, timeout=900)
    again = run_cli(flow, out, "--restart", timeout=900)
    assert all(s.get("reused") for s in again["steps"])
    assert again["results"] == first["results"]
    # a longer barrier: the etch is reused; the barrier and what it feeds run again
    small_flow(flow, minutes=5)
    changed = run_cli(flow, out, "--restart", timeout=900)
    assert [bool(s.get("reused")) for s in changed["steps"]] == [True, False, False, False]
    assert changed["results"]["barrier.coat_mean_thickness_um"] > first["results"]["barrier.coat_mean_thickness_um"]
    assert changed["results"]["stack.bump_depth_below_film_um"] < first["results"]["stack.bump_depth_below_film_um"]


@pytest.mark.slow
def test_two_ranks_give_the_serial_flow(tmp_path, run_cli):
    """Every step is rank-count independent (etch arrival distances, the fill's gathered
    front, direct solves): the flow's results agree to round-off of the solves."""
    flow = small_flow(tmp_path / "flow.toml")
    one = run_cli(flow, tmp_path / "one", timeout=900)
    two = run_cli(flow, tmp_path / "two", ranks=2, timeout=900)
    assert two["ranks"] == 2 and one["results"].keys() == two["results"].keys()
    for key, value in one["results"].items():
        assert two["results"][key] == pytest.approx(value, rel=1e-8, abs=1e-12), key


# -- bad flow files: exit 2, nothing written ------------------------------------------------------------
@pytest.mark.parametrize("change, message", [
    (("set = [\"growth.time={minutes} min\"]", 'set = ["growth.time={{stress.plating_time_min}} min"]'),
     "steps[1].set[0]: {stress} names no earlier step"),
    (("film_hole_etch.toml", "no_such_case.toml"), "no_such_case.toml: no such case file"),
    (("require = [{require}]", 'require = ["undercut_um <> 5"]'), "steps[0].require[0]"),
    (("set = [\"growth.time={minutes} min\"]", 'set = ["growth.time=-4 min"]'), "growth.time"),
    (("{{etch.depth_um}} um\",\n", "{{etch.depth_um * }} um\",\n"),
     "neither step.result_key nor a number"),
])
def test_a_bad_flow_is_invalid_input_and_writes_nothing(tmp_path, change, message, sprout):
    text = SMALL.replace(*change, 1)
    (tmp_path / "flow.toml").write_text(text.format(flows=FLOWS, require="", minutes=4))
    r = sprout("run", tmp_path / "flow.toml", "-o", tmp_path / "out")
    assert r.returncode == 2, r.stderr
    assert message in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_sprout_check_lists_the_steps_and_mesh_refuses_a_flow(tmp_path, sprout):
    r = sprout("check", FLOWS / "process_b.toml")
    assert r.returncode == 0, r.stderr
    assert "etch (etch) -> barrier (fill) -> fill (fill) -> cap (geometry)" in r.stdout
    r = sprout("mesh", FLOWS / "process_b.toml", "-o", tmp_path / "mesh")
    assert r.returncode == 2 and "a flow has no mesh of its own" in r.stderr and "Traceback" not in r.stderr


def test_merge_replaces_the_innermost_tables():
    from solver.workflow.flow import _merge

    raw = {"geometry": {"type": "substrate", "concavity": {"depth": "12 um"}, "film": {"thickness": "8 um"}}}
    _merge(raw, {"geometry": {"concavity": {"profile": [["1 um", "0 um"], ["0 um", "-1 um"]]}}})
    assert raw["geometry"]["concavity"] == {"profile": [["1 um", "0 um"], ["0 um", "-1 um"]]}
    assert raw["geometry"]["film"] == {"thickness": "8 um"} and raw["geometry"]["type"] == "substrate"


def test_a_flow_inside_a_flow_is_refused(tmp_path):
    (tmp_path / "outer.toml").write_text(
        f'kind = "flow"\nname = "outer"\n[[steps]]\nname = "a"\ncase = "{FLOWS / "process_b.toml"}"\n')
    case = load_case(tmp_path / "outer.toml")
    from solver.workflow.flow import check_flow

    with pytest.raises(CaseError, match="is itself a flow"):
        check_flow(case, str(tmp_path / "outer.toml"))


def test_a_sweep_over_a_flow_checks_each_step_before_running(tmp_path, sprout):
    """A sweep whose base is a flow: every case's steps are validated up front, so a value
    that breaks a step is invalid input naming the sweep case, the step and the field."""
    flow = small_flow(tmp_path / "flow.toml")
    (tmp_path / "sweep.toml").write_text(
        f'[sweep]\nname = "s"\nbase = "{flow.name}"\nmethod = "list"\n'
        '[sweep.parameters]\n"steps[1].set[0]" = ["growth.time=3 min", "growth.time=-5 min"]\n')
    r = sprout("check", tmp_path / "sweep.toml")
    assert r.returncode == 2
    assert "case_0001" in r.stderr and "steps[1] (barrier)" in r.stderr and "growth.time" in r.stderr
