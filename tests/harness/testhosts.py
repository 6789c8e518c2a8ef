"""Debian 12 test hosts on this machine: systemd-nspawn containers with systemd as PID 1 and real SSH.

Molecule scenarios, pytest and ``make sandbox`` use these hosts where a role needs a real
server (sshd restarts, handlers, iptables, netfilter-persistent) and Docker is not available.
The facts this is built on are in ``testhosts.md``: a Debian rootfs built once with
debootstrap, one overlayfs copy per host, one bridge and one private /24 + ULA /64 per run.

CLI (run as root from the repo root)::

    python -m tests.harness.testhosts check
    python -m tests.harness.testhosts rootfs [--force]
    python -m tests.harness.testhosts up --run-dir DIR [--count N | NAME ...] [--no-apt-proxy]
    python -m tests.harness.testhosts status --run-dir DIR     (exit 0 iff every host is up)
    python -m tests.harness.testhosts stop NAME --run-dir DIR
    python -m tests.harness.testhosts start NAME --run-dir DIR [--no-wait]
    python -m tests.harness.testhosts down --run-dir DIR

A run directory holds everything of one set of hosts: ``hosts.json`` (the state, one entry per
host), ``run.json`` (bridge, subnet, apt proxy), ``inventory.yml``, ``ssh_config``,
``known_hosts`` (the hosts' real keys, read from their disks, so SSH can check them strictly),
the SSH key ``id_ed25519`` and ``machines/NAME/`` (overlay upper dir, mount point, logs).

Machine-wide bookkeeping lives in ``/run/liftoff-testhosts`` (subnet and host-name
reservations, under a lock), so concurrent runs never share a subnet, a bridge or a host name.
Host names are machine-wide while a run is up: they name the veth (``vb-NAME``) and the
network namespace (``ip netns exec NAME ...``, the way in when SSH is locked out).
Every process this module ends is one it started, found by PID and checked by command line.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import ipaddress
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Iterable, Iterator

# --------------------------------------------------------------------------------------------
# Constants: the recipe and where things live
# --------------------------------------------------------------------------------------------

CACHE_DIR = Path("/var/cache/liftoff")
ROOTFS = CACHE_DIR / "rootfs-bookworm"
ROOTFS_LOCK = CACHE_DIR / "rootfs.lock"
STAMP_PATH = "etc/liftoff-testhost-recipe"  # inside the rootfs: renamed together with it
REGISTRY_DIR = Path("/run/liftoff-testhosts")
NSPAWN_RUN_DIR = Path("/run/systemd/nspawn")
NETNS_DIR = Path("/run/netns")
DEBIAN_SOURCES = Path("/etc/apt/sources.list.d/debian.sources")

SUITE = "bookworm"
USER = "liftoff"
SSH_PORT = 22
APT_PROXY_PORT = 3142
BOOT_TIMEOUT = 60.0
POWEROFF_TIMEOUT = 30.0
APT_TIMEOUT = 600

BASE_PACKAGES = (
    "openssh-server", "python3", "python3-apt", "sudo", "iptables", "systemd", "systemd-sysv",
    "dbus", "iproute2", "procps", "ca-certificates", "libpam-systemd",
)
# Installed after debootstrap, with debconf preseeded: iptables-persistent's postinst would
# otherwise save the *build machine's* firewall rules into the image (autosave defaults on).
LATE_PACKAGES = ("netfilter-persistent", "iptables-persistent")
DEBCONF_SELECTIONS = (
    "iptables-persistent iptables-persistent/autosave_v4 boolean false\n"
    "iptables-persistent iptables-persistent/autosave_v6 boolean false\n"
)
# Units that wait for or drive hardware a container has not got, and apt's daily timers
# (they take the dpkg lock at random times and would make role tests flaky).
MASKED_UNITS = (
    "systemd-networkd-wait-online.service", "getty@tty1.service", "console-getty.service",
    "apt-daily.timer", "apt-daily-upgrade.timer",
)
ENABLED_UNITS = ("systemd-networkd.service", "ssh-host-keys.service")
HOST_KEYS_UNIT = """\
[Unit]
Description=Generate this host's own SSH host keys (the shared image has none)
Before=ssh.service
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A
RemainAfterExit=yes

[Install]
WantedBy=ssh.service
"""
# A persistent, small journal: `up` shows it when a host fails to boot.
JOURNALD_DROPIN = "[Journal]\nStorage=persistent\nSystemMaxUse=16M\n"
# Bump when the build steps below change in a way the package lists do not show.
RECIPE_REVISION = 1

_NAME_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,9}[a-z0-9])?")
_SUBNET_MIN, _SUBNET_MAX = 0, 255
_FIRST_HOST_SLOT, _LAST_HOST_SLOT = 2, 254


class TestHostError(RuntimeError):
    """A test host operation failed; the message says what and where to look."""

    __test__ = False  # not a pytest test class, despite the name


# --------------------------------------------------------------------------------------------
# Pure logic (unit-tested in tests/unit/test_testhosts.py)
# --------------------------------------------------------------------------------------------

def validate_name(name: str) -> str:
    """Return ``name`` if it can name a host, else raise ValueError.

    1-11 characters of [a-z0-9-], not starting or ending with '-': it becomes the hostname,
    the netns name and the veth ``vb-NAME``, and Linux interface names stop at 15 characters.
    """
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        raise ValueError(
            f"invalid host name {name!r}: use 1-11 of [a-z0-9-], not starting or ending with '-'")
    return name


def run_id(run_dir: Path | str) -> str:
    """A short, stable identifier of a run directory (hash of its absolute path)."""
    return hashlib.sha256(str(Path(run_dir).absolute()).encode()).hexdigest()[:8]


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


def parse_debian_mirror(sources_text: str, suite: str = SUITE) -> str:
    """The main Debian mirror URL from a deb822 ``debian.sources`` file.

    Takes the first ``Types: deb`` stanza listing ``suite`` itself (not -security/-updates).
    """
    for stanza in re.split(r"\n\s*\n", sources_text):
        fields_: dict[str, str] = {}
        for line in stanza.splitlines():
            if line.startswith("#") or ":" not in line or line[:1].isspace():
                continue
            key, value = line.split(":", 1)
            fields_[key.strip().lower()] = value.strip()
        if "deb" in fields_.get("types", "").split() and suite in fields_.get("suites", "").split():
            uris = fields_.get("uris", "").split()
            if uris:
                return uris[0]
    raise TestHostError(f"no 'Types: deb' stanza for suite {suite} in the apt sources")


def recipe_version() -> str:
    """Identifies the rootfs recipe; the cached rootfs is rebuilt when this changes."""
    recipe = {
        "revision": RECIPE_REVISION, "suite": SUITE, "packages": BASE_PACKAGES,
        "late_packages": LATE_PACKAGES, "debconf": DEBCONF_SELECTIONS, "masked": MASKED_UNITS,
        "enabled": ENABLED_UNITS, "host_keys_unit": HOST_KEYS_UNIT, "user": USER,
        "journald": JOURNALD_DROPIN,
    }
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:16]


def network_unit(address: str, address6: str, gateway: str, gateway6: str,
                 prefix: int = 24, prefix6: int = 64) -> str:
    """systemd-networkd configuration for the host's ``host0`` interface (static v4 + v6).

    Duplicate address detection is off for IPv6 so the address is usable the moment the
    link is up; the addresses are unique by construction.
    """
    return (
        "[Match]\nName=host0\n\n"
        "[Network]\n"
        f"Gateway={gateway}\nGateway={gateway6}\n"
        "IPv6AcceptRA=no\nLinkLocalAddressing=ipv6\nLLMNR=no\nMulticastDNS=no\n\n"
        f"[Address]\nAddress={address}/{prefix}\n\n"
        f"[Address]\nAddress={address6}/{prefix6}\nDuplicateAddressDetection=none\n"
    )


def hosts_file(name: str, peers: Iterable[tuple[str, str, str]]) -> str:
    """``/etc/hosts`` for host ``name``; ``peers`` is (name, address, address6) of every run host.

    The host's own name must resolve (else every sudo waits for DNS); it resolves to its
    real address, as on an EC2 instance. The other hosts of the run resolve too.
    """
    lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback",
             "ff02::1\tip6-allnodes", "ff02::2\tip6-allrouters"]
    own = [p for p in peers if p[0] == name]
    if not own:
        lines.append(f"127.0.1.1\t{name}")
    for peer_name, address, address6 in sorted(peers):
        lines.append(f"{address}\t{peer_name}")
        lines.append(f"{address6}\t{peer_name}")
    return "\n".join(lines) + "\n"


def apt_proxy_conf(gateway: str, port: int = APT_PROXY_PORT) -> str:
    """apt configuration pointing at the run's apt-cacher-ng on the bridge address."""
    return (f'Acquire::http::Proxy "http://{gateway}:{port}";\n'
            'Acquire::Retries "2";\nAcquire::http::Timeout "30";\n')


