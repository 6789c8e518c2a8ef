"""Machine-wide reservations of subnets and machine names, shared by all runs under a lock."""

from __future__ import annotations

import contextlib
import fcntl
from pathlib import Path
from typing import Iterable, Iterator

from .config import REGISTRY_DIR, TestHostError
from .names import pick_subnet_index, validate_machine


class Registry:
    """Reservations shared by all runs on this machine, in a directory, under an flock.

    ``subnets/<index>`` and ``names/<machine>`` each hold the absolute run directory that owns
    them. ``names/`` holds nspawn machine names (``Host.machine``), not host names: two runs may
    share host names, never machine names (hosts recorded before machine names existed use
    their host name as machine name, so their reservations stay where they were). A reservation is stale when its run directory is gone, or when it predates the
    last boot and nothing of it is left (this machine's /run survives reboots).
    """

    def __init__(self, base: Path = REGISTRY_DIR, boot_time: float | None = None):
        self.base = Path(base)
        self.boot_time = boot_time if boot_time is not None else _boot_time()

    @contextlib.contextmanager
    def locked(self) -> Iterator["Registry"]:
        (self.base / "subnets").mkdir(parents=True, exist_ok=True)
        (self.base / "names").mkdir(parents=True, exist_ok=True)
        with open(self.base / "lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield self
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _owner(self, entry: Path) -> str | None:
        try:
            return entry.read_text().strip() or None
        except FileNotFoundError:
            return None

    def _stale(self, entry: Path, alive: bool) -> bool:
        owner = self._owner(entry)
        if owner is None or not Path(owner).is_dir():
            return True
        try:
            older_than_boot = entry.stat().st_mtime < self.boot_time
        except FileNotFoundError:
            return True
        return older_than_boot and not alive

    def subnet_of(self, run_dir: Path) -> int | None:
        """The subnet index reserved by ``run_dir``, if any."""
        me = str(Path(run_dir).absolute())
        for entry in (self.base / "subnets").iterdir():
            if entry.name.isdigit() and self._owner(entry) == me:
                return int(entry.name)
        return None

    def reserve_subnet(self, run_dir: Path, in_use_on_machine: Iterable[int]) -> int:
        """Reserve (or return the existing) subnet index of ``run_dir``. Call under ``locked``."""
        existing = self.subnet_of(run_dir)
        if existing is not None:
            return existing
        in_use_on_machine = set(in_use_on_machine)
        taken = set(in_use_on_machine)
        for entry in (self.base / "subnets").iterdir():
            if not entry.name.isdigit():
                continue
            index = int(entry.name)
            if self._stale(entry, alive=index in in_use_on_machine):
                entry.unlink(missing_ok=True)
            else:
                taken.add(index)
        index = pick_subnet_index(taken)
        (self.base / "subnets" / str(index)).write_text(str(Path(run_dir).absolute()) + "\n")
        return index

    def release_subnet(self, run_dir: Path) -> None:
        index = self.subnet_of(run_dir)
        if index is not None:
            (self.base / "subnets" / str(index)).unlink(missing_ok=True)

    def claim_names(self, run_dir: Path, names: Iterable[str], alive: Iterable[str] = ()) -> None:
        """Reserve machine names for ``run_dir``; raise if another live run holds one.

        ``alive``: those of ``names`` whose host is known to run (a reservation from before
        the last boot is still honoured for them).
        """
        me = str(Path(run_dir).absolute())
        names = [validate_machine(name) for name in names]
        alive = set(alive)
        conflicts = []
        for name in names:
            entry = self.base / "names" / name
            owner = self._owner(entry)
            if owner and owner != me and not self._stale(entry, alive=name in alive):
                conflicts.append(f"{name} (run dir {owner})")
        if conflicts:
            raise TestHostError("machine names in use by another run: " + ", ".join(conflicts)
                                + "; run `down` on that run dir or use another run dir")
        for name in names:
            (self.base / "names" / name).write_text(me + "\n")

    def release_names(self, run_dir: Path, names: Iterable[str]) -> None:
        me = str(Path(run_dir).absolute())
        for name in names:
            entry = self.base / "names" / validate_machine(name)
            if self._owner(entry) == me:
                entry.unlink(missing_ok=True)


def _boot_time() -> float:
    """When this machine booted (seconds since the epoch), from /proc/stat."""
    try:
        for line in Path("/proc/stat").read_text().splitlines():
            if line.startswith("btime "):
                return float(line.split()[1])
    except OSError:
        pass
    return 0.0
