"""The cached Debian rootfs every host's overlay is built on: recipe, build, rebuild when stale."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

from .config import (
    APT_TIMEOUT, CACHE_DIR, DEBIAN_SOURCES, ROOTFS, ROOTFS_LOCK, STAMP_PATH, SUITE, TestHostError,
    USER,
)
from .render import parse_debian_mirror
from .system import file_lock, log, read_mountinfo, remove_tree, run, unmount_all_under


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


def recipe_version() -> str:
    """Identifies the rootfs recipe; the cached rootfs is rebuilt when this changes."""
    recipe = {
        "revision": RECIPE_REVISION, "suite": SUITE, "packages": BASE_PACKAGES,
        "late_packages": LATE_PACKAGES, "debconf": DEBCONF_SELECTIONS, "masked": MASKED_UNITS,
        "enabled": ENABLED_UNITS, "host_keys_unit": HOST_KEYS_UNIT, "user": USER,
        "journald": JOURNALD_DROPIN,
    }
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:16]


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
