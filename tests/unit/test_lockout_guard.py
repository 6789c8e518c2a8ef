"""The one lockout guard: the host steps against a fake systemd, and the proof's SSH command."""

from __future__ import annotations

import os

import pytest

from ansible_collections.liftoff.aws.plugins.module_utils.lockout_guard import (
    HostGuard, check_params, known_hosts_name, probe_argv)

REVERT = ["/usr/local/sbin/liftoff-iptables", "revert"]


class FakeSystemd:
    """Just enough systemctl/systemd-run for one transient timer, recording every command."""

    def __init__(self, timer_active=False, fail=()):
        self.timer = timer_active
        self.fail = set(fail)
        self.calls = []

    def __call__(self, argv):
        argv = list(argv)
        self.calls.append(argv)
        name = " ".join(argv)
        if name in self.fail:
            return 1, "", "boom: " + name
        if argv[0] == "systemd-run":
            self.timer = True
            return 0, "", "Running timer as unit: x.timer"
        if argv[:2] == ["systemctl", "is-active"]:
            if argv[2].endswith(".timer"):
                return (0, "active\n", "") if self.timer else (3, "inactive\n", "")
            return 3, "inactive\n", ""
        if argv[:2] == ["systemctl", "stop"] and any(arg.endswith(".timer") for arg in argv):
            self.timer = False
        if argv == REVERT:
            return 0, "reverted LIFTOFF-INPUT: IPv4: back to the last verified rules; exit 0\n", ""
        return 0, "", ""

    def index(self, argv):
        return self.calls.index(argv)


PARAMS = dict(name="liftoff-iptables-revert", apply=[["/usr/local/sbin/liftoff-iptables", "apply"]],
              revert=REVERT, commit=[["/usr/local/sbin/liftoff-iptables", "promote"]], timeout=60,
              guard=True, probe=True, retries=3, connect_timeout=5, token="run-1")


@pytest.fixture(name="markers")
def fixture_markers(tmp_path):
    return str(tmp_path)


def guard(systemd, markers, armed=None):
    """armed: the token of the run whose change is pending (PARAMS' own is "run-1")."""
    host = HostGuard(systemd, PARAMS["name"], REVERT, marker_dir=markers)
    if armed:
        host.set_marker(armed)
    return host


def test_arm_sets_the_timer_before_the_change_goes_live(markers):
    systemd = FakeSystemd()
    result = guard(systemd, markers).run_step("arm", PARAMS)
    assert result["armed"] and result["changed"] and "failed" not in result
    armed_at = next(i for i, argv in enumerate(systemd.calls) if argv[0] == "systemd-run")
    assert armed_at < systemd.index(["/usr/local/sbin/liftoff-iptables", "apply"])
    run = systemd.calls[armed_at]
    assert "--on-active=60s" in run and run[-2:] == REVERT
    # a fired timer drops the marker first, so it is never taken for a pending change
    assert run[-3] == "--property=ExecStartPre=-/bin/rm -f " + markers + "/liftoff-iptables-revert.armed"
    # no "$" anywhere: systemd 252 reads a transient command's "$" back wrongly after a daemon-reload
    assert not [arg for arg in run if "$" in arg]
    assert systemd.timer and os.path.exists(markers + "/liftoff-iptables-revert.armed")
    # commit waits for the proof
    assert ["/usr/local/sbin/liftoff-iptables", "promote"] not in systemd.calls


def test_a_failed_apply_reverts_at_once_and_disarms(markers):
    systemd = FakeSystemd(fail={"/usr/local/sbin/liftoff-iptables apply"})
    result = guard(systemd, markers).run_step("arm", PARAMS)
    assert result["failed"] and result["reverted"]
    assert "boom" in result["msg"] and "reverted at once" in result["msg"]
    assert REVERT in systemd.calls and not systemd.timer
    assert not os.listdir(markers)