def known_hosts_lines(names: Iterable[str], public_keys: Iterable[str]) -> list[str]:
    """known_hosts lines binding every name/address of a host to each of its public keys.

    ``public_keys`` are the contents of ``ssh_host_*_key.pub`` ("type base64 [comment]").
    """
    patterns = ",".join(names)
    lines = []
    for key in public_keys:
        parts = key.split()
        if len(parts) >= 2:
            lines.append(f"{patterns} {parts[0]} {parts[1]}")
    return lines


def _yaml_scalar(value: object) -> str:
    """A YAML scalar: JSON's encoding is valid YAML and needs no quoting rules of its own."""
    return json.dumps(value)


def inventory_yaml(hosts: list["Host"], run_dir: Path | str) -> str:
    """An Ansible YAML inventory: group ``testhosts`` with one entry per running host."""
    run_dir = Path(run_dir)
    ssh_args = (f"-o UserKnownHostsFile={run_dir / 'known_hosts'} -o StrictHostKeyChecking=yes "
                "-o IdentitiesOnly=yes")
    lines = ["---", "all:", "  children:", "    testhosts:", "      hosts:"]
    if not hosts:
        lines[-1] += " {}"
    for host in hosts:
        lines.append(f"        {host.name}:")
        for key, value in (
            ("ansible_host", host.address), ("ansible_port", host.port),
            ("ansible_user", host.user), ("ansible_ssh_private_key_file", host.identity_file),
            ("ansible_ssh_common_args", ssh_args),
            ("testhost_address6", host.address6), ("testhost_netns", host.netns),
        ):
            lines.append(f"          {key}: {_yaml_scalar(value)}")
    return "\n".join(lines) + "\n"


def ssh_config_text(hosts: list["Host"], run_dir: Path | str) -> str:
    """An ssh_config: ``ssh -F DIR/ssh_config NAME`` (IPv4) and ``NAME-v6`` (IPv6)."""
    run_dir = Path(run_dir)
    blocks = []
    for host in hosts:
        for alias, address in ((host.name, host.address), (f"{host.name}-v6", host.address6)):
            blocks.append(
                f"Host {alias}\n"
                f"  HostName {address}\n"
                f"  Port {host.port}\n"
                f"  User {host.user}\n"
                f"  IdentityFile {host.identity_file}\n"
                "  IdentitiesOnly yes\n"
                f"  UserKnownHostsFile {run_dir / 'known_hosts'}\n"
                "  StrictHostKeyChecking yes\n"
                "  ConnectTimeout 10\n"
                "  LogLevel ERROR\n")
    return "\n".join(blocks)


def mount_points(mountinfo_text: str) -> list[str]:
    """Mount points listed in a ``/proc/self/mountinfo`` text (octal escapes decoded)."""
    points = []
    for line in mountinfo_text.splitlines():
        parts = line.split()
        if len(parts) > 4:
            points.append(re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), parts[4]))
    return points


def mounts_under(mountinfo_text: str, path: Path | str) -> list[str]:
    """Mount points at or below ``path``, deepest first (the order to unmount them in)."""
    base = str(Path(path).absolute()).rstrip("/")
    found = [p for p in mount_points(mountinfo_text) if p == base or p.startswith(base + "/")]
    return sorted(set(found), key=lambda p: (-p.count("/"), p))


def ssh_banner_ok(data: bytes) -> bool:
    """True when ``data`` starts an SSH protocol banner (RFC 4253 section 4.2)."""
    return data.startswith(b"SSH-")


def check_overlay_path(path: Path | str) -> str:
    """Return ``path`` as text if overlayfs mount options can carry it (no ',' ':' or space)."""
    text = str(path)
    if any(c in text for c in ",: \n\\"):
        raise TestHostError(f"path unusable in overlayfs options: {text!r}")
    return text


# --------------------------------------------------------------------------------------------
# State files
# --------------------------------------------------------------------------------------------

@dataclass
class Host:
    """One test host, as recorded in ``hosts.json``."""

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


# --------------------------------------------------------------------------------------------
# Machine-wide registry: subnet and host-name reservations
# --------------------------------------------------------------------------------------------

