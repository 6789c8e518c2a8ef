"""Shared pytest fixtures: the AWS emulator and the playbook runner."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from ansible.plugins.loader import init_plugin_loader

from tests.harness.emulator import Emulator
from tests.harness.paths import COLLECTIONS_DIR, REPO_ROOT, ensure_collection_link
from tests.harness.playbook import run_playbook

# Unit tests import our plugins as ansible_collections.liftoff.aws.plugins..., and the templar in
# unit tests resolves liftoff.aws.* filters: Ansible's collection loader, as its CLI installs it,
# before anything imports from ansible_collections.
ensure_collection_link()
sys.path.insert(0, str(COLLECTIONS_DIR))
init_plugin_loader([str(COLLECTIONS_DIR)])


@pytest.fixture(scope="session")
def emulator(tmp_path_factory) -> Emulator:
    """One moto_server for the whole session, stopped by PID at the end."""
    ensure_collection_link()
    emu = Emulator(tmp_path_factory.mktemp("moto")).start()
    yield emu
    emu.stop()


@pytest.fixture
def aws(emulator: Emulator) -> Emulator:
    """The emulator, wiped clean and with an empty call recording, for one test."""
    emulator.reset()
    return emulator


@pytest.fixture
def ansible_home(tmp_path: Path) -> Path:
    home = tmp_path / "ansible-home"
    (home / "tmp").mkdir(parents=True)
    return home


@pytest.fixture
def playbook(aws: Emulator, ansible_home: Path):
    """Run a playbook against the emulator with dummy credentials: ``playbook(path, **kw)``.

    ``root=True`` signs with the key the emulator treats as the account root's.
    """

    def _run(path, *, root: bool = False, region: str = "eu-west-1", env: dict | None = None, **kwargs):
        full_env = aws.client_env(region=region, root=root)
        full_env.update(env or {})
        kwargs.setdefault("inventory", REPO_ROOT / "inventories" / "sandbox")
        return run_playbook(path, env=full_env, home=ansible_home, **kwargs)

    return _run
