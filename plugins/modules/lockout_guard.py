#!/usr/bin/python
# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: lockout_guard
short_description: Apply a change that could cut the controller off, behind an on-host revert timer and a new-connection proof
version_added: 0.2.0
description:
  - The one lockout guard of this collection. Every host role whose change could stop the controller
    from connecting (sshd settings, firewall rules) applies that change through this task.
  - With O(state=applied) it arms an on-host revert (a transient systemd timer that runs O(revert) after
    O(timeout) seconds), runs the O(apply) commands, and then proves from the controller that a B(new)
    SSH connection gets in. Only then it disarms the timer and runs the O(commit) commands. When the
    proof fails it runs O(revert) at once, proves that the controller gets in again on the port it
    connects to now, and fails saying what was reverted. When the controller is cut off before it can
    do that, the timer reverts the host by itself.
  - Arming and applying are one round trip to the host, disarming and committing another; the proof is
    an C(ssh) process on the controller.
  - The SSH client options of the proof come from the task's own connection (host, port, user, key,
    C(ssh_args), C(ssh_common_args), C(ssh_extra_args), host key checking), so play, group, host and
    C(ansible.cfg) settings all reach it, and every role proves the same way. C(BatchMode=yes),
    C(ControlPath=none) and C(ControlMaster=no) come first, so the proof never rides an open
    multiplexed connection. When O(probe_port) differs from the port Ansible connects to, the host key
    is still checked against the known_hosts entry of the current port (C(HostKeyAlias)).
  - With O(state=settled) it looks for a revert timer that an earlier, interrupted run left armed. When
    there is one, that run's change was never proven, so the revert runs now (announced, reported as a
    change) instead of later, unannounced, in the middle of this run.
  - Check mode runs nothing on the host; O(state=applied) reports what it would do as a change.
  - Why a module of our own - no collection ships a lockout guard. ansible.posix and community.general
    have no equivalent (C(ansible.builtin.reboot) proves a reconnection but cannot revert).
  - The on-host part needs systemd (C(systemd-run), C(systemctl)).
author:
  - liftoff maintainers (@liftoff)
options:
  name:
    description:
      - Name of the transient systemd unit (C(<name>.timer), C(<name>.service)) that holds the revert.
      - One per role, so two roles never disarm each other's revert.
    type: str
    required: true
  state:
    description:
      - V(applied) arms, applies, proves and commits (or reverts).
      - V(settled) fires a revert left armed by an interrupted run, and does nothing else.
    type: str
    choices: [applied, settled]
    default: applied
  apply:
    description:
      - Commands (each an argv list) that make the change live, run in order after the timer is armed.
      - The first one that fails stops the rest, and O(revert) runs at once.
    type: list
    elements: raw
    default: []
  revert:
    description:
      - Command (argv) that restores the last verified state. Run by the timer, or at once when the apply
        or the proof fails, or by O(state=settled).
      - It must restore what was there before and never leave the host emptier (no rules, no sshd).
    type: list
    elements: str
    required: true
  commit:
    description:
      - Commands (each an argv list) run after the proof succeeded and the timer is disarmed, for example
        to keep the new state as the next revert target.
    type: list
    elements: raw
    default: []
  timeout:
    description:
      - Seconds after which the host reverts by itself unless the proof disarmed the timer.
      - Must exceed the time the proof can take (O(retries) times the connect timeout plus delay).
    type: int
    default: 180
  guard:
    description:
      - V(false) runs O(apply) and O(commit) without a timer and without a proof. Only for hosts the
        controller can reach another way (a console).
    type: bool
    default: true
  probe:
    description:
      - Prove a new SSH connection before disarming. V(false) keeps the timer but disarms it right after
        the apply (the change is then not proven).
    type: bool
    default: true
  probe_port:
    description:
      - Port the proof connects to, for example the new port of a port move. Defaults to the port Ansible
        connects to.
    type: int
  retries:
    description:
      - How many times the proof tries to connect, two seconds apart, before it counts as failed.
    type: int
    default: 3
  connect_timeout:
    description:
      - C(ConnectTimeout) of each proof connection, in seconds.
    type: int
    default: 5
  probe_ssh_args:
    description:
      - Extra C(ssh) arguments for the proof only, placed before the connection's own arguments.
    type: list
    elements: str
    default: []
  description:
    description:
      - Description of the transient units, shown by C(systemctl list-timers).
    type: str
    default: liftoff.aws lockout guard revert
  step:
    description:
      - Internal, set by the action plugin; do not set it.
    type: str
    choices: [arm, confirm, revert, settle]
  token:
    description:
      - Internal, set by the action plugin; do not set it.
      - Ties the steps of one task together, so that a step of an earlier run that is still running
        (its controller was killed, its worker was not) never disarms or reverts a later run's change.
    type: str