class Registry:
    """Reservations shared by all runs on this machine, in a directory, under an flock.

    ``subnets/<index>`` and ``names/<name>`` each hold the absolute run directory that owns
    them. A reservation is stale when its run directory is gone, or when it predates the
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
        """Reserve host names for ``run_dir``; raise if another live run holds one."""
        me = str(Path(run_dir).absolute())
        alive = set(alive)
        conflicts = []
        for name in names:
            entry = self.base / "names" / validate_name(name)
            owner = self._owner(entry)
            if owner and owner != me and not self._stale(entry, alive=name in alive):
                conflicts.append(f"{name} (run dir {owner})")
        if conflicts:
            raise TestHostError("host names in use by another run: " + ", ".join(conflicts)
                                + "; pick other names or run `down` on that run dir")
        for name in names:
            (self.base / "names" / name).write_text(me + "\n")

    def release_names(self, run_dir: Path, names: Iterable[str]) -> None:
        me = str(Path(run_dir).absolute())
        for name in names:
            entry = self.base / "names" / name
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


# --------------------------------------------------------------------------------------------
# Small system helpers
# --------------------------------------------------------------------------------------------

def log(message: str) -> None:
    """Progress on stderr, so stdout stays clean for machine-readable output."""
    print(f"testhosts: {message}", file=sys.stderr, flush=True)


def run(cmd: list[str], *, check: bool = True, timeout: float | None = 120,
        input_text: str | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run a command, capturing output; on failure raise with the command and its stderr."""
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False,
                              input=input_text, env=env,
                              stdin=None if input_text is not None else subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        raise TestHostError(f"timed out after {timeout}s: {' '.join(cmd)}") from exc
    if check and proc.returncode != 0:
        raise TestHostError(f"command failed (rc={proc.returncode}): {' '.join(cmd)}\n"
                            f"{(proc.stderr or proc.stdout).strip()[-4000:]}")
    return proc


def read_mountinfo() -> str:
    return Path("/proc/self/mountinfo").read_text()


def link_exists(name: str) -> bool:
    return Path("/sys/class/net", name).exists()


def proc_cmdline(pid: int) -> list[str]:
    """A process's argv, or [] if it is gone."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def pid_alive(pid: int | None) -> bool:
    """True if ``pid`` exists and is not a zombie."""
    if not pid:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def is_our_nspawn(pid: int | None, root: Path) -> bool:
    """True if ``pid`` is a systemd-nspawn booting ``root`` (guards against recycled PIDs)."""
    if not pid_alive(pid):
        return False
    argv = proc_cmdline(pid)  # type: ignore[arg-type]
    return bool(argv) and argv[0].endswith("systemd-nspawn") and f"--directory={root}" in argv


def children(pid: int) -> list[int]:
    """Direct children of ``pid`` (all threads)."""
    kids: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            kids.extend(int(x) for x in (task / "children").read_text().split())
    return kids


def ns_inode(pid: int, kind: str) -> int | None:
    try:
        return os.stat(f"/proc/{pid}/ns/{kind}").st_ino
    except OSError:
        return None


def container_init(nspawn_pid: int) -> int | None:
    """The container's PID 1, seen from here: nspawn's descendant in another PID namespace."""
    own = ns_inode(nspawn_pid, "pid")
    pending = children(nspawn_pid)
    while pending:
        pid = pending.pop(0)
        inode = ns_inode(pid, "pid")
        if inode is not None and inode != own:
            return pid
        pending.extend(children(pid))
    return None


def signal_pid(pid: int | None, sig: int) -> None:
    if pid:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def wait_gone(pid: int | None, timeout: float) -> bool:
    """Wait until ``pid`` has exited (reaping it if it is our child)."""
    deadline = time.monotonic() + timeout
    while pid_alive(pid):
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(pid, os.WNOHANG)  # type: ignore[arg-type]
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def remove_tree(path: Path) -> None:
    """Delete a directory tree, refusing if anything below it is still mounted."""
    if not path.exists() and not path.is_symlink():
        return
    busy = mounts_under(read_mountinfo(), path)
    if busy:
        raise TestHostError(f"refusing to delete {path}: still mounted: {', '.join(busy)}")
    run(["rm", "-rf", "--one-file-system", str(path)], timeout=300)


def unmount_all_under(path: Path) -> None:
    """Unmount everything at or below ``path`` (left by an interrupted build or boot)."""
    for point in mounts_under(read_mountinfo(), path):
        proc = run(["umount", point], check=False)
        if proc.returncode != 0:
            time.sleep(0.5)
            run(["umount", point])


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive flock held for the duration of the block."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def write_in_root(root: Path, rel: str, text: str, mode: int = 0o644,
                  uid: int = 0, gid: int = 0) -> None:
    """Create or replace file ``rel`` inside a host's root without following symlinks.

    A symlink in the image (e.g. /etc/resolv.conf) must never make us write to this
    machine's own files; every path component is checked with lstat.
    """
    parts = Path(rel).parts
    current = root
    for part in parts[:-1]:
        current = current / part
        if not os.path.lexists(current):
            os.mkdir(current, 0o755)
        elif os.path.islink(current) or not os.path.isdir(current):
            raise TestHostError(f"{current} is not a plain directory; refusing to write {rel}")
    target = current / parts[-1]
    if os.path.islink(target) or target.exists():
        os.unlink(target)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.chown(target, uid, gid)
    os.chmod(target, mode)


def user_ids(root: Path, user: str) -> tuple[int, int, str]:
    """uid, gid and home directory of ``user`` in the image's /etc/passwd."""
    for line in (root / "etc/passwd").read_text().splitlines():
        parts = line.split(":")
        if len(parts) >= 6 and parts[0] == user:
            return int(parts[2]), int(parts[3]), parts[5]
    raise TestHostError(f"user {user} missing from {root}/etc/passwd; rebuild the rootfs")


# --------------------------------------------------------------------------------------------
# Preconditions
# --------------------------------------------------------------------------------------------

def machine_problems() -> list[str]:
    """Why this machine cannot run test hosts (empty when it can)."""
    problems = []
    if os.geteuid() != 0:
        problems.append("not root (systemd-nspawn, mounts and bridges need root)")
    for tool, package in (("systemd-nspawn", "systemd-container"), ("debootstrap", "debootstrap"),
                          ("ip", "iproute2"), ("ssh-keygen", "openssh-client")):
        if shutil.which(tool) is None:
            problems.append(f"{tool} not found (apt-get install {package})")
    if "overlay" not in Path("/proc/filesystems").read_text():
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            subprocess.run(["modprobe", "overlay"], capture_output=True, timeout=10, check=False)
        if "overlay" not in Path("/proc/filesystems").read_text():
            problems.append("overlayfs is not available in this kernel")
    if not problems:
        problem = _try_overlay_mount()
        if problem:
            problems.append(problem)
    return problems


