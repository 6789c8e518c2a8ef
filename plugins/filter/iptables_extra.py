# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`iptables_extra_rules`: raw rule bodies the iptables role appends to LIFTOFF-INPUT, checked first.

An item is a rule body in iptables-restore syntax without ``-A CHAIN`` (``-p udp --dport 51820 -j ACCEPT``),
or a dict ``{rule, family, comment}`` where ``family`` is 4, 6 or ``both`` (the default, also for a plain
string). The role writes each one as ``-A LIFTOFF-INPUT -m comment --comment "liftoff: ..." <rule>`` after
its own accepts (SSH included) and before the final LOG/DROP, so an extra rule can never cut SSH off for
the admin sources. The host still runs ``iptables-restore --test`` on the whole file before applying it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import shlex

from ansible.errors import AnsibleFilterError

KNOWN_KEYS = {"rule", "family", "comment"}
FAMILIES = {"4": [4], "6": [6], "both": [4, 6]}
# Targets an extra rule may jump to: no user chains (nothing the role does not own), no NAT/MARK games.
TARGETS = ("ACCEPT", "DROP", "REJECT", "LOG", "RETURN")
# Commands and table switches: the role writes the command (-A LIFTOFF-INPUT) itself.
COMMANDS = {
    "-A", "--append", "-I", "--insert", "-D", "--delete", "-R", "--replace", "-F", "--flush", "-X", "--delete-chain",
    "-P", "--policy", "-N", "--new-chain", "-E", "--rename-chain", "-Z", "--zero", "-L", "--list", "-S",
    "--list-rules", "-C", "--check", "-t", "--table",
}
# What an iptables-restore line may start with that is not a rule: table, chain declaration, commit.
LINE_STARTS = ("*", ":", "COMMIT")
JUMPS = {"-j", "--jump", "-g", "--goto"}
ADDRESS_OPTIONS = {"-s", "--source", "--src", "-d", "--destination", "--dst"}
PROTOCOL_OPTIONS = {"-p", "--protocol"}
# Protocols (and their options) only one of iptables / ip6tables knows.
V4_ONLY = {"icmp", "--icmp-type", "icmp-port-unreachable", "icmp-net-unreachable", "icmp-host-unreachable",
           "icmp-proto-unreachable", "icmp-net-prohibited", "icmp-host-prohibited", "icmp-admin-prohibited"}
V6_ONLY = {"ipv6-icmp", "icmpv6", "icmp6", "--icmpv6-type", "icmp6-no-route", "icmp6-adm-prohibited",
           "icmp6-addr-unreachable", "icmp6-port-unreachable", "no-route", "adm-prohibited", "addr-unreachable"}


def _family(value):
    """The families of an item's ``family`` value, or None when it is not one."""
    if isinstance(value, bool):
        return None
    return FAMILIES.get(str(value).strip().lower())


def _items(rules):
    """(index, item, rule text, family value, comment) per item; the dict form and the plain string alike."""
    for index, item in enumerate(rules):
        if isinstance(item, dict):
            yield index, item, item.get("rule"), item.get("family", "both"), item.get("comment")
        else:
            yield index, item, item, "both", None


def _words(body):
    """The rule's words as getopt reads them: --jump=X and -jX (-sADDR, -AINPUT...) split in two."""
    words = []
    for token in shlex.split(body):
        if token.startswith("--") and "=" in token:
            words.extend(token.split("=", 1))
        elif len(token) > 2 and token[0] == "-" and token[1] != "-" and token[1].isalpha():
            words.extend([token[:2], token[2:]])
        else:
            words.append(token)
    return words


def _address_families(tokens):
    """IP versions of the addresses given to -s/-d (comma lists too); malformed ones are left to iptables."""
    found = set()
    for position, token in enumerate(tokens[:-1]):
        if token in ADDRESS_OPTIONS:
            for address in tokens[position + 1].lstrip("!").split(","):
                try:
                    found.add(ipaddress.ip_network(address.strip(), strict=False).version)
                except ValueError:
                    continue
    return found


