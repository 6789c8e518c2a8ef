#!/usr/bin/python
# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: iptables_persisted
short_description: Put the iptables role's chain into a persisted iptables-restore file, or take it out, keeping every other line
version_added: 0.1.0
description:
  - Edits the text of a rules file that the boot-time loader (C(netfilter-persistent), C(iptables-services))
    loads with a flushing C(iptables-restore), such as C(/etc/iptables/rules.v4) or C(/etc/sysconfig/iptables).
  - With O(state=present), removes the iptables role's marked block (and any C(LIFTOFF-*) chain lines or
    C(INPUT) jump to them, as C(netfilter-persistent save) writes them), then inserts the new block into the
    C(*filter) table right after the chain declarations, so the C(INPUT) jump to C(LIFTOFF-INPUT) comes before
    every other C(INPUT) rule. Adds a C(*filter) table when the file has none; a missing file counts as empty.
  - With O(state=absent), removes only those lines. A file holding none of them, or a missing file, is left
    exactly as it is (and a missing file is never created).
  - Every other line (other tables, the user's own chains and rules, the built-in policies) stays byte for byte.
    Live state is never read, so other tools' transient rules (Docker, fail2ban bans) are not captured.
  - The new content is checked with C(iptables-restore --test) or C(ip6tables-restore --test) (see O(family))
    before it replaces the file, which it does atomically. When the check fails, the file is left unchanged.
  - Check mode reports what would change and writes nothing (it does not run the C(--test) check, as the
    binary may not be installed yet in a dry run). Diff mode shows the file before and after.
  - The liftoff.aws.iptables role uses it for its persisted copy of the chains.
author:
  - liftoff maintainers (@liftoff)
options:
  path:
    description: The persisted rules file, for example C(/etc/iptables/rules.v4). Its directory must exist.
    type: path
    required: true
  chain_text:
    description:
      - The chain in iptables-restore syntax - its declaration (C(:LIFTOFF-INPUT - [0:0])) and C(-A LIFTOFF-INPUT)
        lines, without a table header or C(COMMIT). The module adds the C(-A INPUT -j LIFTOFF-INPUT) jump.
      - Required, and not empty, when O(state=present); ignored when O(state=absent).
    type: str
  state:
    description: V(present) puts the chain into the file (replacing an older copy), V(absent) takes it out.
    type: str
    choices: [present, absent]
    default: present
  family:
    description:
      - The address family of the file, which chooses the check of the new content -
        V(4) runs C(iptables-restore --test), V(6) runs C(ip6tables-restore --test).
      - The module fails, naming the binary, when that binary is not installed and the file has to change.
    type: int
    choices: [4, 6]
    default: 4
  mode:
    description:
      - Permissions of the file, as for M(ansible.builtin.file). Set whenever the module writes the file, and with
        O(state=present) also when only the permissions differ.
    type: raw
    default: "0640"
  owner:
    description: Owner of the file (set as for O(mode)).
    type: str
    default: root
  group:
    description: Group of the file (set as for O(mode)).
    type: str
    default: root
attributes:
  check_mode:
    description: Reports what would change and writes nothing.
    support: full
  diff_mode:
    description: Shows the file's text before and after.
    support: full
notes:
  - Runs on the managed host and needs root to write the file and to run the C(--test) check.
"""

EXAMPLES = r"""
- name: Persist LIFTOFF-INPUT for the next boot (IPv4 and IPv6)
  liftoff.aws.iptables_persisted:
    path: "{{ item.path }}"
    family: "{{ item.family }}"
    chain_text: "{{ item.chain_text }}"
  loop:
    - path: /etc/iptables/rules.v4
      family: 4
      chain_text: |
        :LIFTOFF-INPUT - [0:0]
        -A LIFTOFF-INPUT -i lo -j ACCEPT
        -A LIFTOFF-INPUT -p tcp -m tcp --dport 22 -j ACCEPT
        -A LIFTOFF-INPUT -j DROP
    - path: /etc/iptables/rules.v6
      family: 6
      chain_text: |
        :LIFTOFF-INPUT - [0:0]
        -A LIFTOFF-INPUT -i lo -j ACCEPT
        -A LIFTOFF-INPUT -j DROP

- name: Take the chain out of rules.v4 again, keeping the rest
  liftoff.aws.iptables_persisted:
    path: /etc/iptables/rules.v4
    family: 4
    state: absent
"""

RETURN = r"""
changed:
  description: Whether the file was (or, in check mode, would be) written or its owner, group or mode set.
  returned: always
  type: bool
  sample: true
path:
  description: The file, as given in O(path).
  returned: always
  type: str
  sample: /etc/iptables/rules.v4
diff:
  description: The file's text before and after (empty when the file does not exist).
  returned: always
  type: dict
  sample:
    before_header: /etc/iptables/rules.v4
    after_header: /etc/iptables/rules.v4
    before: "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n"
    after: "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n# BEGIN liftoff.aws.iptables
      (managed by Ansible: LIFTOFF-* chains and their INPUT jump)\n:LIFTOFF-INPUT - [0:0]\n-A INPUT -j LIFTOFF-INPUT\n-A
      LIFTOFF-INPUT -j DROP\n# END liftoff.aws.iptables\nCOMMIT\n"
msg:
  description: What the module did, or would do in check mode.
  returned: always
  type: str
  sample: "/etc/iptables/rules.v4: wrote LIFTOFF-INPUT into the *filter table"
"""

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes
from ansible.module_utils.common.text.converters import to_native
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.liftoff.aws.plugins.module_utils.iptables_persisted import IptablesPersistedError
from ansible_collections.liftoff.aws.plugins.module_utils.iptables_persisted import iptables_persisted_merge
from ansible_collections.liftoff.aws.plugins.module_utils.iptables_persisted import iptables_persisted_remove

RESTORE = {4: "iptables-restore", 6: "ip6tables-restore"}


def read_text(module, path):
    """The file's text; None when it does not exist."""
    if not os.path.lexists(path):
        return None
    if os.path.isdir(path):
        module.fail_json(msg="%s is a directory, not a rules file" % path, path=path)
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except (IOError, OSError) as err:
        module.fail_json(msg="Could not read %s: %s" % (path, to_native(err)), path=path)
    return to_text(data, errors="surrogate_or_strict")


def write_checked(module, path, content):
    """Write `content` to `path` atomically, after `*-restore --test` of the family accepted it."""
    name = RESTORE[module.params["family"]]
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        module.fail_json(msg="Could not write %s: directory %s does not exist" % (path, directory), path=path)
    binary = module.get_bin_path(name)
    if not binary:
        module.fail_json(msg="%s not found: it is needed to check the new content of %s before it is written;"
                             " %s was left unchanged" % (name, path, path), path=path)
    handle, temporary = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), suffix=".liftoff", dir=directory)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(to_bytes(content, errors="surrogate_or_strict"))
        rc, out, err = module.run_command([binary, "--test", temporary])
        if rc != 0:
            module.fail_json(
                msg="%s --test refused the new content of %s, which was left unchanged: %s"
                    % (name, path, (err or out).strip() or "exit code %d" % rc),
                path=path, rc=rc, stdout=out, stderr=err)
        module.atomic_move(temporary, path)
    finally:
        if os.path.lexists(temporary):
            os.unlink(temporary)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            chain_text=dict(type="str"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            family=dict(type="int", choices=[4, 6], default=4),
            mode=dict(type="raw", default="0640"),
            owner=dict(type="str", default="root"),
            group=dict(type="str", default="root"),
        ),
        required_if=[("state", "present", ["chain_text"])],
        supports_check_mode=True,
    )
    params = module.params
    path = params["path"]
    present = params["state"] == "present"
    if present and not (params["chain_text"] or "").strip():
        module.fail_json(msg="chain_text is empty: state=present needs the chain (use state=absent to take it out)",
                         path=path)

    existing = read_text(module, path)
    before = existing or ""
    diff = dict(before_header=path, after_header=path, before=before, after=before)
    if existing is None and not present:
        module.exit_json(changed=False, path=path, diff=diff, msg="%s does not exist: nothing to remove" % path)

    if present:
        try:
            after = iptables_persisted_merge(before, params["chain_text"])
        except IptablesPersistedError as err:
            module.fail_json(msg="%s: %s" % (path, to_native(err)), path=path)
    else:
        after = iptables_persisted_remove(before)
    diff["after"] = after
    content_changed = existing is None or after != before

    if content_changed and not module.check_mode:
        write_checked(module, path, after)
    # Like ansible.builtin.copy: state=present keeps owner, group and mode as asked; state=absent sets
    # them only on a file it writes, and touches nothing when none of our lines is there.
    attributes_changed = False
    if present or content_changed:
        file_args = module.load_file_common_arguments(params)
        attributes_changed = module.set_fs_attributes_if_different(file_args, False)

    check = module.check_mode
    if content_changed and present:
        msg = "%s: %s LIFTOFF-INPUT into the *filter table" % (path, "would write" if check else "wrote")
    elif content_changed:
        msg = "%s: %s LIFTOFF-INPUT and its INPUT jump" % (path, "would remove" if check else "removed")
    elif attributes_changed:
        msg = "%s: already holds the chain; %s owner, group or mode" % (path, "would set" if check else "set")
    elif present:
        msg = "%s: already holds the chain" % path
    else:
        msg = "%s: holds none of our lines, nothing to remove" % path
    module.exit_json(changed=content_changed or attributes_changed, path=path, diff=diff, msg=msg)


if __name__ == "__main__":
    main()