def _try_overlay_mount() -> str | None:
    """Mount a throwaway overlayfs next to the rootfs cache; the message if that fails."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="overlay-check-", dir=CACHE_DIR) as tmp:
        base = Path(tmp)
        for sub in ("lower", "upper", "work", "merged"):
            (base / sub).mkdir()
        proc = run(["mount", "-t", "overlay", "overlay", "-o",
                    f"lowerdir={base}/lower,upperdir={base}/upper,workdir={base}/work",
                    str(base / "merged")], check=False)
        if proc.returncode != 0:
            return f"cannot mount overlayfs under {CACHE_DIR}: {proc.stderr.strip()}"
        run(["umount", str(base / "merged")])
    return None


def require_machine() -> None:
    problems = machine_problems()
    if problems:
        raise TestHostError("this machine cannot run test hosts: " + "; ".join(problems))


# --------------------------------------------------------------------------------------------
# The rootfs
# --------------------------------------------------------------------------------------------

def rootfs_current(rootfs: Path = ROOTFS) -> bool:
    """True if the cached rootfs exists and was built from the current recipe."""
    try:
        return (rootfs / STAMP_PATH).read_text().strip() == recipe_version()
    except OSError:
        return False


def rootfs_in_use(rootfs: Path = ROOTFS) -> bool:
    """True if a mounted overlay uses the rootfs as its lower layer."""
    return f"lowerdir={rootfs}," in read_mountinfo() or f"lowerdir={rootfs} " in read_mountinfo()


def ensure_rootfs(force: bool = False) -> Path:
    """Build the cached rootfs if it is missing or stale; return its path.

    The build happens in a temporary directory next to the cache and is renamed into place
    only when complete, so an interrupted build never leaves a half rootfs behind.
    """
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with file_lock(ROOTFS_LOCK):
        _remove_leftovers()
        if rootfs_current() and not force:
            return ROOTFS
        if ROOTFS.exists() and rootfs_in_use():
            raise TestHostError(f"{ROOTFS} needs a rebuild but running test hosts use it; "
                                "bring them down first")
        mirror = parse_debian_mirror(DEBIAN_SOURCES.read_text())
        tmp = Path(tempfile.mkdtemp(prefix=f"{ROOTFS.name}.tmp-", dir=CACHE_DIR))
        started = time.monotonic()
        try:
            log(f"building {ROOTFS} from {mirror} (takes a minute or two, once)")
            _debootstrap(tmp, mirror)
            _customize(tmp)
            (tmp / STAMP_PATH).write_text(recipe_version() + "\n")
            os.chmod(tmp, 0o755)
            if ROOTFS.exists():
                old = CACHE_DIR / f"{ROOTFS.name}.old-{os.getpid()}"
                os.rename(ROOTFS, old)
                os.rename(tmp, ROOTFS)
                remove_tree(old)
            else:
                os.rename(tmp, ROOTFS)
        except BaseException:
            with contextlib.suppress(Exception):
                unmount_all_under(tmp)
                remove_tree(tmp)
            raise
        log(f"rootfs ready in {time.monotonic() - started:.0f}s")
        return ROOTFS


def _remove_leftovers() -> None:
    """Delete temporary/old rootfs directories of interrupted builds (caller holds the lock)."""
    for path in CACHE_DIR.glob(f"{ROOTFS.name}.*"):
        if path.is_dir() and re.search(r"\.(tmp|old)-", path.name):
            log(f"removing leftover {path}")
            unmount_all_under(path)
            remove_tree(path)


def _chroot_env() -> dict[str, str]:
    return {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C", "HOME": "/root",
            "DEBIAN_FRONTEND": "noninteractive", "DEBCONF_NONINTERACTIVE_SEEN": "true"}


def _debootstrap(target: Path, mirror: str) -> None:
    run(["debootstrap", "--variant=minbase", "--components=main",
         "--include=" + ",".join(BASE_PACKAGES), SUITE, str(target), mirror],
        timeout=1800, env={**_chroot_env(), "PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin")})
    unmount_all_under(target)  # debootstrap normally unmounts /proc and /sys itself


def _in_chroot(target: Path, *cmd: str, input_text: str | None = None, timeout: float = APT_TIMEOUT) -> None:
    run(["chroot", str(target), *cmd], input_text=input_text, timeout=timeout, env=_chroot_env())


def _customize(target: Path) -> None:
    """Turn the debootstrap tree into the test host image (see the module docstring)."""
    # apt: the machine's own sources, deb822 only.
    (target / "etc/apt/sources.list").unlink(missing_ok=True)
    shutil.copyfile(DEBIAN_SOURCES, target / "etc/apt/sources.list.d/debian.sources")
    # Late packages, with services kept from starting inside the chroot.
    policy = target / "usr/sbin/policy-rc.d"
    policy.write_text("#!/bin/sh\nexit 101\n")
    policy.chmod(0o755)
    run(["mount", "-t", "proc", "proc", str(target / "proc")])
    try:
        _in_chroot(target, "debconf-set-selections", input_text=DEBCONF_SELECTIONS)
        _in_chroot(target, "apt-get", "-q", "update")
        _in_chroot(target, "apt-get", "-q", "-y", "--no-install-recommends", "install", *LATE_PACKAGES)
        _in_chroot(target, "apt-get", "clean")
        # Sudo user for Ansible: key login only ('*' is no password yet not a locked account).
        _in_chroot(target, "useradd", "--create-home", "--shell", "/bin/bash", "--user-group", USER)
        _in_chroot(target, "usermod", "--password", "*", USER)
        sudoers = target / "etc/sudoers.d" / USER
        sudoers.write_text(f"{USER} ALL=(ALL:ALL) NOPASSWD: ALL\n")
        sudoers.chmod(0o440)
        _in_chroot(target, "visudo", "-c", "-q", "-f", f"/etc/sudoers.d/{USER}")
    finally:
        run(["umount", str(target / "proc")], check=False)
        policy.unlink(missing_ok=True)
    # SSH host keys: none in the shared image, each host makes its own at first boot.
    for key in (target / "etc/ssh").glob("ssh_host_*"):
        key.unlink()
    (target / "etc/systemd/system/ssh-host-keys.service").write_text(HOST_KEYS_UNIT)
    run(["systemctl", f"--root={target}", "enable", *ENABLED_UNITS])
    run(["systemctl", f"--root={target}", "mask", *MASKED_UNITS])
    (target / "etc/systemd/journald.conf.d").mkdir(parents=True, exist_ok=True)
    (target / "etc/systemd/journald.conf.d/liftoff-testhost.conf").write_text(JOURNALD_DROPIN)
    # Per-host identity is written at boot time by `up`; the image carries none.
    for rel in ("etc/hostname", "etc/resolv.conf"):
        (target / rel).unlink(missing_ok=True)
    (target / "etc/machine-id").write_text("")
    (target / "var/lib/dbus/machine-id").unlink(missing_ok=True)


# --------------------------------------------------------------------------------------------
# Networking: the run's bridge and its apt proxy
# --------------------------------------------------------------------------------------------

def ensure_bridge(info: RunInfo, run_dir: Path) -> None:
    """Create the run's bridge with its v4/v6 gateway addresses (idempotent)."""
    net4, net6 = subnets(info.subnet_index)
    if not link_exists(info.bridge):
        run(["ip", "link", "add", info.bridge, "address", bridge_mac(run_dir), "type", "bridge"])
    addrs = run(["ip", "-j", "addr", "show", "dev", info.bridge]).stdout
    present = {a.get("local") for link in json.loads(addrs or "[]") for a in link.get("addr_info", [])}
    if info.gateway not in present:
        run(["ip", "addr", "add", f"{info.gateway}/{net4.prefixlen}", "dev", info.bridge])
    if info.gateway6 not in present:
        run(["ip", "-6", "addr", "add", f"{info.gateway6}/{net6.prefixlen}", "dev", info.bridge, "nodad"])
    run(["ip", "link", "set", info.bridge, "up"])


