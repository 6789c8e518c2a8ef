# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sshd role's algorithm lists: the user's, else the role's candidates this OpenSSH supports."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch

from ansible.errors import AnsibleFilterError
from ansible.module_utils.compat.version import LooseVersion
from ansible.module_utils.six import string_types


def sshd_algorithms(wanted, candidates, supported=None, version="0.0"):
    """The algorithm list sshd is given.

    - ``wanted`` (the user's list) when it is not empty, as given;
    - else the names of ``candidates`` (``{name, since}``, strongest first) the host's ``ssh -Q`` list
      ``supported`` contains, in candidate order (distributions backport algorithms: the host knows best);
    - else, when ``supported`` is empty (``ssh -Q`` failed or was not asked), the candidates whose
      ``since`` release is at most ``version`` (the installed OpenSSH, like ``9.2``), in candidate order.
    """
    if wanted:
        return list(wanted)
    try:
        if supported:
            known = set(supported)
            return [c["name"] for c in candidates or [] if c["name"] in known]
        if not version:
            raise AnsibleFilterError("sshd_algorithms: version must not be empty (like 9.2)")
        installed = LooseVersion(str(version))
        return [c["name"] for c in candidates or [] if LooseVersion(str(c["since"])) <= installed]
    except (KeyError, TypeError) as e:
        raise AnsibleFilterError("sshd_algorithms: each candidate needs name and since (%s: %s)" % (type(e).__name__, e)) from e


def sshd_unknown_algorithms(wanted, supported=None):
    """The names of ``wanted`` (a user's algorithm list) that the host's ``ssh -Q`` list ``supported`` lacks.

    sshd reads a list whose first name starts with ``+`` (append), ``-`` (remove) or ``^`` (put first)
    relative to its default: the sign is not part of the name. A name with ``*`` or ``?`` (allowed in
    ``-`` lists) is unknown when it matches nothing the host lists. Empty ``supported`` (``ssh -Q``
    failed): nothing can be told, nothing is reported (``sshd -t`` still checks the drop-in).
    """
    if not wanted or not supported:
        return []
    if isinstance(wanted, string_types):
        wanted = wanted.split(",")
    known = [str(name) for name in supported]
    unknown = []
    for i, name in enumerate(wanted):
        if not isinstance(name, string_types):
            raise AnsibleFilterError("sshd_unknown_algorithms: algorithm names are strings, got %r" % (name,))
        if i == 0 and name[:1] in ("+", "-", "^"):
            name = name[1:]
        if "*" in name or "?" in name:
            hit = any(fnmatch.fnmatchcase(k, name.replace("[", "[[]")) for k in known)
        else:
            hit = name in known
        if not hit and name not in unknown:
            unknown.append(name)
    return unknown


class FilterModule(object):
    def filters(self):
        return {
            "sshd_algorithms": sshd_algorithms,
            "sshd_unknown_algorithms": sshd_unknown_algorithms,
        }