attributes:
  action:
    support: full
    description: The proof runs on the controller, in the action plugin of the same name.
  check_mode:
    support: full
    description: Runs nothing on the host; O(state=applied) reports the change a real run would guard.
  diff_mode:
    support: none
    description: The guarded change's own tasks show the diff.
  platform:
    support: full
    platforms: posix
    description: Hosts with systemd.
notes:
  - The proof uses key authentication (C(BatchMode=yes)). A connection that logs in with a password is
    refused before anything is armed.
  - For a connection that is not SSH (for example C(community.aws.aws_ssm) or C(local)) there is no new
    SSH connection to prove; the proof is then that the task's own connection still runs a command.
"""

EXAMPLES = r"""
- name: Restart sshd behind the lockout guard, proving the new port 2222
  liftoff.aws.lockout_guard:
    name: liftoff-sshd-rollback
    apply:
      - [systemctl, restart, ssh.service]
    revert: [/var/lib/liftoff-sshd/rollback.sh, restore]
    probe_port: 2222
    timeout: 180

- name: Load firewall chains, keep them as the revert target once proven
  liftoff.aws.lockout_guard:
    name: liftoff-iptables-revert
    apply: [[/usr/local/sbin/liftoff-iptables, apply]]
    revert: [/usr/local/sbin/liftoff-iptables, revert]
    commit: [[/usr/local/sbin/liftoff-iptables, promote]]
    timeout: 60

- name: Fire a revert an interrupted run left armed
  liftoff.aws.lockout_guard:
    name: liftoff-iptables-revert
    state: settled
    revert: [/usr/local/sbin/liftoff-iptables, revert]
"""

RETURN = r"""
armed:
  description: Whether a revert timer was armed for the change.
  returned: O(state=applied)
  type: bool
  sample: true
applied:
  description: The O(apply) commands that ran, with their exit codes and output.
  returned: O(state=applied)
  type: list
  elements: dict
  sample: [{cmd: [systemctl, restart, ssh.service], rc: 0, stdout: "", stderr: ""}]
probe:
  description: How the change was proven.
  returned: O(state=applied) and not in check mode
  type: dict
  sample: {method: ssh, port: 2222, attempts: 1, rc: 0, stderr: "", cmd: "ssh -o BatchMode=yes ... -p 2222 192.0.2.10 true"}
reverted:
  description: Whether the revert ran (the change failed, or O(state=settled) found a leftover timer).
  returned: always
  type: bool
  sample: false
revert_output:
  description: What the revert command printed.
  returned: when RV(reverted)
  type: str
  sample: "restored: /etc/ssh/sshd_config.d/00-liftoff.conf; sshd restarted"
recovered:
  description: After a revert, whether a new connection on the port Ansible uses got in again.
  returned: when the proof failed and the revert ran
  type: bool
  sample: true
msg:
  description: What happened, in one sentence.
  returned: always
  type: str
  sample: "applied behind liftoff-sshd-rollback and proven with a new SSH connection to port 2222"
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.liftoff.aws.plugins.module_utils.lockout_guard import ARGUMENT_SPEC, HostGuard, check_params


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params
    problem = check_params(params)
    if problem:
        module.fail_json(msg=problem)
    guard = HostGuard(module.run_command, params["name"], params["revert"], params["description"])
    step = params["step"] or {"applied": "arm", "settled": "settle"}[params["state"]]
    if module.check_mode:
        if step == "settle":
            armed = guard.pending()
            module.exit_json(changed=armed, reverted=False, msg=(
                "an interrupted run left %s.timer armed: a real run reverts its unproven change now" % params["name"]
                if armed else "no revert timer %s.timer is armed" % params["name"]))
        module.exit_json(changed=True, reverted=False, msg="check mode: nothing ran on the host")
    result = guard.run_step(step, params)
    if step == "settle" and result.get("reverted"):
        module.warn(result["msg"])
    if result.pop("failed", False):
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
