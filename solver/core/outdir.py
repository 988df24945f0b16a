"""Claiming an output folder before any work: the rules every command shares.

``-o`` must name a folder: not empty (an unset shell variable), not an existing file, in a
place this user can write. While a command writes into OUT it holds a lock beside it
(``<parent>/.<name>.lock``, an exclusive ``flock``), so a second run into the same OUT is
refused at once instead of racing the first one and silently losing a result. Staging
folders that a killed run left beside OUT (``.<name>.partial-*``) are removed by the next
holder of the lock: only a holder stages there, so none of them is in use.

The lock lives on rank 0; the other ranks learn the outcome by broadcast."""

from __future__ import annotations

import errno
import fcntl
import glob
import os
import shutil
import socket
from contextlib import contextmanager
from pathlib import Path


from solver.core.case import CaseError
from solver.core.comm import SerialComm


def check_out(out, option: str = "-o") -> Path:
    """``out`` as a Path, refused (CaseError, exit 2) if it cannot be an output folder."""
    if out is None:
        raise CaseError(f"{option}: required")
    text = str(out)
    if not text.strip():
        raise CaseError(f"{option}: empty (an unset shell variable?); name the output folder")
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise CaseError(f"{option} {path}: exists and is not a directory")
    probe = path
    while not probe.exists():  # the nearest existing ancestor is where the folder will be made
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        raise CaseError(f"{option} {path}: {probe} is a file, so no folder can be made under it")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise CaseError(f"{option} {path}: {probe} is not writable by this user")
    return path


def _lock_path(out: Path) -> Path:
    return out.parent / f".{out.name}.lock"


def _acquire(out: Path) -> tuple[int | None, str]:
    """(fd of the held lock, '') or (None, why not). Rank 0 only."""
    lock = _lock_path(out)
    lock.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(10):  # the holder unlinks the file on release: lock the file that is there
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                try:
                    holder = lock.read_text().strip() or "another process"
                except OSError:
                    holder = "another process"
                return None, holder
            raise
        try:
            same = os.fstat(fd).st_ino == os.stat(lock).st_ino
        except FileNotFoundError:
            same = False
        if same:
            os.ftruncate(fd, 0)
            os.write(fd, f"sprout pid {os.getpid()} on {socket.gethostname()}\n".encode())
            return fd, ""
        os.close(fd)
    return None, "another process (the lock kept changing hands)"


def holder(out: Path) -> tuple[int, str] | None:
    """(pid, host) of the run writing into ``out`` now, or None. Read from the lock file,
    never by taking the lock (a look must not make a starting run fail). On this host a
    dead pid means a killed run's stale file: None."""
    try:
        text = _lock_path(Path(out)).read_text()
    except OSError:
        return None
    parts = text.split()
    if len(parts) < 5 or parts[:2] != ["sprout", "pid"] or not parts[2].isdigit():
        return None
    pid, host = int(parts[2]), parts[4]
    if host == socket.gethostname():
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass  # alive, another user's
    return pid, host


def remove_leftovers(out: Path) -> list[Path]:
    """Staging folders of killed runs into ``out``; call only while holding its lock."""
    gone = []
    if out.parent.is_dir():
        for path in out.parent.glob(f".{glob.escape(out.name)}.partial-*"):
            shutil.rmtree(path, ignore_errors=True)
            gone.append(path)
    return gone


@contextmanager
def claimed(out, comm=None, option: str = "-o", log=None):
    """Hold OUT for the duration of a command: checked, locked, cleared of leftovers.
    Raises CaseError on every rank if OUT is unusable or held by another run (``comm``:
    the ranks that write OUT; one rank when not given)."""
    comm = SerialComm() if comm is None else comm
    path, error, fd = None, None, None
    if comm.rank == 0:
        try:
            path = check_out(out, option)
            fd, holder = _acquire(path)
            if fd is None:
                error = (f"{option} {path}: another run is writing into it ({holder}); wait for it to end or "
                         "choose another folder")
            else:
                for gone in remove_leftovers(path):
                    if log is not None:
                        log.info("removed %s, left by a run that was killed", gone.name)
        except CaseError as exc:
            error = str(exc)
        except OSError as exc:
            error = f"{option} {out}: cannot be used as the output folder: {exc.strerror or exc}"
    path, error = comm.bcast((path, error), root=0)
    if error is not None:
        raise CaseError(error)
    try:
        yield path
    finally:
        if fd is not None:
            try:
                os.unlink(_lock_path(path))
            except OSError:
                pass
            os.close(fd)
