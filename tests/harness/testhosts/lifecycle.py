"""Runs of hosts: ``up``, ``stop``, ``start``, ``down`` and ``status`` of a run directory."""

from __future__ import annotations

import contextlib
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path

from .config import BOOT_TIMEOUT, NETNS_DIR, SSH_PORT, TestHostError, USER
from .host import (
    _ssh_banner, check_block_devices, host_root, launch, machine_dir, mount_overlay, personalize, poweroff,
    release_host_resources, wait_ready,
)
from .names import (
    address_pair, bridge_name, free_slot, machine_name, run_id, subnet_indexes_in_use, validate_name,
)
from .network import (
    delete_bridge, ensure_bridge, release_links, start_apt_proxy, stop_apt_proxy, veth_name,
)
from .preflight import require_machine
from .registry import Registry
from .render import inventory_yaml, known_hosts_lines, ssh_config_text
from .rootfs import ensure_rootfs
from .state import Host, RunInfo, load_hosts, load_run, save_hosts, save_run, write_atomic
from .system import file_lock, is_our_nspawn, link_exists, log, remove_tree, run


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


def _check_machine_free(host: Host) -> None:
    """Refuse to boot a new host whose veth or netns (named by its machine name) exists."""
    clashes = [p for p in (f"/sys/class/net/{veth_name(host.machine)}", str(NETNS_DIR / host.netns))
               if os.path.exists(p)]
    if clashes:
        raise TestHostError(f"machine name {host.machine} (host {host.name}) is taken on this machine "
                            f"({', '.join(clashes)}); clean up the old run or use another run dir")


def _plan_new_hosts(run_dir: Path, names: list[str], hosts: dict[str, Host], info: RunInfo,
                    key_path: Path) -> list[Host]:
    """Hosts for the ``names`` not yet in ``hosts``: a free address slot each and the machine
    name derived from the run and that slot. Nothing is recorded yet."""
    slots = [h.slot for h in hosts.values()]
    new = []
    for name in names:
        if name in hosts:
            continue
        slot = free_slot(slots)
        slots.append(slot)
        address, address6 = address_pair(info.subnet_index, slot)
        machine = machine_name(run_dir, slot)
        new.append(Host(name, address, address6, USER, SSH_PORT, str(key_path), None, machine,
                        info.bridge, slot, machine=machine))
    return new


def up(run_dir: Path, names: list[str], apt_proxy: bool = True, timeout: float = BOOT_TIMEOUT,
       registry: Registry | None = None, devices: dict[str, list[str]] | None = None) -> list[Host]:
    """Boot ``names`` in ``run_dir`` (already running ones are left alone); return all hosts.

    ``devices`` (host name -> block device paths) are bound into those hosts when this call
    boots them, and recorded so that ``start`` binds them again; a running host keeps its own.
    """
    for name in names:
        validate_name(name)
    if len(set(names)) != len(names):
        raise TestHostError(f"duplicate host names: {names}")
    devices = devices or {}
    check_block_devices([path for paths in devices.values() for path in paths])
    run_dir = Path(run_dir).absolute()
    run_dir.mkdir(parents=True, exist_ok=True)
    registry = registry or Registry()
    require_machine()
    ensure_rootfs()
    with file_lock(run_dir / ".lock"):
        hosts = {h.name: h for h in load_hosts(run_dir)}
        info = _ensure_run_info(run_dir, registry)
        key_path, public_key = ensure_key(run_dir)
        new_hosts = {h.name: h for h in _plan_new_hosts(run_dir, names, hosts, info, key_path)}
        with registry.locked():
            registry.claim_names(run_dir, [(hosts.get(n) or new_hosts[n]).machine for n in names],
                                 alive=[hosts[n].machine for n in names if n in hosts])
        try:
            for host in new_hosts.values():
                _check_machine_free(host)
        except TestHostError:
            with registry.locked():  # nothing of them recorded: let the claims go again
                registry.release_names(run_dir, [h.machine for h in new_hosts.values()])
            raise
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
                host = hosts[name] = new_hosts[name]
            if name in devices:
                host.devices = list(devices[name])
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
            registry.release_names(run_dir, [h.machine for h in hosts])
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