def test_no_timer_no_apply(markers):
    systemd = FakeSystemd(fail={"systemd-run --unit=liftoff-iptables-revert --description=d --on-active=60s"
                                " --timer-property=AccuracySec=1s --collect --property=ExecStartPre=-/bin/rm -f "
                                + markers + "/liftoff-iptables-revert.armed " + " ".join(REVERT)})
    result = HostGuard(systemd, PARAMS["name"], REVERT, "d", marker_dir=markers).run_step("arm", PARAMS)
    assert result["failed"] and "nothing was applied" in result["msg"]
    assert ["/usr/local/sbin/liftoff-iptables", "apply"] not in systemd.calls
    assert not os.listdir(markers)


def test_a_leftover_timer_is_reported_and_cleared_before_arming(markers):
    systemd = FakeSystemd(timer_active=True)
    result = guard(systemd, markers, armed="run-0").run_step("arm", PARAMS)
    assert result["leftover_timer"] is True
    stop = systemd.index(["systemctl", "stop", "liftoff-iptables-revert.timer", "liftoff-iptables-revert.service"])
    assert stop < next(i for i, argv in enumerate(systemd.calls) if argv[0] == "systemd-run")


def test_guard_off_runs_apply_and_commit_without_a_timer(markers):
    systemd = FakeSystemd()
    result = guard(systemd, markers).run_step("arm", dict(PARAMS, guard=False))
    assert not result["armed"] and not any(argv[0] == "systemd-run" for argv in systemd.calls)
    assert ["/usr/local/sbin/liftoff-iptables", "promote"] in systemd.calls


def test_confirm_disarms_then_commits(markers):
    systemd = FakeSystemd(timer_active=True)
    result = guard(systemd, markers, armed="run-1").run_step("confirm", PARAMS)
    assert "failed" not in result and not systemd.timer
    assert systemd.index(["systemctl", "stop", "liftoff-iptables-revert.timer"]) < systemd.index(
        ["/usr/local/sbin/liftoff-iptables", "promote"])


def test_confirm_after_the_timer_fired_commits_nothing(markers):
    systemd = FakeSystemd(timer_active=False)
    result = guard(systemd, markers).run_step("confirm", PARAMS)
    assert result["failed"] and "fired" in result["msg"] and "nothing was committed" in result["msg"]
    assert ["/usr/local/sbin/liftoff-iptables", "promote"] not in systemd.calls


def test_settle_reverts_an_unproven_change_now(markers):
    systemd = FakeSystemd(timer_active=True)
    result = guard(systemd, markers, armed="run-0").run_step("settle", dict(PARAMS, token="run-2"))
    assert result["changed"] and result["reverted"] and "interrupted run" in result["msg"]
    assert REVERT in systemd.calls and not systemd.timer


def test_a_step_of_an_earlier_run_touches_nothing_once_another_run_re_armed(markers):
    # run-0's controller was killed but its worker lived on; run-1 settled and re-armed meanwhile.
    systemd = FakeSystemd()
    host = guard(systemd, markers)
    assert "failed" not in host.run_step("arm", PARAMS)
    systemd.calls.clear()
    late_confirm = host.run_step("confirm", dict(PARAMS, token="run-0"))
    late_revert = host.run_step("revert", dict(PARAMS, token="run-0"))
    assert late_confirm["failed"] and "another run re-armed" in late_confirm["msg"]
    assert late_revert["reverted"] is False and "another run re-armed" in late_revert["revert_output"]
    assert systemd.calls == [] and systemd.timer and host.owns("run-1")
    # run-1's own proof still confirms
    assert "failed" not in host.run_step("confirm", PARAMS)
    assert ["/usr/local/sbin/liftoff-iptables", "promote"] in systemd.calls


def test_a_failed_proof_reverts_its_own_change_and_disarms(markers):
    systemd = FakeSystemd(timer_active=True)
    result = guard(systemd, markers, armed="run-1").run_step("revert", PARAMS)
    assert result["reverted"] and "back to the last verified rules" in result["revert_output"]
    assert not systemd.timer and not os.listdir(markers)


