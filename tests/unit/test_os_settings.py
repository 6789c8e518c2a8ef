"""liftoff.aws.os_settings: the host roles' one support gate and OS settings."""

from __future__ import annotations

import pytest
import yaml
from ansible.errors import AnsibleLookupError

from ansible_collections.liftoff.aws.plugins.lookup.os_settings import os_settings
from tests.harness.paths import REPO_ROOT

DEBIAN_12 = {"distribution": "Debian", "distribution_release": "bookworm", "distribution_major_version": "12",
             "distribution_version": "12.8", "os_family": "Debian"}
AL2023 = {"distribution": "Amazon", "distribution_release": "NA", "distribution_major_version": "2023",
          "distribution_version": "2023", "os_family": "RedHat"}


def _role(tmp_path, platforms, files):
    role = tmp_path / "roles" / "demo"
    (role / "meta").mkdir(parents=True)
    (role / "vars").mkdir()
    (role / "meta" / "main.yml").write_text(yaml.safe_dump({"galaxy_info": {"platforms": platforms}}))
    for name, content in files.items():
        (role / "vars" / name).write_text(yaml.safe_dump(content))
    return str(role)


def test_the_more_specific_file_wins_key_by_key(tmp_path):
    role = _role(tmp_path, [{"name": "Amazon Linux", "versions": ["2023"]}],
                 {"RedHat.yml": {"demo_service": "sshd", "demo_dir": "/etc/ssh"},
                  "Amazon.yml": {"demo_dir": "/etc/amazon"}, "Amazon_2023.yml": {"demo_service": "sshd-2023"}})
    assert os_settings(role, AL2023) == {"demo_service": "sshd-2023", "demo_dir": "/etc/amazon"}


@pytest.mark.parametrize("facts", [
    {**DEBIAN_12, "distribution_release": "bullseye", "distribution_major_version": "11", "distribution_version": "11.9"},
    {**DEBIAN_12, "distribution": "Ubuntu", "distribution_release": "focal", "distribution_major_version": "20"},
    {**AL2023, "distribution_major_version": "2", "distribution_version": "2"},
    {**AL2023, "distribution": "CentOS", "distribution_major_version": "9"},
])
def test_an_os_missing_from_the_platforms_is_refused_naming_it_and_what_is_supported(tmp_path, facts):
    role = _role(tmp_path, [{"name": "Debian", "versions": ["bookworm"]}, {"name": "Amazon Linux", "versions": ["2023"]}],
                 {"Debian.yml": {"demo_service": "ssh"}, "RedHat.yml": {"demo_service": "sshd"}})
    with pytest.raises(AnsibleLookupError) as error:
        os_settings(role, facts)
    message = str(error.value)
    assert "%s %s is not supported by liftoff.aws.demo" % (facts["distribution"], facts["distribution_version"]) in message
    assert "supported: Debian 12 (bookworm); Amazon Linux 2023" in message


def test_all_versions_of_a_platform_pass_the_gate(tmp_path):
    role = _role(tmp_path, [{"name": "Debian", "versions": ["all"]}], {"Debian.yml": {"demo_service": "ssh"}})
    assert os_settings(role, {**DEBIAN_12, "distribution_release": "sid", "distribution_major_version": "14"}) == {
        "demo_service": "ssh"}


def test_a_supported_os_without_settings_is_a_role_bug_not_an_empty_result(tmp_path):
    role = _role(tmp_path, [{"name": "Debian", "versions": ["bookworm"]}], {})
    with pytest.raises(AnsibleLookupError, match="has no vars/Debian.yml"):
        os_settings(role, DEBIAN_12)


def test_missing_facts_are_named(tmp_path):
    role = _role(tmp_path, [{"name": "Debian", "versions": ["bookworm"]}], {"Debian.yml": {}})
    with pytest.raises(AnsibleLookupError, match="os_family is missing"):
        os_settings(role, {k: v for k, v in DEBIAN_12.items() if k != "os_family"})


@pytest.mark.parametrize("role, facts, expected", [
    ("sshd", DEBIAN_12, {"sshd_service_name": "ssh", "sshd_config_dir": "/etc/ssh"}),
    ("sshd", AL2023, {"sshd_service_name": "sshd", "sshd_socket_name": "sshd.socket", "sshd_binary": "/usr/sbin/sshd"}),
    ("iptables", DEBIAN_12, {"iptables_persist_file_v4": "/etc/iptables/rules.v4", "__iptables_debconf": True}),
    ("iptables", AL2023, {"iptables_persist_services": ["iptables", "ip6tables"], "__iptables_debconf": False}),
])
def test_the_shipped_roles_settings(role, facts, expected):
    settings = os_settings(str(REPO_ROOT / "roles" / role), facts)
    assert {key: settings[key] for key in expected} == expected
