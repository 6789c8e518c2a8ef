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
