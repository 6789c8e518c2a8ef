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


# The host roles' own rules (issue 7: one filter call and one assert per role instead of one task a rule).
def _defaults(role):
    defaults = yaml.safe_load((REPO_ROOT / "roles" / role / "defaults" / "main.yml").read_text())
    return {k: v for k, v in defaults.items() if "{{" not in yaml.safe_dump(v)}


SSHD_REFUSED = [
    ({"sshd_port": 70000}, "sshd_port is 70000: a TCP port is a whole number from 1 to 65535."),
    ({"sshd_port": "ssh"}, "sshd_port must be a whole number, got the string 'ssh'"),  # the type check, first
    ({"sshd_port": 0}, "sshd_port is 0: a TCP port"),
    ({"sshd_max_auth_tries": 0}, "sshd_max_auth_tries, sshd_max_sessions >= 1 (got 30, 0, 10)"),
    ({"sshd_host_key_rsa_bits": 2048}, "sshd_host_key_rsa_bits >= 3072 (2048)"),
    ({"sshd_rollback_timeout": 5}, "sshd_rollback_timeout >= 30 seconds"),
    ({"sshd_rollback_timeout": 30, "sshd_guard_retries": 5}, "(30 s, 5 retries)"),
    ({"sshd_max_startups": "lots"}, 'sshd_max_startups is "lots": use N or start:rate:full'),
    ({"sshd_restrict_logins": True}, "sshd_allow_users and sshd_allow_groups are both empty: nobody could log in."),
    ({"sshd_restrict_logins": "yes"}, "sshd_allow_users and sshd_allow_groups are both empty"),
    ({"sshd_allow_users": ["alice bob"]}, 'sshd_allow_users (["alice bob"]) and sshd_allow_groups ([]) take one name'),
    ({"sshd_allow_groups": ["ops@10.0.0.1"]}, "(and no @host in a group)"),
    ({"sshd_listen_addresses": ["0.0.0.0"]}, 'sshd_listen_addresses is ["0.0.0.0"] with sshd_address_family any'),
    ({"sshd_extra_options": {"Frobnicate": "yes"}}, "frobnicate is not an OpenSSH sshd_config keyword"),
    ({"sshd_extra_options": {"Match": "User deploy"}}, "Match blocks are out of scope"),
    ({"sshd_dropin_name": "liftoff"}, 'sshd_dropin_name is "liftoff": a plain file name ending in .conf'),
    ({"sshd_dropin_name": "../00-x.conf"}, "sshd_dropin_name is"),
]


@pytest.mark.parametrize("values, message", SSHD_REFUSED)
def test_sshd_rules_refuse_by_name(values, message):
    found = errors({**_defaults("sshd"), **values}, "sshd")
    assert len(found) == 1 and message in found[0], found


@pytest.mark.parametrize("values", [
    {"sshd_port": "2222"},
    {"sshd_restrict_logins": True, "sshd_allow_groups": ["sudo"]},
    {"sshd_restrict_logins": "false"},
    {"sshd_allow_users": ["deploy@192.0.2.*", "ops*"]},
    {"sshd_listen_addresses": ["10.0.0.5", "fd00::5"]},
    {"sshd_listen_addresses": ["10.0.0.5"], "sshd_address_family": "inet"},
    {"sshd_max_startups": "10:30:60"},
    {"sshd_max_startups": 10},
    {"sshd_extra_options": {"PrintMotd": False, "AcceptEnv": ["LANG"]}},
])
def test_sshd_rules_accept_what_is_valid(values):
    assert errors({**_defaults("sshd"), **values}, "sshd") == []


IPTABLES_REFUSED = [
    ({"iptables_ssh_port": 65536}, "iptables_ssh_port is 65536: a TCP port is a whole number from 1 to 65535."),
    ({"iptables_ssh_extra_ports": [22, 0]}, "iptables_ssh_extra_ports contains 0: a TCP port"),
    ({"iptables_ssh_extra_ports": ["-1"]}, 'iptables_ssh_extra_ports contains "-1"'),
    ({"iptables_admin_sources": []}, "iptables_admin_sources is empty while iptables_ssh_restrict is true"),
    ({"iptables_admin_sources": ["203.0.113.5/24"]}, "iptables_admin_sources: source '203.0.113.5/24' has host bits set"),
    ({"iptables_admin_sources": ["10.0.0.0/8"], "iptables_ssh_port": 70000}, "iptables_ssh_port is 70000"),
    ({"iptables_ssh_rate_limit": "lots"}, 'iptables_ssh_rate_limit is "lots": write a rate like 10/minute'),
    ({"iptables_ping_rate_limit": "5/fortnight"}, 'iptables_ping_rate_limit is "5/fortnight"'),
    ({"iptables_log_prefix": "x" * 30}, "is 30 characters; the LOG target takes at most 29."),
    ({"iptables_revert_seconds": 5}, "iptables_revert_seconds is 5: the host would restore its old rules"),
    ({"iptables_firewall_rules": [{"name": "web", "port": 80, "sources": ["example.com"]}]},
     "iptables_firewall_rules[0] (web): source 'example.com' is not a CIDR"),
    ({"iptables_extra_rules": ["-A INPUT -j ACCEPT"]}, "iptables_extra_rules[0]: '-A INPUT -j ACCEPT' starts like"),
]


@pytest.mark.parametrize("values, message", IPTABLES_REFUSED)
def test_iptables_rules_refuse_by_name(values, message):
    found = errors({**_defaults("iptables"), "iptables_admin_sources": ["10.0.0.0/8"], **values}, "iptables")
    assert len(found) == 1 and message in found[0], found


@pytest.mark.parametrize("values", [
    {"iptables_admin_sources": [], "iptables_ssh_restrict": False},
    {"iptables_admin_sources": [], "iptables_state": "absent"},
    {"iptables_ssh_rate_limit": ""},
    {"iptables_ssh_extra_ports": ["22", 2222]},
    {"iptables_log_prefix": "x" * 29},
])
def test_iptables_rules_accept_what_is_valid(values):
    assert errors({**_defaults("iptables"), "iptables_admin_sources": ["10.0.0.0/8"], **values}, "iptables") == []


def test_every_problem_of_a_host_role_is_reported_at_once():
    # one assert in the hook: the user fixes everything in one go instead of one refusal a run
    found = errors({**_defaults("sshd"), "sshd_port": 70000, "sshd_max_startups": "lots", "sshd_dropin_name": "x"}, "sshd")
    assert [f.split(" is ")[0] for f in found] == ["sshd_port", "sshd_max_startups", "sshd_dropin_name"]
