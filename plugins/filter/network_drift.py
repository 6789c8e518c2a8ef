# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the network role wants, compared with what one describe per resource type returned.

The network role describes each resource type of its VPC once (amazon.aws *_info modules), then asks
``network_drift`` which of the items it manages differ, and calls the upstream write module only for
those. The comparison mirrors what the upstream modules would change, so a skipped item is one the
module would have reported as ok:

- tags are exact (``purge_tags``), keys starting with ``aws:`` are ignored;
- subnets: found by CIDR; zone, public IP mapping, IPv6 block and IPv6 assignment;
- route tables: found by their tags (``lookup: tag``); routes (only routes made by CreateRoute with an
  IPv4 destination are purged, like the module does) and subnet associations (purged);
- security groups: found by name; description, ingress rules with their descriptions (purged),
  egress is not managed;
- VPC: found by Name and CIDR (as ec2_vpc_net does); DNS support and host names, IPv6 block;
- NAT gateway: a pending or available one in the given subnet;
- endpoint: the S3 gateway endpoint with exactly these route tables, its tags and (when given) its policy,
  compared by meaning (JSON-decoded, order of statements and one-item lists do not count).

``network_s3_endpoint_policy`` builds that endpoint's policy: S3 only on the project's buckets and the
AWS-owned buckets the hosts read (Amazon Linux 2023 package repositories, the CodeDeploy agent).
"""

from __future__ import annotations

import ipaddress
import json
import re

from ansible.errors import AnsibleFilterError

from ansible_collections.liftoff.aws.plugins.filter.network_layout import cidr_subnet
from ansible_collections.liftoff.aws.plugins.module_utils.core import policy_changed

KINDS = ("vpc", "subnet", "route_table", "security_group", "internet_gateway", "nat_gateway", "endpoint")
# Identity tags: a resource without them is not this project's.
IDENTITY_TAGS = ("Project", "Environment", "ManagedBy")


def as_list(value):
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def tags_of(resource):
    tags = resource.get("tags") or {}
    if isinstance(tags, list):  # boto3 shape, or snake_cased by the module (ec2_vpc_endpoint_info)
        tags = {t.get("Key", t.get("key")): t.get("Value", t.get("value")) for t in tags}
    return dict(tags)


def tag_drift(desired, current):
    """Reasons the tags differ, with purge_tags (aws: keys are AWS's own and never purged)."""
    desired = {str(k): str(v) for k, v in (desired or {}).items()}
    current = {k: v for k, v in current.items() if not str(k).startswith("aws:")}
    reasons = []
    for key in sorted(desired):
        if key not in current:
            reasons.append("tag %s missing" % key)
        elif str(current[key]) != desired[key]:
            reasons.append("tag %s is %r, not %r" % (key, current[key], desired[key]))
    reasons.extend("extra tag %s" % key for key in sorted(set(current) - set(desired)))
    return reasons


def state_of(association, key):
    """An association's state, whether described as {'state': ...} or as a plain string."""
    state = association.get(key)
    if isinstance(state, dict):
        state = state.get("state")
    return state


def resource_id(resource, *keys):
    for key in keys:
        if resource.get(key):
            return resource[key]
    return ""


# -- VPC --------------------------------------------------------------------------------------


def has_amazon_ipv6(vpc):
    for assoc in vpc.get("ipv6_cidr_block_association_set") or []:
        pool = assoc.get("ipv6_pool", "Amazon")
        if pool == "Amazon" and state_of(assoc, "ipv6_cidr_block_state") in ("associated", "associating"):
            return True
    return False


def vpc_drift(item, described):
    name = item.get("tags", {}).get("Name")
    matches = [v for v in described
               if tags_of(v).get("Name") == name and v.get("cidr_block") == item["cidr"]]
    if not matches:
        return "", ["missing"]
    if len(matches) > 1:
        return "", ["%d VPCs are named %s with block %s" % (len(matches), name, item["cidr"])]
    vpc = matches[0]
    reasons = tag_drift(item.get("tags"), tags_of(vpc))
    for key in ("enable_dns_support", "enable_dns_hostnames"):
        if key in item and bool(vpc.get(key)) != bool(item[key]):
            reasons.append("%s is %s" % (key, vpc.get(key)))
    if item.get("ipv6") and not has_amazon_ipv6(vpc):
        reasons.append("no Amazon-provided IPv6 block")
    return resource_id(vpc, "vpc_id", "id"), reasons


# -- subnets ----------------------------------------------------------------------------------


def subnet_ipv6(subnet):
    for assoc in subnet.get("ipv6_cidr_block_association_set") or []:
        if state_of(assoc, "ipv6_cidr_block_state") in ("associated", "associating"):
            return assoc.get("ipv6_cidr_block") or ""
    return ""


def subnet_drift(item, described):
    matches = [s for s in described if s.get("cidr_block") == item["cidr"]]
    if not matches:
        return "", ["missing"]
    subnet = matches[0]
    reasons = []
    if item.get("az") and subnet.get("availability_zone") != item["az"]:
        reasons.append("in zone %s, not %s" % (subnet.get("availability_zone"), item["az"]))
    map_public = bool(item.get("map_public", False))
    if bool(subnet.get("map_public_ip_on_launch")) != map_public:
        reasons.append("map_public_ip_on_launch is %s" % subnet.get("map_public_ip_on_launch"))
    ipv6 = item.get("ipv6") or ""
    if subnet_ipv6(subnet) != ipv6:
        reasons.append("IPv6 block is %r, not %r" % (subnet_ipv6(subnet), ipv6))
    assign = bool(item.get("assign_ipv6", bool(ipv6)))
    if bool(subnet.get("assign_ipv6_address_on_creation")) != assign:
        reasons.append("assign_ipv6_address_on_creation is %s" % subnet.get("assign_ipv6_address_on_creation"))
    reasons.extend(tag_drift(item.get("tags"), tags_of(subnet)))
    return resource_id(subnet, "subnet_id", "id"), reasons


# -- route tables -----------------------------------------------------------------------------


def route_key(route):
    """(destination key, destination, target key, target) of a desired route {dest, gateway_id}."""
    dest = str(route["dest"])
    family = ipaddress.ip_network(dest, strict=False).version
    dest_key = "destination_cidr_block" if family == 4 else "destination_ipv6_cidr_block"
    target = str(route.get("gateway_id") or "")
    target_key = "gateway_id"
    for prefix, key in (("nat-", "nat_gateway_id"), ("cagw-", "carrier_gateway_id"), ("tgw-", "transit_gateway_id")):
        if target.startswith(prefix):
            target_key = key
    return dest_key, dest, target_key, target


def route_table_drift(item, described):
    wanted = {str(k): str(v) for k, v in (item.get("tags") or {}).items()}
    matches = [t for t in described
               if all(str(tags_of(t).get(k)) == v for k, v in wanted.items())]
    if not matches:
        return "", ["missing"]
    if len(matches) > 1:
        return "", ["%d route tables carry these tags" % len(matches)]
    table = matches[0]
    reasons = tag_drift(wanted, tags_of(table))
    unmatched = list(table.get("routes") or [])
    for route in as_list(item.get("routes")):
        dest_key, dest, target_key, target = route_key(route)
        found = [r for r in unmatched if r.get(dest_key) == dest and r.get(target_key) == target]
        if found:
            unmatched.remove(found[0])
        else:
            reasons.append("no route %s -> %s" % (dest, target))
    if item.get("purge_routes", True):
        for route in unmatched:
            # the module purges only the routes it could have made: CreateRoute, IPv4 destination
            if route.get("origin") == "CreateRoute" and route.get("destination_cidr_block"):
                target = [v for k, v in sorted(route.items()) if k.endswith("_id") and v and k != "instance_owner_id"]
                reasons.append("extra route %s -> %s" % (route["destination_cidr_block"], ", ".join(target)))
    associated = [a.get("subnet_id") for a in table.get("associations") or []
                  if not a.get("main") and a.get("subnet_id")
                  and state_of(a, "association_state") in (None, "associated", "associating")]
    subnets = [str(s) for s in as_list(item.get("subnet_ids"))]
    reasons.extend("subnet %s not associated" % s for s in subnets if s not in associated)
    if item.get("purge_subnets", True):
        reasons.extend("extra subnet %s associated" % s for s in associated if s not in subnets)
    return resource_id(table, "route_table_id", "id"), reasons


# -- security groups --------------------------------------------------------------------------


def port_range(protocol, from_port, to_port):
    if str(protocol) in ("-1", "all") or (from_port in (None, -1, "-1") and to_port in (None, -1, "-1")):
        return (None, None)
    return (int(from_port), int(to_port))


def desired_permissions(rules):
    """Set of (protocol, ports, target type, target, description) of rules in ec2_security_group's format."""
    result = set()
    for rule in rules or []:
        protocol = str(rule.get("proto", "tcp"))
        protocol = "-1" if protocol == "all" else protocol
        ports = port_range(protocol, rule.get("from_port"), rule.get("to_port"))
        desc = rule.get("rule_desc")
        for kind, key in (("ipv4", "cidr_ip"), ("ipv6", "cidr_ipv6"), ("group", "group_id"),
                          ("ip_prefix", "ip_prefix")):
            for target in as_list(rule.get(key)):
                if kind in ("ipv4", "ipv6"):
                    target = str(ipaddress.ip_network(str(target), strict=False))
                result.add((protocol, ports, kind, str(target), desc))
    return result


def current_permissions(permissions):
    result = set()
    for perm in permissions or []:
        protocol = str(perm.get("ip_protocol"))
        ports = port_range(protocol, perm.get("from_port"), perm.get("to_port"))
        for kind, key, subkey in (("ipv4", "ip_ranges", "cidr_ip"), ("ipv6", "ipv6_ranges", "cidr_ipv6"),
                                  ("group", "user_id_group_pairs", "group_id"),
                                  ("ip_prefix", "prefix_list_ids", "prefix_list_id")):
            for entry in perm.get(key) or []:
                result.add((protocol, ports, kind, str(entry.get(subkey)), entry.get("description")))
    return result


def describe_permission(perm):
    protocol, ports, kind, target, desc = perm
    where = "all" if ports == (None, None) else ("%s" % ports[0] if ports[0] == ports[1] else "%s-%s" % ports)
    return "%s %s from %s%s" % (protocol, where, target, " (%s)" % desc if desc else "")


def security_group_drift(item, described):
    matches = [g for g in described if g.get("group_name") == item["name"]]
    if not matches:
        return "", ["missing"]
    group = matches[0]
    reasons = []
    if "description" in item and group.get("description") != item["description"]:
        reasons.append("description is %r, not %r" % (group.get("description"), item["description"]))
    reasons.extend(tag_drift(item.get("tags"), tags_of(group)))
    if "rules" in item:
        desired = desired_permissions(item["rules"])
        current = current_permissions(group.get("ip_permissions"))
        reasons.extend("rule missing: " + describe_permission(p) for p in sorted(desired - current, key=str))
        if item.get("purge_rules", True):
            reasons.extend("extra rule: " + describe_permission(p) for p in sorted(current - desired, key=str))
    return resource_id(group, "group_id"), reasons


# -- gateways and endpoints -------------------------------------------------------------------


def internet_gateway_drift(item, described):
    matches = [g for g in described
               if any(a.get("vpc_id") == item["vpc_id"] for a in g.get("attachments") or [])]
    if not matches:
        return "", ["missing"]
    gateway = matches[0]
    return resource_id(gateway, "internet_gateway_id"), tag_drift(item.get("tags"), tags_of(gateway))


def nat_gateway_drift(item, described):
    live = [g for g in described if str(g.get("state", "")).lower() in ("pending", "available")]
    matches = [g for g in live if g.get("subnet_id") == item["subnet_id"]]
    if not matches:
        return "", ["missing"]
    gateway = matches[0]
    return resource_id(gateway, "nat_gateway_id"), tag_drift(item.get("tags"), tags_of(gateway))


def plain_document(document):
    """A policy document as plain JSON values (a JSON string is decoded; Ansible's tagged strings become str)."""
    if document in (None, ""):
        return None
    if isinstance(document, (str, bytes)):
        return json.loads(document)
    return json.loads(json.dumps(document))


def policy_drift(wanted, current):
    """Why the endpoint's policy document is not the wanted one (compared by meaning), or []."""
    try:
        current = plain_document(current)
    except ValueError:
        return ["policy is not JSON"]
    if current is None:
        return ["policy missing"]
    if policy_changed(current, plain_document(wanted)):
        if not policy_changed(current, FULL_ACCESS_POLICY):
            return ["policy is AWS's full-access default, not the wanted one"]
        return ["policy differs from the wanted one"]
    return []


def endpoint_drift(item, described):
    live = [e for e in described if str(e.get("state", "")).lower() not in ("deleted", "deleting", "failed")]
    matches = [e for e in live if e.get("service_name") == item["service"]
               and sorted(e.get("route_table_ids") or []) == sorted(as_list(item.get("route_table_ids")))]
    if not matches:
        found = ", ".join("%s on %s" % (e.get("vpc_endpoint_id"), sorted(e.get("route_table_ids") or [])) for e in live)
        return "", ["missing" + (" (found %s)" % found if found else "")]
    endpoint = matches[0]
    reasons = tag_drift(item.get("tags"), tags_of(endpoint))
    if item.get("policy"):
        reasons.extend(policy_drift(item["policy"], endpoint.get("policy_document")))
    return resource_id(endpoint, "vpc_endpoint_id"), reasons


# -- the S3 endpoint's policy -----------------------------------------------------------------

# What AWS puts on a gateway endpoint created without a policy: anything, on any bucket of any account.
FULL_ACCESS_POLICY = {"Version": "2008-10-17",
                      "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}
FULL_ACCESS = "full_access"
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.*-]{1,61}[a-z0-9*]$")
REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]+$")


