"""Names and numbers of a run: host names, run ids, bridge names and MACs, subnets, address slots."""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import json
import re
from pathlib import Path
from typing import Iterable

from .config import TestHostError


_NAME_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,9}[a-z0-9])?")


# systemd-nspawn names the host side of a bridged veth "vb-" + machine name and shortens it
# (to a hash) when that exceeds IFNAMSIZ - 1 = 15 characters: 12 keeps "vb-MACHINE" exact.
MACHINE_MAX = 12


_MACHINE_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,%d}[a-z0-9])?" % (MACHINE_MAX - 2))


_SUBNET_MIN, _SUBNET_MAX = 0, 255


_FIRST_HOST_SLOT, _LAST_HOST_SLOT = 2, 254


def validate_name(name: str) -> str:
    """Return ``name`` if it can name a host, else raise ValueError.

    1-11 characters of [a-z0-9-], not starting or ending with '-': it becomes the hostname
    and the inventory name. (Runs made before hosts had a machine name of their own used the
    host name as machine name, hence as veth ``vb-NAME``; 11 characters keeps those loadable.)
    """
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        raise ValueError(
            f"invalid host name {name!r}: use 1-11 of [a-z0-9-], not starting or ending with '-'")
    return name


def run_id(run_dir: Path | str) -> str:
    """A short, stable identifier of a run directory (hash of its absolute path)."""
    return hashlib.sha256(str(Path(run_dir).absolute()).encode()).hexdigest()[:8]


def machine_name(run_dir: Path | str, slot: int) -> str:
    """The nspawn machine name of the host in address slot ``slot`` of ``run_dir``.

    ``m`` + the first 7 characters of the run id + ``-`` + the slot, at most 12 characters:
    unique per run (one host per slot) and, through the run id, across the run directories of
    this machine (the registry refuses the rare clash), so two runs can use the same host names
    at once. It names the veth ``vb-MACHINE``, the netns, the cgroups and nspawn's runtime dirs.
    """
    if not 1 <= slot <= _LAST_HOST_SLOT:
        raise ValueError(f"address slot out of range: {slot}")
    return validate_machine(f"m{run_id(run_dir)[:7]}-{slot}")


def validate_machine(machine: str) -> str:
    """Return ``machine`` if it can name an nspawn machine here, else raise ValueError.

    1-12 characters of [a-z0-9-], not starting or ending with '-' (a valid hostname label, and
    ``vb-MACHINE`` fits in an interface name unshortened). Host names are valid machine names:
    hosts recorded before machine names existed use their host name.
    """
    if not isinstance(machine, str) or not _MACHINE_RE.fullmatch(machine):
        raise ValueError(f"invalid machine name {machine!r}: use 1-{MACHINE_MAX} of [a-z0-9-], "
                         "not starting or ending with '-'")
    return machine


def bridge_name(run_dir: Path | str) -> str:
    """The run's bridge: ``ltb`` + run id, 11 characters (interface names allow 15)."""
    return "ltb" + run_id(run_dir)


def bridge_mac(run_dir: Path | str) -> str:
    """A fixed, locally administered MAC for the bridge.

    Without it a bridge takes the lowest MAC of its ports and changes it as hosts come and
    go, which leaves stale ARP/neighbour entries inside the hosts.
    """
    digest = hashlib.sha256(("mac:" + str(Path(run_dir).absolute())).encode()).digest()
    return "02:" + ":".join(f"{b:02x}" for b in digest[:5])


def default_names(run_dir: Path | str, count: int) -> list[str]:
    """Names for ``--count N``: ``h<run id[:6]>-<i>``, unique per run directory."""
    if count < 1 or count > _LAST_HOST_SLOT - _FIRST_HOST_SLOT + 1:
        raise ValueError(f"count must be 1..{_LAST_HOST_SLOT - _FIRST_HOST_SLOT + 1}, got {count}")
    prefix = "h" + run_id(run_dir)[:6]
    return [validate_name(f"{prefix}-{i}") for i in range(1, count + 1)]


def subnets(index: int) -> tuple[ipaddress.IPv4Network, ipaddress.IPv6Network]:
    """The run's networks: 10.213.INDEX.0/24 and fd00:213:INDEX::/64."""
    if not _SUBNET_MIN <= index <= _SUBNET_MAX:
        raise ValueError(f"subnet index out of range: {index}")
    return (ipaddress.IPv4Network(f"10.213.{index}.0/24"),
            ipaddress.IPv6Network(f"fd00:213:{index}::/64"))


def address_pair(index: int, slot: int) -> tuple[str, str]:
    """IPv4 and IPv6 address number ``slot`` in subnet ``index`` (slot 1 is the bridge)."""
    if not 1 <= slot <= _LAST_HOST_SLOT:
        raise ValueError(f"address slot out of range: {slot}")
    net4, net6 = subnets(index)
    return str(net4[slot]), str(net6[slot])


def free_slot(used: Iterable[int]) -> int:
    """The lowest host address slot not in ``used``."""
    taken = set(used)
    for slot in range(_FIRST_HOST_SLOT, _LAST_HOST_SLOT + 1):
        if slot not in taken:
            return slot
    raise TestHostError("no free address left in this run's /24")


def subnet_indexes_in_use(ip_addr_json: str) -> set[int]:
    """Subnet indexes already used on this machine, from ``ip -j addr show`` output.

    A run's subnet is also reserved in the registry, but scanning the real addresses
    catches anything set up by hand or by a run whose reservation was lost.
    """
    used: set[int] = set()
    for link in json.loads(ip_addr_json or "[]"):
        for addr in link.get("addr_info", []):
            local = addr.get("local", "")
            match = re.fullmatch(r"10\.213\.(\d{1,3})\.\d{1,3}", local)
            if match:
                used.add(int(match.group(1)))
            match6 = re.match(r"fd00:213:([0-9a-f]{1,4}):", local)
            if match6:
                with contextlib.suppress(ValueError):
                    used.add(int(match6.group(1)))
    return used


def pick_subnet_index(in_use: Iterable[int]) -> int:
    """The lowest subnet index nobody uses."""
    taken = set(in_use)
    for index in range(_SUBNET_MIN, _SUBNET_MAX + 1):
        if index not in taken:
            return index
    raise TestHostError("all 256 test host subnets (10.213.0.0/16) are in use")
