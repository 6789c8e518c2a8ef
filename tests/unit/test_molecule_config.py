"""The molecule scenarios share .config/molecule/config.yml; each molecule.yml only adds its own."""

from __future__ import annotations

import pytest
import yaml
from molecule.util import merge_dicts

from tests.harness.paths import REPO_ROOT

BASE = REPO_ROOT / ".config" / "molecule" / "config.yml"
SCENARIOS = sorted(p.parent for p in (REPO_ROOT / "molecule").glob("*/molecule.yml"))


def _nulls_over_mappings(base: dict, scenario: dict, where: str = "") -> list[str]:
    """Keys a scenario sets to null (or a non-mapping) where the base config has a mapping:
    molecule's merge would drop the whole shared mapping there."""
    found = []
    for key, value in scenario.items():
        if isinstance(base.get(key), dict):
            if not isinstance(value, dict):
                found.append(f"{where}{key}")
            else:
                found.extend(_nulls_over_mappings(base[key], value, f"{where}{key}."))
    return found


def test_there_are_scenarios():
    assert SCENARIOS and BASE.is_file()


def test_a_null_over_a_shared_mapping_is_caught():
    base = {"provisioner": {"config_options": {"defaults": {"a": 1}}, "name": "ansible"}}
    assert _nulls_over_mappings(base, {"provisioner": {"config_options": {"defaults": None}}}) == [
        "provisioner.config_options.defaults"]
    assert _nulls_over_mappings(base, {"provisioner": {"config_options": {"defaults": {"b": 2}}}}) == []


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda p: p.name)
def test_scenario_merged_over_the_base_config(scenario):
    base = yaml.safe_load(BASE.read_text())
    own = yaml.safe_load((scenario / "molecule.yml").read_text())
    assert not _nulls_over_mappings(base, own)
    merged = merge_dicts(base, own)
    assert merged["driver"]["name"] == "default"
    options = merged["driver"]["ssh_connection_options"]
    assert "-o StrictHostKeyChecking=yes" in options
    assert "-o UserKnownHostsFile=${MOLECULE_EPHEMERAL_DIRECTORY}/testhosts/known_hosts" in options
    playbooks = merged["provisioner"]["playbooks"]
    for step in ("create", "destroy"):
        path = (scenario / playbooks[step]).resolve()
        shared = REPO_ROOT / "molecule" / "shared" / f"{step}.yml"
        if path != shared:  # a scenario's own step (data_volume's loop devices) still boots and stops through shared
            imports = [play.get("ansible.builtin.import_playbook") for play in yaml.safe_load(path.read_text())]
            assert [i for i in imports if i and (path.parent / i).resolve() == shared], (path, imports)
    for path in playbooks.values():
        assert (scenario / path).is_file(), path
    assert merged["provisioner"]["config_options"]["defaults"]["interpreter_python"] == "/usr/bin/python3"
    assert merged["platforms"], "each scenario names its own hosts"