def network_s3_endpoint_policy(buckets, region, partition="aws", override=None):
    """The S3 gateway endpoint's policy: ``override`` when it is a policy document, AWS's full-access
    default for ``full_access``, else S3 on ``buckets`` (and their objects) plus reads of the AWS-owned
    buckets hosts need in ``region``: Amazon Linux 2023's package repositories and the CodeDeploy agent."""
    if isinstance(override, dict) and override:
        if not isinstance(override.get("Statement"), (list, dict)) or not override.get("Statement"):
            raise AnsibleFilterError("network_s3_endpoint_policy: a policy document needs a Statement")
        return plain_document(override)
    if isinstance(override, str) and override == FULL_ACCESS:
        return plain_document(FULL_ACCESS_POLICY)
    if override not in (None, "", {}):
        raise AnsibleFilterError(
            "network_s3_endpoint_policy is %s: leave it empty ({}) for the policy scoped to "
            "network_s3_endpoint_policy_buckets, give a policy document (a dict with Statement), or %r for AWS's "
            "full-access default" % (json.dumps(override, default=str), FULL_ACCESS))
    if not isinstance(buckets, (list, tuple)):
        raise AnsibleFilterError("network_s3_endpoint_policy_buckets is %s, not a list of bucket names"
                                 % json.dumps(buckets, default=str))
    bad = [b for b in buckets if not isinstance(b, str) or not BUCKET_NAME.match(b)]
    if bad:
        raise AnsibleFilterError("network_s3_endpoint_policy_buckets: %s not S3 bucket name(s) (3-63 lowercase "
                                 "letters, digits, dots and hyphens)" % json.dumps(bad, default=str))
    if not isinstance(region, str) or not REGION.match(region):
        raise AnsibleFilterError("network_s3_endpoint_policy: region %r is not an AWS region" % (region,))
    arn = "arn:%s:s3:::" % partition
    statements = []
    if buckets:
        resources = []
        for bucket in buckets:
            resources.extend([arn + bucket, arn + bucket + "/*"])
        statements.append({"Sid": "ProjectBuckets", "Effect": "Allow", "Principal": "*", "Action": "s3:*",
                           "Resource": resources})
    statements.append({"Sid": "AmazonLinux2023Repositories", "Effect": "Allow", "Principal": "*",
                       "Action": "s3:GetObject", "Resource": [arn + "al2023-repos-%s-*/*" % region]})
    codedeploy = "aws-codedeploy-%s" % region
    statements.append({"Sid": "CodeDeployAgent", "Effect": "Allow", "Principal": "*",
                       "Action": ["s3:GetObject", "s3:ListBucket"],
                       "Resource": [arn + codedeploy, arn + codedeploy + "/*"]})
    return {"Version": "2012-10-17", "Statement": statements}