def delete_bridge(name: str) -> None:
    if link_exists(name):
        run(["ip", "link", "delete", name, "type", "bridge"])


def _port_open(address: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((address, port), timeout=timeout):
            return True
    except OSError:
        return False


def _is_our_apt_proxy(pid: int | None, run_dir: Path) -> bool:
    argv = proc_cmdline(pid) if pid_alive(pid) else []  # type: ignore[arg-type]
    return bool(argv) and "apt-cacher-ng" in argv[0] and f"CacheDir={run_dir / 'apt-cacher-ng' / 'cache'}" in argv


def start_apt_proxy(info: RunInfo, run_dir: Path) -> str | None:
    """Serve apt-cacher-ng on the bridge address; return the proxy URL or None on failure.

    Binds to the bridge address only (it must exist first), forwards to this machine's own
    Debian mirror (``backends_debian``, which the package ships empty), and keeps its cache,
    logs and socket per run. Started in the foreground of its own session so its PID is ours
    to stop. A failure here is a warning: hosts still boot, only without package installs.
    """
    url = f"http://{info.gateway}:{APT_PROXY_PORT}"
    if _is_our_apt_proxy(info.apt_proxy_pid, run_dir) or _port_open(info.gateway, APT_PROXY_PORT):
        return url
    binary = shutil.which("apt-cacher-ng") or "/usr/sbin/apt-cacher-ng"
    if not os.access(binary, os.X_OK):
        log("warning: apt-cacher-ng not installed; hosts will have no package mirror")
        return None
    base = run_dir / "apt-cacher-ng"
    conf = base / "conf"
    for sub in (conf, base / "cache", base / "log"):
        sub.mkdir(parents=True, exist_ok=True)
    mirror = parse_debian_mirror(DEBIAN_SOURCES.read_text()).rstrip("/") + "/"
    (conf / "backends_debian").write_text(mirror + "\n")
    (conf / "acng.conf").write_text(
        "SupportDir: /usr/lib/apt-cacher-ng\n"
        "Remap-debrep: file:deb_mirror*.gz /debian ; file:backends_debian\n"
        "Remap-secdeb: security.debian.org security.debian.org/debian-security "
        "deb.debian.org/debian-security /debian-security cdn-fastly.deb.debian.org/debian-security ; "
        "deb.debian.org/debian-security security.debian.org cdn-fastly.deb.debian.org/debian-security\n"
        "ExThreshold: 4\n")
    REGISTRY_DIR.mkdir(parents=True, exist_ok=True)
    argv = [binary, "-c", str(conf), "ForeGround=1", f"BindAddress={info.gateway}",
            f"Port={APT_PROXY_PORT}", f"CacheDir={base / 'cache'}", f"LogDir={base / 'log'}",
            f"SocketPath={REGISTRY_DIR / (info.run_id + '.acng.sock')}",
            f"PidFile={base / 'apt-cacher-ng.pid'}"]
    with open(base / "stdout.log", "ab") as out:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True, cwd="/")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        if _port_open(info.gateway, APT_PROXY_PORT):
            info.apt_proxy_pid, info.apt_proxy_url = proc.pid, url
            return url
        time.sleep(0.1)
    log(f"warning: apt-cacher-ng did not come up on {url}; see {base / 'stdout.log'}; "
        "hosts boot without a package mirror")
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=10)
    return None


def stop_apt_proxy(info: RunInfo, run_dir: Path) -> None:
    """Stop the apt-cacher-ng this run started (by PID, after checking its command line)."""
    pid = info.apt_proxy_pid
    if _is_our_apt_proxy(pid, run_dir):
        signal_pid(pid, signal.SIGTERM)
        if not wait_gone(pid, 10):
            signal_pid(pid, signal.SIGKILL)
            wait_gone(pid, 5)
    (REGISTRY_DIR / f"{info.run_id}.acng.sock").unlink(missing_ok=True)
    info.apt_proxy_pid = None
    info.apt_proxy_url = None


# --------------------------------------------------------------------------------------------
# cgroups: one per host, since PID 1 of this machine is not systemd
# --------------------------------------------------------------------------------------------

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


def host_cgroups(info: RunInfo, name: str) -> list[Path]:
    return [Path(h) / "liftoff-testhosts" / info.run_id / name
            for h in cgroup_hierarchies(read_mountinfo())]


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


# --------------------------------------------------------------------------------------------
# One host
# --------------------------------------------------------------------------------------------

def machine_dir(run_dir: Path, name: str) -> Path:
    return run_dir / "machines" / name


def host_root(run_dir: Path, name: str) -> Path:
    return machine_dir(run_dir, name) / "root"


def mount_overlay(run_dir: Path, name: str) -> Path:
    """Mount the host's overlay (lower: cached rootfs, upper: per host); return its root."""
    base = machine_dir(run_dir, name)
    root = base / "root"
    for sub in ("upper", "work", "root"):
        (base / sub).mkdir(parents=True, exist_ok=True)
    if str(root.absolute()) in mount_points(read_mountinfo()):
        return root
    options = (f"lowerdir={check_overlay_path(ROOTFS)},upperdir={check_overlay_path(base / 'upper')},"
               f"workdir={check_overlay_path(base / 'work')}")
    run(["mount", "-t", "overlay", "overlay", "-o", options, str(root)])
    return root


