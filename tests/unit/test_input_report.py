"""The input_report filter: one call per role checks raw inputs by type, AWS's rules and safety (issue 9)."""

from __future__ import annotations

import pytest
import yaml

from ansible_collections.liftoff.aws.plugins.filter.input_report import input_report
from tests.harness.paths import REPO_ROOT


def spec(role):
    path = REPO_ROOT / "roles" / role / "meta" / "argument_specs.yml"
    return yaml.safe_load(path.read_text())["argument_specs"]["main"]["options"]


def errors(values, role, **kw):
    return input_report(values, role, spec(role) if role != "liftoff" else {}, **kw)["errors"]


# Finding 3: raw values of the wrong type are refused by name, never split or crashed on.
def test_a_string_where_a_list_is_expected_is_refused_by_name():
    found = errors({"iam_users": [{"name": "alice", "groups": "admins"}]}, "iam")
    assert found == ['iam_users[0] (alice).groups is "admins", not a list: write a list, even for one item, like groups: [admins]']


def test_a_scalar_port_list_is_refused_by_name():
    assert errors({"network_db_ports": 3306}, "network") == [
        "network_db_ports is 3306, not a list: write a list, even for one item, like network_db_ports: [3306]"]


def test_an_unquoted_no_where_the_choices_are_yes_no_is_read_as_the_word():
    # sshd_permit_root_login: no (unquoted) arrives as False; the role reads it as "no", keeping the lockout check
    assert errors({"sshd_permit_root_login": False}, "sshd") == []


def test_an_unquoted_no_where_a_free_string_is_expected_is_refused_with_a_hint_to_quote_it():
    found = errors({"sshd_max_startups": False}, "sshd")
    assert len(found) == 1 and "unquoted no" in found[0] and 'sshd_max_startups: "no"' in found[0]


def test_an_unquoted_twelve_digit_account_id_is_accepted():
    assert errors({"preflight_expected_account_id": 123456789012, "preflight_region": "eu-west-1"}, "preflight") == []


def test_an_unquoted_account_id_that_lost_its_leading_zero_is_refused_not_crashed_on():
    # preflight_expected_account_id: 012345678901 unquoted: YAML reads the number 12345678901
    found = errors({"preflight_expected_account_id": 12345678901, "preflight_region": "eu-west-1"}, "preflight")
    assert len(found) == 1 and "write the account ID in quotes" in found[0] and "is 12 digits" in found[0]


def test_an_aws_role_checks_the_shared_settings_it_is_given():
    # a step run alone (playbooks/iam.yml) still refuses a project name S3 would reject
    found = errors({"liftoff_project": "My_App", "liftoff_env": "prod", "iam_users": []}, "iam")
    assert len(found) == 1 and found[0].startswith("liftoff_project is 'My_App'")


def test_the_shipped_defaults_pass():
    for role in ("preflight", "iam", "network", "sshd", "iptables"):
        defaults = yaml.safe_load((REPO_ROOT / "roles" / role / "defaults" / "main.yml").read_text())
        literal = {k: v for k, v in defaults.items() if "{{" not in yaml.safe_dump(v)}
        assert errors(literal, role) == [], role


# Finding 4: dangerous but valid input is refused unless a named override is set, then warned about.
@pytest.mark.parametrize("values", [
    {"network_admin_sources": ["0.0.0.0/0"]},
    {"network_admin_sources": ["10.0.0.0/8"], "network_firewall_rules": [
        {"name": "ssh-all", "port": 20, "port_end": 30, "sources": ["::/0"]}]},
])
def test_ssh_from_anywhere_is_refused_unless_overridden(values):
    values = {"network_region": "eu-west-1", "network_ssh_port": 22, **values}
    found = errors(values, "network")
    assert len(found) == 1 and "network_allow_ssh_from_anywhere" in found[0]
    report = input_report({**values, "network_allow_ssh_from_anywhere": True}, "network", spec("network"))
    assert report["errors"] == [] and "SSH is open to the whole internet" in report["warnings"][0]