COMPARE = {
    "vpc": vpc_drift,
    "subnet": subnet_drift,
    "route_table": route_table_drift,
    "security_group": security_group_drift,
    "internet_gateway": internet_gateway_drift,
    "nat_gateway": nat_gateway_drift,
    "endpoint": endpoint_drift,
}


def network_drift(desired, described, kind):
    """Each desired item with ``id`` (of what exists, or '') and ``drift`` (reasons; empty = identical)."""
    if kind not in COMPARE:
        raise AnsibleFilterError("network_drift: kind must be one of %s, got %r" % (", ".join(KINDS), kind))
    if isinstance(desired, dict):
        desired = [desired]
    result = []
    try:
        for item in desired or []:
            found_id, reasons = COMPARE[kind](item, list(described or []))
            result.append(dict(item, id=found_id, drift=reasons))
    except (KeyError, TypeError, ValueError) as e:
        raise AnsibleFilterError("network_drift(%s): unexpected input (%s: %s)" % (kind, type(e).__name__, e)) from e
    return result


def dig(value, path):
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            return ""
        value = value[key]
    return value or ""


def network_ids(state, results=None, path="id"):
    """IDs in the order of ``state`` (network_drift's result): from the write module's result where it ran
    for that item (matched by ``key``), else the ID that was described."""
    by_key = {}
    for result in results or []:
        if not isinstance(result, dict) or result.get("skipped") or "item" not in result:
            continue
        by_key[result["item"].get("key")] = dig(result, path)
    return [by_key.get(item.get("key")) or item.get("id") or "" for item in state or []]


