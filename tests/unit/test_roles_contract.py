"""What every role promises (DEVELOPERS standards): specs, defaults and README describe the same variables.

meta/argument_specs.yml is the single source of variable docs: every default is specified, every
specified option carries the role's prefix, literal defaults agree with the spec, and the README's
variable table lists exactly the specified options.
"""

from __future__ import annotations

import re

import pytest
import yaml

from ansible_collections.liftoff.aws.plugins.lookup.os_settings import os_settings, supported_platforms

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
    when = first.get("when", "")
    if f"__{role['name']}_inputs_checked" in when:  # a role with its own rule for what needs no new check
        when = _load(REPO_ROOT / "roles" / role["name"] / "vars" / "main.yml")[f"__{role['name']}_inputs_checked"]
    assert f"__{role['name']}_input_fingerprint" in when, first


def test_the_validation_stage_runs_every_hook(role):
    steps = [task["loop"] for name in STAGE for play in STAGE[name] for task in play["tasks"]]
    assert any(role["name"] in loop for loop in steps), f"{role['name']} is missing from playbooks/validate_*.yml"


def test_the_stage_comes_first_in_site_and_harden():
    site = yaml.safe_load((REPO_ROOT / "playbooks" / "site.yml").read_text())
    harden = yaml.safe_load((REPO_ROOT / "playbooks" / "harden.yml").read_text())
    assert site[0]["ansible.builtin.import_playbook"] == "validate.yml"
    assert harden[0]["ansible.builtin.import_playbook"] == "validate_hosts.yml"


# The host roles' one OS idiom (liftoff.aws.os_settings): meta/main.yml's platforms are the support gate,
# vars/<OS>.yml files hold the OS options, and the defaults read them from __<role>_os.
HOST_ROLES = ("iptables", "os_baseline", "sshd")
# Facts of every platform the roles claim, as the min fact subset reports them.
PLATFORM_FACTS = {
    ("Debian", "bookworm"): {"os_family": "Debian", "distribution_major_version": "12"},
    ("Debian", "trixie"): {"os_family": "Debian", "distribution_major_version": "13"},
    ("Ubuntu", "jammy"): {"os_family": "Debian", "distribution_major_version": "22"},
    ("Ubuntu", "noble"): {"os_family": "Debian", "distribution_major_version": "24"},
    ("Amazon", "2023"): {"os_family": "RedHat", "distribution_major_version": "2023", "distribution_release": "NA"},
}


def _os_options(name):
    return set(_load(REPO_ROOT / "roles" / name / "vars" / "main.yml")["__%s_os_options" % name])


@pytest.mark.parametrize("name", HOST_ROLES)
def test_the_os_options_default_from_the_os_settings(name):
    path = REPO_ROOT / "roles" / name
    options = _load(path / "meta" / "argument_specs.yml")["argument_specs"]["main"]["options"]
    defaults = _load(path / "defaults" / "main.yml") or {}
    assert set(options) - set(defaults) == set()
    reading = {key for key, value in defaults.items() if "__%s_os" % name in str(value)}
    assert reading == _os_options(name)
    for key in reading:
        assert str(defaults[key]).startswith("{{ __%s_os.%s | default(" % (name, key)), key


@pytest.mark.parametrize("name", HOST_ROLES)
def test_os_vars_files_hold_only_os_options_or_private_settings(name):
    for path in sorted((REPO_ROOT / "roles" / name / "vars").glob("*.yml")):
        if path.name != "main.yml":
            keys = set(_load(path))
            assert keys - _os_options(name) - {k for k in keys if k.startswith("__%s_" % name)} == set(), path.name


@pytest.mark.parametrize("name", HOST_ROLES)
def test_every_supported_platform_gets_every_os_option(name):
    role = REPO_ROOT / "roles" / name
    platforms = supported_platforms(_load(role / "meta" / "main.yml"))
    claimed = [(dist, version) for dist, versions in platforms for version in versions]
    assert claimed and set(claimed) <= set(PLATFORM_FACTS), claimed
    for dist, version in claimed:
        facts = {"distribution": dist, "distribution_release": version, "distribution_version": version,
                 **PLATFORM_FACTS[(dist, version)]}
        assert set(os_settings(str(role), facts)) >= _os_options(name), (dist, version)


def test_the_host_roles_read_their_os_settings_the_same_way():
    texts = {name: (REPO_ROOT / "roles" / name / "tasks" / "os_vars.yml").read_text().replace(name, "ROLE")
             for name in HOST_ROLES}
    assert len(set(texts.values())) == 1, "tasks/os_vars.yml differs between the host roles beyond the role name"


def test_every_aws_module_is_in_the_aws_action_group():
    # module_defaults: group/aws (region, endpoint_url) must reach every module that talks to AWS
    runtime = yaml.safe_load((REPO_ROOT / "meta" / "runtime.yml").read_text())
    group = {entry for entry in runtime["action_groups"]["aws"] if isinstance(entry, str)}
    modules = {p.stem for p in (REPO_ROOT / "plugins" / "modules").glob("*.py")
               if "AnsibleAWSModule" in p.read_text()}
    assert sorted(modules - group) == []


def _conditions(tasks):
    """Every when / changed_when / failed_when string of a task list, blocks included."""
    for task in tasks or []:
        if not isinstance(task, dict):
            continue
        for key in ("when", "changed_when", "failed_when"):
            value = task.get(key)
            for condition in value if isinstance(value, list) else [value]:
                if isinstance(condition, str):
                    yield condition
        for key in ("block", "rescue", "always"):
            yield from _conditions(task.get(key))


def test_boolean_options_in_conditions_go_through_the_bool_filter(role):
    # `-e key=true` on the command line is the string "true": ansible-core 2.19 refuses a non-boolean condition, so a
    # bare `when: <bool option>` fails for exactly the users who pass it that way.
    names = sorted((n for n, o in role["options"].items() if (o or {}).get("type") == "bool"), key=len, reverse=True)
    if not names:
        return
    bare = re.compile(r"(?<![\w.'\"])(%s)\b(?!\s*\|\s*bool)(?!\s*[=!]=)" % "|".join(map(re.escape, names)))
    found = []
    for path in sorted((REPO_ROOT / "roles" / role["name"] / "tasks").glob("*.yml")):
        for condition in _conditions(_load(path)):
            if "{{" not in condition and bare.search(condition):
                found.append(f"{path.name}: {condition}")
    assert found == [], "write <option> | bool in these conditions"
