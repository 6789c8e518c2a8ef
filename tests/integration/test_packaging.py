"""The collection builds, and an execution environment's build context can be made from it."""

from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path

from tests.harness.paths import REPO_ROOT

BIN = Path(sys.executable).parent


def _build(output: Path) -> Path:
    subprocess.run([str(BIN / "ansible-galaxy"), "collection", "build", "--force", "--output-path", str(output), str(REPO_ROOT)],
                   check=True, capture_output=True, text=True)
    return next(output.glob("liftoff-aws-*.tar.gz"))


def test_collection_artifact_holds_roles_and_no_local_state(tmp_path):
    names = tarfile.open(_build(tmp_path)).getnames()
    assert "roles/preflight/tasks/main.yml" in names
    assert "meta/runtime.yml" in names
    assert not [n for n in names if n.startswith((".venv", ".sandbox", ".cache", ".git/"))]


def test_execution_environment_context_installs_the_collection(tmp_path):
    _build(REPO_ROOT / ".cache" / "build")
    context = tmp_path / "ee"
    subprocess.run([str(BIN / "ansible-builder"), "create", "--file", "execution-environment.yml", "--context", str(context)],
                   cwd=REPO_ROOT, check=True, capture_output=True, text=True)
    containerfile = (context / "Dockerfile").read_text()
    assert "ansible-galaxy collection install /build/liftoff/liftoff-aws-" in containerfile
    assert list((context / "_build" / "liftoff").glob("liftoff-aws-*.tar.gz"))
    requirements = (context / "_build" / "requirements.yml").read_text()
    assert "amazon.aws" in requirements and "community.aws" in requirements