def personalize(root: Path, host: Host, peers: list[Host], info: RunInfo,
                public_key: str, apt_proxy: str | None) -> None:
    """Write what makes the copy of the image this host (in its overlay upper dir)."""
    net4, net6 = subnets(info.subnet_index)
    uid, gid, home = user_ids(root, host.user)
    home_rel = home.lstrip("/")
    write_in_root(root, "etc/hostname", host.name + "\n")
    write_in_root(root, "etc/hosts", hosts_file(host.name, [(p.name, p.address, p.address6) for p in peers]))
    write_in_root(root, "etc/resolv.conf", "nameserver 127.0.0.1\n")
    write_in_root(root, "etc/machine-id", uuid.uuid4().hex + "\n", mode=0o444)
    write_in_root(root, "etc/systemd/network/10-host0.network",
                  network_unit(host.address, host.address6, info.gateway, info.gateway6,
                               net4.prefixlen, net6.prefixlen))
    write_in_root(root, f"{home_rel}/.ssh/authorized_keys", public_key.strip() + "\n", 0o600, uid, gid)
    os.chown(root / home_rel / ".ssh", uid, gid)
    os.chmod(root / home_rel / ".ssh", 0o700)
    if apt_proxy:
        write_in_root(root, "etc/apt/apt.conf.d/01liftoff-proxy", apt_proxy_conf(info.gateway))


def nspawn_argv(root: Path, host: Host) -> list[str]:
    """The systemd-nspawn command for a host (flags explained in testhosts.md)."""
    return [
        shutil.which("systemd-nspawn") or "/usr/bin/systemd-nspawn", "--quiet", "--boot",
        f"--directory={root}", f"--machine={host.name}", f"--network-bridge={host.bridge}",
        "--register=no", "--keep-unit", "--console=passive", "--resolv-conf=off",
        "--timezone=off", "--link-journal=no",
    ]


def launch(run_dir: Path, host: Host, info: RunInfo) -> None:
    """Start the host's systemd-nspawn in its own session and cgroups; does not wait."""
    root = host_root(run_dir, host.name)
    cgroups = host_cgroups(info, host.name)
    for path in cgroups:
        _make_cgroup(path)
    log_path = machine_dir(run_dir, host.name) / "nspawn.log"
    with open(log_path, "ab") as out:
        out.write(f"--- boot {time.strftime('%Y-%m-%d %H:%M:%S')} ---\n".encode())
        out.flush()
        proc = subprocess.Popen(nspawn_argv(root, host), stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True, cwd="/",
                                preexec_fn=lambda: _enter_cgroups(cgroups), env=_nspawn_env())
    host.pid, host.init_pid, host.state = proc.pid, None, "starting"
    host.cgroups = [str(p) for p in cgroups]


def _nspawn_env() -> dict[str, str]:
    """A clean environment for nspawn: nothing of molecule's or Ansible's leaks in."""
    return {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}


def wait_ready(run_dir: Path, host: Host, timeout: float, wait_ssh: bool = True) -> None:
    """Block until the host's init runs (netns attached) and, if asked, SSH answers.

    Raises TestHostError with the host's logs if nspawn dies or time runs out.
    """
    deadline = time.monotonic() + timeout
    root = host_root(run_dir, host.name)
    while host.init_pid is None:
        if not pid_alive(host.pid):
            raise TestHostError(f"{host.name}: systemd-nspawn exited during boot\n" + host_logs(run_dir, host))
        host.init_pid = container_init(host.pid)  # type: ignore[arg-type]
        if host.init_pid is None:
            if time.monotonic() > deadline:
                raise TestHostError(f"{host.name}: container did not start in {timeout:g}s\n"
                                    + host_logs(run_dir, host))
            time.sleep(0.05)
    attach_netns(host)
    if not wait_ssh:
        host.state = "running"
        return
    while True:
        if not pid_alive(host.pid):
            raise TestHostError(f"{host.name}: systemd-nspawn exited during boot\n" + host_logs(run_dir, host))
        if _ssh_banner(host.address):
            break
        if time.monotonic() > deadline:
            raise TestHostError(f"{host.name}: no SSH banner on {host.address}:{host.port} after "
                                f"{timeout:g}s\n" + host_logs(run_dir, host))
        time.sleep(0.1)
    _wait_host_keys(root, deadline)
    host.state = "running"


def _ssh_banner(address: str, port: int = SSH_PORT) -> bool:
    try:
        with socket.create_connection((address, port), timeout=1) as sock:
            sock.settimeout(2)
            return ssh_banner_ok(sock.recv(64))
    except OSError:
        return False


def _wait_host_keys(root: Path, deadline: float) -> None:
    while not list((root / "etc/ssh").glob("ssh_host_*_key.pub")):
        if time.monotonic() > deadline:
            raise TestHostError(f"no SSH host keys under {root}/etc/ssh")
        time.sleep(0.05)


def host_logs(run_dir: Path, host: Host, lines: int = 60) -> str:
    """The tail of nspawn's output and of the host's journal, for error messages."""
    parts = []
    nspawn_log = machine_dir(run_dir, host.name) / "nspawn.log"
    if nspawn_log.exists():
        tail = nspawn_log.read_text(errors="replace").splitlines()[-lines:]
        parts.append(f"--- {nspawn_log} ---\n" + "\n".join(tail))
    journal = host_root(run_dir, host.name) / "var/log/journal"
    if journal.is_dir() and shutil.which("journalctl"):
        proc = run(["journalctl", "-D", str(journal), "--no-pager", "-n", str(lines), "-o", "short-monotonic"],
                   check=False, timeout=30)
        parts.append(f"--- journal of {host.name} ---\n" + (proc.stdout or proc.stderr).strip())
    return "\n".join(parts) or "(no logs)"


def attach_netns(host: Host) -> None:
    """Name the host's network namespace so ``ip netns exec NAME ...`` reaches it."""
    if (NETNS_DIR / host.netns).exists():
        if ns_inode(host.init_pid, "net") == os.stat(NETNS_DIR / host.netns).st_ino:  # type: ignore[arg-type]
            return
        run(["ip", "netns", "delete", host.netns])
    run(["ip", "netns", "attach", host.netns, str(host.init_pid)])


def poweroff(run_dir: Path, host: Host, timeout: float = POWEROFF_TIMEOUT) -> None:
    """Shut the host down cleanly (SIGTERM to nspawn); SIGKILL its init after ``timeout``."""
    root = host_root(run_dir, host.name)
    if is_our_nspawn(host.pid, root):
        signal_pid(host.pid, signal.SIGTERM)
        if not wait_gone(host.pid, timeout):
            log(f"{host.name}: no clean poweroff in {timeout:.0f}s; killing it")
            init = host.init_pid
            if init and pid_alive(init) and ns_inode(init, "pid") != ns_inode(host.pid, "pid"):  # type: ignore[arg-type]
                signal_pid(init, signal.SIGKILL)
            signal_pid(host.pid, signal.SIGKILL)
            if not wait_gone(host.pid, 10):
                raise TestHostError(f"{host.name}: systemd-nspawn (pid {host.pid}) would not exit")
    host.pid, host.init_pid, host.state = None, None, "stopped"


