# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The lockout guard, both halves: the host side (arm a revert timer, apply, disarm, revert) and the
controller side (the one SSH command that proves a new connection gets in).

The host side runs inside the liftoff.aws.lockout_guard module; the controller side inside the action
plugin of the same name. Both are plain functions of their inputs, so unit tests drive them with a
fake command runner instead of systemd and ssh.
"""

from __future__ import annotations

import os
import shlex
import time

ARGUMENT_SPEC = dict(
    name=dict(type="str", required=True),
    state=dict(type="str", choices=["applied", "settled"], default="applied"),
    apply=dict(type="list", elements="raw", default=[]),
    revert=dict(type="list", elements="str", required=True),
    commit=dict(type="list", elements="raw", default=[]),
    timeout=dict(type="int", default=180),
    guard=dict(type="bool", default=True),
    probe=dict(type="bool", default=True),
    probe_port=dict(type="int"),
    retries=dict(type="int", default=3),
    connect_timeout=dict(type="int", default=5),
    probe_ssh_args=dict(type="list", elements="str", default=[]),
    description=dict(type="str", default="liftoff.aws lockout guard revert"),
    step=dict(type="str", choices=["arm", "confirm", "revert", "settle"]),
    token=dict(type="str", no_log=False),
)

# Seconds between two proof attempts.
PROBE_DELAY = 2
# Where the host half keeps its "armed" markers (tmpfs: gone after a reboot, like the timers).
MARKER_DIR = "/run/liftoff-lockout-guard"


def command_lists(value, option):
    """Check that an apply/commit value is a list of argv lists of strings; return it as such."""
    commands = []
    for index, argv in enumerate(value or []):
        if not isinstance(argv, (list, tuple)) or not argv or not all(isinstance(arg, (str, int)) for arg in argv):
            raise ValueError(
                "%s[%d] is %r: each command is a non-empty argv list like [systemctl, restart, ssh.service]"
                % (option, index, argv))
        commands.append([str(arg) for arg in argv])
    return commands


def check_params(params):
    """Refuse parameters that cannot guard anything; return an error message or None."""
    try:
        command_lists(params.get("apply"), "apply")
        command_lists(params.get("commit"), "commit")
    except ValueError as exc:
        return str(exc)
    if not params.get("revert"):
        return "revert must be the command that restores the last verified state"
    if any(char in str(arg) for arg in params["revert"] for char in "$%\\"):
        # systemd reads these back differently after a daemon-reload (or expands them): the timer's
        # command would no longer be the one armed.
        return "revert %s holds $, %% or a backslash, which systemd does not keep in a timer's command" % params["revert"]
    if params.get("state", "applied") == "applied" and not params.get("apply"):
        return "apply is empty: there is nothing to guard"
    if params.get("timeout", 180) < 10:
        return "timeout is %s s: the host would revert before any proof could finish" % params.get("timeout")
    if params.get("retries", 3) < 1 or params.get("connect_timeout", 5) < 1:
        return "retries and connect_timeout must be at least 1"
    if params.get("guard", True) and params.get("probe", True):
        needed = params.get("retries", 3) * (params.get("connect_timeout", 5) + PROBE_DELAY)
        if params.get("timeout", 180) <= needed:
            return ("timeout is %s s but the proof may take %s s (%s tries of %s s connect timeout plus %s s delay):"
                    " the host would revert while the controller is still proving the change"
                    % (params["timeout"], needed, params["retries"], params["connect_timeout"], PROBE_DELAY))
    return None


class HostGuard:
    """The host half. `run` is AnsibleModule.run_command (argv list -> rc, stdout, stderr)."""

    def __init__(self, run, name, revert, description="liftoff.aws lockout guard revert", marker_dir=MARKER_DIR):
        self.run = run
        self.name = name
        self.revert_argv = [str(arg) for arg in revert]
        self.description = description
        # Exists from just before the timer is armed until it is disarmed or fires: the timer's own
        # command removes it first. It, not the timer's unit state, says whether a change is pending.
        # Its first line is the token of the run that armed it (see owns()).
        self.marker = os.path.join(marker_dir, name + ".armed")

    def pending(self):
        """Whether a change is armed and not yet proven or reverted."""
        return os.path.exists(self.marker)

    def owns(self, token):
        """Whether the pending change is the one armed with `token`.

        A controller that is killed can leave Ansible's worker process running (it is in a session of
        its own): it goes on to confirm or revert long after a new run settled and re-armed the same
        name. Its token no longer matches, so it touches nothing.
        """
        try:
            with open(self.marker) as handle:
                return handle.readline().strip() == "token " + str(token)
        except OSError:
            return False

    def set_marker(self, token):
        try:
            os.makedirs(os.path.dirname(self.marker), exist_ok=True)
            with open(self.marker, "w") as handle:
                handle.write("token %s\n%s\n" % (token, " ".join(self.revert_argv)))
        except OSError as exc:
            return str(exc)
        return None

    def drop_marker(self):
        try:
            os.remove(self.marker)
        except FileNotFoundError:
            pass

    def revert_running(self):
        rc, out, dummy = self.run(["systemctl", "is-active", self.name + ".service"])
        return out.strip() in ("active", "activating", "reloading")

    def clear(self):
        """Stop a leftover timer and its service, and forget failed ones, so the name can be reused."""
        self.run(["systemctl", "stop", self.name + ".timer", self.name + ".service"])
        self.run(["systemctl", "reset-failed", self.name + ".timer", self.name + ".service"])
        self.drop_marker()
        # systemd unloads a stopped transient unit a moment later; re-arming the same name before that
        # may reuse the old unit. Wait (at most about 5 s) until it is gone.
        for dummy_try in range(50):
            dummy_rc, out, dummy_err = self.run(["systemctl", "show", "-p", "LoadState", "--value", self.name + ".timer"])
            if out.strip() != "loaded":
                break
            time.sleep(0.1)

    def arm(self, timeout, token):
        problem = self.set_marker(token)
        if problem:
            return 1, "", "cannot write %s: %s" % (self.marker, problem)
        # The marker goes first when the timer fires (ExecStartPre; "-": even if rm fails, the revert
        # runs). Not a shell wrapper: systemd 252 writes a "$" of a transient unit's command as "\$",
        # which it no longer reads back after a daemon-reload (as sshd's apply does), and the revert
        # would then never run.
        rc, out, err = self.run([
            "systemd-run", "--unit=" + self.name, "--description=" + self.description,
            "--on-active=%ds" % timeout, "--timer-property=AccuracySec=1s", "--collect",
            "--property=ExecStartPre=-/bin/rm -f " + self.marker,
        ] + self.revert_argv)
        if rc != 0:
            self.drop_marker()
        return rc, out, err

    def disarm(self):
        self.run(["systemctl", "stop", self.name + ".timer"])
        self.drop_marker()

    def revert(self):
        self.disarm()
        rc, out, err = self.run(self.revert_argv)
        return rc, (out.strip() or err.strip())

    def run_all(self, commands):
        """Run argv lists in order, stop at the first failure; return (ok, results)."""
        results = []
        for argv in commands:
            rc, out, err = self.run(argv)
            results.append(dict(cmd=argv, rc=rc, stdout=out, stderr=err))
            if rc != 0:
                return False, results
        return True, results

    def run_step(self, step, params):
        return getattr(self, "step_" + step)(params)

    def step_arm(self, params):
        leftover = self.pending()
        self.clear()
        result = dict(changed=True, armed=False, reverted=False, leftover_timer=leftover, applied=[])
        if params.get("guard", True):
            rc, out, err = self.arm(params.get("timeout", 180), params.get("token"))
            if rc != 0:
                result.update(changed=False, failed=True,
                              msg="could not arm the revert timer %s.timer (%s); nothing was applied"
                              % (self.name, (err or out).strip()))
                return result
            result["armed"] = True
        apply_ok, result["applied"] = self.run_all(command_lists(params.get("apply"), "apply"))
        if not apply_ok:
            failed = result["applied"][-1]
            result.update(failed=True, msg="%s failed (rc %d): %s" % (
                " ".join(failed["cmd"]), failed["rc"], (failed["stderr"] or failed["stdout"]).strip()))
            if result["armed"]:
                rc, output = self.revert()
                result.update(reverted=True, revert_rc=rc, revert_output=output)
                result["msg"] += "; reverted at once: %s" % output
            return result
        if not params.get("guard", True):
            commit_ok, result["committed"] = self.run_all(command_lists(params.get("commit"), "commit"))
            if not commit_ok:
                result.update(failed=True, msg="commit step failed: %s" % result["committed"][-1])
        return result

    def step_confirm(self, params):
        result = dict(changed=True, reverted=False)
        if not self.pending():
            result.update(failed=True, reverted=True, msg=(
                "the revert timer %s.timer fired (or was stopped) before the change was proven: the host runs"
                " its previous state again, and nothing was committed" % self.name))
            return result
        if not self.owns(params.get("token")):
            result.update(changed=False, failed=True, msg=(
                "another run re-armed %s.timer since this one armed it: this run's change is no longer the"
                " pending one, so nothing was disarmed or committed" % self.name))
            return result
        self.disarm()
        if self.revert_running():
            result.update(failed=True, reverted=True, msg=(
                "the revert timer %s.timer fired while the change was being proven: the host is going back to"
                " its previous state, and nothing was committed" % self.name))
            return result
        commit_ok, result["committed"] = self.run_all(command_lists(params.get("commit"), "commit"))
        if not commit_ok:
            failed = result["committed"][-1]
            result.update(failed=True, msg="proven, but %s failed (rc %d): %s" % (
                " ".join(failed["cmd"]), failed["rc"], (failed["stderr"] or failed["stdout"]).strip()))
        return result

    def step_revert(self, params):
        if not self.owns(params.get("token")):
            # Fired already (the host reverted itself), or another run took over: reverting now would
            # undo that run's state, not this one's change.
            why = ("another run re-armed %s.timer since" % self.name) if self.pending() else (
                "%s.timer already fired and reverted it" % self.name)
            return dict(changed=False, reverted=False, revert_rc=0, revert_output="not reverted again: " + why)
        rc, output = self.revert()
        return dict(changed=True, reverted=True, revert_rc=rc, revert_output=output)

    def step_settle(self, params):
        if not self.pending():
            return dict(changed=False, reverted=False, msg="no revert timer %s.timer is armed" % self.name)
        rc, output = self.revert()
        self.clear()
        result = dict(changed=True, reverted=True, revert_rc=rc, revert_output=output, msg=(
            "an interrupted run left %s.timer armed, so its change was never proven: reverted now instead of"
            " later: %s" % (self.name, output)))
        if rc != 0:
            result["failed"] = True
        return result


def probe_argv(host, port, user=None, private_key_file=None, ssh_executable="ssh", ssh_args="",
               ssh_common_args="", ssh_extra_args="", host_key_checking=True, connect_timeout=10,
               extra_args=(), key_alias=None):
    """The one SSH command that proves a new connection from the controller gets in.

    ssh keeps the first value it reads for an option, so the guard's own options come first: the
    proof never rides an open multiplexed connection and never waits for a password prompt.
    """
    argv = [ssh_executable or "ssh",
            "-o", "BatchMode=yes", "-o", "ControlPath=none", "-o", "ControlMaster=no",
            "-o", "ConnectTimeout=%d" % connect_timeout]
    if not host_key_checking:
        argv += ["-o", "StrictHostKeyChecking=no"]
    user_args = [arg for args in (ssh_args, ssh_common_args, ssh_extra_args) for arg in shlex.split(args or "")]
    if key_alias and not any("hostkeyalias" in arg.lower() for arg in user_args):
        argv += ["-o", "HostKeyAlias=" + key_alias]
    argv += list(extra_args) + user_args
    if private_key_file:
        argv += ["-i", os.path.expanduser(private_key_file)]
    if user:
        argv += ["-l", user]
    argv += ["-p", str(port), host, "true"]
    return argv


def known_hosts_name(host, port):
    """The name known_hosts files a host under for a port: host for 22, [host]:port otherwise."""
    return host if int(port) == 22 else "[%s]:%d" % (host, int(port))
