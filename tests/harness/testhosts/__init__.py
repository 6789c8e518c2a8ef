"""Debian 12 test hosts on this machine: systemd-nspawn containers with systemd as PID 1 and real SSH.

Molecule scenarios, pytest and ``make sandbox`` use these hosts where a role needs a real
server (sshd restarts, handlers, iptables, netfilter-persistent) and Docker is not available.
How it works is in ``tests/harness/README.md``: a Debian rootfs built once with debootstrap,
one overlayfs copy per host, one bridge and one private /24 + ULA /64 per run.

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

Machine-wide bookkeeping lives in ``/run/liftoff-testhosts`` (subnet and machine-name
reservations, under a lock), so concurrent runs never share a subnet, a bridge or a machine name.
Host names are per run (the same scenario can run twice at once): each host also has an nspawn
machine name derived from the run id and its address slot (``m<run id[:7]>-<slot>``), which names
its veth (``vb-MACHINE``), its cgroups and its network namespace (``ip netns exec MACHINE ...``,
the way in when SSH is locked out; ``hosts.json`` records it as ``machine`` and ``netns``).
Every process this package ends is one it started, found by PID and checked by command line.
"""

from __future__ import annotations

from .config import (
    CACHE_DIR, ROOTFS, ROOTFS_LOCK, STAMP_PATH, REGISTRY_DIR, NSPAWN_RUN_DIR, NETNS_DIR,
    DEBIAN_SOURCES, SUITE, USER, SSH_PORT, APT_PROXY_PORT, BOOT_TIMEOUT, POWEROFF_TIMEOUT,
    APT_TIMEOUT, TestHostError,
)
from .names import (
    MACHINE_MAX, validate_name, validate_machine, machine_name, run_id, bridge_name, bridge_mac, default_names, subnets, address_pair, free_slot,
    subnet_indexes_in_use, pick_subnet_index,
)
from .render import (
    parse_debian_mirror, network_unit, hosts_file, apt_proxy_conf, known_hosts_lines,
    inventory_yaml, ssh_config_text,
)
from .state import (
    Host, RunInfo, write_atomic, load_hosts, save_hosts, load_run, save_run,
)
from .registry import (
    Registry,
)
from .system import (
    mount_points, mounts_under, log, run, read_mountinfo, link_exists, proc_cmdline, pid_alive,
    is_our_nspawn, children, ns_inode, container_init, signal_pid, wait_gone, remove_tree,
    unmount_all_under, file_lock, write_in_root, user_ids,
)
from .preflight import (
    PACKAGE_LIST, PACKAGE_TOOLS, listed_packages, machine_problems, read_package_list,
    require_machine, required_tools,
)
from .rootfs import (
    BASE_PACKAGES, LATE_PACKAGES, DEBCONF_SELECTIONS, MASKED_UNITS, ENABLED_UNITS, HOST_KEYS_UNIT,
    JOURNALD_DROPIN, RECIPE_REVISION, recipe_version, rootfs_current, rootfs_in_use, ensure_rootfs,
)
from .network import (
    ensure_bridge, delete_bridge, start_apt_proxy, stop_apt_proxy, veth_name, nspawn_runtime_dirs,
    attach_netns, release_links,
)
from .cgroups import (
    cgroup_hierarchies, host_cgroups, remove_cgroups,
)
from .host import (
    ssh_banner_ok, check_overlay_path, machine_dir, host_root, mount_overlay, personalize,
    nspawn_argv, launch, wait_ready, parse_devices, check_block_devices, host_logs, poweroff, release_host_resources,
)
from .lifecycle import (
    ensure_key, write_access_files, up, stop, start, down, status, all_up,
)
from .cli import (
    _parser, main,
)

__all__ = [
    "CACHE_DIR", "ROOTFS", "ROOTFS_LOCK", "STAMP_PATH", "REGISTRY_DIR", "NSPAWN_RUN_DIR",
    "NETNS_DIR", "DEBIAN_SOURCES", "SUITE", "USER", "SSH_PORT", "APT_PROXY_PORT", "BOOT_TIMEOUT",
    "POWEROFF_TIMEOUT", "APT_TIMEOUT", "TestHostError", "MACHINE_MAX", "validate_name", "validate_machine", "machine_name", "run_id", "bridge_name",
    "bridge_mac", "default_names", "subnets", "address_pair", "free_slot", "subnet_indexes_in_use",
    "pick_subnet_index", "parse_debian_mirror", "network_unit", "hosts_file", "apt_proxy_conf",
    "known_hosts_lines", "inventory_yaml", "ssh_config_text", "Host", "RunInfo", "write_atomic",
    "load_hosts", "save_hosts", "load_run", "save_run", "Registry", "mount_points", "mounts_under",
    "log", "run", "read_mountinfo", "link_exists", "proc_cmdline", "pid_alive", "is_our_nspawn",
    "children", "ns_inode", "container_init", "signal_pid", "wait_gone", "remove_tree",
    "unmount_all_under", "file_lock", "write_in_root", "user_ids", "machine_problems",
    "PACKAGE_LIST", "PACKAGE_TOOLS", "listed_packages", "read_package_list", "required_tools",
    "require_machine", "BASE_PACKAGES", "LATE_PACKAGES", "DEBCONF_SELECTIONS", "MASKED_UNITS",
    "ENABLED_UNITS", "HOST_KEYS_UNIT", "JOURNALD_DROPIN", "RECIPE_REVISION", "recipe_version",
    "rootfs_current", "rootfs_in_use", "ensure_rootfs", "ensure_bridge", "delete_bridge",
    "start_apt_proxy", "stop_apt_proxy", "veth_name", "nspawn_runtime_dirs", "attach_netns", "release_links", "cgroup_hierarchies",
    "host_cgroups", "remove_cgroups", "ssh_banner_ok", "check_overlay_path", "machine_dir",
    "host_root", "mount_overlay", "personalize", "nspawn_argv", "parse_devices", "check_block_devices", "launch", "wait_ready", "host_logs",
    "poweroff", "release_host_resources", "ensure_key", "write_access_files", "up", "stop", "start",
    "down", "status", "all_up", "_parser", "main",
]
