"""cgroups: one per host, since PID 1 of this machine is not systemd."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import Iterable

from .names import validate_machine
from .state import RunInfo
from .system import read_mountinfo


def cgroup_hierarchies(mountinfo_text: str) -> list[str]:
    """Mount points of the cgroup hierarchies systemd inside a container needs.

    The cgroup2 (unified) hierarchy and the cgroup v1 ``name=systemd`` one. Each host gets a
    directory of its own in each, so two hosts' systemd never share ``system.slice``.
    """
    found = []
    for line in mountinfo_text.splitlines():
        left, _sep, right = line.partition(" - ")
        parts, rparts = left.split(), right.split()
        if len(parts) < 5 or len(rparts) < 3:
            continue
        fstype, options = rparts[0], rparts[2]
        if fstype == "cgroup2" or (fstype == "cgroup" and "name=systemd" in options.split(",")):
            found.append(parts[4])
    return found


def host_cgroups(info: RunInfo, machine: str, mountinfo_text: str | None = None) -> list[Path]:
    """The host's cgroups: ``liftoff-testhosts/<run id>/MACHINE`` in each hierarchy."""
    text = read_mountinfo() if mountinfo_text is None else mountinfo_text
    return [Path(h) / "liftoff-testhosts" / info.run_id / validate_machine(machine)
            for h in cgroup_hierarchies(text)]


def _enter_cgroups(paths: list[Path]) -> None:
    """preexec_fn for nspawn: move the child into the host's cgroups (best effort)."""
    for path in paths:
        with contextlib.suppress(OSError):
            (path / "cgroup.procs").write_text("0\n")


def _make_cgroup(path: Path, attempts: int = 5) -> None:
    """Create a cgroup directory; retried because another run's cleanup may remove an empty
    shared parent (``liftoff-testhosts``) between our mkdir calls."""
    for attempt in range(attempts):
        try:
            path.mkdir(parents=True, exist_ok=True)
            return
        except FileNotFoundError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.05)


def remove_cgroups(paths: Iterable[str | Path]) -> None:
    """Remove host cgroup directories bottom-up, then their empty parents we created."""
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            continue
        for dirpath, _dirs, _files in sorted(os.walk(path), key=lambda w: -w[0].count("/")):
            with contextlib.suppress(OSError):
                os.rmdir(dirpath)
        for parent in (path.parent, path.parent.parent):  # <run id>/ and liftoff-testhosts/
            with contextlib.suppress(OSError):
                os.rmdir(parent)
