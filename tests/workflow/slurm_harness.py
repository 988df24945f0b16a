"""A real single-node SLURM on localhost for the tests: munge, slurmctld and slurmd from
Debian's packages (``.ci/run`` installs slurm-wlm and munge), started with a generated
slurm.conf in a temporary folder and stopped afterwards."""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path


def available() -> bool:
    return all(shutil.which(b) for b in ("slurmctld", "slurmd", "sbatch", "munged"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _munge_ok() -> bool:
    try:
        enc = subprocess.run(["munge", "-n"], capture_output=True, timeout=5)
        return enc.returncode == 0 and subprocess.run(["unmunge"], input=enc.stdout, capture_output=True,
                                                      timeout=5).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _start_munge() -> None:
    if _munge_ok():
        return
    key = Path("/etc/munge/munge.key")
    if not key.exists():
        subprocess.run(["mungekey", "-c", "-k", str(key)], check=True)
        shutil.chown(key, "munge", "munge")
        key.chmod(0o400)
    Path("/run/munge").mkdir(parents=True, exist_ok=True)
    shutil.chown("/run/munge", "munge", "munge")
    cmd = ["munged", "--force"] if os.geteuid() == 0 else ["sudo", "-u", "munge", "munged"]
    subprocess.run(cmd, check=True, capture_output=True)
    for _ in range(50):
        if _munge_ok():
            return
        time.sleep(0.1)
    raise RuntimeError("munged did not come up")


def _memory_mb() -> int:
    """Half the machine's memory, so that jobs asking for memory (--mem) can be placed."""
    with open("/proc/meminfo") as fh:
        total_kb = int(fh.readline().split()[1])
    return max(512, total_kb // 2048)


class LocalSlurm:
    """``max_array_size`` is small by default so that a sweep of a few cases already needs
    several array jobs, as a large sweep does on a real cluster (SLURM's default is 1001)."""

    def __init__(self, root: Path, max_array_size: int = 3):
        self.root = Path(root)
        self.conf = self.root / "slurm.conf"
        self.max_array_size = max_array_size

    @property
    def env(self) -> dict:
        return {**os.environ, "SLURM_CONF": str(self.conf)}

    def start(self) -> "LocalSlurm":
        _start_munge()
        for d in ("state", "spool", "log"):
            (self.root / d).mkdir(parents=True, exist_ok=True)
        user = getpass.getuser()
        cpus = os.cpu_count() or 1
        self.conf.write_text(f"""ClusterName=sprouttest
SlurmctldHost=localhost
SlurmUser={user}
SlurmdUser={user}
AuthType=auth/munge
StateSaveLocation={self.root}/state
SlurmdSpoolDir={self.root}/spool
SlurmctldPidFile={self.root}/slurmctld.pid
SlurmdPidFile={self.root}/slurmd.pid
SlurmctldLogFile={self.root}/log/slurmctld.log
SlurmdLogFile={self.root}/log/slurmd.log
SlurmctldPort={_free_port()}
SlurmdPort={_free_port()}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
ReturnToService=2
MaxArraySize={self.max_array_size}
NodeName=localhost CPUs={cpus} RealMemory={_memory_mb()} State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
""")
        subprocess.run(["slurmctld", "-f", str(self.conf)], check=True, env=self.env, capture_output=True)
        subprocess.run(["slurmd", "-f", str(self.conf), "-N", "localhost"], check=True, env=self.env,
                       capture_output=True)
        for _ in range(150):
            r = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True, env=self.env)
            if r.stdout.strip() == "idle":
                return self
            time.sleep(0.2)
        raise RuntimeError(f"the SLURM node did not become idle: {r.stdout} {r.stderr}")

    def stop(self) -> None:
        subprocess.run(["scancel", "--full", "-u", getpass.getuser()], env=self.env, capture_output=True)
        for name in ("slurmd", "slurmctld"):
            pid = self.root / f"{name}.pid"
            try:
                os.kill(int(pid.read_text().strip()), signal.SIGTERM)
            except (OSError, ValueError):
                pass