def release_links(host: Host) -> None:
    """Delete the host's veth, netns link and nspawn runtime dirs (its nspawn must be gone).

    The netns link keeps a dead host's namespace, and with it ``vb-NAME``, alive: a new
    nspawn for the same name would fail on the existing veth, and an SSH ControlPersist
    master could keep the namespace around for another minute.
    """
    veth = f"vb-{host.name}"
    if link_exists(veth):
        run(["ip", "link", "delete", veth], check=False)
    if (NETNS_DIR / host.netns).exists():
        run(["ip", "netns", "delete", host.netns])
    for leftover in (NSPAWN_RUN_DIR / "propagate" / host.name, NSPAWN_RUN_DIR / "unix-export" / host.name):
        if leftover.exists():
            unmount_all_under(leftover)
            remove_tree(leftover)


def release_host_resources(run_dir: Path, host: Host) -> None:
    """After poweroff: links and runtime dirs, the overlay mount, the host's cgroups."""
    release_links(host)
    unmount_all_under(host_root(run_dir, host.name))
    remove_cgroups(host.cgroups)
    host.cgroups = []


# --------------------------------------------------------------------------------------------
# Runs
# --------------------------------------------------------------------------------------------

def ensure_key(run_dir: Path) -> tuple[Path, str]:
    """The run's SSH key pair (created once); returns the private key path and public key."""
    key = run_dir / "id_ed25519"
    if not key.exists():
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"liftoff-testhosts-{run_id(run_dir)}",
             "-f", str(key)])
    return key, (run_dir / "id_ed25519.pub").read_text()


def write_access_files(run_dir: Path, hosts: list[Host]) -> None:
    """inventory.yml, ssh_config and known_hosts for the hosts that are running."""
    running = [h for h in hosts if h.state == "running"]
    known: list[str] = []
    for host in running:
        keys = [p.read_text() for p in sorted((host_root(run_dir, host.name) / "etc/ssh").glob("ssh_host_*_key.pub"))]
        known.extend(known_hosts_lines([host.name, host.address, host.address6], keys))
    write_atomic(run_dir / "known_hosts", "\n".join(known) + ("\n" if known else ""))
    write_atomic(run_dir / "inventory.yml", inventory_yaml(running, run_dir))
    write_atomic(run_dir / "ssh_config", ssh_config_text(running, run_dir))


def _ensure_run_info(run_dir: Path, registry: Registry) -> RunInfo:
    info = load_run(run_dir)
    with registry.locked():
        in_use = subnet_indexes_in_use(run(["ip", "-j", "addr", "show"]).stdout)
        bridge = bridge_name(run_dir)
        if info is not None and link_exists(info.bridge):
            in_use.discard(info.subnet_index)  # our own bridge's addresses
        index = registry.reserve_subnet(run_dir, in_use)
    if info is None or info.subnet_index != index:
        gateway, gateway6 = address_pair(index, 1)
        info = RunInfo(run_id(run_dir), bridge, index, gateway, gateway6,
                       info.apt_proxy_pid if info else None, info.apt_proxy_url if info else None)
    save_run(run_dir, info)
    return info


def _check_name_free(name: str, owned: bool) -> None:
    """Refuse to boot a host whose veth or netns name exists and is not this run's."""
    if owned:
        return
    clashes = [p for p in (f"/sys/class/net/vb-{name}", str(NETNS_DIR / name)) if os.path.exists(p)]
    if clashes:
        raise TestHostError(f"host name {name} is taken on this machine ({', '.join(clashes)}); "
                            "pick another name or clean up the old run")


def up(run_dir: Path, names: list[str], apt_proxy: bool = True, timeout: float = BOOT_TIMEOUT,
       registry: Registry | None = None) -> list[Host]:
    """Boot ``names`` in ``run_dir`` (already running ones are left alone); return all hosts."""
    for name in names:
        validate_name(name)
    if len(set(names)) != len(names):
        raise TestHostError(f"duplicate host names: {names}")
    run_dir = Path(run_dir).absolute()
    run_dir.mkdir(parents=True, exist_ok=True)
    registry = registry or Registry()
    require_machine()
    ensure_rootfs()
    with file_lock(run_dir / ".lock"):
        hosts = {h.name: h for h in load_hosts(run_dir)}
        info = _ensure_run_info(run_dir, registry)
        with registry.locked():
            registry.claim_names(run_dir, names, alive=[n for n in names if n in hosts])
        key_path, public_key = ensure_key(run_dir)
        ensure_bridge(info, run_dir)
        proxy = start_apt_proxy(info, run_dir) if apt_proxy else None
        save_run(run_dir, info)

        to_boot: list[Host] = []
        fresh: set[str] = set()  # hosts whose disk is new: they get their identity written
        for name in names:
            host = hosts.get(name)
            if host and is_our_nspawn(host.pid, host_root(run_dir, name)):
                continue
            if host is None or not (machine_dir(run_dir, name) / "upper").exists():
                fresh.add(name)
            if host is None:
                _check_name_free(name, owned=False)
                slot = free_slot(h.slot for h in hosts.values())
                address, address6 = address_pair(info.subnet_index, slot)
                host = Host(name, address, address6, USER, SSH_PORT, str(key_path), None, name,
                            info.bridge, slot)
                hosts[name] = host
            host.state = "starting"
            to_boot.append(host)
        save_hosts(run_dir, list(hosts.values()))

        started = time.monotonic()
        for host in to_boot:
            if host.name not in fresh:
                release_links(host)  # left by a host that died without `stop`
            root = mount_overlay(run_dir, host.name)
            if host.name in fresh:
                personalize(root, host, list(hosts.values()), info, public_key, proxy)
            launch(run_dir, host, info)
            save_hosts(run_dir, list(hosts.values()))
        errors = _wait_all(run_dir, to_boot, timeout)
        save_hosts(run_dir, list(hosts.values()))
        write_access_files(run_dir, list(hosts.values()))
        if errors:
            raise TestHostError("\n\n".join(errors) + f"\n(state kept; run `down --run-dir {run_dir}` to clean up)")
        if to_boot:
            log(f"{len(to_boot)} host(s) up in {time.monotonic() - started:.1f}s: "
                + ", ".join(f"{h.name}={h.address}" for h in to_boot))
        return sorted(hosts.values(), key=lambda h: h.name)


def _wait_all(run_dir: Path, hosts: list[Host], timeout: float, wait_ssh: bool = True) -> list[str]:
    """Wait for all hosts in parallel; the error messages of those that failed."""
    if not hosts:
        return []
    with ThreadPoolExecutor(max_workers=len(hosts)) as pool:
        futures = [pool.submit(wait_ready, run_dir, h, timeout, wait_ssh) for h in hosts]
    errors = []
    for host, future in zip(hosts, futures):
        exc = future.exception()
        if exc is not None:
            host.state = "failed"
            errors.append(str(exc))
    return errors


