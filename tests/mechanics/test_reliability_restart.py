"""A killed thermal-cycling run resumed with --restart gives the answer of a run that never
stopped: the checkpoint holds every input of the next step, in an order independent of
the rank count."""

import json
import os
import signal
import subprocess
import time

import numpy as np
import pytest

CASE = "reliability/die_attach_cycling.toml"


def checkpoint_time(path) -> float:
    try:
        with np.load(path) as data:
            return json.loads(data["meta"].tobytes().decode())["time"]
    except (OSError, ValueError, KeyError, EOFError):
        return -1.0  # not there yet, or being replaced


@pytest.mark.slow
def test_sigkill_in_the_second_cycle_then_restart_on_two_ranks(cases, tmp_path, sprout, python, root):
    """The die attach (2 cycles, -40/125 degC, 15 min ramps and dwells; cycle 2 spans
    4255..7855 s) killed with SIGKILL once its checkpoint passes t = 5000 s (in the second
    cycle's cold dwell), then resumed with --restart on 2 ranks: every result in
    summary.json, the per-cycle table and the life table equal the uninterrupted serial
    run's to 1e-8 relative (measured 1e-14 resuming on 1 rank; the 2-rank assembly only
    reorders sums)."""
    full = tmp_path / "full"
    r = sprout("run", cases / CASE, "-o", full, timeout=600)
    assert r.returncode == 0, r.stderr
    out = tmp_path / "killed"
    env = dict(os.environ)
    env.pop("PYTEST_CURRENT_TEST", None)
    proc = subprocess.Popen([python, "-m", "solver", "run", str(cases / CASE), "-o", str(out)], cwd=root, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    killed_at = -1.0
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        killed_at = checkpoint_time(out / "checkpoint.npz")
        if killed_at > 5000.0:
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.05)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run ended before it could be killed in cycle 2"
    assert 4255.0 < killed_at < 7855.0
    assert not (out / "summary.json").exists()
    r = sprout("run", cases / CASE, "-o", out, "--restart", ranks=2, timeout=600)
    assert r.returncode == 0, r.stderr
    a = json.loads((full / "summary.json").read_text())
    b = json.loads((out / "summary.json").read_text())
    assert b["resumed_at_s"] >= killed_at and b["ranks"] == 2
    assert a["results"].keys() == b["results"].keys()
    for key, value in a["results"].items():
        assert b["results"][key] == pytest.approx(value, rel=1e-8, abs=1e-12), key
    for ca, cb in zip(a["cycles"], b["cycles"], strict=True):
        for name, v in ca["volumes"].items():
            for k, x in v.items():
                assert cb["volumes"][name][k] == pytest.approx(x, rel=1e-8, abs=1e-12), (name, k)
    for ja, jb in zip(a["joints"], b["joints"], strict=True):
        for k, x in ja.items():
            if isinstance(x, float):
                assert jb[k] == pytest.approx(x, rel=1e-8), k


def test_restart_without_checkpoint_starts_from_the_beginning(cases, tmp_path, sprout, read_summary):
    """--restart into an OUT with no checkpoint yet (a run killed before its first step, or
    a requeued batch job that always passes --restart) starts from t = 0 and says so in
    the log; the result is a complete, not a resumed, run."""
    out = tmp_path / "none"
    r = sprout("run", cases / CASE, "-o", out, "--restart", "--set", "load.cycle.cycles=1")
    assert r.returncode == 0, r.stderr
    assert "--restart: no checkpoint in" in r.stderr and "starting from the beginning" in r.stderr
    data = read_summary(out)
    assert data["status"] == "ok" and data["resumed_at_s"] is None


@pytest.mark.parametrize("content", [b"not a zip file", b"PK\x03\x04 truncated"])
def test_restart_from_a_malformed_checkpoint_is_refused(content, cases, tmp_path, sprout):
    """A checkpoint that is not one (garbage, a truncated archive): exit 2, one line naming
    --restart and the file, no traceback, the file left as it was."""
    out = tmp_path / "bad"
    out.mkdir()
    (out / "checkpoint.npz").write_bytes(content)
    r = sprout("run", cases / CASE, "-o", out, "--restart")
    assert r.returncode == 2
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "--restart: cannot read" in lines[0] and "checkpoint.npz" in lines[0], r.stderr
    assert (out / "checkpoint.npz").read_bytes() == content
