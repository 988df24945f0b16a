"""The output folder (``-o OUT``) rules every command shares (solver.core.outdir): refused
before any work when it cannot be one, held by one run at a time, cleared of what killed
runs left beside it."""

from pathlib import Path

import pytest

from solver.core.outdir import claimed

ROOT = Path(__file__).resolve().parents[2]
BIMETAL = ROOT / "cases" / "validation" / "bimetal_strip.toml"
SWEEP = ROOT / "cases" / "sweeps" / "bimetal_grid.toml"
COMMANDS = {"run": ["run", BIMETAL], "mesh": ["mesh", BIMETAL], "sweep": ["sweep", SWEEP]}


def one_line(r) -> str:
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    return lines[0]


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_empty_output_folder_is_refused(command, tmp_path, sprout):
    """``-o ""`` (an unset shell variable) is invalid input for every command: exit 2, one
    line, nothing written in the working directory (it used to fall back to
    results/<case name> there, replacing an earlier result)."""
    r = sprout(*COMMANDS[command], "-o", "", cwd=tmp_path)
    assert r.returncode == 2
    assert "-o: empty" in one_line(r)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_output_folder_that_is_a_file_is_invalid_input(command, tmp_path, sprout):
    """An existing file as OUT, or a file on OUT's path, is exit 2 for every command (mesh
    and sweep said exit 1), and the file is left as it was."""
    target = tmp_path / "notes.txt"
    target.write_text("keep me\n")
    for out in (target, target / "out"):
        r = sprout(*COMMANDS[command], "-o", out)
        assert r.returncode == 2
        assert "notes.txt" in one_line(r)
    assert target.read_text() == "keep me\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_a_second_run_into_a_held_folder_is_refused(tmp_path, sprout, read_summary):
    """While a run holds OUT (here: this test, through the same lock), another run into it
    stops at once with exit 2 naming the holder, and writes nothing; once OUT is free the
    same command runs. Two runs into one OUT used to both say ok, one result lost."""
    out = tmp_path / "out"
    with claimed(out):
        r = sprout("run", BIMETAL, "-o", out)
        assert r.returncode == 2
        line = one_line(r)
        assert "another run is writing into it" in line and "pid" in line
        assert not out.exists()
    r = sprout("run", BIMETAL, "-o", out)
    assert r.returncode == 0, r.stderr
    assert read_summary(out)["status"] == "ok"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"], "the lock file stays behind"


def test_staging_left_by_a_killed_run_is_removed(tmp_path, sprout, read_summary):
    """A killed run leaves its staging folder ``.OUT.partial-*`` beside OUT; the next run
    into OUT removes it (it holds OUT's lock, so no live run stages there) and logs it."""
    out = tmp_path / "out"
    left = tmp_path / ".out.partial-0badc0de"
    left.mkdir()
    (left / "summary.json").write_text("{}")
    other = tmp_path / ".other.partial-12345678"  # another OUT's staging: not ours to touch
    other.mkdir()
    r = sprout("run", BIMETAL, "-o", out)
    assert r.returncode == 0, r.stderr
    assert read_summary(out)["status"] == "ok"
    assert not left.exists() and other.exists()
    assert ".out.partial-0badc0de" in r.stderr


def test_a_full_disk_ends_with_one_line_and_no_partial_output(tmp_path, monkeypatch, capsys):
    """ENOSPC while the results are written (injected into the atomic writer every result
    file goes through, as a full disk raises it): exit 4, one line naming the file system's
    error, no OUT and no staging folder left. A full disk used to abort after a traceback."""
    import errno

    import solver.core.output as output
    from solver.cli import main

    real = output.atomic_write_text

    def full(path, text):
        if Path(path).name == "summary.json":
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        real(path, text)

    monkeypatch.setattr(output, "atomic_write_text", full)
    out = tmp_path / "out"
    code = main(["run", str(BIMETAL), "-o", str(out), "--set", "output.fields=false"])
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("sprout:")]
    assert code == 4, err
    assert len(lines) == 1 and "No space left on device" in lines[0] and "Traceback" not in err
    assert list(tmp_path.iterdir()) == [], "partial output or staging left behind"