def test_a_revert_after_the_timer_fired_does_not_revert_again(markers):
    systemd = FakeSystemd()
    result = guard(systemd, markers).run_step("revert", PARAMS)
    assert result["reverted"] is False and "already fired" in result["revert_output"]
    assert REVERT not in systemd.calls


def test_settle_without_a_timer_changes_nothing(markers):
    systemd = FakeSystemd()
    result = guard(systemd, markers).run_step("settle", PARAMS)
    assert result["changed"] is False and REVERT not in systemd.calls


@pytest.mark.parametrize("params, expect", [
    (dict(PARAMS, apply=[]), "nothing to guard"),
    (dict(PARAMS, apply=["systemctl restart ssh"]), "apply[0]"),
    (dict(PARAMS, commit=[[]]), "commit[0]"),
    (dict(PARAMS, timeout=20), "may take 21 s"),
    (dict(PARAMS, timeout=5), "revert before any proof"),
    (dict(PARAMS, retries=0), "at least 1"),
    (dict(PARAMS, revert=["/bin/sh", "-c", "restore $HOME"]), "which systemd does not keep"),
    (dict(PARAMS, revert=["/usr/local/bin/restore", "50%"]), "which systemd does not keep"),
])
def test_parameters_that_cannot_guard_are_refused(params, expect):
    assert expect in (check_params(params) or "")


def test_parameters_that_guard_pass():
    assert check_params(PARAMS) is None
    assert check_params(dict(PARAMS, state="settled", apply=[])) is None
    # without a proof nothing races the timer
    assert check_params(dict(PARAMS, timeout=12, probe=False)) is None


def test_the_proof_never_rides_a_multiplexed_connection_and_never_prompts():
    argv = probe_argv("192.0.2.10", 2222, user="admin", ssh_args="-C -o ControlMaster=auto -o ControlPersist=60s",
                      connect_timeout=5)
    assert argv[:9] == ["ssh", "-o", "BatchMode=yes", "-o", "ControlPath=none", "-o", "ControlMaster=no",
                        "-o", "ConnectTimeout=5"]
    # ssh keeps the first value: ours come before the connection's ControlMaster=auto
    assert argv.index("ControlMaster=no") < argv.index("ControlMaster=auto")
    assert argv[-4:] == ["-p", "2222", "192.0.2.10", "true"]
    assert argv[argv.index("-l") + 1] == "admin"


def test_the_proof_follows_the_inventorys_host_key_checking():
    strict = probe_argv("h", 22)
    loose = probe_argv("h", 22, host_key_checking=False)
    assert "StrictHostKeyChecking=no" not in strict
    assert loose[loose.index("StrictHostKeyChecking=no") - 1] == "-o"


def test_the_proof_passes_every_connection_argument_and_the_key():
    argv = probe_argv("h", 22, private_key_file="~/.ssh/id_liftoff", ssh_common_args="-o ProxyJump=bastion",
                      ssh_extra_args="-o UserKnownHostsFile=/tmp/kh", extra_args=["-o", "LogLevel=ERROR"])
    assert "ProxyJump=bastion" in argv and "UserKnownHostsFile=/tmp/kh" in argv and "LogLevel=ERROR" in argv
    assert argv[argv.index("-i") + 1] == os.path.expanduser("~/.ssh/id_liftoff")
    assert "-l" not in argv  # no user: ssh picks it like Ansible would (ssh_config, then the login name)


def test_a_new_port_is_checked_against_the_current_ports_host_key():
    argv = probe_argv("192.0.2.10", 2222, key_alias=known_hosts_name("192.0.2.10", 22))
    assert "HostKeyAlias=192.0.2.10" in argv
    assert known_hosts_name("192.0.2.10", 2222) == "[192.0.2.10]:2222"
    # a HostKeyAlias of the user's own wins
    argv = probe_argv("h", 2222, ssh_common_args="-o HostKeyAlias=web1", key_alias="h")
    assert "HostKeyAlias=h" not in argv and "HostKeyAlias=web1" in argv
