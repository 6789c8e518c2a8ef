"""Preconditions: can this machine run test hosts at all?"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from .config import CACHE_DIR, TestHostError
from .system import run

# The one list of Debian packages the host steps need (`.ci/run` and `make sandbox` install it).
PACKAGE_LIST = Path(__file__).resolve().parents[3] / "scripts" / "debian-packages.txt"
# How `check` tells a package of that list is installed: a program it ships. None: booting
# hosts works without it (without apt-cacher-ng hosts only lack a package mirror, and `up`
# warns; rsync and iptables serve other steps on this machine).
PACKAGE_TOOLS: dict[str, str | None] = {
    "systemd-container": "systemd-nspawn", "debootstrap": "debootstrap", "iproute2": "ip",
    "openssh-client": "ssh-keygen", "rsync": None, "iptables": None, "apt-cacher-ng": None,
}


def read_package_list(text: str) -> list[str]:
    """Package names from the list's text: one a line, ``#`` comments and blank lines ignored."""
    names: list[str] = []
    for line in text.splitlines():
        name = line.split("#", 1)[0].strip()
        if name and name not in names:
            names.append(name)
    return names


def required_tools(packages: list[str]) -> list[tuple[str, str]]:
    """(program, package) to look for, for each listed package that booting hosts needs."""
    return [(tool, package) for package in packages if (tool := PACKAGE_TOOLS.get(package))]


def listed_packages(path: Path = PACKAGE_LIST) -> list[str]:
    """The packages of ``scripts/debian-packages.txt`` (the table's own, if the list is gone)."""
    try:
        return read_package_list(path.read_text())
    except OSError:
        return list(PACKAGE_TOOLS)


def machine_problems() -> list[str]:
    """Why this machine cannot run test hosts (empty when it can)."""
    problems = []
    if os.geteuid() != 0:
        problems.append("not root (systemd-nspawn, mounts and bridges need root)")
    for tool, package in required_tools(listed_packages()):
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