def network_foreign_vpcs(vpcs, tags):
    """IDs of VPCs that do not carry the project's identity tags (Project, Environment, ManagedBy)."""
    foreign = []
    for vpc in vpcs or []:
        current = tags_of(vpc)
        if any(str(current.get(key, "")) != str((tags or {}).get(key, "")) for key in IDENTITY_TAGS):
            vpc_id = resource_id(vpc, "vpc_id", "id")
            if vpc_id not in foreign:
                foreign.append(vpc_id)
    return foreign


def network_subnet_plan(azs, public_cidrs, private_cidrs, ipv6_block="", name_prefix="", tags=None):
    """One public and one private subnet per zone, in zone order (public first), each with its Name/Tier
    tags; with an IPv6 /56, public subnets take /64s from its bottom and private ones from its upper half."""
    plan = []
    for tier, cidrs, first in (("public", public_cidrs, 0), ("private", private_cidrs, 128)):
        for index, az in enumerate(azs or []):
            ipv6 = cidr_subnet(ipv6_block, 8, first + index) if ipv6_block else ""
            item_tags = dict(tags or {}, Name="%s-%s-%s" % (name_prefix, tier, az), Tier=tier)
            plan.append({"key": str(cidrs[index]), "tier": tier, "az": az, "cidr": str(cidrs[index]),
                         "ipv6": ipv6, "map_public": tier == "public", "tags": item_tags})
    return plan


