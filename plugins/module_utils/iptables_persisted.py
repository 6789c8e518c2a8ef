# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The iptables role's edit of a persisted iptables-restore file (rules.v4/v6, /etc/sysconfig/iptables).

Pure text functions, used by the liftoff.aws.iptables_persisted module:

- ``iptables_persisted_merge(existing, chain_text)``: the file with our block replaced by ``chain_text``
  (empty ``chain_text`` takes our lines out);
- ``iptables_persisted_remove(existing)``: the file without our lines, or ``existing`` itself, unchanged,
  when it holds none of them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

IPTABLES_BEGIN = "# BEGIN liftoff.aws.iptables (managed by Ansible: LIFTOFF-* chains and their INPUT jump)"
IPTABLES_END = "# END liftoff.aws.iptables"
_IPTABLES_OURS = re.compile(r"^(\[\d+:\d+\]\s+)?(:LIFTOFF-[A-Z0-9-]+\s|-[AI]\s+LIFTOFF-[A-Z0-9-]+\s|-[AI]\s+INPUT\s+(\d+\s+)?-j\s+LIFTOFF-[A-Z0-9-]+\s*$)")
_IPTABLES_BUILTIN_FILTER = [":INPUT ACCEPT [0:0]", ":FORWARD ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]"]


class IptablesPersistedError(ValueError):
    """The persisted file cannot take our block (its *filter table has no COMMIT line)."""


def _iptables_strip_ours(lines):
    kept = []
    inside = False
    for line in lines:
        text = line.strip()
        if text == IPTABLES_BEGIN:
            inside = True
            continue
        if inside:
            if text == IPTABLES_END:
                inside = False
            continue
        if _IPTABLES_OURS.match(text):
            continue
        kept.append(line)
    return kept


def iptables_persisted_merge(existing, chain_text, chain="LIFTOFF-INPUT"):
    """A persisted iptables-restore file with the iptables role's block replaced by `chain_text`.

    netfilter-persistent / iptables-services load that file at boot with a flushing restore. The
    role never saves live state there (it would capture other tools' transient rules); it edits the
    text: every line of its own (its marked block, plus LIFTOFF-* lines a `netfilter-persistent save`
    may have written) goes, then its block goes into *filter right after the chain declarations, so
    the INPUT jump precedes every other INPUT rule. All other lines stay as they were.

    `chain_text` is the chain in restore syntax (declaration and -A lines, no table header);
    empty removes the role's block and leaves the rest of the file as it was.
    Raises IptablesPersistedError when the file's *filter table has no COMMIT line.
    """
    lines = _iptables_strip_ours((existing or "").splitlines())
    body = [line for line in (chain_text or "").splitlines() if line.strip()]
    if not body:
        return "\n".join(lines) + ("\n" if lines else "")
    declarations = [line for line in body if line.startswith(":")]
    rules = [line for line in body if not line.startswith(":")]
    block = [IPTABLES_BEGIN] + declarations + ["-A INPUT -j %s" % chain] + rules + [IPTABLES_END]
    start = next((i for i, line in enumerate(lines) if line.strip() == "*filter"), None)
    if start is None:
        lines = lines + ["*filter"] + _IPTABLES_BUILTIN_FILTER + block + ["COMMIT"]
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].strip() == "COMMIT"), None)
        if end is None:
            raise IptablesPersistedError("the *filter table in the persisted file has no COMMIT line")
        position = start + 1
        for i in range(start + 1, end):
            text = lines[i].strip()
            if text.startswith(":") or not text or text.startswith("#"):
                if text.startswith(":"):
                    position = i + 1
                continue
            break
        lines = lines[:position] + block + lines[position:]
    return "\n".join(lines) + "\n"


def iptables_persisted_remove(existing):
    """`existing` without the iptables role's lines; `existing` itself when none of them is there.

    Only our block and LIFTOFF-* lines go; every other line stays. A file holding nothing of ours
    is returned as it is (not even a missing final newline is added), so removing is a no-op there.
    """
    lines = (existing or "").splitlines()
    if _iptables_strip_ours(lines) == lines:
        return existing or ""
    return iptables_persisted_merge(existing, "")
