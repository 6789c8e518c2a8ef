# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read the output of the host roles' one-round-trip probes (one command, several sections).

A probe is one ``/bin/sh -c`` command that runs several read-only queries on the host and prints
each one's output after a marker line ``##liftoff:NAME``; a query whose exit status matters prints
it in a section of its own. These filters turn that output into the facts the roles used to read
from one command task each: the same queries, the same decisions, one round trip.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible.errors import AnsibleFilterError
from ansible.module_utils.six import string_types

MARKER = "##liftoff:"

_VERSION_RE = re.compile(r"OpenSSH_([0-9]+\.[0-9]+)")


def probe_sections(output):
    """``{name: [lines]}`` of a probe's output; lines before the first marker are ignored."""
    if output is None:
        return {}
    if not isinstance(output, string_types):
        raise AnsibleFilterError("probe output must be a string (the task's stdout), got %r" % (type(output).__name__,))
    sections = {}
    current = None
    for line in output.splitlines():
        if line.startswith(MARKER):
            current = line[len(MARKER):].strip()
            sections[current] = []
        elif current is not None:
            sections[current].append(line)
    return sections


def probe_lines(output, section):
    """The non-empty lines of one section of a probe's output (empty when the section is missing)."""
    return [line.strip() for line in probe_sections(output).get(section, []) if line.strip()]


def _int(text, fallback=0):
    try:
        return int(str(text).strip())
    except (TypeError, ValueError):
        return fallback


def _unique(items):
    seen = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


def sshd_host_facts(output):
    """What roles/sshd/tasks/facts.yml's probe read from the host.

    Sections: ``version`` (``sshd -V``, stdout and stderr), ``query KIND`` for each ``ssh -Q KIND``
    that exited 0, ``socket`` (``systemctl is-enabled`` of the socket unit), ``effective`` and
    ``effective-rc`` (``sshd -T`` and its exit status), ``rsa`` (``ssh-keygen -l`` of the RSA
    host key, only when it exited 0), ``ed25519`` (``present`` when the key file exists) and
    ``moduli-weak`` (the count of moduli below the minimum; empty when awk failed).
    """
    sections = probe_sections(output)
    errors = []
    version = _VERSION_RE.search("\n".join(sections.get("version", [])))
    if not version:
        errors.append("`sshd -V` printed no OpenSSH version (like OpenSSH_9.2): %s"
                      % (" ".join(sections.get("version", [])).strip() or "no output"))
    effective_rc = _int(" ".join(sections.get("effective-rc", [])), fallback=-1)
    if effective_rc != 0:
        errors.append("`sshd -T` failed (exit %s); see the task's stderr" % effective_rc)
    queries = {}
    for name, lines in sections.items():
        if name.startswith("query "):
            queries[name[len("query "):].strip()] = [line for line in lines if line != ""]
    rsa = " ".join(sections["rsa"]).split() if "rsa" in sections else []
    ports = [_int(line.split(" ")[-1]) for line in sections.get("effective", []) if line.startswith("port ")]
    return {
        "version": version.group(1) if version else None,
        "query": {
            "kex": queries.get("kex", []),
            "cipher": queries.get("cipher", []),
            "mac": queries.get("mac", []),
            "key": _unique(queries.get("key", []) + queries.get("key-sig", [])),
        },
        "socket_mode": " ".join(sections.get("socket", [])).strip() in ("enabled", "enabled-runtime"),
        "ports_before": ports,
        "rsa_bits": _int(rsa[0]) if rsa else 0,
        "ed25519_key": "present" in [line.strip() for line in sections.get("ed25519", [])],
        "moduli_weak": _int(" ".join(sections.get("moduli-weak", [])).strip() or "0"),
        "errors": errors,
    }


def iptables_conflicts(output):
    """The firewall managers roles/iptables/tasks/conflicts.yml's probe found active, in that order.

    Sections: ``ufw-rc`` and ``ufw`` (``ufw status``: a conflict when it exited 0 and says
    ``Status: active``), ``firewalld`` (``systemctl is-active firewalld.service``: ``active``) and
    ``nftables`` (``systemctl is-enabled nftables.service``: ``enabled``, since nftables.service
    flushes every table at boot).
    """
    sections = probe_sections(output)
    conflicts = []
    if _int(" ".join(sections.get("ufw-rc", [])), fallback=-1) == 0 and "Status: active" in "\n".join(sections.get("ufw", [])):
        conflicts.append("ufw")
    if "\n".join(sections.get("firewalld", [])).strip() == "active":
        conflicts.append("firewalld")
    if "\n".join(sections.get("nftables", [])).strip() == "enabled":
        conflicts.append("nftables")
    return conflicts


def sshd_login_facts(output, user):
    """What roles/sshd/tasks/access.yml's probe read about the connecting user.

    Sections: ``account`` (the ``getent passwd`` line; empty when the user has no account),
    ``groups`` (``id -Gn``), ``address`` (the client address of the session's SSH_CONNECTION) and
    ``keys`` (``present`` when ``~/.ssh/authorized_keys`` is not empty).
    """
    sections = probe_sections(output)
    account = [line for line in sections.get("account", []) if line.startswith("%s:" % user)]
    fields = account[0].split(":") if account else []
    home = fields[5] if len(fields) > 5 else ""
    return {
        "account": bool(account),
        "home": home,
        "groups": " ".join(sections.get("groups", [])).split(),
        "address": " ".join(sections.get("address", [])).strip(),
        "authorized_keys": "present" in [line.strip() for line in sections.get("keys", [])],
        "authorized_keys_path": "%s/.ssh/authorized_keys" % home if home else "~/.ssh/authorized_keys",
    }


class FilterModule(object):
    def filters(self):
        return {
            "sshd_host_facts": sshd_host_facts,
            "iptables_conflicts": iptables_conflicts,
            "sshd_login_facts": sshd_login_facts,
            "probe_lines": probe_lines,
        }
