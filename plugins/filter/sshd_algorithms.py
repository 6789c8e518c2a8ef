# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sshd role's algorithm lists: the user's, else the role's candidates this OpenSSH supports."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible.module_utils.compat.version import LooseVersion


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


class FilterModule(object):
    def filters(self):
        return {
            "sshd_algorithms": sshd_algorithms,
        }
