"""Small system helpers: commands, mounts, processes and signals, locks, files inside a host's root."""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

from .config import TestHostError


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
