"""Networking: the run's bridge, its apt proxy, and each host's netns and veth."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from .config import APT_PROXY_PORT, DEBIAN_SOURCES, NETNS_DIR, NSPAWN_RUN_DIR, REGISTRY_DIR
from .names import bridge_mac, subnets, validate_machine
from .render import parse_debian_mirror
from .state import Host, RunInfo
from .system import (
    link_exists, log, ns_inode, pid_alive, proc_cmdline, remove_tree, run, signal_pid,
    unmount_all_under, wait_gone,
)


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


def veth_name(machine: str) -> str:
    """The host side of the veth systemd-nspawn makes for ``--network-bridge``: ``vb-MACHINE``.

    nspawn replaces a name longer than 15 characters by a hash; machine names are at most 12
    characters, so this is the name it uses.
    """
    return "vb-" + validate_machine(machine)


def nspawn_runtime_dirs(machine: str) -> list[Path]:
    """The per-machine directories systemd-nspawn leaves under /run/systemd/nspawn."""
    validate_machine(machine)
    return [NSPAWN_RUN_DIR / "propagate" / machine, NSPAWN_RUN_DIR / "unix-export" / machine]


def attach_netns(host: Host) -> None:
    """Name the host's network namespace so ``ip netns exec NETNS ...`` reaches it.

    ``host.netns`` is the host's machine name (its host name in runs made before that).
    """
    if (NETNS_DIR / host.netns).exists():
        if ns_inode(host.init_pid, "net") == os.stat(NETNS_DIR / host.netns).st_ino:  # type: ignore[arg-type]
            return
        run(["ip", "netns", "delete", host.netns])
    run(["ip", "netns", "attach", host.netns, str(host.init_pid)])


def release_links(host: Host) -> None:
    """Delete the host's veth, netns link and nspawn runtime dirs (its nspawn must be gone).

    The netns link keeps a dead host's namespace, and with it ``vb-MACHINE``, alive: a new
    nspawn for the same machine would fail on the existing veth, and an SSH ControlPersist
    master could keep the namespace around for another minute. Everything here is named by
    the machine name, never the host name, which other runs may share.
    """
    veth = veth_name(host.machine)
    if link_exists(veth):
        run(["ip", "link", "delete", veth], check=False)
    if (NETNS_DIR / host.netns).exists():
        run(["ip", "netns", "delete", host.netns])
    for leftover in nspawn_runtime_dirs(host.machine):
        if leftover.exists():
            unmount_all_under(leftover)
            remove_tree(leftover)
