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


# -- Network layout (the network role's VPC and subnet CIDRs) -----------------------------------
# AWS accepts IPv4 VPC and subnet blocks from /16 to /28.
AWS_MIN_PREFIX = 16
AWS_MAX_PREFIX = 28


def cidr_subnet(cidr, newbits, index):
    """The index-th subnet of ``cidr`` that is ``newbits`` longer (10.40.0.0/16, 4, 8 -> 10.40.128.0/20)."""
    try:
        network = ipaddress.ip_network(str(cidr))
        newbits, index = int(newbits), int(index)
    except ValueError as e:
        raise AnsibleFilterError("cidr_subnet: %s" % e)
    count = 2 ** newbits
    if newbits < 0 or not 0 <= index < count or network.prefixlen + newbits > network.max_prefixlen:
        raise AnsibleFilterError("cidr_subnet: %s has no subnet #%d of /%d" % (cidr, index, network.prefixlen + newbits))
    size = network.num_addresses // count
    return str(ipaddress.ip_network((int(network.network_address) + index * size, network.prefixlen + newbits)))


def _ipv4_block_errors(variable, value):
    text = str(value)
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None, ["%s: %r is not an IPv4 CIDR (like 10.40.0.0/16)" % (variable, value)]
    if network.version != 4 or "/" not in text:
        return None, ["%s: %r is not an IPv4 CIDR (like 10.40.0.0/16)" % (variable, value)]
    if str(network) != text:
        return None, ["%s: %r has host bits set; did you mean %s?" % (variable, value, network)]
    if not AWS_MIN_PREFIX <= network.prefixlen <= AWS_MAX_PREFIX:
        return None, ["%s: %s is a /%d; AWS accepts /%d to /%d" % (variable, value, network.prefixlen,
                                                                   AWS_MIN_PREFIX, AWS_MAX_PREFIX)]
    return network, []


def network_layout_errors(vpc_cidr, subnets, vpc_variable="network_vpc_cidr"):
    """Every problem with a VPC block and its subnet blocks, each naming the variable. Empty when valid.

    ``subnets`` maps a variable name to its list of CIDRs (``{"network_public_subnet_cidrs": [...]}``).
    Checks: IPv4 CIDR without host bits, /16-/28, each subnet inside the VPC, no two subnets overlapping.
    """
    vpc, errors = _ipv4_block_errors(vpc_variable, vpc_cidr)
    seen = []
    for variable in sorted(subnets or {}):
        cidrs = subnets[variable]
        if not isinstance(cidrs, list):
            errors.append("%s must be a list of CIDRs, got %s" % (variable, type(cidrs).__name__))
            continue
        for index, cidr in enumerate(cidrs):
            where = "%s[%d]" % (variable, index)
            network, subnet_errors = _ipv4_block_errors(where, cidr)
            errors.extend(subnet_errors)
            if network is None:
                continue
            if vpc is not None and not network.subnet_of(vpc):
                errors.append("%s: %s is not inside %s %s" % (where, network, vpc_variable, vpc))
            for other_where, other in seen:
                if network.overlaps(other):
                    errors.append("%s: %s overlaps %s %s" % (where, network, other_where, other))
            seen.append((where, network))
    return errors


IPTABLES_BEGIN = "# BEGIN liftoff.aws.iptables (managed by Ansible: LIFTOFF-* chains and their INPUT jump)"
IPTABLES_END = "# END liftoff.aws.iptables"
_IPTABLES_OURS = re.compile(r"^(\[\d+:\d+\]\s+)?(:LIFTOFF-[A-Z0-9-]+\s|-[AI]\s+LIFTOFF-[A-Z0-9-]+\s|-[AI]\s+INPUT\s+(\d+\s+)?-j\s+LIFTOFF-[A-Z0-9-]+\s*$)")
_IPTABLES_BUILTIN_FILTER = [":INPUT ACCEPT [0:0]", ":FORWARD ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]"]


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
            raise AnsibleFilterError("the *filter table in the persisted file has no COMMIT line")
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


class FilterModule(object):
    def filters(self):
        return {
            "firewall_rules_errors": firewall_rules_errors,
            "firewall_rules_normalize": firewall_rules_normalize,
            "firewall_rules_to_security_group": firewall_rules_to_security_group,
            "iptables_persisted_merge": iptables_persisted_merge,
            "cidr_subnet": cidr_subnet,
            "network_layout_errors": network_layout_errors,
        }
