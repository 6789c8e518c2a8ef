# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One rule list, two firewalls: `liftoff_firewall_rules` -> EC2 security groups and host iptables.

A rule is ``{name, port, [port_end], [protocol], sources, [comment]}``. Both the network role
(security groups) and the iptables role (host firewall) read the same list through these filters,
so the two can never drift.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

from ansible.errors import AnsibleFilterError

PROTOCOLS = ("tcp", "udp")
KNOWN_KEYS = {"name", "port", "port_end", "protocol", "sources", "comment"}
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,40}$")


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _port_errors(where, key, value):
    if not _is_int(value) and not (isinstance(value, str) and value.isdigit()):
        return ["%s: %s must be a whole number, got %r" % (where, key, value)]
    if not 1 <= int(value) <= 65535:
        return ["%s: %s %s is out of range (1-65535)" % (where, key, value)]
    return []


def _source_errors(where, source):
    text = str(source)
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return ["%s: source %r is not a CIDR (like 203.0.113.0/24 or 2001:db8::/32)" % (where, source)]
    if "/" not in text:
        return ["%s: source %r has no prefix length; write %s" % (where, source, network)]
    try:
        ipaddress.ip_network(text)
    except ValueError:
        return ["%s: source %r has host bits set; did you mean %s?" % (where, source, network)]
    return []


def firewall_rules_errors(rules, variable="liftoff_firewall_rules"):
    """Every problem in a rule list, each naming the variable, the rule and why. Empty when valid."""
    if rules is None:
        return []
    if not isinstance(rules, list):
        return ["%s must be a list of rules, got %s" % (variable, type(rules).__name__)]
    errors = []
    seen = set()
    for index, rule in enumerate(rules):
        where = "%s[%d]" % (variable, index)
        if not isinstance(rule, dict):
            errors.append("%s must be a dict with name, port and sources" % where)
            continue
        name = rule.get("name")
        if name is not None:
            where = "%s[%d] (%s)" % (variable, index, name)
        unknown = sorted(set(rule) - KNOWN_KEYS)
        if unknown:
            errors.append("%s: unknown key(s) %s; known: %s" % (where, ", ".join(unknown), ", ".join(sorted(KNOWN_KEYS))))
        if not isinstance(name, str) or not NAME_RE.match(name):
            errors.append("%s: name must be lowercase letters, digits and dashes (max 41), got %r" % (where, name))
        elif name in seen:
            errors.append("%s: name %r is used twice" % (where, name))
        else:
            seen.add(name)
        if "port" not in rule:
            errors.append("%s: port is required" % where)
        else:
            errors.extend(_port_errors(where, "port", rule["port"]))
        if rule.get("port_end") is not None:
            port_errors = _port_errors(where, "port_end", rule["port_end"])
            errors.extend(port_errors)
            if not port_errors and "port" in rule and not _port_errors(where, "port", rule["port"]) \
                    and int(rule["port_end"]) < int(rule["port"]):
                errors.append("%s: port_end %s is below port %s" % (where, rule["port_end"], rule["port"]))
        protocol = rule.get("protocol", "tcp")
        if protocol not in PROTOCOLS:
            errors.append("%s: protocol must be one of %s, got %r" % (where, ", ".join(PROTOCOLS), protocol))
        sources = rule.get("sources")
        if not isinstance(sources, list) or not sources:
            errors.append("%s: sources must be a non-empty list of CIDRs (use 0.0.0.0/0 and ::/0 for everyone)" % where)
        else:
            for source in sources:
                errors.extend(_source_errors(where, source))
    return errors


def firewall_rules_normalize(rules, variable="liftoff_firewall_rules"):
    """Validated rules with defaults filled in and sources split by family.

    Each result: name, protocol, port, port_end, comment, sources_v4, sources_v6 (canonical CIDRs).
    Raises with every problem at once when the list is invalid.
    """
    errors = firewall_rules_errors(rules, variable)
    if errors:
        raise AnsibleFilterError("; ".join(errors))
    result = []
    for rule in rules or []:
        networks = [ipaddress.ip_network(str(s)) for s in rule["sources"]]
        port = int(rule["port"])
        result.append({
            "name": rule["name"],
            "protocol": rule.get("protocol", "tcp"),
            "port": port,
            "port_end": int(rule["port_end"]) if rule.get("port_end") is not None else port,
            "comment": rule.get("comment") or rule["name"],
            "sources_v4": [str(n) for n in networks if n.version == 4],
            "sources_v6": [str(n) for n in networks if n.version == 6],
        })
    return result


def firewall_rules_to_security_group(rules, variable="liftoff_firewall_rules"):
    """Rules in amazon.aws.ec2_security_group's ``rules`` format (one entry per rule and family)."""
    sg_rules = []
    for rule in firewall_rules_normalize(rules, variable):
        base = {"proto": rule["protocol"], "from_port": rule["port"], "to_port": rule["port_end"],
                "rule_desc": rule["comment"]}
        if rule["sources_v4"]:
            sg_rules.append(dict(base, cidr_ip=rule["sources_v4"]))
        if rule["sources_v6"]:
            sg_rules.append(dict(base, cidr_ipv6=rule["sources_v6"]))
    return sg_rules


class FilterModule(object):
    def filters(self):
        return {
            "firewall_rules_errors": firewall_rules_errors,
            "firewall_rules_normalize": firewall_rules_normalize,
            "firewall_rules_to_security_group": firewall_rules_to_security_group,
        }
