"""Bad input to the sshd role fails before anything is read or changed, naming the variable.

The role runs against localhost with the tag of a step that does not exist, so only what is tagged
``always`` runs: the argument_specs validation and the input hook. No host and no sshd are needed,
and a failure here happens before the first task that touches a host.
"""

from __future__ import annotations

import sys

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

    def run(extra_vars: dict, tags: tuple[str, ...] = ("sshd_inputs_only",)):
        return run_playbook(playbook, inventory="localhost,", extra_vars=extra_vars, tags=list(tags),
                            home=work / "home")

    return run


# The rules themselves are unit-tested on liftoff.aws.input_report (test_input_report.py); these prove the
# role's hook hands its values to it (a default built from another variable, a spec choice, a dict option)
# and that one run reports every problem at once.
@pytest.mark.parametrize("extra_vars,expected", [
    ({"sshd_port": 70000}, "sshd_port is 70000"),
    ({"sshd_state": "gone"}, "sshd_state"),
    ({"sshd_extra_options": {"PasswordAuthentication": "yes"}}, "set sshd_password_authentication instead"),
    ({"sshd_restrict_logins": True}, "sshd_allow_users and sshd_allow_groups are both empty"),
    ({"sshd_max_startups": "lots", "sshd_rollback_timeout": 5, "sshd_listen_addresses": ["0.0.0.0"]},  # all three at once
     ['sshd_max_startups is "lots"', "sshd_rollback_timeout >= 30", "sshd_listen_addresses is"]),
])
def test_bad_input_is_refused_naming_the_variable(check_inputs, extra_vars, expected):
    result = check_inputs(extra_vars)
    assert result.rc != 0, result
    for message in [expected] if isinstance(expected, str) else expected:
        assert message in " ".join(result.stdout.split()), result


def test_good_input_passes_the_checks(check_inputs):
    result = check_inputs({"sshd_port": 2222, "sshd_restrict_logins": True, "sshd_allow_groups": ["sudo"],
                           "sshd_listen_addresses": ["10.0.0.5", "fd00::5"],
                           "sshd_extra_options": {"PrintMotd": False, "AcceptEnv": ["LANG"]}})
    assert result.rc == 0, result
    assert result.failed == 0


ROOT_REFUSAL = 'sshd_permit_root_login is "no" but Ansible logs in as root: connect as a sudo user.'


@pytest.mark.parametrize("permit_root_login", ["no", False], ids=["quoted-no", "unquoted-no-is-false"])
def test_root_lockout_is_refused_for_no_quoted_or_not(check_inputs, permit_root_login):
    # The lockout guard (tag sshd_access) only reads the connecting user's account, groups and
    # authorized_keys; the login user is given, as facts.yml would set it. JSON false in -e is what an
    # unquoted YAML no becomes: the argument spec accepts it, and the guard must still see "no".
    result = check_inputs({"sshd_permit_root_login": permit_root_login, "__sshd_login_user": "root",
                           "ansible_python_interpreter": sys.executable},
                          tags=("sshd_inputs_only", "sshd_access"))
    assert result.rc != 0, result
    assert ROOT_REFUSAL in " ".join(result.stdout.split()), result
    assert "Refusing to change sshd on localhost: it would lock out root" in " ".join(result.stdout.split()), result


@pytest.mark.parametrize("permit_root_login", ["prohibit-password", True], ids=["prohibit-password", "unquoted-yes-is-true"])
def test_root_login_allowed_is_not_refused_as_a_root_lockout(check_inputs, permit_root_login):
    result = check_inputs({"sshd_permit_root_login": permit_root_login, "__sshd_login_user": "root",
                           "ansible_python_interpreter": sys.executable},
                          tags=("sshd_inputs_only", "sshd_access"))
    assert ROOT_REFUSAL not in " ".join(result.stdout.split()), result
    assert "Refuse to lock the connecting user out" in result.stdout, result  # the guard did run
