# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The network role's VPC layout: subnet blocks derived from a CIDR, checks of the VPC and subnet blocks, and the
route tables teardown may delete."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

from ansible.errors import AnsibleFilterError

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


def network_subnet_cidrs(given, vpc_cidr, count, first, newbits=4):
    """``given`` when it is not empty, else ``count`` blocks of ``vpc_cidr`` ``newbits`` longer from block ``first`` on.

    The network role derives its public subnets from block 0 and its private ones from block 8 (the upper half of a
    /16's /20s). The blocks are derived even when ``given`` is used, so a VPC without them fails the same either way.
    """
    derived = [cidr_subnet(vpc_cidr, newbits, int(first) + index) for index in range(int(count))]
    return list(given) if given else derived


def network_teardown_route_tables(route_tables):
    """The route tables that can be deleted on their own: all but a VPC's main one, in the order given.

    A route table is main when one of its ``associations`` has ``main`` true; it goes with the VPC.
    """
    route_tables = list(route_tables or [])
    main = set()
    for table in route_tables:
        for association in table.get("associations") or []:
            if association.get("main") and "route_table_id" in association:
                main.add(association["route_table_id"])
    return [table for table in route_tables if table.get("route_table_id") not in main]


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


class FilterModule(object):
    def filters(self):
        return {
            "cidr_subnet": cidr_subnet,
            "network_layout_errors": network_layout_errors,
            "network_subnet_cidrs": network_subnet_cidrs,
            "network_teardown_route_tables": network_teardown_route_tables,
        }
