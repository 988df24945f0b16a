"""Long work says how far it is, and -q/-v mean what they say."""

from __future__ import annotations

import logging
import time

import pytest

from solver.core.progress import Progress, clock, slow_notice


def test_progress_extrapolates_the_pace_since_the_loop_started(monkeypatch):
    """A loop resumed at 40 % of its end that reached 70 % in 30 s has 30 % left at the same
    pace: ETA 30 s; the percentage is of the whole run (70 %), not of the resumed part. Once
    a step is done, the pace is measured from its end (the first step pays for compiling
    forms): a first 10 % in 50 s then 10 % per 10 s leaves 70 s for the last 70 %."""
    now = [100.0]
    monkeypatch.setattr(time, "perf_counter", lambda: now[0])
    p = Progress(end=10.0, start=4.0)
    assert p.tag(4.0) == "40 %, 0s"  # nothing done yet: no ETA to extrapolate
    now[0] += 30.0
    assert p.tag(7.0) == "70 %, 30s, ETA 30s"
    now[0] += 30.0
    assert p.tag(10.0) == "100 %, 1m00s"
    q = Progress(end=1.0)
    now[0] += 50.0
    assert q.tag(0.1) == "10 %, 50s, ETA 7m30s"
    now[0] += 20.0
    assert q.tag(0.3) == "30 %, 1m10s, ETA 1m10s"


@pytest.mark.parametrize("seconds, text", [(0.4, "0s"), (59.4, "59s"), (185, "3m05s"), (7620, "2h07m")])
def test_clock(seconds, text):
    assert clock(seconds) == text


def test_a_slow_stretch_is_announced_and_a_quick_one_is_not(caplog):
    """A block still running after ``after`` seconds gets its line and a closing time; one
    that ends sooner stays silent."""
    with caplog.at_level(logging.INFO, logger="sprout"):
        with slow_notice("quick", after=0.5):
            pass
        with slow_notice("meshing", after=0.05):
            time.sleep(0.3)
    messages = [r.getMessage() for r in caplog.records]
    assert messages[0] == "meshing ..." and messages[1].startswith("meshing: done in")
    assert not any("quick" in m for m in messages)


def test_quiet_and_verbose(tmp_path, sprout, root):
    """-q leaves stderr empty for a run that succeeds (stdout keeps its one line naming
    OUT); -v adds every result to the default log."""
    case = root / "cases" / "validation" / "free_expansion.toml"
    quiet = sprout("run", case, "-o", tmp_path / "q", "-q")
    assert quiet.returncode == 0 and quiet.stderr == "" and "summary.json" in quiet.stdout
    normal = sprout("run", case, "-o", tmp_path / "n")
    verbose = sprout("run", case, "-o", tmp_path / "v", "-v")
    assert len(verbose.stderr.splitlines()) > len(normal.stderr.splitlines()) > 0
    both = sprout("run", case, "-o", tmp_path / "b", "-q", "-v")
    assert both.returncode == 2 and "not allowed with" in both.stderr
