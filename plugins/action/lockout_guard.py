# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Controller half of liftoff.aws.lockout_guard (documented in plugins/modules/lockout_guard.py).

The module of the same name arms, applies, disarms and reverts on the host; this plugin runs it and,
between arming and disarming, proves from the controller that a new SSH connection gets in. It is an
action plugin because only the controller can make that proof, and because it reads the client options
from the task's own connection, so every role proves with exactly what Ansible itself uses.
"""

from __future__ import annotations

import subprocess
import time
import uuid

from ansible.errors import AnsibleConnectionFailure
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.liftoff.aws.plugins.module_utils.lockout_guard import (
    ARGUMENT_SPEC, PROBE_DELAY, check_params, known_hosts_name, probe_argv)

display = Display()

MODULE = "liftoff.aws.lockout_guard"
SSH_TRANSPORTS = ("ssh", "ansible.builtin.ssh")


class ActionModule(ActionBase):
    """Arm an on-host revert, apply, prove a new connection, then disarm (or revert)."""

    TRANSFERS_FILES = False

    def _option(self, name, default=None):
        try:
            value = self._connection.get_option(name)
        except KeyError:
            return default
        return default if value is None else value

    def _connection_facts(self):
        host = self._option("host") or self._play_context.remote_addr
        return dict(
            host=host,
            port=int(self._option("port") or self._play_context.port or 22),
            user=self._option("remote_user") or self._play_context.remote_user,
            private_key_file=self._option("private_key_file") or self._play_context.private_key_file,
            ssh_executable=self._option("ssh_executable", "ssh"),
            ssh_args=self._option("ssh_args", ""),
            ssh_common_args=self._option("ssh_common_args", ""),
            ssh_extra_args=self._option("ssh_extra_args", ""),
            host_key_checking=bool(self._option("host_key_checking", True)),
        )

    def _probe(self, args, conn, port):
        """Try a new SSH connection to `port`; return a dict with method, rc, attempts, stderr, cmd.

        `conn` is _connection_facts(), or None when the task's connection is not SSH.
        """
        if conn is None:
            # Not SSH (SSM, local, ...): no new SSH connection to prove; the task's own connection is
            # what must keep working, and the confirm step right after this runs over it.
            return dict(method="connection", transport=self._connection.transport, rc=0, attempts=0, stderr="")
        argv = probe_argv(
            conn["host"], port, user=conn["user"], private_key_file=conn["private_key_file"],
            ssh_executable=conn["ssh_executable"], ssh_args=conn["ssh_args"],
            ssh_common_args=conn["ssh_common_args"], ssh_extra_args=conn["ssh_extra_args"],
            host_key_checking=conn["host_key_checking"], connect_timeout=args["connect_timeout"],
            extra_args=args["probe_ssh_args"],
            key_alias=known_hosts_name(conn["host"], conn["port"]) if port != conn["port"] else None)
        result = dict(method="ssh", port=port, user=conn["user"], host=conn["host"], cmd=" ".join(argv))
        for attempt in range(1, args["retries"] + 1):
            display.vvv("lockout guard: new SSH connection, try %d: %s" % (attempt, result["cmd"]))
            try:
                done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                      timeout=args["connect_timeout"] + 20, check=False)
                result.update(rc=done.returncode, stderr=done.stderr.strip())
            except subprocess.TimeoutExpired:
                result.update(rc=255, stderr="no answer within %d s" % (args["connect_timeout"] + 20))
            except OSError as exc:
                result.update(rc=255, stderr="cannot run %s: %s" % (argv[0], exc))
            result["attempts"] = attempt
            if result["rc"] == 0:
                break
            if attempt < args["retries"]:
                time.sleep(PROBE_DELAY)
        return result

    def _step(self, args, step, task_vars):
        module_args = dict(args, step=step)
        try:
            return self._execute_module(module_name=MODULE, module_args=module_args, task_vars=task_vars)
        except AnsibleConnectionFailure as exc:
            return dict(failed=True, unreachable_step=step, msg="the connection failed during %s: %s" % (step, exc))

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        dummy, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        problem = check_params(args)
        if problem:
            result.update(failed=True, msg=problem)
            return result
        args["step"] = None
        # Ties the arm, confirm and revert steps of this task together on the host (HostGuard.owns).
        args["token"] = uuid.uuid4().hex
        if args["state"] == "settled":
            result.update(self._step(args, "settle", task_vars))
            return result

        conn = self._connection_facts() if self._connection.transport in SSH_TRANSPORTS else None
        conn_port = conn["port"] if conn else None
        port = args["probe_port"] or conn_port
        proves = args["guard"] and args["probe"]
        plan = "%s behind %s.timer (revert after %d s)%s" % (
            "; ".join(" ".join(str(arg) for arg in argv) for argv in args["apply"]), args["name"], args["timeout"],
            (", proven with a new SSH connection to port %s" % port) if proves else "")
        if self._task.check_mode:
            result.update(changed=True, reverted=False, msg="would run " + plan)
            return result
        if proves and conn and self._option("password") and not conn["private_key_file"]:
            display.warning("lockout guard: this host logs in with a password, but the proof uses key"
                            " authentication only (BatchMode): it fails unless an agent or default key gets in")

        armed = self._step(args, "arm", task_vars)
        result.update(armed)
        if armed.get("failed"):
            if armed.get("reverted") and conn_port:
                result["recovered"] = self._probe(args, conn, conn_port)["rc"] == 0
            return result
        if not args["guard"]:
            result["msg"] = "ran " + plan + " without a guard"
            return result

        probe = self._probe(args, conn, port) if args["probe"] else dict(method="none", rc=0, attempts=0, stderr="")
        result["probe"] = probe
        if probe["rc"] == 0:
            confirmed = self._step(args, "confirm", task_vars)
            result.update({key: value for key, value in confirmed.items() if key != "invocation"})
            if not confirmed.get("failed"):
                result["msg"] = "ran " + plan + (" and proved it" if proves else " (not proven: probe is false)")
            return result

        reverted = self._step(args, "revert", task_vars)
        recovered = self._probe(args, conn, conn_port) if conn_port else dict(rc=0)
        result.update(
            failed=True, reverted=not reverted.get("failed"),
            revert_output=reverted.get("revert_output", reverted.get("msg", "")),
            recovered=recovered["rc"] == 0)
        who = "as %s " % probe["user"] if probe.get("user") else ""
        result["msg"] = (
            "lockout guard: the change on {host} was ROLLED BACK: a new SSH connection {who}to {addr} port {port}"
            " failed {n} time(s): {err}. Reverted: {out}. {after}".format(
                host=task_vars.get("inventory_hostname", "?"), who=who, addr=probe.get("host"), port=port,
                n=probe["attempts"], err=probe["stderr"] or "rc %s" % probe["rc"],
                out=result["revert_output"] or "(no output)",
                after=self._after_revert(args, reverted, recovered, conn_port)))
        return result

    @staticmethod
    def _after_revert(args, reverted, recovered, conn_port):
        if reverted.get("failed"):
            return ("The revert could not run over the connection (%s): the host's own timer reverts it within"
                    " %d s of arming." % (reverted.get("msg", "?"), args["timeout"]))
        if recovered["rc"] == 0:
            return "The controller gets in again on port %s." % conn_port
        return ("WARNING: the controller still cannot connect on port %s (%s); check the host from a console."
                % (conn_port, recovered.get("stderr", "")))