def test_a_shared_rule_on_another_port_from_anywhere_is_fine():
    rules = [{"name": "https", "port": 443, "sources": ["0.0.0.0/0"]}]
    assert errors({"iptables_firewall_rules": rules, "iptables_ssh_port": 22, "iptables_admin_sources": ["10.0.0.0/8"]},
                  "iptables") == []


def test_iptables_extra_ssh_ports_count_as_ssh():
    rules = [{"name": "alt", "port": 2222, "sources": ["0.0.0.0/0"]}]
    found = errors({"iptables_firewall_rules": rules, "iptables_ssh_port": 22, "iptables_ssh_extra_ports": [2222]},
                   "iptables")
    assert len(found) == 1 and "iptables_firewall_rules[0] (alt)" in found[0]


def test_a_star_on_star_statement_is_refused_unless_overridden():
    roles = [{"key": "app", "statements": [{"effect": "Allow", "actions": ["*"], "resources": ["*"]}]}]
    found = errors({"iam_roles": roles}, "iam")
    assert len(found) == 1 and "iam_roles[0] (app) statements[0]" in found[0]
    report = input_report({"iam_roles": roles, "iam_allow_full_admin_statements": True}, "iam", spec("iam"))
    assert report["errors"] == [] and report["warnings"]


# Finding 5: valid syntax, wrong for AWS.
def test_unknown_region_and_zones_of_another_region_are_refused():
    assert "not an AWS region" in errors({"preflight_region": "eu-west-9"}, "preflight")[0]
    found = errors({"network_region": "eu-west-1", "network_azs": ["us-east-1a", "eu-west-1b"]}, "network")
    assert found == [found[0]] and found[0].startswith("network_azs[0] is 'us-east-1a'")


def test_a_region_added_by_the_user_is_accepted():
    assert errors({"preflight_region": "eu-west-9"}, "preflight", extra_regions={"eu-west-9": ["a", "b"]}) == []


@pytest.mark.parametrize("project", ["My_App", "my_app", "-app", "App"])
def test_a_project_name_s3_would_reject_is_refused(project):
    found = errors({"liftoff_project": project, "liftoff_env": "prod"}, "liftoff")
    assert len(found) == 1 and "S3 bucket names" in found[0]


def test_a_project_name_too_long_for_the_buckets_is_refused():
    assert "must fit in 63" in errors({"liftoff_project": "a" * 40, "liftoff_env": "prod"}, "liftoff")[0]


@pytest.mark.parametrize("name", ["alice smith", "a" * 65])
def test_bad_iam_user_names_are_refused_before_any_call(name):
    assert errors({"iam_users": [{"name": name}]}, "iam")[0].startswith("iam_users[0].name is")


# Finding 6: the config dir absent deletes must be one of its own.
@pytest.mark.parametrize("path", ["/etc/iptables", "/etc", "/var/lib/iptables", "/etc/liftoff/../iptables",
                                  "/etc/liftoff", "/etc/liftoff/iptables/rules", "/home/liftoff/iptables",
                                  "/etc/liftoff/./iptables", "etc/liftoff/iptables"])
def test_a_system_directory_as_iptables_config_dir_is_refused(path):
    assert "state absent deletes this directory" in errors({"iptables_config_dir": path}, "iptables")[0]


@pytest.mark.parametrize("path", ["/etc/liftoff/iptables", "/var/lib/liftoff/iptables/", "/opt/app/liftoff/iptables"])
def test_a_directory_of_its_own_passes_as_iptables_config_dir(path):
    assert errors({"iptables_config_dir": path}, "iptables") == []


# Finding 7: password policy ranges name the role variable.
def test_password_policy_ranges_name_the_role_variable():
    found = errors({"iam_password_min_length": 5, "iam_password_max_age_days": 2000}, "iam")
    assert found == ["iam_password_min_length is 5: the minimum password length must be a whole number from 6 to 128",
                     "iam_password_max_age_days is 2000: days before a password expires (0: never) must be a whole "
                     "number from 1 to 1095 (or 0)"]
