"""Run ansible-playbook the way a user would and read the PLAY RECAP back."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tests.harness.paths import COLLECTIONS_DIR, REPO_ROOT, ensure_collection_link

_RECAP_LINE = re.compile(r"^(?P<host>\S+)\s+:\s+(?P<counts>(?:\w+=\d+\s*)+)$")


def parse_recap(output: str) -> dict[str, dict[str, int]]:
    """Parse the PLAY RECAP block of ansible-playbook's default output into counts per host."""
    recap: dict[str, dict[str, int]] = {}
    in_recap = False
    for line in output.splitlines():
        if line.startswith("PLAY RECAP"):
            in_recap = True
            recap = {}
            continue
        if not in_recap:
            continue
        match = _RECAP_LINE.match(line.strip())
        if match:
            counts = dict(kv.split("=") for kv in match.group("counts").split())
            recap[match.group("host")] = {k: int(v) for k, v in counts.items()}
        elif line.strip() and recap:
            in_recap = False
    return recap


@dataclass
class PlaybookResult:
    rc: int
    stdout: str
    stderr: str
    recap: dict[str, dict[str, int]] = field(default_factory=dict)

    def total(self, key: str) -> int:
        return sum(host.get(key, 0) for host in self.recap.values())

    @property
    def changed(self) -> int:
        return self.total("changed")

    @property
    def failed(self) -> int:
        return self.total("failed") + self.total("unreachable")

    def facts(self, marker: str) -> dict:
        """The facts a test playbook printed as one ``debug`` line ``<MARKER>_FACTS=<json>``.

        The playbook must run with ANSIBLE_CALLBACK_RESULT_FORMAT=json, so the line is one JSON string.
        """
        prefix = f"{marker}_FACTS="
        match = re.search(r'"msg": ("%s.*")$' % re.escape(prefix), self.stdout, re.MULTILINE)
        assert match, str(self)
        return json.loads(json.loads(match.group(1)).removeprefix(prefix))

    def __str__(self) -> str:  # shown by pytest on assertion failures
        return f"rc={self.rc} recap={json.dumps(self.recap)}\n--- stdout ---\n{self.stdout[-6000:]}\n--- stderr ---\n{self.stderr[-3000:]}"


def ansible_env(extra: dict[str, str] | None = None, home: Path | None = None) -> dict[str, str]:
    ensure_collection_link()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ANSIBLE_"))}
    env.pop("VIRTUAL_ENV", None)
    bindir = str(Path(sys.executable).parent)
    env.update({
        "PATH": bindir + os.pathsep + env.get("PATH", ""),
        "ANSIBLE_CONFIG": str(REPO_ROOT / "ansible.cfg"),
        "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS_DIR),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default",
        "PYTHONUNBUFFERED": "1",
    })
    if home is not None:
        env["ANSIBLE_HOME"] = str(home)
        env["ANSIBLE_LOCAL_TEMP"] = str(home / "tmp")
    if extra:
        env.update(extra)
    return env


def run_playbook(
    playbook: str | Path,
    *,
    inventory: str | Path | list | None = None,
    extra_vars: dict | None = None,
    env: dict[str, str] | None = None,
    check: bool = False,
    diff: bool = False,
    tags: list[str] | None = None,
    limit: str | None = None,
    home: Path | None = None,
    cwd: Path = REPO_ROOT,
    timeout: int = 900,
) -> PlaybookResult:
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), str(playbook)]
    for source in inventory if isinstance(inventory, list) else ([] if inventory is None else [inventory]):
        cmd += ["-i", str(source)]
    if extra_vars:
        cmd += ["-e", json.dumps(extra_vars)]
    if check:
        cmd.append("--check")
    if diff:
        cmd.append("--diff")
    if tags:
        cmd += ["--tags", ",".join(tags)]
    if limit:
        cmd += ["--limit", limit]
    proc = subprocess.run(
        cmd, cwd=cwd, env=ansible_env(env, home), capture_output=True, text=True,
        timeout=timeout, stdin=subprocess.DEVNULL, check=False,
    )
    return PlaybookResult(proc.returncode, proc.stdout, proc.stderr, parse_recap(proc.stdout))
