"""One host: its overlay, its identity, its systemd-nspawn, boot wait, poweroff and release."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import time
import uuid
from pathlib import Path

from .cgroups import _enter_cgroups, _make_cgroup, host_cgroups, remove_cgroups
from .config import POWEROFF_TIMEOUT, ROOTFS, SSH_PORT, TestHostError
from .names import subnets
from .network import attach_netns, release_links
from .render import apt_proxy_conf, hosts_file, network_unit
from .state import Host, RunInfo
from .system import (
    container_init, is_our_nspawn, log, mount_points, ns_inode, pid_alive, read_mountinfo, run,
    signal_pid, unmount_all_under, user_ids, wait_gone, write_in_root,
)


def ssh_banner_ok(data: bytes) -> bool:
    """True when ``data`` starts an SSH protocol banner (RFC 4253 section 4.2)."""
    return data.startswith(b"SSH-")


def check_overlay_path(path: Path | str) -> str:
    """Return ``path`` as text if overlayfs mount options can carry it (no ',' ':' or space)."""
    text = str(path)
    if any(c in text for c in ",: \n\\"):
        raise TestHostError(f"path unusable in overlayfs options: {text!r}")
    return text


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


DEVICE_PATH = re.compile(r"^/dev/[A-Za-z0-9][A-Za-z0-9._-]*$")
# Where a host sees a device: anywhere under /dev (a stand-in for /dev/xvdf or a /dev/disk/by-id link).
DEVICE_DEST = re.compile(r"^/dev(/[A-Za-z0-9][A-Za-z0-9._-]*)+$")


def parse_devices(specs: list[str], names: list[str]) -> dict[str, list[str]]:
    """``NAME=SRC[:DEST]`` options of ``up --device`` as host name -> nspawn bind specs.

    The host must be one of ``names`` (the hosts this ``up`` is about), SRC a plain ``/dev/NAME``
    of this machine and DEST, where the host sees it (default: SRC), a path under ``/dev``
    (no ``..``: every component starts with a letter or digit). A device may be given to one host
    only: two hosts writing one disk would corrupt it; one host may see it under several paths.
    """
    found: dict[str, list[str]] = {}
    owner: dict[str, str] = {}
    for spec in specs:
        name, sep, binding = spec.partition("=")
        source, colon, dest = binding.partition(":")
        if not sep or name not in names:
            raise TestHostError(f"--device {spec!r}: write NAME=/dev/DEVICE[:/dev/PATH] with NAME one of {', '.join(names)}")
        if not DEVICE_PATH.match(source) or (colon and not DEVICE_DEST.match(dest)):
            raise TestHostError(f"--device {spec!r}: the device must be a path like /dev/loop3, and where the host "
                                "sees it a path under /dev like /dev/xvdf")
        if owner.setdefault(source, name) != name:
            raise TestHostError(f"--device {source} given to both {owner[source]} and {name}: one host per device")
        bind = source if not colon or dest == source else f"{source}:{dest}"
        if bind not in found.setdefault(name, []):
            found[name].append(bind)
    return found


def check_block_devices(binds: list[str]) -> None:
    """Refuse a bind whose source is not a block device of this machine (before anything boots)."""
    for path in [b.split(":", 1)[0] for b in binds]:
        try:
            mode = os.stat(path).st_mode
        except OSError as exc:
            raise TestHostError(f"--device {path}: {exc.strerror}") from exc
        if not stat.S_ISBLK(mode):
            raise TestHostError(f"--device {path}: not a block device")


def nspawn_argv(root: Path, host: Host) -> list[str]:
    """The systemd-nspawn command for a host.

    ``--boot`` runs the image's systemd as PID 1. ``--machine`` is the host's machine name,
    unique on this machine (two runs may share host names); ``--hostname`` keeps the container's
    hostname the host name. ``--network-bridge`` gives the host a veth ``vb-MACHINE`` on the
    run's bridge (``host0`` inside). This machine's PID 1 is not systemd, so
    nothing registers with machined (``--register=no``) or makes a scope unit (``--keep-unit``);
    the host's cgroups are set up by ``launch``. ``--console=passive`` sends output to the log,
    not a tty. resolv.conf and the timezone are the image's own (``personalize`` writes them),
    and the journal stays on the host's disk (``--link-journal=no``).

    Each of ``host.devices`` (``SRC`` or ``SRC:DEST``) is bound in with ``--bind`` (nspawn's own
    /dev holds only the basic nodes). No device cgroup rule is needed for it: with ``--register=no`` and
    ``--keep-unit`` nspawn installs no device policy, and ``launch`` puts hosts in no ``devices``
    cgroup, so the host may open what is bound in, as root on this machine may.
    """
    return [
        shutil.which("systemd-nspawn") or "/usr/bin/systemd-nspawn", "--quiet", "--boot",
        f"--directory={root}", f"--machine={host.machine}", f"--hostname={host.name}",
        f"--network-bridge={host.bridge}",
        "--register=no", "--keep-unit", "--console=passive", "--resolv-conf=off",
        "--timezone=off", "--link-journal=no",
    ] + [f"--bind={device}" for device in host.devices]


def launch(run_dir: Path, host: Host, info: RunInfo) -> None:
    """Start the host's systemd-nspawn in its own session and cgroups; does not wait."""
    root = host_root(run_dir, host.name)
    cgroups = host_cgroups(info, host.machine)
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
        parts.append(f"--- journal of {host.name} (machine {host.machine}) ---\n" + (proc.stdout or proc.stderr).strip())
    return "\n".join(parts) or "(no logs)"


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


def release_host_resources(run_dir: Path, host: Host) -> None:
    """After poweroff: links and runtime dirs, the overlay mount, the host's cgroups."""
    release_links(host)
    unmount_all_under(host_root(run_dir, host.name))
    remove_cgroups(host.cgroups)
    host.cgroups = []