def network_route_table_plan(azs, public_subnet_ids, private_subnet_ids, name_prefix, tags, igw_id="",
                             nat_id="", ipv6=False, nat=False):
    """The route tables: one for the public subnets (default routes to the internet gateway, ``::/0`` too
    with IPv6), one per private subnet (a default route to the NAT gateway when there is one).

    A table is left out while what it needs is not known yet (check mode on a new network): the public
    one until the internet gateway and every public subnet exist, a private one until its subnet exists
    and, with ``nat``, the NAT gateway."""
    plan = []
    public_ids = [s for s in public_subnet_ids or [] if s]
    if igw_id and len(public_ids) == len(azs or []):
        routes = [{"dest": "0.0.0.0/0", "gateway_id": igw_id}]
        if ipv6:
            routes.append({"dest": "::/0", "gateway_id": igw_id})
        plan.append({"key": "%s-public" % name_prefix, "tier": "public", "subnet_ids": public_ids, "routes": routes,
                     "tags": dict(tags or {}, Name="%s-public" % name_prefix, Tier="public")})
    if nat and not nat_id:
        return plan
    for az, subnet_id in zip(azs or [], private_subnet_ids or []):
        if not subnet_id:
            continue
        name = "%s-private-%s" % (name_prefix, az)
        plan.append({"key": name, "tier": "private", "subnet_ids": [subnet_id],
                     "routes": [{"dest": "0.0.0.0/0", "gateway_id": nat_id}] if nat_id else [],
                     "tags": dict(tags or {}, Name=name, Tier="private")})
    return plan


def network_port_rules(ports, template):
    """One copy of ``template`` per port; in string values ``{port}`` becomes the port, and ``port``,
    ``from_port`` and ``to_port`` keys set to None are filled with it."""
    rules = []
    for port in ports or []:
        rule = {}
        for key, value in template.items():
            if key in ("port", "from_port", "to_port") and value is None:
                value = int(port)
            elif isinstance(value, str):
                value = value.replace("{port}", str(port))
            rule[key] = value
        rules.append(rule)
    return rules


class FilterModule:
    def filters(self):
        return {
            "network_drift": network_drift,
            "network_ids": network_ids,
            "network_foreign_vpcs": network_foreign_vpcs,
            "network_subnet_plan": network_subnet_plan,
            "network_port_rules": network_port_rules,
            "network_route_table_plan": network_route_table_plan,
            "network_s3_endpoint_policy": network_s3_endpoint_policy,
        }
