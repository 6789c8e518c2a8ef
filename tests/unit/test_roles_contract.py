"""What every role promises (DEVELOPERS standards): specs, defaults and README describe the same variables.

meta/argument_specs.yml is the single source of variable docs: every default is specified, every
specified option carries the role's prefix, literal defaults agree with the spec, and the README's
variable table lists exactly the specified options.
"""

from __future__ import annotations

import re

import pytest
import yaml

from tests.harness.paths import REPO_ROOT

ROLES = sorted(p.parent for p in (REPO_ROOT / "roles").glob("*/tasks"))


def _load(path):
    return yaml.safe_load(path.read_text()) if path.exists() else None


@pytest.fixture(params=ROLES, ids=lambda p: p.name)
def role(request):
    path = request.param
    specs = _load(path / "meta" / "argument_specs.yml")
    assert specs, f"{path.name}: meta/argument_specs.yml is missing"
    return {
        "name": path.name,
        "options": specs["argument_specs"]["main"].get("options", {}),
        "defaults": _load(path / "defaults" / "main.yml") or {},
        "readme": (path / "README.md").read_text(),
    }


def test_every_default_is_specified(role):
    assert sorted(set(role["defaults"]) - set(role["options"])) == []


def test_every_option_carries_the_role_prefix(role):
    prefix = role["name"] + "_"
    assert [name for name in role["options"] if not name.startswith(prefix)] == []


def test_literal_defaults_agree_with_the_spec(role):
    for name, value in role["defaults"].items():
        if "{{" in yaml.safe_dump(value):
            continue  # templated (from shared settings or other defaults): the spec documents the source
        spec_default = role["options"][name].get("default")
        assert spec_default == value, f"{role['name']}: {name} default {value!r} but the spec says {spec_default!r}"


def test_readme_table_lists_exactly_the_options(role):
    documented = set(re.findall(r"^\| `(" + re.escape(role["name"]) + r"_[a-z0-9_]+)` \|", role["readme"], flags=re.MULTILINE))
    assert sorted(set(role["options"]) - documented) == [], "options missing from the README table"
    assert sorted(documented - set(role["options"])) == [], "README documents options the spec does not have"


# The input hook (README, "Validation stage"): every role has one, runs it first, and is in the stage.
# A hook runs before the run's first write and before the hosts may exist: only controller-side checks.
HOOK_MODULES = {"ansible.builtin.assert", "ansible.builtin.set_fact", "ansible.builtin.debug", "ansible.builtin.fail"}
# The one exception: iam asks the local git whether its secret directories would be committed (read-only).
HOOK_LOCAL_COMMANDS = {"iam": {"Ask git whether the secret directories are inside a work tree and not ignored"}}
STAGE = {name: yaml.safe_load((REPO_ROOT / "playbooks" / f"validate_{name}.yml").read_text())
         for name in ("aws", "hosts")}


def _modules(task):
    return {key for key in task if key.startswith("ansible.builtin.") or key.startswith(("amazon.", "community.", "liftoff."))}


def test_the_input_hook_only_checks(role):
    hook = _load(REPO_ROOT / "roles" / role["name"] / "tasks" / "validate.yml")
    assert hook, f"{role['name']}: tasks/validate.yml (the input hook) is missing"
    for task in hook:
        modules = _modules(task)
        if modules == {"ansible.builtin.command"}:
            assert task["name"] in HOOK_LOCAL_COMMANDS.get(role["name"], set()), task["name"]
            assert task.get("changed_when") is False and task.get("check_mode") is False, task["name"]
            continue
        assert modules <= HOOK_MODULES, f"{role['name']}: {task['name']} uses {modules - HOOK_MODULES} in the input hook"
    assert "__liftoff_validated" in hook[-1].get("ansible.builtin.set_fact", {}), "the hook must end by recording its fingerprint"


def test_the_role_runs_its_hook_first_whatever_the_tags(role):
    first = _load(REPO_ROOT / "roles" / role["name"] / "tasks" / "main.yml")[0]
    include = first.get("ansible.builtin.include_tasks", {})
    assert include.get("file") == "validate.yml", first
    assert first.get("tags") == ["always"] and include.get("apply", {}).get("tags") == ["always"], first
    assert f"__{role['name']}_input_fingerprint" in first.get("when", ""), first


def test_the_validation_stage_runs_every_hook(role):
    steps = [task["loop"] for name in STAGE for play in STAGE[name] for task in play["tasks"]]
    assert any(role["name"] in loop for loop in steps), f"{role['name']} is missing from playbooks/validate_*.yml"


def test_the_stage_comes_first_in_site_and_harden():
    site = yaml.safe_load((REPO_ROOT / "playbooks" / "site.yml").read_text())
    harden = yaml.safe_load((REPO_ROOT / "playbooks" / "harden.yml").read_text())
    assert site[0]["ansible.builtin.import_playbook"] == "validate.yml"
    assert harden[0]["ansible.builtin.import_playbook"] == "validate_hosts.yml"


# Options a role sets per OS (vars/<family>.yml), not in defaults/main.yml (moved from test_sshd_docs.py).
OS_VARS = {"sshd": {"sshd_service_name", "sshd_socket_name", "sshd_binary", "sshd_config_dir", "sshd_moduli_file"}}


@pytest.mark.parametrize("name", sorted(OS_VARS))
def test_options_without_a_default_are_exactly_the_os_variables(name):
    path = REPO_ROOT / "roles" / name
    options = _load(path / "meta" / "argument_specs.yml")["argument_specs"]["main"]["options"]
    defaults = _load(path / "defaults" / "main.yml") or {}
    assert set(options) - set(defaults) == OS_VARS[name]


@pytest.mark.parametrize("name, family", [("sshd", "Debian.yml"), ("sshd", "RedHat.yml")])
def test_os_vars_files_define_every_os_variable(name, family):
    assert set(_load(REPO_ROOT / "roles" / name / "vars" / family)) == OS_VARS[name]


def test_every_aws_module_is_in_the_aws_action_group():
    # module_defaults: group/aws (region, endpoint_url) must reach every module that talks to AWS
    runtime = yaml.safe_load((REPO_ROOT / "meta" / "runtime.yml").read_text())
    group = {entry for entry in runtime["action_groups"]["aws"] if isinstance(entry, str)}
    modules = {p.stem for p in (REPO_ROOT / "plugins" / "modules").glob("*.py")
               if "AnsibleAWSModule" in p.read_text()}
    assert sorted(modules - group) == []
