"""Bad input to the sshd role fails before anything is read or changed, naming the variable.

The role runs against localhost with only its input checks (``--tags sshd_inputs``; the
argument_specs validation always runs): no host and no sshd are needed, and a failure here
happens before the first task that touches a host.
"""

from __future__ import annotations

import pytest

from tests.harness.playbook import run_playbook

PLAYBOOK = """\
- name: sshd role input checks
  hosts: localhost
  connection: local
  gather_facts: false
  roles:
    - role: liftoff.aws.sshd
"""


@pytest.fixture(scope="module")
def check_inputs(tmp_path_factory):
    work = tmp_path_factory.mktemp("sshd-inputs")
    (work / "home" / "tmp").mkdir(parents=True)
    playbook = work / "inputs.yml"
    playbook.write_text(PLAYBOOK)

    def run(extra_vars: dict):
        return run_playbook(playbook, inventory="localhost,", extra_vars=extra_vars, tags=["sshd_inputs"],
                            home=work / "home")

    return run


@pytest.mark.parametrize("extra_vars,expected", [
    ({"sshd_port": 70000}, "sshd_port is 70000"),
    ({"sshd_port": "ssh"}, "sshd_port"),
    ({"sshd_state": "gone"}, "sshd_state"),
    ({"sshd_permit_root_login": "maybe"}, "sshd_permit_root_login"),
    ({"sshd_max_startups": "lots"}, "sshd_max_startups"),
    ({"sshd_extra_options": {"Frobnicate": "yes"}}, "frobnicate is not an OpenSSH sshd_config keyword"),
    ({"sshd_extra_options": {"PasswordAuthentication": "yes"}}, "set sshd_password_authentication instead"),
    ({"sshd_restrict_logins": True}, "sshd_allow_users and sshd_allow_groups are both empty"),
    ({"sshd_listen_addresses": ["0.0.0.0"]}, "sshd_listen_addresses"),
    ({"sshd_rollback_timeout": 5}, "sshd_rollback_timeout >= 30"),
])
def test_bad_input_is_refused_naming_the_variable(check_inputs, extra_vars, expected):
    result = check_inputs(extra_vars)
    assert result.rc != 0, result
    assert expected in " ".join(result.stdout.split()), result


def test_good_input_passes_the_checks(check_inputs):
    result = check_inputs({"sshd_port": 2222, "sshd_restrict_logins": True, "sshd_allow_groups": ["sudo"],
                           "sshd_listen_addresses": ["10.0.0.5", "fd00::5"],
                           "sshd_extra_options": {"PrintMotd": False, "AcceptEnv": ["LANG"]}})
    assert result.rc == 0, result
    assert result.failed == 0
