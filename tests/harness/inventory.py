"""Ansible inventories for booted test hosts (sandbox, bench): hosts.json -> groups."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable


def hosts_inventory(run_dir: Path, group_of: Callable[[str], str | None], path: Path) -> list[dict]:
    """Write a JSON inventory for the hosts of a testhosts run, each in the group group_of(name).

    Hosts for which group_of returns None are left out. Returns the hosts written.
    """
    hosts = json.loads((Path(run_dir) / "hosts.json").read_text())
    children: dict[str, dict] = {}
    written = []
    for host in hosts:
        group = group_of(host["name"])
        if group is None:
            continue
        children.setdefault(group, {"hosts": {}})["hosts"][host["name"]] = {
            "ansible_host": host["address"],
            "ansible_user": host["user"],
            "ansible_port": host["port"],
            "ansible_ssh_private_key_file": host["identity_file"],
            "ansible_ssh_common_args": f"-o UserKnownHostsFile={Path(run_dir) / 'known_hosts'} -o StrictHostKeyChecking=yes",
        }
        written.append(dict(host, group=group))
    Path(path).write_text(json.dumps({"all": {"children": children}}, indent=2))
    return written
