"""Where things are: the repo root, the in-place collection link, the venv."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
CACHE_DIR = REPO_ROOT / ".cache"
COLLECTIONS_DIR = CACHE_DIR / "collections"
COLLECTION_LINK = COLLECTIONS_DIR / "ansible_collections" / "liftoff" / "aws"


def ensure_collection_link() -> Path:
    """Make `liftoff.aws` resolvable in place: .cache/collections/ansible_collections/liftoff/aws -> repo.

    ansible.cfg puts .cache/collections first on collections_path, so the roles and
    modules in this checkout are the ones that run (never a stale installed copy).
    """
    COLLECTION_LINK.parent.mkdir(parents=True, exist_ok=True)
    if COLLECTION_LINK.is_symlink() and COLLECTION_LINK.resolve() == REPO_ROOT:
        return COLLECTION_LINK
    if COLLECTION_LINK.is_symlink() or COLLECTION_LINK.exists():
        COLLECTION_LINK.unlink()
    try:
        os.symlink(os.path.relpath(REPO_ROOT, COLLECTION_LINK.parent), COLLECTION_LINK)
    except FileExistsError:  # a parallel test worker made it first
        if COLLECTION_LINK.resolve() != REPO_ROOT:
            raise
    return COLLECTION_LINK
