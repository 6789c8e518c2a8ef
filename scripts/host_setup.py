"""What the machine needs for the sandbox's host steps, and installing it where we can.

The list lives in scripts/debian-packages.txt (the same list `.ci/run` installs). `make sandbox`
calls `ensure_host_packages()`: as root on Debian/Ubuntu it installs what is missing; otherwise it
says what is missing and the one command that would enable the host steps.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

PACKAGE_LIST = Path(__file__).resolve().with_name("debian-packages.txt")
OS_RELEASE = Path("/etc/os-release")
APT_TIMEOUT = 900


def read_package_list(text: str) -> list[str]:
    """Package names from the list's text: one a line, `#` comments and blank lines ignored."""
    names = []
    for line in text.splitlines():
        name = line.split("#", 1)[0].strip()
        if name and name not in names:
            names.append(name)
    return names


def host_packages(path: Path = PACKAGE_LIST) -> list[str]:
    return read_package_list(path.read_text())


def parse_os_release(text: str) -> dict[str, str]:
    values = {}
    for line in text.splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip().strip('"').strip("'")
    return values


def is_debian_like(os_release: dict[str, str]) -> bool:
    """Debian, Ubuntu and their derivatives (ID or ID_LIKE names debian or ubuntu)."""
    ids = {os_release.get("ID", "")} | set(os_release.get("ID_LIKE", "").split())
    return bool(ids & {"debian", "ubuntu"})


def installed_from_dpkg_query(output: str) -> set[str]:
    """Names dpkg-query reports as installed, from `-W -f '${Package} ${db:Status-Status}\\n'`."""
    installed = set()
    for line in output.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[-1] == "installed":
            installed.add(parts[0].split(":", 1)[0])
    return installed


def missing_packages(packages: list[str]) -> list[str]:
    """The packages of the list that dpkg does not show as installed (all of them without dpkg)."""
    if shutil.which("dpkg-query") is None:
        return list(packages)
    proc = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${db:Status-Status}\\n", *packages],
                          capture_output=True, text=True, check=False)
    installed = installed_from_dpkg_query(proc.stdout)
    return [name for name in packages if name not in installed]


@dataclass
class Setup:
    """The outcome: ready, or the reason the host steps cannot run and the command that fixes it."""

    ready: bool
    installed: list[str]
    reason: str = ""
    fix: str = ""


def plan(missing: list[str], is_root: bool, debian_like: bool) -> Setup:
    """Decide what to do about missing packages (pure: the caller installs when told to)."""
    if not missing:
        return Setup(ready=True, installed=[])
    listed = " ".join(missing)
    if not debian_like:
        return Setup(ready=False, installed=[],
                     reason=f"not Debian/Ubuntu, and these are missing: {listed}",
                     fix=f"install the equivalents of: {listed} (names are Debian's)")
    if not is_root:
        return Setup(ready=False, installed=[],
                     reason=f"not root, so the packages cannot be installed and hosts cannot boot (missing: {listed})",
                     fix="sudo make sandbox")
    return Setup(ready=False, installed=missing)


def ensure_host_packages(say=print) -> Setup:
    """Install the missing host-step packages when root on Debian/Ubuntu; report otherwise."""
    packages = host_packages()
    os_release = parse_os_release(OS_RELEASE.read_text()) if OS_RELEASE.exists() else {}
    decision = plan(missing_packages(packages), os.geteuid() == 0, is_debian_like(os_release))
    if decision.ready or not decision.installed:
        return decision
    say(f"installing the Debian packages the host steps need: {' '.join(decision.installed)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "update", "-q"],
                ["apt-get", "install", "-y", "-q", "--no-install-recommends", *decision.installed]):
        try:
            proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=APT_TIMEOUT, check=False)
        except subprocess.TimeoutExpired:
            return Setup(ready=False, installed=[], reason=f"`{' '.join(cmd[:2])}` did not finish in {APT_TIMEOUT} s",
                         fix="apt-get install -y " + " ".join(decision.installed))
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            return Setup(ready=False, installed=[], reason=f"`{' '.join(cmd[:2])}` failed: {' / '.join(tail)}",
                         fix="apt-get install -y " + " ".join(decision.installed))
    still = missing_packages(packages)
    if still:
        return Setup(ready=False, installed=[], reason=f"still missing after apt-get install: {' '.join(still)}",
                     fix="apt-get install -y " + " ".join(still))
    return Setup(ready=True, installed=decision.installed)
