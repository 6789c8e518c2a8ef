"""Where the test bed keeps things, its fixed numbers, and its error type."""

from __future__ import annotations

from pathlib import Path


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


class TestHostError(RuntimeError):
    """A test host operation failed; the message says what and where to look."""

    __test__ = False  # not a pytest test class, despite the name