def _rule_errors(where, text, families):
    errors = []
    if "\n" in text or "\r" in text:
        return ["%s: a rule is one line; it holds a line break" % where]
    body = text.strip()
    if not body:
        return ["%s: the rule is empty" % where]
    if body.startswith(LINE_STARTS) or body.split()[0] in COMMANDS:
        return ["%s: %r starts like an iptables-restore command, table or chain line; give only the rule body "
                "(matches and -j TARGET), like '-p udp --dport 51820 -j ACCEPT': the role adds -A LIFTOFF-INPUT"
                % (where, body)]
    try:
        tokens = _words(body)
    except ValueError as exc:
        return ["%s: %r does not split into words (%s); check the quotes" % (where, body, exc)]
    commands = sorted({t for t in tokens if t in COMMANDS})
    if commands:
        errors.append("%s: %s in %r: a rule body may not hold a command or a table; the role adds "
                      "-A LIFTOFF-INPUT" % (where, ", ".join(commands), body))
    jumps = [(t, tokens[i + 1] if i + 1 < len(tokens) else "") for i, t in enumerate(tokens) if t in JUMPS]
    if len(jumps) > 1:
        errors.append("%s: %r has %d targets; a rule has at most one -j" % (where, body, len(jumps)))
    for option, target in jumps:
        if option in ("-g", "--goto") or target not in TARGETS:
            errors.append("%s: %s %s in %r: an extra rule may only end in -j %s (no jumps to other chains)"
                          % (where, option, target or "(nothing)", body, ", ".join(TARGETS)))
    words = set(tokens)
    for version, only, other in ((4, V4_ONLY, 6), (6, V6_ONLY, 4)):
        if other in families and words & only:
            errors.append("%s: %r uses %s, which only ip%stables knows: set family: %d"
                          % (where, body, ", ".join(sorted(words & only)), "" if version == 4 else "6", version))
    for version in sorted(_address_families(tokens)):
        other = 6 if version == 4 else 4
        if other in families:
            errors.append("%s: %r names an IPv%d address, which ip%stables would refuse: set family: %d"
                          % (where, body, version, "6" if other == 6 else "", version))
    return errors


def iptables_extra_rules_errors(rules, variable="iptables_extra_rules"):
    """Every problem in an extra rule list, each naming the variable, the item and why. Empty when valid."""
    if rules is None:
        return []
    if not isinstance(rules, list):
        return ["%s must be a list of rule strings (or {rule, family, comment} dicts), got %s"
                % (variable, type(rules).__name__)]
    errors = []
    for index, item, text, family, comment in _items(rules):
        where = "%s[%d]" % (variable, index)
        if isinstance(item, dict):
            unknown = sorted(str(k) for k in set(item) - KNOWN_KEYS)
            if unknown:
                errors.append("%s: unknown key(s) %s; known: %s" % (where, ", ".join(unknown), ", ".join(sorted(KNOWN_KEYS))))
            if comment is not None and (not isinstance(comment, str) or "\n" in comment or "\r" in comment):
                errors.append("%s: comment must be one line of text, got %r" % (where, comment))
        elif not isinstance(item, str):
            errors.append("%s must be a rule string or a {rule, family, comment} dict, got %s"
                          % (where, type(item).__name__))
            continue
        families = _family(family)
        if families is None:
            errors.append("%s: family must be 4, 6 or both, got %r" % (where, family))
            families = [4, 6]
        if not isinstance(text, str):
            errors.append("%s: rule must be a string like '-p udp --dport 51820 -j ACCEPT', got %r" % (where, text))
            continue
        errors.extend(_rule_errors(where, text, families))
    return errors


def iptables_extra_rules_normalize(rules, variable="iptables_extra_rules"):
    """Checked items as ``{rule, families, comment}`` (comment ready for -m comment). Raises on any problem."""
    errors = iptables_extra_rules_errors(rules, variable)
    if errors:
        raise AnsibleFilterError("; ".join(errors))
    result = []
    for index, dummy, text, family, comment in _items(rules or []):
        label = comment if comment else "%s[%d]" % (variable, index)
        result.append({
            "rule": text.strip(),
            "families": _family(family),
            "comment": ("liftoff: " + label).replace('"', "'")[:250],
        })
    return result


class FilterModule(object):
    def filters(self):
        return {
            "iptables_extra_rules_errors": iptables_extra_rules_errors,
            "iptables_extra_rules_normalize": iptables_extra_rules_normalize,
        }