def stop(run_dir: Path, name: str) -> Host:
    """Power one host off, keeping its disk (overlay upper dir) for a later ``start``."""
    run_dir = Path(run_dir).absolute()
    with file_lock(run_dir / ".lock"):
        hosts = {h.name: h for h in load_hosts(run_dir)}
        host = _get_host(hosts, name, run_dir)
        poweroff(run_dir, host)
        release_host_resources(run_dir, host)
        save_hosts(run_dir, list(hosts.values()))
        write_access_files(run_dir, list(hosts.values()))
        return host


def start(run_dir: Path, name: str, wait_ssh: bool = True, timeout: float = BOOT_TIMEOUT) -> Host:
    """Boot a stopped host from its kept disk (nothing on it is rewritten)."""
    run_dir = Path(run_dir).absolute()
    require_machine()
    with file_lock(run_dir / ".lock"):
        hosts = {h.name: h for h in load_hosts(run_dir)}
        host = _get_host(hosts, name, run_dir)
        info = load_run(run_dir)
        if info is None:
            raise TestHostError(f"{run_dir}/run.json missing; use `up`")
        if is_our_nspawn(host.pid, host_root(run_dir, name)):
            return host
        ensure_bridge(info, run_dir)
        release_links(host)  # left by a host that died without `stop`
        mount_overlay(run_dir, name)
        launch(run_dir, host, info)
        save_hosts(run_dir, list(hosts.values()))
        errors = _wait_all(run_dir, [host], timeout, wait_ssh)
        save_hosts(run_dir, list(hosts.values()))
        write_access_files(run_dir, list(hosts.values()))
        if errors:
            raise TestHostError(errors[0])
        return host


def _get_host(hosts: dict[str, Host], name: str, run_dir: Path) -> Host:
    if name not in hosts:
        raise TestHostError(f"no host {name!r} in {run_dir}/hosts.json (known: {', '.join(sorted(hosts)) or 'none'})")
    return hosts[name]


def down(run_dir: Path, registry: Registry | None = None) -> None:
    """Power off every host of the run and remove all it created. Safe to repeat."""
    run_dir = Path(run_dir).absolute()
    if not run_dir.exists():
        log(f"{run_dir}: nothing to do (no such run dir)")
        return
    registry = registry or Registry()
    with file_lock(run_dir / ".lock"):
        hosts = load_hosts(run_dir)
        info = load_run(run_dir)
        # Power off in parallel (each takes up to 2 s), then release resources one by one.
        with ThreadPoolExecutor(max_workers=max(1, len(hosts))) as pool:
            futures = [pool.submit(poweroff, run_dir, h) for h in hosts]
        failures = [str(f.exception()) for f in futures if f.exception() is not None]
        for host in hosts:
            if host.pid is not None:
                continue  # still running: its disk and links stay
            try:
                release_host_resources(run_dir, host)
                remove_tree(machine_dir(run_dir, host.name))
            except TestHostError as exc:
                failures.append(str(exc))
        if failures:
            save_hosts(run_dir, hosts)
            raise TestHostError("\n".join(failures) + "\n(state kept; `down` again retries)")
        if info is not None:
            stop_apt_proxy(info, run_dir)
            delete_bridge(info.bridge)
            remove_tree(run_dir / "apt-cacher-ng")
        with registry.locked():
            registry.release_names(run_dir, [h.name for h in hosts])
            registry.release_subnet(run_dir)
        save_hosts(run_dir, [])
        write_access_files(run_dir, [])
        (run_dir / "run.json").unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            (run_dir / "machines").rmdir()
        if hosts:
            log(f"down: {', '.join(h.name for h in hosts)}")


def status(run_dir: Path) -> list[dict]:
    """Each recorded host with whether its nspawn is alive and SSH answers."""
    run_dir = Path(run_dir).absolute()
    report = []
    for host in load_hosts(run_dir):
        alive = is_our_nspawn(host.pid, host_root(run_dir, host.name))
        report.append({**asdict(host), "alive": alive,
                       "ssh": alive and _ssh_banner(host.address)})
    return report


def all_up(report: list[dict]) -> bool:
    """True if a status report lists at least one host and every host is alive with SSH."""
    return bool(report) and all(h["alive"] and h["ssh"] for h in report)


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------

def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tests.harness.testhosts", description=__doc__.split("\n\n", maxsplit=1)[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("check", help="exit 0 if this machine can run test hosts")
    p_rootfs = sub.add_parser("rootfs", help=f"build the cached rootfs ({ROOTFS}) if missing or stale")
    p_rootfs.add_argument("--force", action="store_true", help="rebuild even if current")
    p_up = sub.add_parser("up", help="boot hosts and wait until SSH answers")
    p_up.add_argument("--run-dir", type=Path, required=True)
    p_up.add_argument("--count", type=int, help="boot N hosts with generated names")
    p_up.add_argument("names", nargs="*", metavar="NAME")
    p_up.add_argument("--no-apt-proxy", dest="apt_proxy", action="store_false",
                      help="do not serve apt-cacher-ng on the bridge")
    p_up.add_argument("--timeout", type=float, default=BOOT_TIMEOUT, help="seconds to wait for SSH")
    for cmd in ("down", "status"):
        sub.add_parser(cmd).add_argument("--run-dir", type=Path, required=True)
    p_stop = sub.add_parser("stop", help="power one host off, keeping its disk")
    p_stop.add_argument("name")
    p_stop.add_argument("--run-dir", type=Path, required=True)
    p_start = sub.add_parser("start", help="boot a stopped host from its kept disk")
    p_start.add_argument("name")
    p_start.add_argument("--run-dir", type=Path, required=True)
    p_start.add_argument("--no-wait", dest="wait_ssh", action="store_false",
                         help="return once the host's init runs, without waiting for SSH")
    p_start.add_argument("--timeout", type=float, default=BOOT_TIMEOUT)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "check":
            problems = machine_problems()
            for problem in problems:
                print(f"cannot run test hosts: {problem}")
            return 1 if problems else 0
        if args.command == "rootfs":
            require_machine()
            print(ensure_rootfs(force=args.force))
        elif args.command == "up":
            if args.count is not None and args.names:
                raise TestHostError("give either --count or names, not both")
            names = args.names or default_names(args.run_dir, args.count or 1)
            hosts = up(args.run_dir, names, apt_proxy=args.apt_proxy, timeout=args.timeout)
            print(json.dumps([asdict(h) for h in hosts], indent=2))
        elif args.command == "down":
            down(args.run_dir)
        elif args.command == "stop":
            stop(args.run_dir, args.name)
        elif args.command == "start":
            start(args.run_dir, args.name, wait_ssh=args.wait_ssh, timeout=args.timeout)
        elif args.command == "status":
            report = status(args.run_dir)
            print(json.dumps(report, indent=2))
            return 0 if all_up(report) else 1
    except (TestHostError, ValueError) as exc:
        print(f"testhosts: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
