"""The validation stage (playbooks/validate.yml): bad input anywhere in the run is refused before any write.

site.yml runs every step's input hook before the first step touches AWS or a host. The droplet in these
runs points at a closed port on loopback: the hooks never connect, so a refusal for a host step is
reached without a host, and a run that did connect would show the host unreachable.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.harness.paths import REPO_ROOT

SITE = REPO_ROOT / "site.yml"
HARDEN = REPO_ROOT / "playbooks" / "harden.yml"
NETWORK = REPO_ROOT / "playbooks" / "network.yml"
IAM = REPO_ROOT / "playbooks" / "iam.yml"
SANDBOX = REPO_ROOT / "inventories" / "sandbox"


@pytest.fixture
def inventory(tmp_path: Path) -> list[Path]:
    """The sandbox inventory plus a droplet nobody can reach (port 9 on loopback is closed)."""
    hosts = tmp_path / "droplet.yml"
    hosts.write_text(json.dumps({"droplet": {"hosts": {"droplet1": {
        "ansible_host": "127.0.0.1", "ansible_port": 9, "ansible_user": "admin"}}}}))
    return [SANDBOX, hosts]


@pytest.fixture
def run(playbook, tmp_path, inventory):
    def _run(path, extra: dict, **kwargs):
        extra_vars = {"iam_secret_dir": str(tmp_path / "secrets"), **extra}
        return playbook(path, inventory=inventory, extra_vars=extra_vars, **kwargs)
    return _run


def assert_refused_untouched(result, aws, *needles):
    assert result.rc != 0, result
    for needle in needles:
        assert needle in result.stdout, result
    assert aws.calls() == [], aws.calls()  # not one AWS call, let alone a write
    assert result.recap.get("droplet1", {}).get("unreachable", 0) == 0, result  # and no connection to the host


# Finding 1: a bad value for the last step (harden) is refused before the first step writes.
def test_a_bad_value_for_the_last_step_makes_no_aws_call(run, aws):
    result = run(SITE, {"iptables_config_dir": "/etc/iptables"})
    assert_refused_untouched(result, aws, "iptables_config_dir is '/etc/iptables'", "droplet1")


def test_a_bad_network_value_is_refused_before_iam_writes(run, aws):
    result = run(SITE, {"network_vpc_cidr": "10.0.0.0/33"})
    assert_refused_untouched(result, aws, "10.0.0.0/33")


def test_harden_alone_checks_sshd_before_iptables_changes_the_host(run, aws):
    # sshd comes second in harden.yml; its bad value must not wait until iptables has changed the firewall
    result = run(HARDEN, {"sshd_port": 70000})
    assert_refused_untouched(result, aws, "sshd_port is 70000")


def test_os_baseline_refuses_a_bad_sysctl_key_window_and_ignoreip_before_any_change(run, aws):
    # os_baseline comes last in harden.yml, the last step of site.yml: all three refused at once, by name
    result = run(SITE, {"os_baseline_sysctl_extra": {"net ipv4 tcp_syncookies": 1},
                        "os_baseline_updates_reboot_window": "25:00-03:00",
                        "os_baseline_fail2ban_ignoreip": ["office.example.com"]})
    assert_refused_untouched(result, aws, "os_baseline_sysctl_extra: 'net ipv4 tcp_syncookies' is not a sysctl key",
                             "os_baseline_updates_reboot_window: reboot window '25:00-03:00' is not HH:MM-HH:MM",
                             "os_baseline_fail2ban_ignoreip[0]: 'office.example.com' is not an IP address or CIDR")


# Finding 3: a string where a list is expected is refused by name, whatever step it belongs to.
def test_a_scalar_where_a_list_is_expected_is_refused_by_name(run, aws):
    result = run(SITE, {"network_db_ports": 3306})
    assert_refused_untouched(result, aws, "network_db_ports is 3306, not a list: write a list")


# Finding 4: SSH open to the world is refused unless its named override is set, then warned about.
def test_ssh_from_anywhere_is_refused_unless_overridden(run, aws):
    result = run(SITE, {"liftoff_admin_sources": ["0.0.0.0/0"]})
    assert_refused_untouched(result, aws, "SSH would be open to the whole internet", "network_allow_ssh_from_anywhere")
    allowed = run(NETWORK, {"liftoff_admin_sources": ["0.0.0.0/0"], "network_allow_ssh_from_anywhere": True},
                  check=True)
    assert allowed.rc == 0, allowed.stdout[-3000:]
    assert "network_allow_ssh_from_anywhere is set: SSH is open to the whole internet" in allowed.stdout, allowed


def test_a_full_admin_statement_is_refused_before_any_call(run, aws):
    roles = [{"key": "app", "service": "ec2.amazonaws.com",
              "statements": [{"effect": "Allow", "actions": ["*"], "resources": ["*"]}]}]
    result = run(IAM, {"iam_roles": roles})
    assert_refused_untouched(result, aws, "iam_roles[0] (app) statements[0] allow action * on resource *",
                             "iam_allow_full_admin_statements")
    allowed = run(IAM, {"iam_roles": roles, "iam_allow_full_admin_statements": True, "iam_attach_instance_profile": False},
                  check=True)
    assert allowed.rc == 0, allowed.stdout[-3000:]
    assert "override          iam_allow_full_admin_statements is set: iam_roles[0] (app) statements[0]" in allowed.stdout
    assert aws.writes() == []  # check mode


# Finding 5: valid syntax that AWS would reject, refused by name before any call.
@pytest.mark.parametrize(("extra", "needle"), [
    ({"liftoff_project": "My_App"}, "liftoff_project is 'My_App'"),
    ({"liftoff_region": "eu-west-9"}, "'eu-west-9', which is not an AWS region"),
    ({"iam_users": [{"name": "alice smith", "groups": ["admins"]}]}, "iam_users[0].name is 'alice smith'"),
    ({"network_s3_endpoint_policy": "allow-all"}, "network_s3_endpoint_policy is \"allow-all\""),
])
def test_values_aws_would_reject_are_refused_before_any_call(run, aws, extra, needle):
    result = run(SITE, extra)
    assert_refused_untouched(result, aws, needle)


def test_a_zone_the_region_does_not_offer_is_refused_before_any_network_write(run, aws):
    # The shipped list is told eu-west-1 has a zone d (as if AWS opened it); the region's own answer says no.
    result = run(NETWORK, {"network_azs": ["eu-west-1a", "eu-west-1d"],
                           "liftoff_extra_regions": {"eu-west-1": ["a", "b", "c", "d"]}})
    assert result.rc != 0, result
    assert "network_azs lists eu-west-1d, which eu-west-1 does not offer" in result.stdout, result.stdout[-3000:]
    assert aws.writes() == [], aws.writes()
