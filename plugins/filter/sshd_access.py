# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sshd role's lockout check: would AllowUsers/AllowGroups/DenyUsers/DenyGroups let the controller in?

The matching follows OpenSSH (auth.c allowed_user, match.c match_user/match_host_and_ip, addrmatch.c
addr_match_list, groupaccess.c ga_match):

- a user pattern is ``USER`` or ``USER@HOST``; ``USER`` is one wildcard pattern (``*``, ``?``), matched
  case-sensitively, without ``!`` negation (``!root`` names a user called ``!root``);
- ``HOST`` is a comma-separated list of address patterns: CIDR ``address/masklen`` or a plain address,
  else a wildcard pattern (``192.0.2.*``); an entry starting with ``!`` that matches refuses the pattern.
  The role writes ``UseDNS no``, so sshd matches the host part against the client's address only;
- a group pattern is one wildcard pattern, matched against each of the user's groups;
- sshd refuses the user when a DenyUsers pattern matches, when AllowUsers is set and none matches,
  when one of the user's groups matches DenyGroups, or when AllowGroups is set and none matches.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

from ansible.errors import AnsibleFilterError
from ansible.module_utils.six import string_types


def _wildcard(pattern, value, fold_case=False):
    """sshd's match_pattern: ``*`` any run, ``?`` one character, everything else literal."""
    if fold_case:
        pattern, value = pattern.lower(), value.lower()
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.match("(?s)^" + regex + "$", value) is not None


def _parse_network(entry):
    """An entry as an address network, None when it is no address (a wildcard pattern); ValueError when the mask is bad."""
    address = entry.split("/", 1)[0]
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return None
    if "/" in entry and not re.match(r"^[0-9]+$", entry.split("/", 1)[1]):
        return None
    # strict: sshd refuses host bits set below the mask (10.0.0.1/8), like a mask too long
    return ipaddress.ip_network(entry, strict=True)


def host_matches(patterns, address):
    """Whether ``address`` matches the host part of a ``USER@HOST`` pattern (sshd's match_host_and_ip with UseDNS no).

    Raises ValueError when the host part is invalid (an empty entry, a bad mask), as ``sshd -t`` does.
    """
    entries = patterns.split(",")
    try:
        client = ipaddress.ip_address(address)
    except ValueError:
        client = None
    positive = False
    for entry in entries:
        negated = entry.startswith("!")
        body = entry[1:] if negated else entry
        if not body:
            raise ValueError("empty entry in the host list %r" % patterns)
        try:
            network = _parse_network(body)
        except ValueError as e:
            raise ValueError("bad address/masklen %r (%s)" % (body, e)) from e
        if network is not None:
            hit = client is not None and client.version == network.version and client in network
        else:
            # not an address: a wildcard pattern, against the address string (sshd's addr_match_list
            # and match_hostname, the host name being the address under UseDNS no)
            hit = _wildcard(body, address, fold_case=True)
        if hit:
            if negated:
                return False
            positive = True
    return positive


def user_pattern_matches(pattern, user, address):
    """sshd's match_user for one AllowUsers/DenyUsers entry. ``address`` None: unknown (raises LookupError
    when the answer depends on it). Raises ValueError on an invalid host part."""
    if "@" not in pattern:
        return _wildcard(pattern, user)
    user_part, host_part = pattern.split("@", 1)
    if not _wildcard(user_part, user):
        # still check the host part: sshd -t refuses an invalid one whoever connects
        host_matches(host_part, "")
        return False
    if not address:
        host_matches(host_part, "")
        raise LookupError(pattern)
    return host_matches(host_part, address)


def _words(value, name):
    if value is None:
        return []
    if isinstance(value, string_types):
        return value.split()
    if isinstance(value, (list, tuple)):
        out = []
        for item in value:
            if not isinstance(item, string_types):
                raise AnsibleFilterError("sshd_access_problems: %s must list strings, got %r" % (name, item))
            out.extend(item.split())
        return out
    raise AnsibleFilterError("sshd_access_problems: %s must be a list or a string, got %r" % (name, value))


def sshd_access_problems(user, address, groups=None, allow_users=None, allow_groups=None, deny_users=None,
                         deny_groups=None, names=None):
    """Why sshd would refuse ``user`` connecting from ``address``: a list of sentences, empty when it lets them in.

    ``names`` maps ``allow_users``, ``allow_groups``, ``deny_users`` and ``deny_groups`` to the variable each
    came from, for the messages.
    """
    if not isinstance(user, string_types) or not user:
        raise AnsibleFilterError("sshd_access_problems: the connecting user must be a non-empty string, got %r" % (user,))
    address = (address or "").strip() or None
    var = {"allow_users": "sshd_allow_users", "allow_groups": "sshd_allow_groups",
           "deny_users": "sshd_extra_options.DenyUsers", "deny_groups": "sshd_extra_options.DenyGroups"}
    var.update(names or {})
    groups = _words(groups, "groups")
    lists = {"allow_users": _words(allow_users, "allow_users"), "allow_groups": _words(allow_groups, "allow_groups"),
             "deny_users": _words(deny_users, "deny_users"), "deny_groups": _words(deny_groups, "deny_groups")}
    who = "%s connecting from %s" % (user, address or "an unknown address (no SSH_CONNECTION in the session)")
    problems = []

    def check(kind):
        matched, unknown, host_missed = [], [], []
        for pattern in lists[kind]:
            try:
                if user_pattern_matches(pattern, user, address):
                    matched.append(pattern)
                elif "@" in pattern and _wildcard(pattern.split("@", 1)[0], user):
                    host_missed.append(pattern)
            except LookupError:
                unknown.append(pattern)
            except ValueError as e:
                problems.append("%s pattern %s is invalid (%s); sshd would refuse the configuration." % (var[kind], pattern, e))
        return matched, unknown, host_missed

    matched, unknown, dummy = check("deny_users")
    for pattern in matched:
        problems.append("%s pattern %s denies %s." % (var["deny_users"], pattern, who))
    for pattern in unknown:
        problems.append("%s pattern %s may deny %s: its host part cannot be checked." % (var["deny_users"], pattern, who))

    if lists["allow_users"]:
        matched, unknown, host_missed = check("allow_users")
        if not matched:
            detail = ""
            if host_missed:
                detail = " (%s: the user matches, the address does not)" % ", ".join(host_missed)
            if unknown:
                detail += " (%s: the user matches, the address cannot be checked)" % ", ".join(unknown)
            problems.append("%s %s has no pattern that lets in %s%s." % (
                var["allow_users"], " ".join(lists["allow_users"]), who, detail))

    denied = [p for p in lists["deny_groups"] if any(_wildcard(p, g) for g in groups)]
    for pattern in denied:
        problems.append("%s pattern %s matches a group of %s (%s)." % (var["deny_groups"], pattern, user, ", ".join(groups)))
    if lists["allow_groups"] and not any(_wildcard(p, g) for p in lists["allow_groups"] for g in groups):
        problems.append("%s %s includes none of %s's groups (%s)." % (
            var["allow_groups"], " ".join(lists["allow_groups"]), user, ", ".join(groups) or "none known"))
    return problems


class FilterModule(object):
    def filters(self):
        return {
            "sshd_access_problems": sshd_access_problems,
        }
