"""CPU time and memory of a process, read from ``/proc`` (Linux)."""

from __future__ import annotations

import contextlib
import os
import subprocess

_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds the process has used so far (its own threads included)."""
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    # The command name may hold spaces and parentheses: the fields start after the last ")".
    fields = stat[stat.rindex(")") + 2 :].split()
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / _TICKS


def machine_busy_seconds() -> float:
    """CPU seconds all cores have spent busy since boot (``/proc/stat``), to spot neighbours."""
    with open("/proc/stat") as f:
        fields = f.readline().split()[1:]
    # user nice system idle iowait irq softirq steal ...
    busy = sum(int(v) for i, v in enumerate(fields[:8]) if i not in (3, 4))
    return busy / _TICKS


def rss_kib(pid: int) -> int:
    """Resident set size in KiB (``VmRSS``)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def pid_of(name: str) -> int | None:
    """The oldest process with this exact command name, if any (e.g. ``mariadbd``)."""
    try:
        out = subprocess.run(
            ["pgrep", "-o", "-x", name], capture_output=True, text=True, check=False
        ).stdout.strip()
    except FileNotFoundError:
        return None
    return int(out) if out else None


def pin(pid: int, cpus: set[int]) -> bool:
    """Restrict a process and all its threads to the given CPUs (like ``taskset -a -p``).

    Every thread, because affinity is per thread and a server's thread pools (argon2,
    aiosqlite) would otherwise keep running on the other core.
    """
    try:
        tids = [int(t) for t in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        tids = [pid]
    try:
        for tid in tids:
            with contextlib.suppress(ProcessLookupError):
                os.sched_setaffinity(tid, cpus)
        return True
    except (AttributeError, OSError):
        return False
