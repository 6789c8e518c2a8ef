"""The run directory's state files: ``hosts.json`` (one entry per host) and ``run.json``."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path


@dataclass
class Host:
    """One test host, as recorded in ``hosts.json``.

    ``name`` is the host's hostname and its name in the inventory, ssh_config and known_hosts;
    ``machine`` is its systemd-nspawn machine name, unique on this machine (``names.machine_name``),
    which names its veth ``vb-MACHINE``, netns, cgroups and nspawn runtime dirs. Entries written
    before machine names existed have none: their machine name is their host name.
    ``devices`` are block devices of this machine the host sees under the same path (a loop
    device standing in for a cloud disk); a later ``start`` binds them again.
    """

    name: str
    address: str
    address6: str
    user: str
    port: int
    identity_file: str
    pid: int | None
    netns: str
    bridge: str
    slot: int = 0
    init_pid: int | None = None
    state: str = "stopped"
    cgroups: list[str] = field(default_factory=list)
    machine: str = ""
    # Block devices of this machine bound into the host at boot (``up --device NAME=PATH``).
    devices: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.machine:
            self.machine = self.name

    @classmethod
    def from_dict(cls, data: dict) -> "Host":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class RunInfo:
    """Run-wide facts, as recorded in ``run.json``."""

    run_id: str
    bridge: str
    subnet_index: int
    gateway: str
    gateway6: str
    apt_proxy_pid: int | None = None
    apt_proxy_url: str | None = None

    @classmethod
    def from_dict(cls, data: dict) -> "RunInfo":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def write_atomic(path: Path, text: str, mode: int = 0o644) -> None:
    """Write a file so readers see the old or the new content, never half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def load_hosts(run_dir: Path) -> list[Host]:
    """Hosts recorded in ``DIR/hosts.json`` (empty when the file is missing)."""
    path = Path(run_dir) / "hosts.json"
    if not path.exists():
        return []
    return [Host.from_dict(item) for item in json.loads(path.read_text() or "[]")]


def save_hosts(run_dir: Path, hosts: list[Host]) -> None:
    """Record hosts in ``DIR/hosts.json``, sorted by name."""
    data = [asdict(h) for h in sorted(hosts, key=lambda h: h.name)]
    write_atomic(Path(run_dir) / "hosts.json", json.dumps(data, indent=2) + "\n")


def load_run(run_dir: Path) -> RunInfo | None:
    """The run's ``run.json``, or None before the first ``up``."""
    path = Path(run_dir) / "run.json"
    if not path.exists():
        return None
    return RunInfo.from_dict(json.loads(path.read_text()))


def save_run(run_dir: Path, info: RunInfo) -> None:
    write_atomic(Path(run_dir) / "run.json", json.dumps(asdict(info), indent=2) + "\n")
