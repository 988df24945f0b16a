"""Where a result came from, for ``summary.json``: when it started (UTC), on which host, by
what command line in which folder, and from which sprout source (the version, and the git
revision with a ``-dirty`` mark when the run used a checkout with uncommitted changes).
A result someone finds months later says how to make it again."""

from __future__ import annotations

import datetime as _dt
import os
import shlex
import socket
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

_command: list[str] = []  # what the CLI was given; empty when called from Python


def set_command(argv: list[str]) -> None:
    """The CLI records its arguments (``sprout run case.toml -o OUT``)."""
    _command[:] = ["sprout", *argv]


def provenance(wall_s: float) -> dict:
    started = _dt.datetime.now(_dt.timezone.utc) - _dt.timedelta(seconds=wall_s)
    return {
        "started_utc": started.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "host": socket.gethostname(),
        "command": shlex.join(_command) if _command else f"python API ({shlex.join(sys.argv)})",
        "cwd": os.getcwd(),
        "git_revision": git_revision(),
    }


@lru_cache(maxsize=1)
def git_revision() -> str | None:
    """The commit of the sprout checkout the code was imported from, or None (an installed
    wheel, no git)."""
    root = Path(__file__).resolve().parents[2]
    if not (root / ".git").exists():
        return None
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}-dirty" if dirty else head
